"""The softmax exercise: softmax(x, axis=-1): a numerically stable softmax along any axis.

Its entry in exercises.yaml holds the task, the test labels and points, and the mistakes' names
and hints; this module holds the tests, the known mistakes and the oracle (references.py).
"""

from __future__ import annotations

import numpy as np

from quiz.check import references as ref
from quiz.check.unit import Context, Tests

TESTS = Tests()


def _random_shape(ctx: Context, ndim_low: int = 2, ndim_high: int = 3) -> tuple[int, ...]:
    return tuple(ctx.size(2, 7) for _ in range(ctx.size(ndim_low, ndim_high)))


@TESTS.case("random_f64")
def random_f64(ctx: Context) -> None:
    x = ctx.normal(_random_shape(ctx), np.float64, scale=3)
    ctx.check(ctx.call(x), x)


@TESTS.case("random_f32")
def random_f32(ctx: Context) -> None:
    x = ctx.normal(_random_shape(ctx), np.float32, scale=3)
    ctx.check(ctx.call(x), x)


@TESTS.case("axis")
def axis(ctx: Context) -> None:
    x = ctx.normal(_random_shape(ctx, 3, 3), np.float64, scale=3)
    axis = ctx.size(0, 1)
    ctx.check(ctx.call(x, axis=axis), x, axis=axis, what=f"axis={axis}")


@TESTS.case("large_logits")
def large_logits(ctx: Context) -> None:
    for dtype in (np.float32, np.float64):
        x = (ctx.rng.uniform(-1e4, 1e4, (ctx.size(2, 5), ctx.size(3, 8)))).astype(dtype)
        x[:, 0] = 1e4  # every row reaches the magnitude
        ctx.check(ctx.call(x), x, what=np.dtype(dtype).name)


@TESTS.case("row_magnitudes")
def row_magnitudes(ctx: Context) -> None:
    rows = ctx.size(3, 6)
    scale = 10.0 ** ctx.rng.uniform(-1, 4, size=(rows, 1))  # (rows, 1): each row its own magnitude, 0.1 to 1e4
    scale[ctx.rng.permutation(rows)[:2]] = [[1e4], [1.0]]  # at least one large row and one small one
    x = ctx.normal((rows, ctx.size(3, 8)), np.float64) * scale  # (rows, n)
    ctx.check(ctx.call(x), x)


@TESTS.case("neg_inf")
def neg_inf(ctx: Context) -> None:
    x = ctx.normal((ctx.size(2, 5), ctx.size(3, 8)), np.float64, scale=3)
    x[ctx.rng.random(x.shape) < 0.4] = -np.inf
    x[:, -1] = ctx.normal(x.shape[:1])  # at least one finite entry per row
    ctx.check(ctx.call(x), x)


@TESTS.case("length_1")
def length_1(ctx: Context) -> None:
    x = ctx.normal((ctx.size(2, 5), 1), np.float64)
    ctx.check(ctx.call(x), x)


# --- known mistakes: each takes the oracle's arguments and returns what that mistake returns ---


def _softmax(x, axis=-1):
    return ref.softmax(x, axis)


def no_max_shift(x, axis=-1):
    e = np.exp(x)
    return e / np.sum(e, axis=axis, keepdims=True)


def axis_ignored(x, axis=-1):
    return _softmax(x, -1) if axis % x.ndim != x.ndim - 1 else None


def wrong_axis(x, axis=-1):
    chosen = axis % x.ndim
    return [_softmax(x, other) for other in range(x.ndim) if other != chosen]


def global_max(x, axis=-1):
    e = np.exp(x - np.max(x))  # one maximum for the whole array: rows far below it underflow to 0
    return e / np.sum(e, axis=axis, keepdims=True)


def global_sum(x, axis=-1):
    shifted_globally = np.exp(x - np.max(x))
    shifted_per_row = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return [shifted_globally / np.sum(shifted_globally), shifted_per_row / np.sum(shifted_per_row)]


def log_softmax(x, axis=-1):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def no_normalize(x, axis=-1):
    return np.exp(x - np.max(x, axis=axis, keepdims=True))


VARIANTS = {
    "no_max_shift": no_max_shift,
    "axis_ignored": axis_ignored,  # before wrong_axis: the more specific reading of a tie
    "wrong_axis": wrong_axis,
    "global_max": global_max,
    "global_sum": global_sum,
    "log_softmax": log_softmax,
    "no_normalize": no_normalize,
}
ERRORS: dict[str, str] = {}
ORACLE = ref.softmax
