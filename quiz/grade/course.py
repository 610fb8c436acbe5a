"""A course for the autograders: its banks validated, their exercises known, the exercises to grade chosen.

The one place the autograder builders ask the checker about exercises: which ones a set of
banks defines (their tests are the course's own, hidden until the chosen visibility), which
reference files they need, and what every test of the chosen exercises is worth.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quiz.errors import AttnquizError
from quiz.i18n import t


@dataclass(frozen=True)
class CourseExercises:
    specs: list[Any]  # the chosen exercises' catalogue specs, in the order they run
    course_ids: set[str]  # the ids the banks define
    references: dict[str, list[Path]]  # bank path as given -> the reference files its exercises need


def course_exercises(banks: Sequence[str], names: Sequence[str], registry: Any = None) -> CourseExercises:
    """The exercises are `names`, else those the banks' code questions name, else every built-in one.

    A missing or invalid bank or reference file is an AttnquizError naming it. `registry`: one
    already built for these banks (the check command's), else it is built here."""
    from quiz.check.registry import builtin, for_banks, with_banks

    for bank in banks:
        if not Path(bank).exists():
            raise AttnquizError(t("autograde.bank_missing", path=bank))
    base = builtin()
    references = {}
    for bank in banks:
        own = with_banks([bank])
        references[str(Path(bank))] = sorted({p for e in own if e.id not in base for p in e.protected})
    registry = registry if registry is not None else for_banks(tuple(banks))
    course_ids = {exercise.id for exercise in registry if exercise.id not in base}
    chosen = registry.select(tuple(names) or registry.named)
    return CourseExercises([exercise.spec for exercise in chosen], course_ids, references)
