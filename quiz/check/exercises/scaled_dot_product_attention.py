"""The scaled_dot_product_attention exercise: scaled_dot_product_attention(q, k, v, mask=None): softmax(q k^T / sqrt(dk)) v.

Its variant helpers (variant_attention, masked_softmax) are shared by the exercises built on
attention.

Its entry in exercises.yaml holds the task, the test labels and points, and the mistakes' names
and hints; this module holds the tests, the known mistakes and the oracle (references.py).
"""

from __future__ import annotations

import numpy as np

from quiz.check import references as ref
from quiz.check.unit import Context, Tests

TESTS = Tests()


def _qkv(ctx: Context, lead: tuple[int, ...], lq: int, lk: int, dtype: type = np.float64,
         kv_lead: tuple[int, ...] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    dk = ctx.size(3, 8)
    dv = dk + ctx.size(1, 3)  # dv != dk and sqrt(dv) != dk, so scaling by the wrong one shows
    kv_lead = lead if kv_lead is None else kv_lead
    return (ctx.normal(lead + (lq, dk), dtype), ctx.normal(kv_lead + (lk, dk), dtype),
            ctx.normal(kv_lead + (lk, dv), dtype))


def _two_lengths(ctx: Context) -> tuple[int, int]:
    lq = ctx.size(2, 8)
    return lq, lq + ctx.size(1, 4)


@TESTS.case("random_f64")
def random_f64(ctx: Context) -> None:
    q, k, v = _qkv(ctx, (ctx.size(1, 3),), *_two_lengths(ctx))
    ctx.check(ctx.call(q, k, v), q, k, v)


@TESTS.case("random_f32")
def random_f32(ctx: Context) -> None:
    q, k, v = _qkv(ctx, (ctx.size(1, 3),), *_two_lengths(ctx), dtype=np.float32)
    ctx.check(ctx.call(q, k, v), q, k, v)


@TESTS.case("batch_dims")
def batch_dims(ctx: Context) -> None:
    heads = ctx.size(2, 3)
    q, k, v = _qkv(ctx, (2, heads), *_two_lengths(ctx), kv_lead=(heads,))  # k, v broadcast over the batch
    ctx.check(ctx.call(q, k, v), q, k, v)


@TESTS.case("causal")
def causal(ctx: Context) -> None:
    lq, lk = _two_lengths(ctx)
    q, k, v = _qkv(ctx, (ctx.size(1, 3),), lq, lk)
    mask = ref.causal_mask(lq, lk)  # (Lq, Lk), broadcast over the batch
    ctx.check(ctx.call(q, k, v, mask), q, k, v, mask)


@TESTS.case("padding_mask")
def padding_mask(ctx: Context) -> None:
    batch, heads, length = ctx.size(2, 3), 2, ctx.size(3, 8)
    q, k, v = _qkv(ctx, (batch, heads), length, length)
    valid = ctx.rng.integers(1, length + 1, size=batch)  # each sequence keeps its first `valid` keys
    mask = (np.arange(length)[None, :] < valid[:, None])[:, None, None, :]  # (B, 1, 1, L)
    ctx.check(ctx.call(q, k, v, mask), q, k, v, mask)


@TESTS.case("no_key_rows")
def no_key_rows(ctx: Context) -> None:
    lq, lk = _two_lengths(ctx)
    q, k, v = _qkv(ctx, (ctx.size(1, 2),), lq, lk)
    mask = ctx.rng.random((lq, lk)) < 0.6
    mask[np.arange(lq), ctx.rng.integers(0, lk, size=lq)] = True  # every row may attend something...
    mask[ctx.rng.permutation(lq)[:max(1, lq // 3)]] = False  # ...except these rows
    ctx.check(ctx.call(q, k, v, mask), q, k, v, mask)


@TESTS.case("large_logits")
def large_logits(ctx: Context) -> None:
    q, k, v = _qkv(ctx, (ctx.size(1, 2),), *_two_lengths(ctx))
    q, k = q * 100, k * 100  # scores of magnitude about 1e4
    ctx.check(ctx.call(q, k, v), q, k, v)


@TESTS.case("length_1")
def length_1(ctx: Context) -> None:
    q, k, v = _qkv(ctx, (ctx.size(1, 3),), 1, 1)
    ctx.check(ctx.call(q, k, v), q, k, v)


# --- known mistakes: each takes the oracle's arguments and returns what that mistake returns ---


def masked_softmax(scores, mask, fill=-np.inf, axis=-1, guard=True):
    """Softmax along `axis` with masked entries set to `fill` first; a slice with nothing allowed
    gives zeros (guard=True, as the task asks) or NaN (guard=False)."""
    if mask is not None:
        scores = np.where(mask, scores, fill)
    top = np.max(scores, axis=axis, keepdims=True)
    if guard:
        top = np.where(np.isfinite(top), top, 0)
    e = np.exp(scores - top)
    total = np.sum(e, axis=axis, keepdims=True)
    return e / (np.where(total > 0, total, 1) if guard else total)


def variant_attention(q, k, v, mask=None, scale=None, fill=-np.inf, axis=-1, guard=True):
    scale = q.shape[-1] ** -0.5 if scale is None else scale
    scores = q @ np.swapaxes(k, -1, -2) * scale
    return masked_softmax(scores, mask, fill, axis, guard) @ v


def no_scale(q, k, v, mask=None):
    return variant_attention(q, k, v, mask, scale=1.0)


def scale_by_d(q, k, v, mask=None):
    return variant_attention(q, k, v, mask, scale=1.0 / q.shape[-1])


def scale_by_dv(q, k, v, mask=None):
    return variant_attention(q, k, v, mask, scale=v.shape[-1] ** -0.5) if v.shape[-1] != q.shape[-1] else None


def softmax_over_queries(q, k, v, mask=None):
    return variant_attention(q, k, v, mask, axis=-2)


def mask_inverted(q, k, v, mask=None):
    return None if mask is None else ref.scaled_dot_product_attention(q, k, v, ~mask)


def mask_ignored(q, k, v, mask=None):
    return None if mask is None else ref.scaled_dot_product_attention(q, k, v)


def mask_after_softmax(q, k, v, mask=None):
    if mask is None:
        return None
    weights = masked_softmax(q @ np.swapaxes(k, -1, -2) / q.shape[-1] ** 0.5, None)
    return (weights * mask) @ v


def mask_fill_zero(q, k, v, mask=None):
    """np.where(mask, scores, 0): a masked key keeps a score of 0, and exp(0 - max) gives it weight."""
    return None if mask is None else variant_attention(q, k, v, mask, fill=0.0)


def additive_mask(q, k, v, mask=None):
    """scores + (0 or -1e9): a row with no key is shifted as a whole, so it attends to every key unmasked."""
    if mask is None:
        return None
    scores = q @ np.swapaxes(k, -1, -2) / q.shape[-1] ** 0.5 + np.where(mask, 0.0, -1e9)
    return masked_softmax(scores, None) @ v


def scale_after_softmax(q, k, v, mask=None):
    """softmax(q k^T) v / sqrt(dk): the scale applied to the output, not to the scores."""
    return variant_attention(q, k, v, mask, scale=1.0) / q.shape[-1] ** 0.5


def no_key_rows_uniform(q, k, v, mask=None):
    return None if mask is None else variant_attention(q, k, v, mask, fill=-1e9)


def no_key_rows_nan(q, k, v, mask=None):
    return None if mask is None else variant_attention(q, k, v, mask, guard=False)


VARIANTS = {
    "no_scale": no_scale,
    "scale_by_d": scale_by_d,
    "scale_by_dv": scale_by_dv,
    "softmax_over_queries": softmax_over_queries,
    "mask_inverted": mask_inverted,
    "mask_ignored": mask_ignored,
    "mask_after_softmax": mask_after_softmax,
    "mask_fill_zero": mask_fill_zero,
    "scale_after_softmax": scale_after_softmax,
    "no_key_rows_uniform": no_key_rows_uniform,
    "additive_mask": additive_mask,
    "no_key_rows_nan": no_key_rows_nan,
    "k_transposed": None,
}
ERRORS = {"k_transposed": r"mismatch in its core dimension|could not be broadcast together with remapped shapes"}
ORACLE = ref.scaled_dot_product_attention
