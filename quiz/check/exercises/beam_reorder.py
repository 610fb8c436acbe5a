"""beam_reorder: reorder a batched KV cache for beam search by the parent of each new hypothesis (Hugging Face's
reorder_cache), repeated parents included."""

from __future__ import annotations

import numpy as np

from quiz.check.unit import Context, Tests

from quiz.check.exercises._parts import Variants, call, check

# --- reference ---


def reorder_cache(k, v, parents):
    batch, beams = parents.shape
    rows = (parents + np.arange(batch)[:, None] * beams).reshape(-1)  # (batch*beams,) the parent's global row
    return k[:, rows], v[:, rows]  # (layers, batch*beams, H, L, hd): a gather, so a repeated parent is copied


# --- known mistakes ---


def _rows(parents):
    batch, beams = parents.shape
    return (parents + np.arange(batch)[:, None] * beams).reshape(-1)


def beam_only_k(k, v, parents):
    return k[:, _rows(parents)], v


def beam_in_place(k, v, parents):
    rows = _rows(parents)
    k, v = k.copy(), v.copy()
    for i, row in enumerate(rows):  # row by row into the same array: a parent may already be overwritten
        k[:, i] = k[:, row]
        v[:, i] = v[:, row]
    return k, v


def beam_wrong_axis(k, v, parents):
    rows = _rows(parents)
    found = []
    for axis in (0, 2, 3):
        if rows.max() < k.shape[axis] and len(rows) == k.shape[axis]:
            found.append((np.take(k, rows, axis=axis), np.take(v, rows, axis=axis)))
    return found or None


def beam_no_batch_offset(k, v, parents):
    return None if parents.shape[0] == 1 else (k[:, parents.reshape(-1)], v[:, parents.reshape(-1)])


def beam_scatter(k, v, parents):
    rows = _rows(parents)
    found = []
    for start in (np.copy, np.zeros_like):
        new_k, new_v = start(k), start(v)
        new_k[:, rows], new_v[:, rows] = k, v  # new[parent] = old[i]: the inverse of the gather
        found.append((new_k, new_v))
    return found


ERRORS = {"wrong_axis": r"out of bounds for axis 0"}  # np.take(k, rows, axis=0) when rows > layers

VARIANTS: Variants = {
    "only_k": beam_only_k,
    "in_place_aliasing": beam_in_place,
    "wrong_axis": beam_wrong_axis,
    "no_batch_offset": beam_no_batch_offset,
    "scatter": beam_scatter,
}

# --- tests ---

TESTS = Tests()



def _cache(ctx: Context, batch: int, beams: int, dtype: type = np.float64, layers: int | None = None):
    layers = ctx.size(1, 3) if layers is None else layers
    h, length, hd = ctx.size(1, 3), ctx.size(2, 5), ctx.size(2, 4)
    shape = (layers, batch * beams, h, length, hd)
    return ctx.normal(shape, dtype), ctx.normal(shape[:-1] + (hd + 1,), dtype)


def _aliases(parents: np.ndarray) -> bool:
    """Whether reordering row by row in place gives another answer than the gather, for these parents."""
    rows = _rows(parents)
    in_place = np.arange(len(rows))
    for i, row in enumerate(rows):
        in_place[i] = in_place[row]
    return not np.array_equal(in_place, rows)


def _parents(ctx: Context, batch: int, beams: int) -> np.ndarray:
    for _ in range(1000):
        parents = ctx.rng.integers(0, beams, (batch, beams)).astype(np.int64)
        repeated = len(set(parents.reshape(-1).tolist())) < parents.size
        if beams == 1 or repeated and _aliases(parents):  # a parent repeats, and row-by-row copying shows
            return parents
    raise AssertionError("no parents found")  # cannot happen for beams >= 2


def _check(ctx: Context, k, v, parents, what: str = "") -> None:
    got = call(ctx, "reorder_cache", k, v, parents)
    check(ctx, got, reorder_cache, VARIANTS, k, v, parents, names=("k", "v"), what=what)


@TESTS.case("random_f64")
def test_random_f64(ctx: Context) -> None:
    batch, beams = ctx.size(2, 3), ctx.size(3, 4)
    _check(ctx, *_cache(ctx, batch, beams), _parents(ctx, batch, beams))


@TESTS.case("float32")
def test_float32(ctx: Context) -> None:
    batch, beams = ctx.size(2, 3), ctx.size(2, 4)
    _check(ctx, *_cache(ctx, batch, beams, np.float32), _parents(ctx, batch, beams))


@TESTS.case("one_parent")
def test_one_parent(ctx: Context) -> None:
    batch, beams = ctx.size(1, 3), ctx.size(3, 5)
    parents = np.tile(ctx.rng.integers(0, beams, (batch, 1)), (1, beams)).astype(np.int64)  # all from one beam
    parents[0] = beams - 1  # one beam whose parent is the last
    _check(ctx, *_cache(ctx, batch, beams), parents, what="one parent per batch entry")


@TESTS.case("permutation")
def test_permutation(ctx: Context) -> None:
    batch, beams = ctx.size(2, 3), ctx.size(3, 5)
    parents = np.stack([ctx.rng.permutation(beams) for _ in range(batch)]).astype(np.int64)
    _check(ctx, *_cache(ctx, batch, beams), parents, what="a permutation")


@TESTS.case("one_batch")
def test_one_batch(ctx: Context) -> None:
    beams = ctx.size(3, 5)
    _check(ctx, *_cache(ctx, 1, beams, layers=1), _parents(ctx, 1, beams))


@TESTS.case("one_beam")
def test_one_beam(ctx: Context) -> None:
    batch = ctx.size(2, 4)
    _check(ctx, *_cache(ctx, batch, 1), np.zeros((batch, 1), np.int64), what="one beam")

ORACLE = reorder_cache
