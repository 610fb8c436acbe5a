"""The causal_mask exercise: causal_mask(lq, lk=None): the boolean causal mask, aligned to the end of the keys.

Its entry in exercises.yaml holds the task, the test labels and points, and the mistakes' names
and hints; this module holds the tests, the known mistakes and the oracle (references.py).
"""

from __future__ import annotations

import numpy as np

from quiz.check import references as ref
from quiz.check.unit import Context, Tests

TESTS = Tests()


@TESTS.case("square")
def square(ctx: Context) -> None:
    lq = ctx.size(2, 9)
    ctx.check(ctx.call(lq), lq, what=f"causal_mask({lq})")


@TESTS.case("decode_offset")
def decode_offset(ctx: Context) -> None:
    lq = ctx.size(2, 5)
    lk = lq + ctx.size(1, 6)
    ctx.check(ctx.call(lq, lk), lq, lk, what=f"causal_mask({lq}, {lk})")


@TESTS.case("length_1")
def length_1(ctx: Context) -> None:
    ctx.check(ctx.call(1), 1, what="causal_mask(1)")
    lk = ctx.size(2, 9)
    ctx.check(ctx.call(1, lk), 1, lk, what=f"causal_mask(1, {lk})")


@TESTS.case("no_key_rows")
def no_key_rows(ctx: Context) -> None:
    lk = ctx.size(2, 5)
    lq = lk + ctx.size(1, 4)
    ctx.check(ctx.call(lq, lk), lq, lk, what=f"causal_mask({lq}, {lk})")


# --- known mistakes: each takes the oracle's arguments and returns what that mistake returns ---


def _positions(lq, lk):
    lk = lq if lk is None else lk
    return np.arange(lq)[:, None], np.arange(lk)[None, :], lk - lq


def inverted(lq, lk=None):
    return ~ref.causal_mask(lq, lk)


def not_aligned(lq, lk=None):
    i, j, _ = _positions(lq, lk)
    return j <= i


def strict(lq, lk=None):
    i, j, offset = _positions(lq, lk)
    return j < i + offset


def transposed(lq, lk=None):
    i, j, offset = _positions(lq, lk)
    return j >= i + offset


def lk_ignored(lq, lk=None):
    return ref.causal_mask(lq) if lk is not None and lk != lq else None


VARIANTS = {
    "inverted": inverted,
    "not_aligned": not_aligned,
    "strict": strict,
    "transposed": transposed,
    "lk_ignored": lk_ignored,
    "negative_offset": None,
}
ERRORS = {"negative_offset": r"negative dimensions are not allowed"}  # np.zeros((lq, lk - lq)) with lq > lk
ORACLE = ref.causal_mask
