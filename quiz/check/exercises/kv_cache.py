"""The kv_cache exercise: KVCache: update(k, v) appends along the sequence axis and returns everything cached; len().

The oracle is kv_update(k_chunks, v_chunks): what a cache holds after these updates.

Its entry in exercises.yaml holds the task, the test labels and points, and the mistakes' names
and hints; this module holds the tests, the known mistakes and the oracle (references.py).
"""

from __future__ import annotations

import numpy as np

from quiz.check.unit import Wrong, compare, distance
from quiz.i18n import t
from quiz.check.unit import Context, Tests


def kv_update(k_chunks: list[np.ndarray], v_chunks: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Everything a cache holds after these updates, each (B, H, total, hd)."""
    return np.concatenate(k_chunks, axis=2), np.concatenate(v_chunks, axis=2)


TESTS = Tests()


def new_cache(ctx: Context) -> Any:
    return ctx.sandbox.call("KVCache")


def _expect_len(ctx: Context, cache: Any, expected: int, updates: int) -> None:
    got = ctx.sandbox.length(cache)
    if got != expected:
        diagnosis = "len_counts_updates" if got == updates and updates != expected else None
        raise Wrong(t("check.len", got=got, expected=expected), diagnosis=diagnosis)


def _fill_cache(ctx: Context, dtype: type, news: list[int]) -> None:
    batch, heads, hd = ctx.size(1, 2), ctx.size(1, 3), ctx.size(2, 5)
    cache = new_cache(ctx)
    k_chunks: list[np.ndarray] = []
    v_chunks: list[np.ndarray] = []
    for n, new in enumerate(news, start=1):
        k_chunks.append(ctx.normal((batch, heads, new, hd), dtype))
        v_chunks.append(ctx.normal((batch, heads, new, hd), dtype))
        got = ctx.sandbox.call_method(cache, "update", k_chunks[-1], v_chunks[-1])
        try:
            ctx.check(got, list(k_chunks), list(v_chunks), what=t("check.at_update", n=n, new=new))
        except Wrong as wrong:
            if wrong.diagnosis == "float64_promoted":  # the cache itself made them float64
                wrong.diagnosis = "cache_float64"
            raise
        _expect_len(ctx, cache, sum(news[:n]), n)


@TESTS.case("empty")
def empty(ctx: Context) -> None:
    _expect_len(ctx, new_cache(ctx), 0, 0)


@TESTS.case("prefill_and_steps")
def prefill_and_steps(ctx: Context) -> None:
    _fill_cache(ctx, np.float64, [ctx.size(2, 4), 1, 1, 1])


@TESTS.case("float32")
def float32(ctx: Context) -> None:
    _fill_cache(ctx, np.float32, [ctx.size(2, 4), 1])


@TESTS.case("separate_caches")
def separate_caches(ctx: Context) -> None:
    first, second = new_cache(ctx), new_cache(ctx)
    hd = ctx.size(2, 5)
    ka, va = ctx.normal((1, 2, 3, hd)), ctx.normal((1, 2, 3, hd))
    kb, vb = ctx.normal((1, 2, 2, hd)), ctx.normal((1, 2, 2, hd))
    ctx.sandbox.call_method(first, "update", ka, va)
    got = ctx.sandbox.call_method(second, "update", kb, vb)
    problem = compare(got, kv_update([kb], [vb]), ctx.tolerance)
    if problem is not None:
        shared = distance(got, kv_update([ka, kb], [va, vb]), ctx.tolerance) is not None
        raise Wrong(t("check.second_cache", problem=problem[0]), problem[1], "shared_state" if shared else None)
    for cache, expected in ((first, 3), (second, 2)):
        got_len = ctx.sandbox.length(cache)
        if got_len != expected:
            diagnosis = {1: "len_counts_updates", 5: "shared_state"}.get(got_len)  # 1 update each; 3 + 2 shared
            raise Wrong(t("check.len", got=got_len, expected=expected), diagnosis=diagnosis)


# --- known mistakes: each takes the oracle's arguments and returns what that mistake returns ---


def wrong_axis(k_chunks, v_chunks):
    found = []
    for axis in (0, 1, 3):
        try:
            found.append((np.concatenate(k_chunks, axis), np.concatenate(v_chunks, axis)))
        except ValueError:  # chunks of different lengths do not stack on this axis (the solution raised too)
            continue
    return found or None


def returns_new_only(k_chunks, v_chunks):
    return (k_chunks[-1], v_chunks[-1]) if len(k_chunks) > 1 else None


VARIANTS = {
    "wrong_axis": wrong_axis,
    "returns_new_only": returns_new_only,
    "len_counts_updates": None,
    "shared_state": None,
}
ERRORS = {"wrong_axis": r"except for the concatenation axis must match"}
ORACLE = kv_update
