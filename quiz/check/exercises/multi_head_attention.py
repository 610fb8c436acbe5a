"""The multi_head_attention exercise: multi_head_attention(x, w_q, w_k, w_v, w_o, n_heads, mask=None).

heads_variant builds multi-head attention with one step swapped for a wrong one; the decoding and
grouped-query exercises reuse it.

Its entry in exercises.yaml holds the task, the test labels and points, and the mistakes' names
and hints; this module holds the tests, the known mistakes and the oracle (references.py).
"""

from __future__ import annotations

import numpy as np

from quiz.check import references as ref
from quiz.check.exercises import scaled_dot_product_attention as sdpa
from quiz.check.unit import Context, Tests

TESTS = Tests()


def _mha_inputs(ctx: Context, dtype: type = np.float64, length: int | None = None, heads: int | None = None):
    batch = ctx.size(1, 3)
    length = ctx.size(2, 8) if length is None else length
    heads = int(ctx.rng.choice([2, 3, 4])) if heads is None else heads
    return *ctx.attention_inputs(batch, length, heads, ctx.size(2, 5), dtype=dtype), heads


@TESTS.case("random_f64")
def random_f64(ctx: Context) -> None:
    args = _mha_inputs(ctx)
    ctx.check(ctx.call(*args), *args)


@TESTS.case("random_f32")
def random_f32(ctx: Context) -> None:
    args = _mha_inputs(ctx, np.float32)
    ctx.check(ctx.call(*args), *args)


@TESTS.case("causal")
def causal(ctx: Context) -> None:
    args = _mha_inputs(ctx)
    mask = ref.causal_mask(args[0].shape[1])  # (L, L)
    ctx.check(ctx.call(*args, mask), *args, mask)


@TESTS.case("padding_mask")
def padding_mask(ctx: Context) -> None:
    args = _mha_inputs(ctx)
    batch, length, _ = args[0].shape
    valid = ctx.rng.integers(1, length + 1, size=batch)
    mask = (np.arange(length)[None, :] < valid[:, None])[:, None, None, :]  # (B, 1, 1, L)
    ctx.check(ctx.call(*args, mask), *args, mask)


@TESTS.case("length_1")
def length_1(ctx: Context) -> None:
    args = _mha_inputs(ctx, length=1)
    ctx.check(ctx.call(*args), *args)


@TESTS.case("one_head")
def one_head(ctx: Context) -> None:
    args = _mha_inputs(ctx, heads=1)
    ctx.check(ctx.call(*args), *args)


# --- known mistakes: each takes the oracle's arguments and returns what that mistake returns ---


def heads_variant(x, w_q, w_k, w_v, w_o, n_heads, mask=None, *, split=ref.split_heads, merge=ref.merge_heads,
         attend=ref.scaled_dot_product_attention, project_out=True, transpose_weights=False):
    if transpose_weights:
        w_q, w_k, w_v, w_o = w_q.T, w_k.T, w_v.T, w_o.T
    heads = attend(split(x @ w_q, n_heads), split(x @ w_k, n_heads), split(x @ w_v, n_heads), mask)
    return merge(heads) @ w_o if project_out else merge(heads)


def _split_no_transpose(x, n_heads):
    b, l, d = x.shape
    return x.reshape(b, n_heads, l, d // n_heads)


def _merge_no_transpose(x):
    b, h, l, hd = x.shape
    return x.reshape(b, l, h * hd)


def _split_interleaved(x, n_heads):
    b, l, d = x.shape
    return x.reshape(b, l, d // n_heads, n_heads).transpose(0, 3, 1, 2)


def _merge_interleaved(x):
    b, h, l, hd = x.shape
    return x.transpose(0, 2, 3, 1).reshape(b, l, h * hd)


def scaled_by_d_model(d_model):
    return lambda q, k, v, mask=None: sdpa.variant_attention(q, k, v, mask, scale=d_model ** -0.5)


def no_scale(x, w_q, w_k, w_v, w_o, n_heads, mask=None):
    return heads_variant(x, w_q, w_k, w_v, w_o, n_heads, mask, attend=sdpa.no_scale)


def scale_by_d_model(x, w_q, w_k, w_v, w_o, n_heads, mask=None):
    if n_heads == 1:
        return None
    return heads_variant(x, w_q, w_k, w_v, w_o, n_heads, mask, attend=scaled_by_d_model(x.shape[-1]))


def split_no_transpose(x, w_q, w_k, w_v, w_o, n_heads, mask=None):
    return heads_variant(x, w_q, w_k, w_v, w_o, n_heads, mask, split=_split_no_transpose, merge=_merge_no_transpose)


def split_only_no_transpose(x, w_q, w_k, w_v, w_o, n_heads, mask=None):
    return heads_variant(x, w_q, w_k, w_v, w_o, n_heads, mask, split=_split_no_transpose)


def merge_no_transpose(x, w_q, w_k, w_v, w_o, n_heads, mask=None):
    return heads_variant(x, w_q, w_k, w_v, w_o, n_heads, mask, merge=_merge_no_transpose)


def heads_interleaved(x, w_q, w_k, w_v, w_o, n_heads, mask=None):
    return heads_variant(x, w_q, w_k, w_v, w_o, n_heads, mask, split=_split_interleaved, merge=_merge_interleaved)


def no_w_o(x, w_q, w_k, w_v, w_o, n_heads, mask=None):
    return heads_variant(x, w_q, w_k, w_v, w_o, n_heads, mask, project_out=False)


def weights_transposed(x, w_q, w_k, w_v, w_o, n_heads, mask=None):
    return heads_variant(x, w_q, w_k, w_v, w_o, n_heads, mask, transpose_weights=True)


def softmax_over_queries(x, w_q, w_k, w_v, w_o, n_heads, mask=None):
    return heads_variant(x, w_q, w_k, w_v, w_o, n_heads, mask, attend=sdpa.softmax_over_queries)


def mask_inverted(x, w_q, w_k, w_v, w_o, n_heads, mask=None):
    return None if mask is None else heads_variant(x, w_q, w_k, w_v, w_o, n_heads, ~mask)


def mask_ignored(x, w_q, w_k, w_v, w_o, n_heads, mask=None):
    return None if mask is None else heads_variant(x, w_q, w_k, w_v, w_o, n_heads)


def causal_without_mask(x, w_q, w_k, w_v, w_o, n_heads, mask=None):
    """Its own causal mask, always (picoGPT's mha): wrong exactly when no mask was given."""
    if mask is not None or x.shape[1] == 1:
        return None
    return heads_variant(x, w_q, w_k, w_v, w_o, n_heads, ref.causal_mask(x.shape[1]))


VARIANTS = {
    "no_scale": no_scale,
    "scale_by_d_model": scale_by_d_model,
    "split_no_transpose": split_no_transpose,
    "split_only_no_transpose": split_only_no_transpose,
    "merge_no_transpose": merge_no_transpose,
    "heads_interleaved": heads_interleaved,
    "no_w_o": no_w_o,
    "weights_transposed": weights_transposed,
    "softmax_over_queries": softmax_over_queries,
    "mask_inverted": mask_inverted,
    "mask_ignored": mask_ignored,
    "causal_without_mask": causal_without_mask,
}
ERRORS: dict[str, str] = {}
ORACLE = ref.multi_head_attention
