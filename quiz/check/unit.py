"""What every exercise is made of, and how a test judges an answer.

An ``Exercise`` is one unit: its spec (the catalogue entry in exercises.yaml: title, signature,
task, tests with points and labels, known mistakes with their names and hints), its oracle (the
expected answer from a test's arguments), its tests, the wrong variants that name a likely
mistake, and the error patterns that name one from an exception. A built-in exercise is one
module of ``quiz/check/exercises/`` plus its catalogue entry; a bank's exercise is built from
its YAML definition by ``quiz.check.bank_tests``; both are this same type, and the checker gets
them as a value (``quiz.check.registry.Registry``), never from module state.

A test is a function of a ``Context``: it builds fresh random inputs from ``ctx.rng``, calls the
solution in the sandbox (``ctx.call``), and hands what came back to ``ctx.check``, which computes
the expected answer with the exercise's oracle, demands exactly the expected kind, shape and
dtype, finite values within the dtype's tolerance, and on a wrong answer evaluates the known
mistakes on the same inputs to name the closest one. A wrong answer raises ``Wrong``; returning
means the test passed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from quiz.check import CALL_TIMEOUT
from quiz.check.catalog import ExerciseSpec, Tolerance
from quiz.check.verdicts import MemoryResult, Mismatch, SpeedResult
from quiz.i18n import t

DIAGNOSIS_SLACK = 10.0  # a wrong output matches a known mistake within this many tolerances

Test = Callable[["Context"], "dict[str, Any] | None"]  # may return extra Verdict fields (speed, memory)
Variant = Callable[..., object]  # the oracle's arguments -> a wrong output, a list of them, or None


class Wrong(Exception):
    """The solution's answer is wrong (or too slow, or too big): why, and what explains it."""

    def __init__(self, message: str, mismatch: Mismatch | None = None, diagnosis: str | None = None,
                 speed: SpeedResult | None = None, memory: MemoryResult | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.mismatch = mismatch
        self.diagnosis = diagnosis
        self.speed = speed
        self.memory = memory


class OutOfTime(Exception):
    """A test made of many calls ran past its time budget (each call has its own timeout too)."""


class Tests:
    """An exercise's tests in the order they are written: ``@TESTS.case("id")`` on each function."""

    def __init__(self) -> None:
        self._cases: dict[str, Test] = {}

    def case(self, test_id: str) -> Callable[[Test], Test]:
        def add(function: Test) -> Test:
            assert test_id not in self._cases, f"two tests named {test_id}"
            self._cases[test_id] = function
            return function

        return add

    def table(self) -> Mapping[str, Test]:
        return MappingProxyType(dict(self._cases))


@dataclass(frozen=True)
class Exercise:
    """One exercise, whole: what the catalogue says about it and everything that judges it."""

    spec: ExerciseSpec
    oracle: Callable[..., Any]  # the arguments a test passes to ctx.check -> the expected answer
    tests: Mapping[str, Test]  # test id -> test, one per test of the spec
    variants: Mapping[str, Variant | None] = field(default_factory=dict)  # mistake id -> variant (None:
    # the mistake is recognised by a test itself, not by an output)
    errors: Mapping[str, str] = field(default_factory=dict)  # mistake id -> regex of the message it raises
    tolerance: Mapping[str, Tolerance] = field(default_factory=dict)  # dtype -> tolerance, over the catalogue's
    protected: tuple[Path, ...] = ()  # files the solution's sandbox may not read (a bank's reference)

    def __post_init__(self) -> None:
        tests, specs = set(self.tests), {test.id for test in self.spec.tests}
        assert tests == specs, f"{self.id}: tests {sorted(tests ^ specs)} are in only one of the unit and its spec"
        mistakes = {mistake.id for mistake in self.spec.mistakes}
        named = set(self.variants) | set(self.errors)
        assert named <= mistakes, f"{self.id}: mistakes {sorted(named - mistakes)} have no name or hint in the spec"

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def name(self) -> str:
        """The function or class the solution file defines."""
        return self.spec.name

    def candidates(self, args: tuple, kwargs: dict) -> list[tuple[str, object]]:
        """(mistake id, wrong output) for every variant that applies to these inputs."""
        found: list[tuple[str, object]] = []
        with np.errstate(all="ignore"):
            for mistake, variant in self.variants.items():
                if variant is None:
                    continue
                try:
                    outputs = variant(*args, **kwargs)
                except (ValueError, IndexError):  # the variant does not apply to these shapes
                    continue
                if outputs is None:
                    continue
                for output in outputs if isinstance(outputs, list) else [outputs]:
                    found.append((mistake, output))
        return found

    def from_error(self, message: str) -> str | None:
        """The mistake that typically raises this exception message, if one is known."""
        return next((mistake for mistake, pattern in self.errors.items() if re.search(pattern, message)), None)

    def diagnose(self, args: tuple, kwargs: dict, got: Any, expected: Any,
                 tolerance: Mapping[str, Tolerance]) -> str | None:
        """The id of the known mistake whose output on these inputs is closest to `got`, if any is close."""
        best: tuple[float, str] | None = None
        for mistake, output in self.candidates(args, kwargs):
            if compare(output, expected, tolerance) is None or _constant(output):
                continue  # the mistake makes no difference on these inputs, or its output tells nothing (all equal)
            far = distance(got, output, tolerance)
            if far is not None and (best is None or far < best[0]):
                best = (far, mistake)
        return best[1] if best else None


@dataclass
class Context:
    """What a test needs: the exercise, the solution's sandbox, a random generator, tolerances, limits."""

    exercise: Exercise
    sandbox: Any  # quiz.check.sandbox.Sandbox with the solution loaded
    rng: np.random.Generator
    tolerance: Mapping[str, Tolerance]
    source: Path | None = None  # the solution file, for tests that need a sandbox of their own
    timeout: float = CALL_TIMEOUT
    trusted: Any = None  # runner.TrustedChild: call it for a sandbox with references.py loaded (started on demand)
    protected: tuple[Path, ...] = ()  # files a sandbox of the solution's own must refuse too (bank references)
    informational: bool = False  # a gated test run only to report its figures: judge values, not the dtype
    figures: Any = None  # quiz.check.figures.ReferenceFigures that match this check: the trusted side, measured once

    def normal(self, shape: Sequence[int], dtype: type = np.float64, scale: float = 1.0) -> np.ndarray:
        return (self.rng.standard_normal(tuple(shape)) * scale).astype(dtype)

    def size(self, low: int, high: int) -> int:
        """A random size in [low, high]."""
        return int(self.rng.integers(low, high + 1))

    def weights(self, d_in: int, d_out: int, dtype: type = np.float64) -> np.ndarray:
        return self.normal((d_in, d_out), dtype, scale=d_in ** -0.5)

    def attention_inputs(self, batch: int, length: int, heads: int, head_dim: int, kv_heads: int | None = None,
                         dtype: type = np.float64) -> tuple[np.ndarray, ...]:
        """x (batch, length, D) with D = heads * head_dim and the projections w_q (D, D), w_k and w_v
        (D, kv_heads * head_dim; kv_heads defaults to heads), w_o (D, D): multi-head, grouped-query
        attention's and a decoding step's arguments before the head counts."""
        d, kv = heads * head_dim, (heads if kv_heads is None else kv_heads) * head_dim
        x = self.normal((batch, length, d), dtype)
        return x, self.weights(d, d, dtype), self.weights(d, kv, dtype), self.weights(d, kv, dtype), self.weights(d, d, dtype)

    def call(self, *args: Any, **kwargs: Any) -> Any:
        """Call the exercise's function in the solution's sandbox."""
        return self.sandbox.call(self.exercise.name, *args, **kwargs)

    def check(self, got: Any, *args: Any, what: str = "", **kwargs: Any) -> None:
        """Raise Wrong unless the solution's last call left its inputs unchanged and `got` is what the
        oracle returns for these arguments."""
        changed = getattr(self.sandbox, "last_mutated", [])
        if changed and "modifies_input" in {mistake.id for mistake in self.exercise.spec.mistakes}:
            message = t("check.modified_input", n=changed[0] + 1)
            raise Wrong(f"{what}: {message}" if what else message, diagnosis="modifies_input")
        expected = self.exercise.oracle(*args, **kwargs)
        problem = compare(got, expected, self.tolerance)
        if problem is None:
            return
        message, mismatch = problem
        diagnosis = self.exercise.diagnose(args, kwargs, got, expected, self.tolerance)
        if diagnosis is None and "float32" in self.tolerance:  # a mistake blurred by float32 arithmetic
            loose = {**self.tolerance, "float64": self.tolerance["float32"]}
            diagnosis = self.exercise.diagnose(args, kwargs, got, expected, loose)
        if diagnosis is None:
            common = common_diagnosis(got, expected, self.tolerance)
            if common is not None and common[0] in {mistake.id for mistake in self.exercise.spec.mistakes}:
                diagnosis, message = common[0], common[1] or message
        raise Wrong(f"{what}: {message}" if what else message, mismatch, diagnosis)


# --- comparing an answer with the expected one ---


def describe(value: Any) -> str:
    """What kind of thing a solution returned, for a message."""
    if isinstance(value, np.ndarray):
        return t("check.kind_array", shape=shape_text(value.shape), dtype=value.dtype)
    if isinstance(value, (tuple, list)):
        return t("check.kind_sequence", kind=type(value).__name__, n=len(value))
    if value is None:
        return "None"
    if isinstance(value, (bool, int, float, str)):
        return t("check.kind_scalar", kind=type(value).__name__)
    return t("check.kind_object")


def shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def compare(got: Any, expected: Any, tolerance: Mapping[str, Tolerance]) -> tuple[str, Mismatch | None] | None:
    """None when `got` is right; else a one-line reason and, for wrong values, their numbers."""
    if isinstance(expected, tuple):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return t("check.not_pair", got=describe(got), n=len(expected)), None
        for name, part, want in zip("kv", got, expected):
            problem = compare(part, want, tolerance)
            if problem is not None:
                return f"{name}: {problem[0]}", problem[1]
        return None
    if not isinstance(got, np.ndarray):
        return t("check.not_array", got=describe(got), shape=shape_text(expected.shape), dtype=expected.dtype), None
    if got.dtype != expected.dtype:
        key = ("check.dtype_bool" if expected.dtype == np.bool_ else
               "check.dtype_promoted" if (got.dtype, expected.dtype) == (np.float64, np.float32) else "check.dtype")
        return t(key, got=got.dtype, expected=expected.dtype), None
    if got.shape != expected.shape:
        return t("check.shape", got=shape_text(got.shape), expected=shape_text(expected.shape)), None
    if expected.dtype == np.bool_:
        wrong = got != expected
        if not wrong.any():
            return None
        index = _first(wrong)
        mismatch = Mismatch(1.0, 1.0, index, bool(got[index]), bool(expected[index]), int(wrong.sum()), got.size)
        return t("check.bool_values", count=mismatch.count, size=got.size, index=shape_text(index),
                 got=mismatch.got, expected=mismatch.expected), mismatch
    tol = tolerance[expected.dtype.name]
    g, e = got.astype(np.float64), expected.astype(np.float64)
    bad = ~np.isfinite(g) & np.isfinite(e)
    if bad.any():
        index = _first(bad)
        return t("check.not_finite", count=int(bad.sum()), size=got.size, index=shape_text(index),
                 got=float(g[index])), None
    with np.errstate(invalid="ignore"):
        error = np.abs(g - e)
        wrong = ~(error <= tol.atol + tol.rtol * np.abs(e)) & ~(g == e)
    if not wrong.any():
        return None
    index = _first(wrong)
    finite = np.isfinite(error)
    sizable = finite & (np.abs(e) > tol.atol)  # a relative error means something only away from 0
    rel = error[sizable] / np.abs(e[sizable])
    mismatch = Mismatch(float(error[finite].max(initial=0.0)), float(rel.max(initial=0.0)), index,
                        float(g[index]), float(e[index]), int(wrong.sum()), got.size)
    return t("check.values", count=mismatch.count, size=mismatch.size, abs=mismatch.max_abs, rel=mismatch.max_rel,
             index=shape_text(index), got=mismatch.got, expected=mismatch.expected), mismatch


SOFT_MISTAKES = frozenset({"float32_precision", "float64_promoted", "cache_float64"})  # right values, wrong dtype
# or precision: the gated tests still run, for information


def common_diagnosis(got: Any, expected: Any, tolerance: Mapping[str, Tolerance]) -> tuple[str, str] | None:
    """A mistake any exercise can make, told from the answer alone: (mistake id, a better message or "")."""
    if isinstance(expected, tuple):
        if isinstance(got, (tuple, list)) and len(got) == len(expected):
            return next(filter(None, (common_diagnosis(g, e, tolerance) for g, e in zip(got, expected))), None)
        return None
    if not isinstance(got, np.ndarray) or not isinstance(expected, np.ndarray) or got.shape != expected.shape:
        return None
    if (got.dtype, expected.dtype) == (np.float64, np.float32):
        return "float64_promoted", ""
    if got.dtype == expected.dtype == np.float64 and "float32" in tolerance:
        loose = tolerance["float32"]
        if compare(got, expected, {"float64": loose}) is None:  # right to float32's precision, not float64's
            tight = tolerance["float64"]
            g, e = got.astype(np.float64), expected.astype(np.float64)
            error = np.abs(g - e)
            index = _first(~(error <= tight.atol + tight.rtol * np.abs(e)))
            return "float32_precision", t("check.float32_precision", abs=float(error.max()), index=shape_text(index),
                                          got=float(g[index]), expected=float(e[index]), atol=tight.atol,
                                          rtol=tight.rtol)
    return None


def _first(flags: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(flags)), flags.shape))


