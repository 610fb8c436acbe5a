"""The exercises a check can run, as one value built once and passed to the checker.

``builtin()`` pairs each entry of exercises.yaml with its module in quiz/check/exercises/ (the
module named by the exercise's id); ``with_banks`` adds the exercises that banks define
(quiz.check.bank_tests builds them as the same ``Exercise`` type). Nothing here is module state:
two registries never see each other's exercises, so bank-defined exercises are tested in-process.
"""

from __future__ import annotations

import difflib
import functools
import importlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from quiz.check.catalog import ExerciseSpec, Tolerance, exercise_file
from quiz.check.unit import Exercise
from quiz.errors import AttnquizError
from quiz.i18n import t


@dataclass(frozen=True)
class Registry:
    """Exercise id -> exercise, in the order they are checked; the default tolerances by dtype."""

    exercises: Mapping[str, Exercise]
    tolerance: Mapping[str, Tolerance]
    named: tuple[str, ...] = field(default=())  # the exercises the given banks' code questions name

    def __getitem__(self, exercise_id: str) -> Exercise:
        return self.exercises[exercise_id]

    def __contains__(self, exercise_id: object) -> bool:
        return exercise_id in self.exercises

    def __iter__(self) -> Iterator[Exercise]:
        return iter(self.exercises.values())

    def specs(self) -> dict[str, ExerciseSpec]:
        if isinstance(self.exercises, Units):
            return self.exercises.specs()  # without importing every exercise's module
        return {exercise.id: exercise.spec for exercise in self}

    def protected(self) -> tuple[Path, ...]:
        """Files no solution may read: the references of bank exercises."""
        return tuple(sorted({path for exercise in self for path in exercise.protected}))

    def select(self, names: Sequence[str]) -> list[Exercise]:
        """The exercises to run, in catalogue order (all of them for no names); an unknown name is a usage error."""
        for name in names:
            if name not in self.exercises:
                close = difflib.get_close_matches(name, list(self.exercises), n=1)
                hint = t("check.did_you_mean", suggestion=close[0]) if close else bank_hint(name)
                raise AttnquizError(t("check.unknown_exercise", name=name, hint=hint, known=", ".join(self.exercises)))
        return [self.exercises[name] for name in self.exercises if not names or name in names]

    def with_exercises(self, extra: Iterable[Exercise], named: Sequence[str] = ()) -> Registry:
        """A new registry with these exercises after the current ones (a bank's id never replaces a built-in)."""
        exercises = dict(self.exercises)
        for exercise in extra:
            exercises.setdefault(exercise.id, exercise)
        return Registry(exercises, self.tolerance, tuple(dict.fromkeys([*self.named, *named])))


class Units(Mapping[str, Exercise]):
    """The built-in exercises by id, each module imported the first time its exercise is asked for, so that
    a check of two exercises does not load sixteen (a frozen value: the specs are fixed, a unit is built once)."""

    def __init__(self, specs: Sequence[ExerciseSpec]) -> None:
        self._specs = {spec.id: exercise_file().with_common(spec) for spec in specs}  # + the common mistakes
        self._built: dict[str, Exercise] = {}

    def __getitem__(self, exercise_id: str) -> Exercise:
        if exercise_id not in self._built:
            self._built[exercise_id] = unit(self._specs[exercise_id])
        return self._built[exercise_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def specs(self) -> dict[str, ExerciseSpec]:
        return dict(self._specs)


def bank_hint(exercise_id: str) -> str:
    """Which banks define an unknown exercise (among ATTNQUIZ_BANKS and the current folder), else a --bank hint."""
    from quiz.check.bank_hint import banks_defining

    found = banks_defining(exercise_id)
    if found:
        return t("check.defined_in", banks=", ".join(found), first=found[0])
    return t("check.try_bank")


def unit(spec: ExerciseSpec) -> Exercise:
    """A built-in exercise: its catalogue entry (with the common mistakes) and its module quiz.check.exercises.<id>."""
    module = importlib.import_module(f"quiz.check.exercises.{spec.id}")
    return Exercise(spec=exercise_file().with_common(spec), oracle=module.ORACLE, tests=module.TESTS.table(),
                    variants=module.VARIANTS, errors=module.ERRORS)


@functools.cache
def builtin() -> Registry:
    """The built-in exercises (a frozen value: cached, never changed)."""
    catalogue = exercise_file()
    return Registry(Units(catalogue.exercises), dict(catalogue.tolerance))


def with_banks(paths: Sequence[str], base: Registry | None = None) -> Registry:
    """The built-in exercises plus those the banks at `paths` define; `named` lists what their code questions name."""
    from quiz.check.bank_tests import bank_exercises

    exercises, named = bank_exercises(paths)
    return (base or builtin()).with_exercises(exercises, named)


def for_banks(paths: Sequence[str]) -> Registry:
    """The registry a command uses: the built-in exercises, plus the banks' when any are given."""
    return with_banks(paths) if paths else builtin()
