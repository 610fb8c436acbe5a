"""Spaced repetition (quiz.practice.scheduler): ratings from answers, and FSRS schedules in our own card form."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime, timedelta, timezone

import pytest

from quiz.practice.scheduler import CardState, Rating, _fsrs_card, coverage_rating, objective_rating, review

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("correct", "score", "seconds", "rating"),
    [
        (True, 1.0, 4.0, Rating.EASY),
        (True, 1.0, 25.0, Rating.GOOD),
        (True, 1.0, 90.0, Rating.HARD),
        (False, 0.5, 5.0, Rating.HARD),
        (False, 0.0, 5.0, Rating.AGAIN),
    ],
    ids=["fast", "normal", "slow", "partly-right", "wrong"],
)
def test_objective_rating(correct: bool, score: float, seconds: float, rating: Rating) -> None:
    assert objective_rating(correct, score, seconds) is rating


@pytest.mark.parametrize(
    ("covered", "total", "rating"),
    [(3, 3, Rating.GOOD), (2, 3, Rating.HARD), (1, 3, Rating.AGAIN), (0, 0, Rating.AGAIN)],
    ids=["all", "most", "few", "no-points"],
)
def test_coverage_rating(covered: int, total: int, rating: Rating) -> None:
    assert coverage_rating(covered, total) is rating


@pytest.mark.parametrize(
    ("rating", "state", "delay"),
    [
        (Rating.AGAIN, "learning", timedelta(minutes=1)),
        (Rating.GOOD, "learning", timedelta(minutes=10)),
    ],
    ids=["again", "good"],
)
def test_a_new_card_follows_the_learning_steps(rating: Rating, state: str, delay: timedelta) -> None:
    card = review(None, rating, NOW)
    assert (card.state, card.due - NOW, card.last_review, card.reps, card.lapses) == (state, delay, NOW, 1, 0)


def test_easy_graduates_at_once_and_good_answers_space_out() -> None:
    card = review(None, Rating.EASY, NOW)
    assert card.state == "review" and card.due - NOW >= timedelta(days=1)
    gaps = []
    for _ in range(4):
        now = card.due
        card = review(card, Rating.GOOD, now)
        gaps.append(card.due - now)
    assert gaps == sorted(gaps) and gaps[-1] > gaps[0]
    assert card.reps == 5


def test_forgetting_a_reviewed_card_is_a_lapse() -> None:
    card = review(None, Rating.EASY, NOW)
    lapsed = review(card, Rating.AGAIN, card.due)
    assert (lapsed.state, lapsed.lapses) == ("relearning", 1)
    assert lapsed.stability < card.stability
    assert lapsed.due - card.due == timedelta(minutes=10)


def test_the_schedule_is_deterministic() -> None:
    first = review(review(None, Rating.GOOD, NOW), Rating.GOOD, NOW + timedelta(minutes=10))
    again = review(review(None, Rating.GOOD, NOW), Rating.GOOD, NOW + timedelta(minutes=10))
    assert first == again


def test_a_card_is_plain_data_that_does_not_depend_on_fsrs_serialisation() -> None:
    """Cards rebuilt from stored plain values schedule exactly like the originals."""
    card = review(review(None, Rating.EASY, NOW), Rating.HARD, NOW + timedelta(days=3))
    values = {f.name: getattr(card, f.name) for f in fields(CardState)}
    assert {type(v) for v in values.values()} <= {str, int, float, datetime, type(None)}
    rebuilt = CardState(**values)
    later = NOW + timedelta(days=20)
    assert review(rebuilt, Rating.GOOD, later) == review(card, Rating.GOOD, later)


def test_review_times_must_be_aware() -> None:
    with pytest.raises(AssertionError, match="timezone-aware"):
        review(None, Rating.GOOD, datetime(2025, 3, 1, 9, 0))


def _settings(**changes: object):  # noqa: ANN202
    from dataclasses import replace

    from quiz.config import DEFAULTS
    from quiz.practice.scheduler import Scheduler

    return Scheduler.from_settings(replace(DEFAULTS, **changes))


def _graduated(scheduler, rating: Rating = Rating.GOOD) -> CardState:  # noqa: ANN001
    card, now = None, NOW
    for _ in range(6):
        card = scheduler.review(card, rating, now)
        now = card.due
    return card


def test_the_default_scheduler_is_the_settings_defaults() -> None:
    from quiz.practice.scheduler import default_scheduler

    assert _graduated(default_scheduler()) == _graduated(_settings())
    assert review(None, Rating.GOOD, NOW) == _settings().review(None, Rating.GOOD, NOW)


def test_a_higher_desired_retention_brings_questions_back_sooner() -> None:
    low, high = _graduated(_settings(desired_retention=0.75)), _graduated(_settings(desired_retention=0.97))
    assert low.state == high.state == "review"
    assert (high.due - high.last_review) < (low.due - low.last_review)


def test_the_maximum_interval_caps_the_wait() -> None:
    card = _graduated(_settings(maximum_interval=3), Rating.EASY)
    assert card.due - card.last_review <= timedelta(days=3)
    assert _graduated(_settings(), Rating.EASY).due - NOW > timedelta(days=30)


def test_learning_steps_come_from_the_settings() -> None:
    scheduler = _settings(learning_steps=("5m", "1h", "1d"))
    card = scheduler.review(None, Rating.GOOD, NOW)
    assert (card.state, card.due - NOW) == ("learning", timedelta(hours=1))
    card = scheduler.review(card, Rating.GOOD, card.due)
    assert (card.state, card.due - card.last_review) == ("learning", timedelta(days=1))
    again = scheduler.review(None, Rating.AGAIN, NOW)
    assert again.due - NOW == timedelta(minutes=5)
    none = _settings(learning_steps=()).review(None, Rating.GOOD, NOW)
    assert none.state == "review"


def test_fitted_parameters_change_the_schedule() -> None:
    import fsrs

    fitted = list(fsrs.scheduler.DEFAULT_PARAMETERS)
    fitted[2] = 10.0  # the initial stability after Good
    plain = _settings(learning_steps=()).review(None, Rating.GOOD, NOW)
    tuned = _settings(learning_steps=(), fsrs_parameters=tuple(fitted)).review(None, Rating.GOOD, NOW)
    assert tuned.stability == pytest.approx(10.0) and plain.stability != tuned.stability
    assert tuned.due > plain.due


def test_retrievability_falls_from_one_and_is_the_desired_retention_when_due() -> None:
    scheduler = _settings(desired_retention=0.85)
    card = _graduated(scheduler)
    assert scheduler.retrievability(card, card.last_review) == pytest.approx(1.0)
    at_due = scheduler.retrievability(card, card.due)
    assert at_due == pytest.approx(0.85, abs=0.02)  # whole-day intervals round the wait
    assert scheduler.retrievability(card, card.due + timedelta(days=30)) < at_due
    assert scheduler.retrievability(CardState("learning", 0, None, None, NOW, None), NOW) == 0.0


def test_retrievability_falls_within_the_day_of_a_review() -> None:
    """Counted to the second: a question failed an hour ago is not 'recalled 100%' (fsrs' own
    get_card_retrievability counts whole days: it says 1.0 until a full day has passed)."""
    scheduler = _settings()
    failed = scheduler.review(scheduler.review(None, Rating.GOOD, NOW), Rating.AGAIN, NOW + timedelta(minutes=1))
    hour_later = failed.last_review + timedelta(hours=1)
    recall = scheduler.retrievability(failed, hour_later)
    assert 0 < recall < 0.999
    import fsrs

    ours = fsrs.Scheduler()
    assert ours.get_card_retrievability(_fsrs_card(failed), hour_later) == 1.0  # what we no longer show
    later = scheduler.retrievability(failed, hour_later + timedelta(hours=5))
    assert later < recall


@pytest.mark.parametrize(
    ("rating", "covered", "total", "doubtful"),
    [(Rating.EASY, 0, 4, True), (Rating.GOOD, 0, 4, True), (Rating.HARD, 0, 4, False), (Rating.AGAIN, 0, 4, False),
     (Rating.EASY, 2, 4, True), (Rating.GOOD, 2, 4, False), (Rating.EASY, 4, 4, False), (Rating.GOOD, 1, 4, True),
     (Rating.EASY, 0, 0, True)],
    ids=["easy-0-of-4", "good-0-of-4", "hard-0-of-4", "again-0-of-4", "easy-half", "good-half", "easy-all",
         "good-1-of-4", "easy-no-points"],
)
def test_a_self_rating_two_steps_above_the_key_points_is_doubtful(rating: Rating, covered: int, total: int,
                                                                   doubtful: bool) -> None:
    from quiz.practice.scheduler import doubtful_rating

    assert doubtful_rating(rating, covered, total) is doubtful
