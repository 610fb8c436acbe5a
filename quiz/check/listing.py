"""The exercises the checker knows, as rows: id, title, topic, difficulty, points, what to write.

``exercise_rows`` returns the rows as values; `attnquiz exercises` adds the learner's progress to
them (quiz.practice.exercises) and prints the table.
"""

from __future__ import annotations

from dataclasses import dataclass

from quiz.check.registry import Registry


@dataclass(frozen=True)
class ExerciseRow:
    id: str
    title: str
    topic: str | None  # the quiz topic id it trains; None for a bank exercise without a question
    difficulty: int | None  # 1 to 3; None for a bank exercise that does not say
    points: float
    names: tuple[str, ...]  # what the solution file defines


def exercise_rows(registry: Registry, lang: str) -> list[ExerciseRow]:
    """One row per exercise of the registry, in the order they are checked."""
    return [ExerciseRow(spec.id, spec.title(lang), spec.topic, spec.difficulty, spec.points, spec.names)
            for spec in registry.specs().values()]
