"""The grouped_query_attention exercise: grouped_query_attention(x, w_q, w_k, w_v, w_o, n_heads, n_kv_heads, mask=None).

Its entry in exercises.yaml holds the task, the test labels and points, and the mistakes' names
and hints; this module holds the tests, the known mistakes and the oracle (references.py).
"""

from __future__ import annotations

import numpy as np

from quiz.check import references as ref
from quiz.check.exercises import multi_head_attention as mha
from quiz.check.exercises import scaled_dot_product_attention as sdpa
from quiz.check.unit import Context, Tests

TESTS = Tests()


def _gqa_inputs(ctx: Context, dtype: type = np.float64, kv: str = "grouped"):
    heads, kv_heads = [(4, 2), (6, 3), (6, 2), (8, 4)][ctx.size(0, 3)]
    kv_heads = {"grouped": kv_heads, "one": 1, "all": heads}[kv]
    hd = ctx.size(2, 4)
    return *ctx.attention_inputs(ctx.size(1, 2), ctx.size(2, 7), heads, hd, kv_heads, dtype), heads, kv_heads


@TESTS.case("random_f64")
def random_f64(ctx: Context) -> None:
    args = _gqa_inputs(ctx)
    ctx.check(ctx.call(*args), *args)


@TESTS.case("random_f32")
def random_f32(ctx: Context) -> None:
    args = _gqa_inputs(ctx, np.float32)
    ctx.check(ctx.call(*args), *args)


@TESTS.case("mqa")
def mqa(ctx: Context) -> None:
    args = _gqa_inputs(ctx, kv="one")
    ctx.check(ctx.call(*args), *args)


@TESTS.case("as_mha")
def as_mha(ctx: Context) -> None:
    args = _gqa_inputs(ctx, kv="all")
    ctx.check(ctx.call(*args), *args)


@TESTS.case("causal")
def causal(ctx: Context) -> None:
    args = _gqa_inputs(ctx)
    mask = ref.causal_mask(args[0].shape[1])
    ctx.check(ctx.call(*args, mask), *args, mask)


# --- known mistakes: each takes the oracle's arguments and returns what that mistake returns ---


def _gqa(x, w_q, w_k, w_v, w_o, n_heads, n_kv_heads, mask=None, *, expand="repeat",
         attend=ref.scaled_dot_product_attention, project_out=True):
    q = ref.split_heads(x @ w_q, n_heads)
    k = ref.split_heads(x @ w_k, n_kv_heads)
    v = ref.split_heads(x @ w_v, n_kv_heads)
    group = n_heads // n_kv_heads
    if expand == "repeat":
        k, v = np.repeat(k, group, axis=1), np.repeat(v, group, axis=1)
    else:
        k, v = np.tile(k, (1, group, 1, 1)), np.tile(v, (1, group, 1, 1))
    heads = ref.merge_heads(attend(q, k, v, mask))
    return heads @ w_o if project_out else heads


def kv_head_modulo(x, w_q, w_k, w_v, w_o, n_heads, n_kv_heads, mask=None):
    if n_kv_heads in (1, n_heads):
        return None
    return _gqa(x, w_q, w_k, w_v, w_o, n_heads, n_kv_heads, mask, expand="tile")


def no_scale(x, w_q, w_k, w_v, w_o, n_heads, n_kv_heads, mask=None):
    return _gqa(x, w_q, w_k, w_v, w_o, n_heads, n_kv_heads, mask, attend=sdpa.no_scale)


def scale_by_d_model(x, w_q, w_k, w_v, w_o, n_heads, n_kv_heads, mask=None):
    attend = mha.scaled_by_d_model(x.shape[-1])
    return _gqa(x, w_q, w_k, w_v, w_o, n_heads, n_kv_heads, mask, attend=attend)


def no_w_o(x, w_q, w_k, w_v, w_o, n_heads, n_kv_heads, mask=None):
    return _gqa(x, w_q, w_k, w_v, w_o, n_heads, n_kv_heads, mask, project_out=False)


VARIANTS = {
    "kv_head_modulo": kv_head_modulo,
    "no_scale": no_scale,
    "scale_by_d_model": scale_by_d_model,
    "no_w_o": no_w_o,
}
ERRORS: dict[str, str] = {}
ORACLE = ref.grouped_query_attention
