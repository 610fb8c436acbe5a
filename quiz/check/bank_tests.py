"""Exercises that a bank defines, run by the checker exactly like the built-in ones.

``bank_exercises(paths)`` validates the banks (as ``attnquiz validate`` does), then builds, for
every exercise a code question defines (quiz.bank.models.ExerciseDefinition), the same
``Exercise`` value a built-in exercise is (quiz.check.unit):

- its reference file is imported into this process, before any solution runs: it is the
  instructor's trusted code, the counterpart of the package's own references.py, and the
  exercise lists it among the files the sandbox refuses to open;
- its spec (titles, signature, tests, mistakes), its reference as the oracle, its mistakes'
  functions as the wrong variants diagnosis compares with, and one test function per test.

quiz.check.registry adds them to the built-in ones; nothing is registered anywhere.

Each test makes its arguments from the definition's specs with the test's own generator (the
same ``--seed`` gives the same inputs), calls the solution in the sandbox, and hands the answer
to ``Context.check``: the same exact-shape, exact-dtype, tolerance, first-differing-index and
likely-mistake logic as every built-in test, the same verdicts, report, formats and exit codes.
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from quiz.bank import models
from quiz.bank.exercises import BankExercise, definitions
from quiz.check import catalog
from quiz.check.unit import Context, Exercise, shape_text
from quiz.errors import AttnquizError
from quiz.i18n import t

EXACT = catalog.Tolerance(atol=0.0, rtol=0.0)  # integer outputs must match exactly


def bank_exercises(paths: Sequence[str]) -> tuple[list[Exercise], tuple[str, ...]]:
    """The exercises the banks define, and the ids the banks' code questions name (in order)."""
    from quiz.bank.loader import load_paths
    from quiz.check.catalog import exercise_names

    bank_catalog = load_paths(paths, known_exercises=exercise_names())
    if bank_catalog.errors:
        first = bank_catalog.errors[0]
        raise AttnquizError(t("bankex.bank_invalid", problem=str(first), count=len(bank_catalog.errors)))
    built = [to_exercise(exercise) for exercise in definitions(bank_catalog).values()]
    named = [question.exercise_id for _, question in bank_catalog.questions()
             if isinstance(question, models.CodeQuestion)]
    return built, tuple(dict.fromkeys(named))


def to_exercise(exercise: BankExercise) -> Exercise:
    """One bank exercise as the checker runs it: spec, oracle, mistakes, tests, protected reference."""
    definition = exercise.definition
    module = _load_reference(exercise.reference)
    tolerance = {"int64": EXACT, **{dtype: catalog.Tolerance(atol=tol.atol, rtol=tol.rtol)
                                    for dtype, tol in definition.tolerance.items()}}
    return Exercise(
        spec=catalog.exercise_file().with_common(to_spec(definition, exercise.topic, exercise.difficulty)),
        oracle=_on_copies(getattr(module, definition.function)),
        tests={test.id: _test(definition, test) for test in definition.tests},
        variants={m.id: _on_copies(getattr(module, m.function)) for m in definition.mistakes},
        tolerance=tolerance,
        protected=(exercise.reference,),
    )


def _load_reference(path: Path) -> Any:
    name = "attnquiz_bank_reference_" + hashlib.sha256(str(path).encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise AttnquizError(t("bankex.reference_failed", path=path, reason="not a Python file"))
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # the instructor's file: say what is wrong with it, in one line
        raise AttnquizError(t("bankex.reference_failed", path=path, reason=f"{type(exc).__name__}: {exc}")) from None
    return module


def _on_copies(function: Callable[..., Any]) -> Callable[..., Any]:
    """The reference on copies of the arguments (it may change them in place), its answer as an array."""

    def call(*args: Any, **kwargs: Any) -> Any:
        out = function(*[np.copy(a) if isinstance(a, np.ndarray) else a for a in args], **kwargs)
        return np.asarray(out) if isinstance(out, (np.generic, bool, int, float)) else out

    return call


def to_spec(definition: models.ExerciseDefinition, topic: str | None = None,
            difficulty: int | None = None) -> catalog.ExerciseSpec:
    """The catalogue's view of a bank exercise: titles, signature, docs, tests, mistakes; the topic and
    difficulty of the question that defines it."""
    return catalog.ExerciseSpec(
        id=definition.id,
        topic=topic,
        difficulty=difficulty,
        title=_localized(definition.title),
        signature=f"def {definition.function}({', '.join(definition.params)}):",
        doc=_localized(definition.doc if definition.doc is not None else definition.title),
        hints=tuple(_localized(hint) for hint in definition.hints),
        tests=tuple(catalog.CaseSpec(id=test.id, points=test.points,
                                     label=_localized(test.label if test.label is not None else test.id))
                    for test in definition.tests),
        mistakes=tuple(catalog.MistakeSpec(id=m.id, name=_localized(m.name), hint=_localized(m.hint))
                       for m in definition.mistakes),
    )


def _localized(text: Any) -> catalog.Localized:
    return catalog.Localized(en=models.localize(text, "en"), zh=models.localize(text, "zh"))


def make_argument(spec: models.ArgumentSpec, rng: np.random.Generator) -> Any:
    """One argument as the spec describes it, random values from `rng`."""
    if spec.array is not None:
        a = spec.array
        if a.values is not None:
            return np.array(a.values, dtype=a.dtype)
        shape = tuple(a.shape)
        if a.dtype == "bool":
            return np.asarray(rng.random(shape) < a.p)  # (shape), True with probability p
        if a.dtype == "int64":
            return np.asarray(rng.integers(math.ceil(a.low), math.floor(a.high), size=shape, endpoint=True),
                              dtype=np.int64)  # (shape)
        if a.distribution == "uniform":
            return np.asarray(rng.uniform(a.low, a.high, shape), dtype=a.dtype)  # (shape)
        return np.asarray(rng.standard_normal(shape) * a.std + a.mean, dtype=a.dtype)  # (shape)
    if spec.integer is not None:
        return int(rng.integers(math.ceil(spec.integer.low), math.floor(spec.integer.high), endpoint=True))
    if spec.number is not None:
        return float(rng.uniform(spec.number.low, spec.number.high))
    return spec.value


def call_text(function: str, params: Sequence[str], args: Sequence[Any]) -> str:
    """How the call looks in a message: rms_norm(x (2, 5, 16) float64, weight (16,) float64, eps=1e-06)."""
    shown = []
    for name, value in zip(params, args):
        if isinstance(value, np.ndarray):
            shown.append(f"{name} {shape_text(value.shape)} {value.dtype}")
        elif isinstance(value, float):
            shown.append(f"{name}={value:.4g}")
        else:
            shown.append(f"{name}={value!r}")
    return f"{function}({', '.join(shown)})"


def _test(definition: models.ExerciseDefinition, test: models.ExerciseTestSpec) -> Callable[[Context], None]:
    def run(ctx: Context) -> None:
        args = [make_argument(test.args[name], ctx.rng) for name in definition.params]
        ctx.check(ctx.call(*args), *args, what=call_text(definition.function, definition.params, args))

    return run
