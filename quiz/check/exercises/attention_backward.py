"""attention_backward: dQ, dK, dV of scaled dot-product attention, given dO."""

from __future__ import annotations

import numpy as np

from quiz.check.unit import Context, Tests, Wrong
from quiz.i18n import t

from quiz.check.exercises._parts import Variants, call, check, diagnose

# --- reference ---


def causal_mask(lq, lk):
    return np.arange(lk)[None, :] <= np.arange(lq)[:, None] + (lk - lq)  # (Lq, Lk), aligned to the end


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def forward(q, k, v, causal=False):
    scores = q @ np.swapaxes(k, -1, -2) * q.shape[-1] ** -0.5  # (..., Lq, Lk)
    if causal:
        scores = np.where(causal_mask(q.shape[-2], k.shape[-2]), scores, -np.inf)
    return softmax(scores) @ v  # (..., Lq, dv)


def attention_backward(q, k, v, d_out, causal=False):
    scale = q.shape[-1] ** -0.5
    scores = q @ np.swapaxes(k, -1, -2) * scale  # (..., Lq, Lk)
    if causal:
        scores = np.where(causal_mask(q.shape[-2], k.shape[-2]), scores, -np.inf)  # masked before the softmax
    p = softmax(scores)  # (..., Lq, Lk)
    dv = np.swapaxes(p, -1, -2) @ d_out  # (..., Lk, dv)
    dp = d_out @ np.swapaxes(v, -1, -2)  # (..., Lq, Lk)
    ds = p * (dp - np.sum(dp * p, axis=-1, keepdims=True))  # (..., Lq, Lk): the softmax Jacobian, row term included
    dq = ds @ k * scale  # (..., Lq, d)
    dk = np.swapaxes(ds, -1, -2) @ q * scale  # (..., Lk, d)
    return dq, dk, dv


# --- known mistakes ---


def _backward(q, k, v, d_out, causal=False, *, row_term=True, scale_grads=True, mask="before"):
    scale = q.shape[-1] ** -0.5
    scores = q @ np.swapaxes(k, -1, -2) * scale
    allowed = causal_mask(q.shape[-2], k.shape[-2]) if causal else None
    if allowed is not None and mask == "before":
        scores = np.where(allowed, scores, -np.inf)
    p = softmax(scores)
    weights = p * allowed if allowed is not None and mask == "after" else p  # what multiplies v
    dv = np.swapaxes(weights, -1, -2) @ d_out
    dp = d_out @ np.swapaxes(v, -1, -2)
    if allowed is not None and mask == "after":
        dp = dp * allowed
    ds = p * (dp - np.sum(dp * p, axis=-1, keepdims=True)) if row_term else p * dp
    factor = scale if scale_grads else 1.0
    return ds @ k * factor, np.swapaxes(ds, -1, -2) @ q * factor, dv


def backward_no_row_term(q, k, v, d_out, causal=False):
    return _backward(q, k, v, d_out, causal, row_term=False)


def backward_no_scale(q, k, v, d_out, causal=False):
    return _backward(q, k, v, d_out, causal, scale_grads=False)


def backward_mask_after_softmax(q, k, v, d_out, causal=False):
    if not causal:
        return None
    scale = q.shape[-1] ** -0.5
    weights = softmax(q @ np.swapaxes(k, -1, -2) * scale) * causal_mask(q.shape[-2], k.shape[-2])  # not renormalised
    dp = d_out @ np.swapaxes(v, -1, -2)
    ds = weights * (dp - np.sum(dp * weights, axis=-1, keepdims=True))  # the usual formulas on those weights
    by_formula = (ds @ k * scale, np.swapaxes(ds, -1, -2) @ q * scale, np.swapaxes(weights, -1, -2) @ d_out)
    return [_backward(q, k, v, d_out, causal, mask="after"), by_formula]  # the exact gradient of that forward, too


def backward_mask_ignored(q, k, v, d_out, causal=False):
    return _backward(q, k, v, d_out, causal, mask="none") if causal else None


