"""rope: rotary position embeddings (RoFormer), both pair conventions, and decoding with a cache of rotated keys."""

from __future__ import annotations

from typing import Any

import numpy as np

from quiz.check.unit import Context, Tests

from quiz.check.exercises._parts import Variants, call, check

# --- reference ---


def rope_angles(positions, d, base=10000.0):
    inv_freq = float(base) ** (-np.arange(0, d, 2, dtype=np.float64) / d)  # (d/2,) theta_i = base^(-2i/d)
    return np.asarray(positions, dtype=np.float64)[..., None] * inv_freq  # (L, d/2), in float64


def apply_rope(x, positions, base=10000.0, interleaved=False):
    d = x.shape[-1]
    angles = rope_angles(positions, d, base)  # (L, d/2)
    cos, sin = np.cos(angles).astype(x.dtype), np.sin(angles).astype(x.dtype)  # (L, d/2)
    if interleaved:  # RoFormer, GPT-J, Meta's Llama: the pairs are (2i, 2i+1)
        x1, x2 = x[..., 0::2], x[..., 1::2]  # (..., L, d/2)
        out = np.empty_like(x)  # (..., L, d)
        out[..., 0::2] = x1 * cos - x2 * sin
        out[..., 1::2] = x1 * sin + x2 * cos
        return out
    x1, x2 = x[..., : d // 2], x[..., d // 2:]  # GPT-NeoX, Hugging Face: the pairs are (i, i + d/2)
    return np.concatenate([x1 * cos - x2 * sin, x1 * sin + x2 * cos], axis=-1)  # (..., L, d)


def causal_mask(lq, lk):
    return np.arange(lk)[None, :] <= np.arange(lq)[:, None] + (lk - lq)  # (lq, lk), aligned to the end


def attention(q, k, v, mask):
    scores = q @ np.swapaxes(k, -1, -2) / q.shape[-1] ** 0.5  # (B, H, new, total)
    scores = np.where(mask, scores, -np.inf)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))  # every causal row has a key
    return (e / e.sum(axis=-1, keepdims=True)) @ v  # (B, H, new, dv)


def rope_attention(q, k, v, k_cache, v_cache, base=10000.0, interleaved=False):
    start, new = k_cache.shape[2], q.shape[2]
    positions = np.arange(start, start + new)  # (new,) the absolute positions of the new tokens
    q_rot = apply_rope(q, positions, base, interleaved)  # (B, H, new, d)
    k_rot = apply_rope(k, positions, base, interleaved)  # (B, H, new, d): only the new keys are rotated
    keys = np.concatenate([k_cache, k_rot], axis=2)  # (B, H, total, d): the cache holds rotated keys
    values = np.concatenate([v_cache, v], axis=2)  # (B, H, total, dv)
    return attention(q_rot, keys, values, causal_mask(new, start + new)), k_rot


# --- known mistakes ---


def _rotate_half(x):
    h = x.shape[-1] // 2
    return np.concatenate([-x[..., h:], x[..., :h]], axis=-1)


def _rotate_every_two(x):
    out = np.empty_like(x)
    out[..., 0::2], out[..., 1::2] = -x[..., 1::2], x[..., 0::2]
    return out


