"""The flash_attention exercise: flash_attention(q, k, v, block_size=64, causal=False): attention block by block, online softmax.

The oracle is plain attention; the memory test (memory.py) judges that no L x L matrix is built.

Its entry in exercises.yaml holds the task, the test labels and points, and the mistakes' names
and hints; this module holds the tests, the known mistakes and the oracle (references.py).
"""

from __future__ import annotations

import numpy as np

from quiz.check import references as ref
from quiz.check import memory
from quiz.check.unit import Context, Tests


def flash_expected(q, k, v, block_size=64, causal=False):
    return ref.scaled_dot_product_attention(q, k, v, ref.causal_mask(q.shape[-2]) if causal else None)


TESTS = Tests()


def _flash_inputs(ctx: Context, length: int, dtype: type = np.float64, lead: tuple[int, ...] | None = None,
                  wider_v: bool = False):
    """q, k (..., L, d) and v (..., L, dv): dv = d, the usual setting, unless wider_v (dv > d)."""
    lead = (ctx.size(1, 2),) if lead is None else lead
    d = ctx.size(4, 8)
    dv = d + ctx.size(1, 3) if wider_v else d
    return ctx.normal(lead + (length, d), dtype), ctx.normal(lead + (length, d), dtype), ctx.normal(
        lead + (length, dv), dtype)


def _awkward_length(ctx: Context, block: int) -> int:
    """A length of 2 to 4 blocks that is not a multiple of the block size."""
    return block * ctx.size(2, 3) + ctx.size(1, block - 1)


@TESTS.case("random_f64")
def random_f64(ctx: Context) -> None:
    block = 16
    q, k, v = _flash_inputs(ctx, _awkward_length(ctx, block))
    ctx.check(ctx.call(q, k, v, block_size=block), q, k, v, block_size=block)


@TESTS.case("causal")
def causal(ctx: Context) -> None:
    block = 16
    q, k, v = _flash_inputs(ctx, _awkward_length(ctx, block))
    got = ctx.call(q, k, v, block_size=block, causal=True)
    ctx.check(got, q, k, v, block_size=block, causal=True)


@TESTS.case("random_f32")
def random_f32(ctx: Context) -> None:
    block = 8
    q, k, v = _flash_inputs(ctx, _awkward_length(ctx, block), np.float32)
    ctx.check(ctx.call(q, k, v, block_size=block), q, k, v, block_size=block)


@TESTS.case("batch_dims")
def batch_dims(ctx: Context) -> None:
    block = 8
    q, k, v = _flash_inputs(ctx, _awkward_length(ctx, block), lead=(2, ctx.size(2, 3)))
    got = ctx.call(q, k, v, block_size=block, causal=True)
    ctx.check(got, q, k, v, block_size=block, causal=True)


@TESTS.case("dv_differs")
def dv_differs(ctx: Context) -> None:
    block = 8
    q, k, v = _flash_inputs(ctx, _awkward_length(ctx, block), wider_v=True)
    ctx.check(ctx.call(q, k, v, block_size=block), q, k, v, block_size=block, what=f"d={q.shape[-1]}, dv={v.shape[-1]}")


@TESTS.case("length_1")
def length_1(ctx: Context) -> None:
    q, k, v = _flash_inputs(ctx, 1)
    ctx.check(ctx.call(q, k, v, block_size=8), q, k, v, block_size=8)


@TESTS.case("big_block")
def big_block(ctx: Context) -> None:
    q, k, v = _flash_inputs(ctx, ctx.size(5, 40))
    ctx.check(ctx.call(q, k, v), q, k, v)  # the default block_size=64 is larger than L


TESTS.case("memory")(memory.memory_test)


# --- known mistakes: each takes the oracle's arguments and returns what that mistake returns ---


def _flash(q, k, v, block_size, causal, *, rescale=True, divide=True, local_causal=False, scale=None,
           skip_future=False):
    length, d = q.shape[-2], q.shape[-1]
    scale = d ** -0.5 if scale is None else scale
    out = np.zeros(q.shape[:-1] + v.shape[-1:], dtype=q.dtype)
    full = ref.causal_mask(length)
    for qs in range(0, length, block_size):
        qb = q[..., qs:qs + block_size, :] * scale
        m = np.full(qb.shape[:-1] + (1,), -np.inf, dtype=q.dtype)
        s = np.zeros_like(m)
        acc = np.zeros(qb.shape[:-1] + v.shape[-1:], dtype=q.dtype)
        for ks in range(0, length, block_size):
            if causal and skip_future and ks >= qs + block_size:
                break
            scores = qb @ np.swapaxes(k[..., ks:ks + block_size, :], -1, -2)
            if causal:
                allowed = (np.tri(*scores.shape[-2:], dtype=bool) if local_causal
                           else full[qs:qs + block_size, ks:ks + block_size])
                if not allowed.any():
                    continue
                scores = np.where(allowed, scores, -np.inf)
            m_new = np.maximum(m, scores.max(axis=-1, keepdims=True))
            p = np.exp(scores - m_new)
            correction = np.exp(m - m_new) if rescale else 1.0
            s = s * correction + p.sum(axis=-1, keepdims=True)
            acc = acc * correction + p @ v[..., ks:ks + block_size, :]
            m = m_new
        out[..., qs:qs + block_size, :] = acc / s if divide else acc
    return out


def no_rescale(q, k, v, block_size=64, causal=False):
    return _flash(q, k, v, block_size, causal, rescale=False) if q.shape[-2] > block_size else None


def no_final_divide(q, k, v, block_size=64, causal=False):
    return _flash(q, k, v, block_size, causal, divide=False)


def per_block_softmax(q, k, v, block_size=64, causal=False):
    if k.shape[-2] <= block_size:
        return None
    length = k.shape[-2]
    full = ref.causal_mask(length)
    out = 0
    for ks in range(0, length, block_size):
        mask = full[:, ks:ks + block_size] if causal else None
        out = out + ref.scaled_dot_product_attention(q, k[..., ks:ks + block_size, :], v[..., ks:ks + block_size, :],
                                                     mask)
    return out


def causal_ignored(q, k, v, block_size=64, causal=False):
    return ref.scaled_dot_product_attention(q, k, v) if causal else None


def block_local_causal(q, k, v, block_size=64, causal=False):
    if not causal or q.shape[-2] <= block_size:
        return None
    return [_flash(q, k, v, block_size, causal, local_causal=True, skip_future=skip) for skip in (True, False)]


def no_scale(q, k, v, block_size=64, causal=False):
    return _flash(q, k, v, block_size, causal, scale=1.0)


VARIANTS = {
    "no_rescale": no_rescale,
    "no_final_divide": no_final_divide,
    "per_block_softmax": per_block_softmax,
    "causal_ignored": causal_ignored,
    "block_local_causal": block_local_causal,
    "no_scale": no_scale,
    "full_matrix": None,
    "output_sized_from_q": None,
}
# an output allocated like q (np.zeros_like(q)) cannot hold a (block, dv) tile when dv != d
ERRORS = {"output_sized_from_q": r"could not (be )?broadcast"}
ORACLE = flash_expected
