"""The checker's exercises as data, read from exercises.yaml and validated into typed models.

``exercise_names()`` only reads the YAML (no NumPy), so a command can hand the bank validator
the known exercise ids cheaply; ``exercise_file()`` validates the whole file: unknown keys are
rejected and every text needs both English and Chinese. The exercises themselves, built from
these specs and their modules, are in quiz.check.registry.
"""

from __future__ import annotations

import functools
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from quiz.paths import data_path

EXERCISES_FILE = data_path("exercises")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Localized(_Strict):
    en: str = Field(min_length=1)
    zh: str = Field(min_length=1)

    def __call__(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


class Tolerance(_Strict):
    atol: float = Field(ge=0)
    rtol: float = Field(ge=0)


class CaseSpec(_Strict):
    id: str
    points: float = Field(gt=0)
    label: Localized
    gated: bool = False  # runs only once the exercise's other tests pass (the costly speed and memory tests)


class MistakeSpec(_Strict):
    id: str
    name: Localized
    hint: Localized


class MethodSpec(_Strict):
    signature: str
    doc: Localized


class ExerciseSpec(_Strict):
    id: str
    kind: Literal["function", "class"] = "function"
    difficulty: int | None = Field(default=None, ge=1, le=3)  # 1 to 3 as for questions (`attnquiz exercises`)
    topic: str | None = None  # the quiz topic id it trains (`attnquiz exercises`); a bank's: its question's topic
    builds_on: tuple[str, ...] = ()
    """Earlier exercises whose functions a solution of this one usually calls; when one of them fails in the same
    check, the report names it as the one to fix first."""
    title: Localized
    signature: str
    doc: Localized
    methods: tuple[MethodSpec, ...] = ()
    functions: tuple[MethodSpec, ...] = ()  # more functions the exercise asks for, after the main one
    hints: tuple[Localized, ...] = Field(default=(), max_length=9)
    """Read one level at a time on request (`attnquiz hint`, the quiz): a nudge first, nearly the code last."""
    tests: tuple[CaseSpec, ...]
    mistakes: tuple[MistakeSpec, ...]

    @property
    def name(self) -> str:
        """The name the solution file defines: the function or the class."""
        return self.signature.split()[1].split("(")[0].rstrip(":")

    @property
    def names(self) -> tuple[str, ...]:
        """Every name the exercise asks the solution file to define: the main one, then its other functions."""
        return (self.name, *(function.signature.split()[1].split("(")[0] for function in self.functions))

    @property
    def points(self) -> float:
        return sum(test.points for test in self.tests)

    def test(self, test_id: str) -> CaseSpec:
        return next(test for test in self.tests if test.id == test_id)

    def mistake(self, mistake_id: str) -> MistakeSpec:
        return next(mistake for mistake in self.mistakes if mistake.id == mistake_id)


class ExerciseFile(_Strict):
    format_version: Literal[1]
    tolerance: dict[Literal["float32", "float64"], Tolerance]
    common_mistakes: tuple[MistakeSpec, ...] = ()  # recognised for every exercise, listed after its own
    exercises: tuple[ExerciseSpec, ...]

    @model_validator(mode="after")
    def _builds_on_earlier(self) -> ExerciseFile:
        earlier: set[str] = set()
        for spec in self.exercises:
            wrong = [name for name in spec.builds_on if name not in earlier]
            if wrong:
                raise ValueError(f"{spec.id}: builds_on {wrong} must name exercises listed before it")
            earlier.add(spec.id)
        return self

    def with_common(self, spec: ExerciseSpec) -> ExerciseSpec:
        """The spec with the common mistakes after its own."""
        own = {mistake.id for mistake in spec.mistakes}
        return spec.model_copy(update={"mistakes": spec.mistakes + tuple(m for m in self.common_mistakes
                                                                           if m.id not in own)})


@functools.cache
def _raw() -> dict[str, Any]:
    from quiz.yamlio import safe_load

    return safe_load(EXERCISES_FILE.read_text(encoding="utf-8"))


def exercise_names() -> tuple[str, ...]:
    """Exercise ids that a code question's `exercise` field may name, in the order they are checked."""
    return tuple(entry["id"] for entry in _raw()["exercises"])


@functools.cache
def exercise_file() -> ExerciseFile:
    """The whole of exercises.yaml, validated."""
    return ExerciseFile.model_validate(_raw())
