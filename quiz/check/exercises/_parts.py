"""What the exercises with several functions or several outputs share (rope, speculative_verify, ...).

ctx.check compares with the exercise's one oracle and its variants; these helpers take the oracle and
the variants of the function at hand, compare tuple answers part by part with each part named, and
compare integer arrays (token ids, counts) exactly.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from quiz.check import unit as base
from quiz.check.unit import Context, Wrong
from quiz.i18n import t

Variants = Mapping[str, "Callable[..., Any] | None"]


def call(ctx: Context, name: str, *args: Any, **kwargs: Any) -> Any:
    """Call one of the exercise's functions in the sandbox; a function not written yet is said so."""
    if name not in ctx.sandbox.info.defined:
        raise Wrong(t("exercise.missing_function", name=name))
    return ctx.sandbox.call(name, *args, **kwargs)


def compare_one(got: Any, expected: Any, ctx: Context) -> tuple[str, Any] | None:
    """base.compare, plus integer arrays compared exactly."""
    if isinstance(expected, np.ndarray) and expected.dtype.kind == "i":
        if not isinstance(got, np.ndarray):
            return t("check.not_array", got=base.describe(got), shape=base.shape_text(expected.shape),
                     dtype=expected.dtype), None
        if got.dtype != expected.dtype:
            return t("check.dtype", got=got.dtype, expected=expected.dtype), None
        if got.shape != expected.shape:
            return t("check.shape", got=base.shape_text(got.shape), expected=base.shape_text(expected.shape)), None
        wrong = got != expected
        if not wrong.any():
            return None
        index = base._first(wrong)
        return t("exercise.int_values", count=int(wrong.sum()), size=got.size, index=base.shape_text(index),
                 got=int(got[index]), expected=int(expected[index])), None
    return base.compare(got, expected, ctx.tolerance)


def compare_parts(got: Any, expected: Any, names: Sequence[str] | None, ctx: Context) -> tuple[str, Any] | None:
    """None when right; a tuple answer is compared part by part, each named in the message."""
    if names is None:
        return compare_one(got, expected, ctx)
    if not isinstance(got, (tuple, list)) or len(got) != len(expected):
        return t("exercise.not_tuple", got=base.describe(got), names=", ".join(names)), None
    for name, part, want in zip(names, got, expected):
        problem = compare_one(part, want, ctx)
        if problem is not None:
            return f"{name}: {problem[0]}", problem[1]
    return None


def _distance(got: Any, candidate: Any, ctx: Context) -> float | None:
    if isinstance(candidate, tuple):
        if not isinstance(got, (tuple, list)) or len(got) != len(candidate):
            return None
        parts = [_distance(g, c, ctx) for g, c in zip(got, candidate)]
        return None if None in parts else max(parts)  # type: ignore[type-var]
    if isinstance(candidate, np.ndarray) and candidate.dtype.kind == "i":
        ok = isinstance(got, np.ndarray) and got.shape == candidate.shape and np.array_equal(got, candidate)
        return 0.0 if ok else None
    return base.distance(got, candidate, ctx.tolerance)


def diagnose(variants: Variants, args: tuple, kwargs: dict, got: Any, expected: Any, names: Sequence[str] | None,
             ctx: Context) -> str | None:
    """The known mistake whose output on these inputs is closest to `got`, if one is close."""
    best: tuple[float, str] | None = None
    with np.errstate(all="ignore"):
        for mistake, variant in variants.items():
            if variant is None:
                continue
            try:
                outputs = variant(*args, **kwargs)
            except (ValueError, IndexError):
                continue
            for output in [] if outputs is None else outputs if isinstance(outputs, list) else [outputs]:
                if compare_parts(output, expected, names, ctx) is None or base._constant(output):
                    continue
                distance = _distance(got, output, ctx)
                if distance is not None and (best is None or distance < best[0]):
                    best = (distance, mistake)
    return best[1] if best else None


def check(ctx: Context, got: Any, oracle: Callable[..., Any], variants: Variants, *args: Any,
          names: Sequence[str] | None = None, what: str = "", **kwargs: Any) -> Any:
    """Raise Wrong unless `got` is what `oracle` returns for these arguments; return the expected answer."""
    expected = oracle(*args, **kwargs)
    problem = compare_parts(got, expected, names, ctx)
    if problem is None:
        return expected
    message, mismatch = problem
    diagnosis = diagnose(variants, args, kwargs, got, expected, names, ctx)
    raise Wrong(f"{what}: {message}" if what else message, mismatch, diagnosis)


def axis_length(value: Any, axis: int) -> int | None:
    """The length of `value` along `axis` when it is an array with that axis, else None."""
    return value.shape[axis] if isinstance(value, np.ndarray) and value.ndim > abs(axis) else None


def child_cpu_clock(box: Any) -> int | None:
    """The kernel's CPU clock of the sandboxed child (all its threads), or None where it cannot be read.

    The solution cannot report it, and it leaves out the time the child waited for a core, so it is
    steadier than wall time on a busy machine.
    """
    pid = getattr(box, "pid", None)
    if not isinstance(pid, int) or not sys.platform.startswith("linux"):
        return None
    clock = ((~pid) << 3) | 2
    try:
        time.clock_gettime(clock)
    except OSError:
        return None
    return clock