def distance(got: Any, candidate: Any, tolerance: Mapping[str, Tolerance]) -> float | None:
    """How many tolerances `got` is from a wrong variant's output, or None if it is not that variant."""
    if isinstance(candidate, tuple):
        if not isinstance(got, (tuple, list)) or len(got) != len(candidate):
            return None
        parts = [distance(g, c, tolerance) for g, c in zip(got, candidate)]
        return None if None in parts else max(parts)  # type: ignore[type-var]
    if not isinstance(got, np.ndarray) or not isinstance(candidate, np.ndarray) or got.shape != candidate.shape:
        return None
    if got.dtype == np.bool_ or candidate.dtype == np.bool_:
        return 0.0 if got.dtype == candidate.dtype and np.array_equal(got, candidate) else None
    tol = tolerance.get(got.dtype.name) or tolerance["float32"]
    g, c = got.astype(np.float64), candidate.astype(np.float64)
    g_ok, c_ok = np.isfinite(g), np.isfinite(c)
    if (g_ok & ~c_ok).any():
        return None
    # NaN where the variant has numbers: allowed in a few places, but a variant with the same NaNs is closer
    penalty = 0.0
    if (~g_ok & c_ok).any():
        if g_ok.mean() < 0.5:
            return None
        penalty = 2 * DIAGNOSIS_SLACK
    both = g_ok & c_ok
    if not both.any():
        return penalty
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = np.abs(g[both] - c[both]) / (tol.atol + tol.rtol * np.abs(c[both]))
    worst = float(scaled.max())
    return worst + penalty if worst <= DIAGNOSIS_SLACK else None


def _constant(output: Any) -> bool:
    if isinstance(output, tuple):
        return all(_constant(part) for part in output)
    return isinstance(output, np.ndarray) and output.size > 0 and bool(np.all(output == output.flat[0]))
