"""The question types (quiz.practice.question_types): one class per bank type, and the code rating."""

from __future__ import annotations

import pytest

from quiz.bank import models
from quiz.practice import question_types
from quiz.practice.scheduler import Rating


def test_every_bank_type_has_exactly_one_class_reading_its_model() -> None:
    assert tuple(question_types.TYPES) == models.QUESTION_TYPES
    for name, kind in question_types.TYPES.items():
        assert kind.model in models.QUESTION_MODELS
        assert kind.model.model_fields["type"].annotation.__args__ == (name,)
    assert len({type(kind) for kind in question_types.TYPES.values()}) == len(models.QUESTION_MODELS)


def test_only_choice_types_shuffle_choices() -> None:
    assert {name for name, kind in question_types.TYPES.items() if kind.has_choices} == {"single", "multiple"}
    assert all("choices" in kind.model.model_fields for kind in question_types.TYPES.values() if kind.has_choices)


@pytest.mark.parametrize(
    ("passed", "attempts", "hints", "rating"),
    [(False, 1, 0, Rating.AGAIN), (False, 5, 2, Rating.AGAIN), (True, 1, 0, Rating.EASY), (True, 2, 0, Rating.GOOD),
     (True, 3, 0, Rating.GOOD), (True, 4, 0, Rating.HARD), (True, 1, 1, Rating.HARD)],
    ids=["failed", "failed-after-many", "first-check", "second-check", "third-check", "fourth-check", "with-a-hint"],
)
def test_code_rating_follows_attempts_and_hints(passed: bool, attempts: int, hints: int, rating: Rating) -> None:
    assert question_types.code_rating(passed, attempts, hints) is rating
