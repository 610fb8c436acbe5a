"""Spaced repetition (quiz.practice.scheduler): ratings from answers, and FSRS schedules in our own card form."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime, timedelta, timezone

import pytest

from quiz.practice.scheduler import CardState, Rating, coverage_rating, objective_rating, review

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