VARIANTS: Variants = {
    "no_row_term": backward_no_row_term,
    "no_scale": backward_no_scale,
    "mask_after_softmax": backward_mask_after_softmax,
    "mask_ignored": backward_mask_ignored,
}
NAMES = ("dq", "dk", "dv")

# --- tests ---

TESTS = Tests()



def _inputs(ctx: Context, dtype: type = np.float64, lead: tuple[int, ...] | None = None, lq: int | None = None,
            lk: int | None = None, scale: float = 1.0):
    lead = (ctx.size(1, 3),) if lead is None else lead
    lq = ctx.size(2, 7) if lq is None else lq
    lk = lq + ctx.size(0, 3) if lk is None else lk
    d = ctx.size(3, 8)
    dv = d + ctx.size(1, 3)
    return (ctx.normal(lead + (lq, d), dtype, scale), ctx.normal(lead + (lk, d), dtype, scale),
            ctx.normal(lead + (lk, dv), dtype), ctx.normal(lead + (lq, dv), dtype))


def _check(ctx: Context, args: tuple, causal: bool = False) -> None:
    got = call(ctx, "attention_backward", *args, causal=causal)
    check(ctx, got, attention_backward, VARIANTS, *args, causal=causal, names=NAMES,
          what="causal=True" if causal else "")


@TESTS.case("random_f64")
def test_random_f64(ctx: Context) -> None:
    _check(ctx, _inputs(ctx))


@TESTS.case("random_f32")
def test_random_f32(ctx: Context) -> None:
    _check(ctx, _inputs(ctx, np.float32))


@TESTS.case("causal")
def test_causal(ctx: Context) -> None:
    _check(ctx, _inputs(ctx), causal=True)


@TESTS.case("batch_dims")
def test_batch_dims(ctx: Context) -> None:
    _check(ctx, _inputs(ctx, lead=(2, ctx.size(2, 3))), causal=True)


@TESTS.case("length_1")
def test_length_1(ctx: Context) -> None:
    _check(ctx, _inputs(ctx, lq=1, lk=1))


@TESTS.case("large_logits")
def test_large_logits(ctx: Context) -> None:
    _check(ctx, _inputs(ctx, scale=6.0), causal=True)  # scores of tens: the softmax saturates, nothing overflows


EPS = 1e-5


@TESTS.case("finite_differences")
def test_finite_differences(ctx: Context) -> None:
    """The gradients predict how the loss <O, dO> changes along random directions (central differences of the
    forward pass), an oracle independent of the reference backward."""
    q, k, v, d_out = _inputs(ctx)
    got = call(ctx, "attention_backward", q, k, v, d_out, causal=True)
    expected = attention_backward(q, k, v, d_out, True)
    shapes_ok = isinstance(got, (tuple, list)) and len(got) == 3 and all(
        isinstance(part, np.ndarray) and part.shape == want.shape for part, want in zip(got, expected))
    if not shapes_ok:
        check(ctx, got, attention_backward, VARIANTS, q, k, v, d_out, causal=True, names=NAMES)
    for which, name in enumerate(NAMES):
        for _ in range(2):
            direction = ctx.normal(expected[which].shape)
            plus, minus = [q, k, v], [q, k, v]
            plus[which], minus[which] = plus[which] + EPS * direction, minus[which] - EPS * direction
            numeric = float(((forward(*plus, True) - forward(*minus, True)) * d_out).sum() / (2 * EPS))
            predicted = float((got[which].astype(np.float64) * direction).sum())
            if not abs(predicted - numeric) <= 1e-6 * max(1.0, abs(numeric)):
                raise Wrong(t("exercise.fd", name=name, predicted=predicted, numeric=numeric),
                            diagnosis=diagnose(VARIANTS, (q, k, v, d_out), {"causal": True}, got, expected, NAMES, ctx))
    check(ctx, got, attention_backward, VARIANTS, q, k, v, d_out, causal=True, names=NAMES)

ERRORS: dict[str, str] = {}
ORACLE = attention_backward