def _rope(x, positions, base=10000.0, *, rotate, layout, sign=1.0, exponent=2.0):
    """x * cos + rotate(x) * sin with the frequencies laid out as `layout` over the d dimensions."""
    d = x.shape[-1]
    inv_freq = float(base) ** (-exponent * np.arange(d // 2) / d)
    angles = sign * np.asarray(positions, dtype=np.float64)[..., None] * inv_freq  # (L, d/2)
    full = np.concatenate([angles, angles], -1) if layout == "cat" else np.repeat(angles, 2, axis=-1)  # (L, d)
    return x * np.cos(full).astype(x.dtype) + rotate(x) * np.sin(full).astype(x.dtype)


def _convention(interleaved):
    return dict(rotate=_rotate_every_two, layout="repeat") if interleaved else dict(rotate=_rotate_half, layout="cat")


def rope_wrong_convention(x, positions, base=10000.0, interleaved=False):
    return apply_rope(x, positions, base, not interleaved)


def rope_mixed_layout(x, positions, base=10000.0, interleaved=False):
    # the frequencies laid out for one convention, the pairs rotated as in the other (both ways)
    return [_rope(x, positions, base, rotate=_rotate_half, layout="repeat"),
            _rope(x, positions, base, rotate=_rotate_every_two, layout="cat")]


def rope_base_ignored(x, positions, base=10000.0, interleaved=False):
    return None if float(base) == 10000.0 else apply_rope(x, positions, 10000.0, interleaved)


def rope_wrong_frequencies(x, positions, base=10000.0, interleaved=False):
    return _rope(x, positions, base, exponent=1.0, **_convention(interleaved))  # base^(-i/d) instead of base^(-2i/d)


def rope_sign_flipped(x, positions, base=10000.0, interleaved=False):
    return _rope(x, positions, base, sign=-1.0, **_convention(interleaved))


APPLY_VARIANTS: Variants = {
    "wrong_convention": rope_wrong_convention,
    "mixed_layout": rope_mixed_layout,
    "base_ignored": rope_base_ignored,
    "wrong_frequencies": rope_wrong_frequencies,
    "sign_flipped": rope_sign_flipped,
}


def _attention_with(rope, q, k, v, k_cache, v_cache, base, interleaved, *, start=None, again=False):
    """rope_attention with `rope` in place of apply_rope; `start` overrides the first position."""
    first, new = k_cache.shape[2], q.shape[2]
    positions = np.arange(first, first + new) if start is None else np.arange(start, start + new)
    outputs = []
    rotated_q, rotated_k = rope(q, positions, base, interleaved), rope(k, positions, base, interleaved)
    for q_rot, k_rot in zip(_as_list(rotated_q), _as_list(rotated_k)):
        keys = np.concatenate([k_cache, k_rot], axis=2)
        if again:  # the whole cache rotated once more, by every key's position
            keys = apply_rope(keys, np.arange(keys.shape[2]), base, interleaved)
        values = np.concatenate([v_cache, v], axis=2)
        outputs.append((attention(q_rot, keys, values, causal_mask(new, keys.shape[2])), k_rot))
    return outputs


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _decode_variant(rope_variant):
    def variant(q, k, v, k_cache, v_cache, base=10000.0, interleaved=False):
        probe = rope_variant(q, np.arange(1), base, interleaved) if q.shape[2] else None
        return None if probe is None else _attention_with(rope_variant, q, k, v, k_cache, v_cache, base, interleaved)

    return variant


def decode_positions_restart(q, k, v, k_cache, v_cache, base=10000.0, interleaved=False):
    return None if k_cache.shape[2] == 0 else _attention_with(apply_rope, q, k, v, k_cache, v_cache, base, interleaved,
                                                             start=0)


def decode_rotates_cache_again(q, k, v, k_cache, v_cache, base=10000.0, interleaved=False):
    return _attention_with(apply_rope, q, k, v, k_cache, v_cache, base, interleaved, again=True)


DECODE_VARIANTS: Variants = {
    "positions_restart": decode_positions_restart,
    "rotates_cache_again": decode_rotates_cache_again,
    **{mistake: _decode_variant(variant) for mistake, variant in APPLY_VARIANTS.items()},
}


# --- tests ---

TESTS = Tests()



def _x(ctx: Context, dtype: type, length: int | None = None, d: int | None = None) -> np.ndarray:
    length = ctx.size(2, 9) if length is None else length
    d = 2 * ctx.size(2, 6) if d is None else d
    return ctx.normal((ctx.size(1, 2), ctx.size(1, 3), length, d), dtype)


def _apply(ctx: Context, x: np.ndarray, positions: np.ndarray, **kwargs: Any) -> None:
    got = call(ctx, "apply_rope", x, positions, **kwargs)
    what = ", ".join(f"{key}={value}" for key, value in kwargs.items())
    check(ctx, got, apply_rope, APPLY_VARIANTS, x, positions, what=what, **kwargs)


@TESTS.case("random_f64")
def test_random_f64(ctx: Context) -> None:
    x = _x(ctx, np.float64)
    _apply(ctx, x, np.arange(x.shape[2]))


@TESTS.case("random_f32")
def test_random_f32(ctx: Context) -> None:
    x = _x(ctx, np.float32)
    _apply(ctx, x, np.arange(x.shape[2]))


@TESTS.case("interleaved")
def test_interleaved(ctx: Context) -> None:
    x = _x(ctx, np.float64)
    _apply(ctx, x, np.arange(x.shape[2]), interleaved=True)


@TESTS.case("positions")
def test_positions(ctx: Context) -> None:
    x = _x(ctx, np.float64)
    positions = np.sort(ctx.rng.choice(4096, size=x.shape[2], replace=False)).astype(np.int64)  # absolute, with gaps
    _apply(ctx, x, positions, interleaved=bool(ctx.rng.integers(2)))


@TESTS.case("base")
def test_base(ctx: Context) -> None:
    x = _x(ctx, np.float64, d=2 * ctx.size(3, 8))
    positions = np.arange(x.shape[2]) + ctx.size(100, 2000)
    _apply(ctx, x, positions.astype(np.int64), base=500000.0)  # Llama 3's base


@TESTS.case("small")
def test_small(ctx: Context) -> None:
    x = ctx.normal((ctx.size(1, 3), 2), np.float64)  # (L, d=2): one pair, no batch or head axes
    _apply(ctx, x, np.arange(x.shape[0]) + ctx.size(0, 50))


def _decode(ctx: Context, dtype: type, chunks: list[int], **kwargs: Any) -> None:
    b, h, d = ctx.size(1, 2), ctx.size(1, 3), 2 * ctx.size(2, 5)
    dv = ctx.size(2, 6)
    total = sum(chunks)
    q, k = ctx.normal((b, h, total, d), dtype), ctx.normal((b, h, total, d), dtype)
    v = ctx.normal((b, h, total, dv), dtype)
    k_cache, v_cache = np.zeros((b, h, 0, d), dtype), np.zeros((b, h, 0, dv), dtype)
    end = 0
    for n, new in enumerate(chunks, start=1):
        piece = slice(end, end + new)
        args = (q[:, :, piece], k[:, :, piece], v[:, :, piece], k_cache, v_cache)
        got = call(ctx, "rope_attention", *args, **kwargs)
        out, k_rot = check(ctx, got, rope_attention, DECODE_VARIANTS, *args, names=("out", "k_rotated"),
                           what=f"rope_attention, step {n} ({new} new after {end})", **kwargs)
        k_cache = np.concatenate([k_cache, k_rot], axis=2)  # the checker keeps the cache: rotated keys
        v_cache = np.concatenate([v_cache, v[:, :, piece]], axis=2)
        end += new


@TESTS.case("decode")
def test_decode(ctx: Context) -> None:
    _decode(ctx, np.float64, [ctx.size(2, 4), 1, ctx.size(2, 3), 1, 1])


@TESTS.case("decode_interleaved_f32")
def test_decode_interleaved_f32(ctx: Context) -> None:
    _decode(ctx, np.float32, [ctx.size(2, 4), 1, 1, ctx.size(2, 3)], interleaved=True, base=50000.0)

# every mistake, with the variant of apply_rope where it has one (the decode tests use DECODE_VARIANTS)
VARIANTS = {"positions_restart": None, "rotates_cache_again": None, **APPLY_VARIANTS}
ERRORS: dict[str, str] = {}
ORACLE = apply_rope
