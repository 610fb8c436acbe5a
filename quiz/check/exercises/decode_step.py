"""The decode_step exercise: decode_step(x, cache, w_q, w_k, w_v, w_o, n_heads): attention for the new tokens with a cache.

The oracle is decode_rows(x_all, new, ...): the last `new` rows of causal multi-head attention
over the whole sequence so far. The speed test (speed.py) judges whether the cache is one.

Its entry in exercises.yaml holds the task, the test labels and points, and the mistakes' names
and hints; this module holds the tests, the known mistakes and the oracle (references.py).
"""

from __future__ import annotations

import numpy as np

from quiz.check import references as ref
from quiz.check import speed
from quiz.check.exercises import causal_mask as mask_unit
from quiz.check.exercises import multi_head_attention as mha
from quiz.check.exercises import scaled_dot_product_attention as sdpa
from quiz.check.exercises.kv_cache import new_cache
from quiz.check.unit import Wrong
from quiz.i18n import t
from quiz.check.unit import Context, Tests


def decode_rows(x_all, new, w_q, w_k, w_v, w_o, n_heads):
    """The last `new` rows of causal attention over the whole sequence so far: (B, new, D)."""
    full = ref.multi_head_attention(x_all, w_q, w_k, w_v, w_o, n_heads, ref.causal_mask(x_all.shape[1]))
    return full[:, -new:]


TESTS = Tests()


def _decode(ctx: Context, dtype: type, news: list[int]) -> None:
    if "KVCache" not in ctx.sandbox.info.defined:
        raise Wrong(t("check.needs_cache"))
    batch, heads = ctx.size(1, 2), ctx.size(2, 3)
    x, *weights = ctx.attention_inputs(batch, sum(news), heads, ctx.size(2, 4), dtype=dtype)  # x: the whole sequence
    cache = new_cache(ctx)
    end = 0
    imprecise: Wrong | None = None  # float32 precision is reported unless a later step goes worse
    for n, new in enumerate(news, start=1):
        got = ctx.sandbox.call("decode_step", x[:, end:end + new], cache, *weights, heads)
        end += new
        try:
            ctx.check(got, x[:, :end], new, *weights, heads, what=t("check.at_step", n=n, new=new, total=end))
        except Wrong as wrong:
            if wrong.diagnosis == "float32_precision":
                imprecise = imprecise or wrong
                continue
            if wrong.diagnosis == "float64_promoted" and cache_stores_float64(ctx):
                wrong.diagnosis = "cache_float64"
            raise
    if imprecise is not None:
        raise imprecise


def cache_stores_float64(ctx: Context) -> bool:
    """Whether the solution's own KVCache, given float32 keys and values, hands back float64 ones."""
    from quiz.check.sandbox import CallError

    k = np.zeros((1, 1, 1, 2), dtype=np.float32)  # (B, H, 1, hd)
    try:
        got = ctx.sandbox.call_method(new_cache(ctx), "update", k, k)
    except CallError:  # no usable update(): the cache cannot be asked
        return False
    return isinstance(got, (tuple, list)) and any(isinstance(a, np.ndarray) and a.dtype == np.float64 for a in got)


@TESTS.case("prefill_then_steps")
def prefill_then_steps(ctx: Context) -> None:
    _decode(ctx, np.float64, [ctx.size(2, 4)] + [1] * ctx.size(3, 5))


@TESTS.case("chunks_after_prefix")
def chunks_after_prefix(ctx: Context) -> None:
    chunks = [int(n) for n in ctx.rng.permutation([3, 2, 1, ctx.size(2, 4)])]  # several tokens at once, later too
    _decode(ctx, np.float64, [ctx.size(2, 4), *chunks])


@TESTS.case("single_steps")
def single_steps(ctx: Context) -> None:
    _decode(ctx, np.float64, [1] * ctx.size(4, 6))


@TESTS.case("float32")
def float32(ctx: Context) -> None:
    _decode(ctx, np.float32, [ctx.size(2, 3), 1, 1])


TESTS.case("speed")(speed.speed_test)


# --- known mistakes: each takes the oracle's arguments and returns what that mistake returns ---


def _rows(x_all, new, w_q, w_k, w_v, w_o, n_heads, mask, **variant):
    return mha.heads_variant(x_all, w_q, w_k, w_v, w_o, n_heads, mask, **variant)[:, -new:]


def mask_not_aligned(x_all, new, w_q, w_k, w_v, w_o, n_heads):
    total = x_all.shape[1]
    if new == total:
        return None
    mask = np.zeros((total, total), dtype=bool)
    mask[-new:] = mask_unit.not_aligned(new, total)  # the rows that matter
    return _rows(x_all, new, w_q, w_k, w_v, w_o, n_heads, mask)


def no_mask(x_all, new, w_q, w_k, w_v, w_o, n_heads):
    if new == 1:
        return None
    mask = ref.causal_mask(x_all.shape[1])
    mask[-new:, -new:] = True  # the new tokens see each other both ways
    return _rows(x_all, new, w_q, w_k, w_v, w_o, n_heads, mask)


def only_new_tokens(x_all, new, w_q, w_k, w_v, w_o, n_heads):
    if new == x_all.shape[1]:
        return None
    return ref.multi_head_attention(x_all[:, -new:], w_q, w_k, w_v, w_o, n_heads, ref.causal_mask(new))


def no_scale(x_all, new, w_q, w_k, w_v, w_o, n_heads):
    return _rows(x_all, new, w_q, w_k, w_v, w_o, n_heads, ref.causal_mask(x_all.shape[1]), attend=sdpa.no_scale)


def scale_by_d_model(x_all, new, w_q, w_k, w_v, w_o, n_heads):
    attend = mha.scaled_by_d_model(x_all.shape[-1])
    return _rows(x_all, new, w_q, w_k, w_v, w_o, n_heads, ref.causal_mask(x_all.shape[1]), attend=attend)


def no_w_o(x_all, new, w_q, w_k, w_v, w_o, n_heads):
    return _rows(x_all, new, w_q, w_k, w_v, w_o, n_heads, ref.causal_mask(x_all.shape[1]), project_out=False)


VARIANTS = {
    "mask_not_aligned": mask_not_aligned,
    "no_mask": no_mask,
    "only_new_tokens": only_new_tokens,
    "no_scale": no_scale,
    "scale_by_d_model": scale_by_d_model,
    "no_w_o": no_w_o,
    "square_mask": None,
    "recomputes_prefix": None,
}
# a (new, new) mask cannot be combined with (new, total) scores: NumPy says so, in these words
ERRORS = {"square_mask": r"could not (be )?broadcast"}
ORACLE = decode_rows
