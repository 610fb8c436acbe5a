"""Spaced repetition: when each question comes back, computed by FSRS (the fsrs package).

Cards are kept in our own ``CardState`` (plain fields: a state name, step, stability,
difficulty, due, last review, counts), which the store saves in its own columns. fsrs's
``Card`` only exists for the length of one ``review`` call, so a change in fsrs's
saved-card format (it has changed between releases) cannot break saved progress.

Ratings: an objective question is rated from correctness and answer time
(``objective_rating``); an open question uses the learner's own rating.
Fuzzing is off, so the same answers at the same times give the same schedule.

``Scheduler`` holds the learner's settings (desired retention, maximum interval, learning and
relearning steps, fitted parameters: quiz.config); ``Scheduler.from_settings`` builds it, and
the module-level ``review`` uses the defaults.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from quiz.config import Settings

FAST_SECONDS = 10.0
"""A right answer within this many seconds is Easy."""
SLOW_SECONDS = 60.0
"""A right answer that took longer than this is Hard."""

_STATE_NAMES = {1: "learning", 2: "review", 3: "relearning"}  # fsrs.State values (fsrs 4 to 6)


class Rating(enum.IntEnum):
    """How well a question was known; the values are FSRS's and are stored in the database."""

    AGAIN = 1
    HARD = 2
    GOOD = 3
    EASY = 4


@dataclass(frozen=True)
class CardState:
    """One question's schedule. `state` is 'learning', 'review' or 'relearning'."""

    state: str
    step: int | None
    stability: float | None
    difficulty: float | None
    due: datetime
    last_review: datetime | None
    reps: int = 0
    lapses: int = 0

    def is_due(self, now: datetime) -> bool:
        return self.due <= now


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def objective_rating(correct: bool, score: float, seconds: float) -> Rating:
    """Wrong is Again; partly right (or right but slow) is Hard; right is Good, or Easy when fast."""
    if not correct:
        return Rating.HARD if score >= 0.5 else Rating.AGAIN
    if seconds <= FAST_SECONDS:
        return Rating.EASY
    if seconds > SLOW_SECONDS:
        return Rating.HARD
    return Rating.GOOD


def coverage_rating(covered: int, total: int) -> Rating:
    """An open answer rated without the learner (exam mode): by the share of key points covered."""
    share = covered / total if total else 0.0
    if share >= 1.0:
        return Rating.GOOD
    return Rating.HARD if share >= 0.5 else Rating.AGAIN


DOUBTFUL_STEPS = 2
"""A self-rating this many steps above the key-point rating is asked about once (see doubtful_rating)."""


def doubtful_rating(rating: Rating, covered: int, total: int) -> bool:
    """Whether a self-rating contradicts the marking: DOUBTFUL_STEPS or more above `coverage_rating`
    (Good or Easy with under half the key points found, Easy with half or more but not all). Anki trusts
    the rating alone; attnquiz has marked the answer, so it asks once, and a yes keeps the rating: the
    key-point marker can miss a right answer put in other words."""
    return rating - coverage_rating(covered, total) >= DOUBTFUL_STEPS


@functools.cache
def _fsrs_scheduler(parameters: tuple[float, ...], desired_retention: float, maximum_interval: int,
                    learning_steps: tuple[timedelta, ...], relearning_steps: tuple[timedelta, ...]):  # noqa: ANN202
    import fsrs

    return fsrs.Scheduler(parameters=parameters or fsrs.scheduler.DEFAULT_PARAMETERS,
                          desired_retention=desired_retention, maximum_interval=maximum_interval,
                          learning_steps=learning_steps, relearning_steps=relearning_steps, enable_fuzzing=False)


_STATES = {name: value for value, name in _STATE_NAMES.items()}


def _fsrs_card(card: CardState):  # noqa: ANN202 - fsrs is imported lazily
    import fsrs

    return fsrs.Card(card_id=0, state=fsrs.State(_STATES[card.state]), step=card.step, stability=card.stability,
                     difficulty=card.difficulty, due=card.due, last_review=card.last_review)


@dataclass(frozen=True)
class Scheduler:
    """FSRS with the learner's settings; every field has to be given (the defaults live in quiz.config)."""

    desired_retention: float
    maximum_interval: int
    learning_steps: tuple[timedelta, ...]
    relearning_steps: tuple[timedelta, ...]
    parameters: tuple[float, ...] = ()
    """FSRS's model weights; empty for fsrs's defaults."""

    @classmethod
    def from_settings(cls, settings: Settings) -> Scheduler:
        return cls(settings.desired_retention, settings.maximum_interval, settings.learning_deltas,
                   settings.relearning_deltas, settings.fsrs_parameters)

    def _fsrs(self):  # noqa: ANN202
        return _fsrs_scheduler(self.parameters, self.desired_retention, self.maximum_interval, self.learning_steps,
                               self.relearning_steps)

    def review(self, card: CardState | None, rating: Rating, now: datetime) -> CardState:
        """The card after one answer rated `rating` at `now` (a new card when `card` is None)."""
        import fsrs

        assert now.tzinfo is not None, "review times must be timezone-aware (UTC)"
        now = now.astimezone(timezone.utc)
        before = fsrs.Card(card_id=0, due=now) if card is None else _fsrs_card(card)
        reps, lapses = (0, 0) if card is None else (card.reps, card.lapses)
        after, _log = self._fsrs().review_card(before, fsrs.Rating(int(rating)), review_datetime=now)
        lapsed = card is not None and card.state == "review" and rating == Rating.AGAIN
        return CardState(
            state=_STATE_NAMES[int(after.state)],
            step=after.step,
            stability=after.stability,
            difficulty=after.difficulty,
            due=after.due,
            last_review=now,
            reps=reps + 1,
            lapses=lapses + int(lapsed),
        )

    def retrievability(self, card: CardState, now: datetime) -> float:
        """The chance (0 to 1) that the question is recalled at `now`, as FSRS's memory model predicts:
        R = (1 + factor * t / S) ** decay with decay = -w[20], factor = 0.9 ** (1 / decay) - 1, and t the
        days since the last review counted to the second (fsrs' own get_card_retrievability counts whole
        days, so every question reviewed today, failed ones too, would read 100%)."""
        if card.last_review is None or card.stability is None:
            return 0.0
        decay = -float(self._fsrs().parameters[20])
        factor = 0.9 ** (1 / decay) - 1
        elapsed = max(0.0, (now - card.last_review).total_seconds() / 86400)
        return float((1 + factor * elapsed / card.stability) ** decay)


def default_scheduler() -> Scheduler:
    from quiz.config import DEFAULTS

    return Scheduler.from_settings(DEFAULTS)


def review(card: CardState | None, rating: Rating, now: datetime) -> CardState:
    """The card after one answer, scheduled with the default settings."""
    return default_scheduler().review(card, rating, now)
