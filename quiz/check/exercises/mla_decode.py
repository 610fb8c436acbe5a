"""mla_decode: multi-head latent attention decoding (DeepSeek-V2): cache the latent and the decoupled RoPE key,
absorb the up-projections into the query and the output."""

from __future__ import annotations

import statistics
import time
from typing import Any

import numpy as np

from quiz.check.unit import Context, Tests, Wrong
from quiz.i18n import t

from quiz.check.exercises._parts import Variants, axis_length, call, check, child_cpu_clock

# --- reference ---


def apply_rope(x, positions, base=10000.0):
    d = x.shape[-1]
    angles = np.asarray(positions, np.float64)[:, None] * base ** (-np.arange(0, d, 2) / d)  # (L, d/2)
    cos, sin = np.cos(angles).astype(x.dtype), np.sin(angles).astype(x.dtype)
    x1, x2 = x[..., : d // 2], x[..., d // 2:]  # half-split pairs (i, i + d/2)
    return np.concatenate([x1 * cos - x2 * sin, x1 * sin + x2 * cos], axis=-1)


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def causal_mask(lq, lk):
    return np.arange(lk)[None, :] <= np.arange(lq)[:, None] + (lk - lq)  # (lq, lk)


def heads(a, n_heads):
    b, length, _ = a.shape
    return a.reshape(b, length, n_heads, -1).transpose(0, 2, 1, 3)  # (B, H, L, hd)


def mla_naive(x, c_cache, kr_cache, w_dkv, w_uk, w_uv, w_kr, w_q, w_qr, w_o, n_heads):
    """The long way: expand every cached latent into per-head keys and values, then plain attention."""
    b, new, _ = x.shape
    start = c_cache.shape[1]
    positions = np.arange(start, start + new)
    c_new = x @ w_dkv  # (B, new, d_c): the latent, the same for every head
    kr_new = apply_rope(x @ w_kr, positions)  # (B, new, d_r): the decoupled RoPE key, shared by the heads
    c = np.concatenate([c_cache, c_new], axis=1)  # (B, T, d_c)
    kr = np.concatenate([kr_cache, kr_new], axis=1)  # (B, T, d_r)
    keys = np.concatenate([heads(c @ w_uk, n_heads), np.broadcast_to(kr[:, None], (b, n_heads) + kr.shape[1:])],
                          axis=-1)  # (B, H, T, d_n + d_r)
    values = heads(c @ w_uv, n_heads)  # (B, H, T, d_v)
    queries = np.concatenate([heads(x @ w_q, n_heads), apply_rope(heads(x @ w_qr, n_heads), positions)],
                             axis=-1)  # (B, H, new, d_n + d_r)
    scores = queries @ np.swapaxes(keys, -1, -2) / queries.shape[-1] ** 0.5  # (B, H, new, T)
    weights = softmax(np.where(causal_mask(new, c.shape[1]), scores, -np.inf))  # (B, H, new, T)
    out = (weights @ values).transpose(0, 2, 1, 3).reshape(b, new, -1)  # (B, new, H * d_v)
    return out @ w_o, c_new, kr_new


def mla_decode(x, c_cache, kr_cache, w_dkv, w_uk, w_uv, w_kr, w_q, w_qr, w_o, n_heads, *, absorb_uk=None,
               absorb_uv=None, scale_dim=None, rope_latent=False, first=None):
    """MLA with W_uk absorbed into the query and W_uv applied after the attention (keyword arguments: mistakes)."""
    b, new, _ = x.shape
    start = c_cache.shape[1] if first is None else first
    d_c, d_r = w_dkv.shape[1], w_kr.shape[1]
    d_n = w_q.shape[1] // n_heads
    positions = np.arange(start, start + new)
    c_new = x @ w_dkv  # (B, new, d_c)
    if rope_latent:
        c_new = apply_rope(c_new, positions)
    kr_new = apply_rope(x @ w_kr, positions)  # (B, new, d_r)
    c = np.concatenate([c_cache, c_new], axis=1)  # (B, T, d_c)
    kr = np.concatenate([kr_cache, kr_new], axis=1)  # (B, T, d_r)
    uk = w_uk.reshape(d_c, n_heads, d_n).transpose(1, 0, 2) if absorb_uk is None else absorb_uk(w_uk)  # (H, d_c, d_n)
    uv = w_uv.reshape(d_c, n_heads, -1).transpose(1, 0, 2) if absorb_uv is None else absorb_uv(w_uv)  # (H, d_c, d_v)
    q_nope = heads(x @ w_q, n_heads)  # (B, H, new, d_n)
    q_rope = apply_rope(heads(x @ w_qr, n_heads), positions)  # (B, H, new, d_r)
    q_latent = q_nope @ np.swapaxes(uk, -1, -2)  # (B, H, new, d_c): W_uk absorbed into the query
    scores = q_latent @ np.swapaxes(c, -1, -2)[:, None] + q_rope @ np.swapaxes(kr, -1, -2)[:, None]  # (B, H, new, T)
    scores = scores / (d_n + d_r if scale_dim is None else scale_dim) ** 0.5  # the query-key dimension d_n + d_r
    weights = softmax(np.where(causal_mask(new, c.shape[1]), scores, -np.inf))  # (B, H, new, T)
    out = (weights @ c[:, None]) @ uv  # (B, H, new, d_c) -> (B, H, new, d_v): W_uv after the attention
    return out.transpose(0, 2, 1, 3).reshape(b, new, -1) @ w_o, c_new, kr_new  # (B, new, D)


# --- known mistakes ---


def _plain_reshape(w, n_heads):
    d_c = w.shape[0]
    return w.reshape(n_heads, d_c, -1)  # memory order (d_c, H, hd) read as (H, d_c, hd): the heads are mixed up


def mla_absorption_reshape(x, c_cache, kr_cache, w_dkv, w_uk, w_uv, w_kr, w_q, w_qr, w_o, n_heads):
    if n_heads == 1:
        return None
    args = (x, c_cache, kr_cache, w_dkv, w_uk, w_uv, w_kr, w_q, w_qr, w_o, n_heads)
    uk, uv = (lambda w: _plain_reshape(w, n_heads)), (lambda w: _plain_reshape(w, n_heads))
    return [mla_decode(*args, absorb_uk=uk), mla_decode(*args, absorb_uv=uv), mla_decode(*args, absorb_uk=uk,
                                                                                          absorb_uv=uv)]


def mla_wrong_scale(x, c_cache, kr_cache, w_dkv, w_uk, w_uv, w_kr, w_q, w_qr, w_o, n_heads):
    args = (x, c_cache, kr_cache, w_dkv, w_uk, w_uv, w_kr, w_q, w_qr, w_o, n_heads)
    d_n = w_q.shape[1] // n_heads
    return [mla_decode(*args, scale_dim=w_dkv.shape[1]), mla_decode(*args, scale_dim=d_n)]


def mla_rope_on_latent(x, c_cache, kr_cache, w_dkv, w_uk, w_uv, w_kr, w_q, w_qr, w_o, n_heads):
    return mla_decode(x, c_cache, kr_cache, w_dkv, w_uk, w_uv, w_kr, w_q, w_qr, w_o, n_heads, rope_latent=True)


def mla_positions_restart(x, c_cache, kr_cache, w_dkv, w_uk, w_uv, w_kr, w_q, w_qr, w_o, n_heads):
    if c_cache.shape[1] == 0:
        return None
    return mla_decode(x, c_cache, kr_cache, w_dkv, w_uk, w_uv, w_kr, w_q, w_qr, w_o, n_heads, first=0)


VARIANTS: Variants = {
    "caches_expanded": None,  # recognised by the size of what it returns to cache
    "rope_on_latent": mla_rope_on_latent,
    "absorption_reshape": mla_absorption_reshape,
    "wrong_scale": mla_wrong_scale,
    "positions_restart": mla_positions_restart,
    "expands_every_step": None,  # recognised by the time test
}
NAMES = ("out", "c_new", "kr_new")

# --- tests ---

TESTS = Tests()



def _shapes(d_model: int, h: int, d_c: int, d_n: int, d_r: int, d_v: int) -> list[tuple[int, int]]:
    """w_dkv, w_uk, w_uv, w_kr, w_q, w_qr, w_o."""
    return [(d_model, d_c), (d_c, h * d_n), (d_c, h * d_v), (d_model, d_r), (d_model, h * d_n), (d_model, h * d_r),
            (h * d_v, d_model)]


def _weights(ctx: Context, d_model: int, h: int, d_c: int, d_n: int, d_r: int, d_v: int, dtype: type):
    return [ctx.weights(*shape, dtype) for shape in _shapes(d_model, h, d_c, d_n, d_r, d_v)]


def _dims(ctx: Context, heads: int | None = None) -> dict[str, int]:
    h = int(ctx.rng.choice([2, 3, 4])) if heads is None else heads
    while True:
        dims = dict(h=h, d_c=2 * ctx.size(3, 6), d_n=ctx.size(2, 5), d_r=2 * ctx.size(1, 3), d_v=ctx.size(2, 5),
                    d_model=h * ctx.size(3, 5))
        expanded = {h * dims["d_n"], h * dims["d_v"], h * (dims["d_n"] + dims["d_r"]), dims["d_r"]}
        scales = {dims["d_n"], dims["d_n"] + dims["d_r"]}
        if dims["d_c"] not in expanded | scales:  # the latent's size never equals another one by chance
            return dims


def _expect_entry_sizes(got: Any, d_c: int, d_r: int, dims: dict[str, int], cached: int) -> None:
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        return
    sizes = (axis_length(got[1], -1), axis_length(got[2], -1))
    if sizes[0] not in (None, d_c) or sizes[1] not in (None, d_r):
        h = dims["h"]
        expanded = h * (dims["d_n"] + dims["d_r"] + dims["d_v"])
        raise Wrong(t("exercise.mla_entry", got=sizes, d_c=d_c, d_r=d_r, expanded=expanded),
                    diagnosis="caches_expanded")


def _run(ctx: Context, chunks: list[int], dtype: type = np.float64, heads: int | None = None) -> None:
    dims = _dims(ctx, heads)
    b = ctx.size(1, 2)
    w = _weights(ctx, dims["d_model"], dims["h"], dims["d_c"], dims["d_n"], dims["d_r"], dims["d_v"], dtype)
    x = ctx.normal((b, sum(chunks), dims["d_model"]), dtype)
    c_cache, kr_cache = np.zeros((b, 0, dims["d_c"]), dtype), np.zeros((b, 0, dims["d_r"]), dtype)
    end = 0
    for n, new in enumerate(chunks, start=1):
        args = (x[:, end:end + new], c_cache, kr_cache, *w, dims["h"])
        got = call(ctx, "mla_decode", *args)
        _expect_entry_sizes(got, dims["d_c"], dims["d_r"], dims, end)
        _, c_new, kr_new = check(ctx, got, mla_naive, VARIANTS, *args, names=NAMES,
                                 what=t("exercise.at_chunk", n=n, new=new, pos=end))
        c_cache = np.concatenate([c_cache, c_new], axis=1)  # the checker keeps the cache: latents only
        kr_cache = np.concatenate([kr_cache, kr_new], axis=1)
        end += new


@TESTS.case("decode")
def test_decode(ctx: Context) -> None:
    _run(ctx, [ctx.size(2, 4), 1, 1, ctx.size(2, 3), 1])


@TESTS.case("float32")
def test_float32(ctx: Context) -> None:
    _run(ctx, [ctx.size(2, 3), 1, 1], np.float32)


@TESTS.case("one_head")
def test_one_head(ctx: Context) -> None:
    _run(ctx, [2, 1, 1], heads=1)


@TESTS.case("memory")
def test_memory(ctx: Context) -> None:
    """DeepSeek-V2-like proportions: what is cached per token is d_c + d_rope numbers, not the expanded heads."""
    _run(ctx, [4] + [1] * 8, heads=8)


# --- the up-projections are absorbed: no expansion of the whole cache at every step ---
# The solution's own CPU time per step at two head dimensions: absorbed, a step costs about T x H x d_c
# whatever d_nope and d_v are; expanding the cache costs T x d_c x H x (d_nope + d_v), 16 times more at the
# larger size. No reference is timed, so the machine's speed and load cancel out.

# d_model sizes only W_q and W_o, whose cost grows with the head dimension in any solution (x W_q is
# d_model x H x d_nope): a small one leaves more of each step to what the test is about, and makes the
# weights the checker draws and sends (1.1 M numbers, 4.5 MiB) a third of what d_model = 512 needs.

CACHED = 1024
SMALL, LARGE = 16, 256  # d_nope = d_v
TIME_DIMS = dict(h=8, d_c=128, d_r=32, d_model=128)
CALLS = 3
GROWTH = 4.0  # the larger head dimension may cost this many times the smaller...
SLACK = 1e-3  # ...plus this many seconds




def _float32_weights(ctx: Context, d_model: int, h: int, d_c: int, d_n: int, d_r: int, d_v: int) -> list[np.ndarray]:
    """Float32 weights of _weights' variance (1 / d_in), uniform: drawing them costs a fifth of normal ones."""
    return [(ctx.rng.random(shape, dtype=np.float32) - np.float32(0.5)) * np.float32((12 / shape[0]) ** 0.5)
            for shape in _shapes(d_model, h, d_c, d_n, d_r, d_v)]


@TESTS.case("absorbed")
def test_absorbed(ctx: Context) -> dict[str, Any] | None:
    d, box = TIME_DIMS, ctx.sandbox
    c_cache = ctx.normal((1, CACHED, d["d_c"]), np.float32)
    kr_cache = ctx.normal((1, CACHED, d["d_r"]), np.float32)
    caches = [box.put(c_cache), box.put(kr_cache)]  # kept in the child, for both sizes: only x crosses
    setups = {}
    for head_dim in (SMALL, LARGE):
        w = _float32_weights(ctx, d["d_model"], d["h"], d["d_c"], head_dim, d["d_r"], head_dim)
        setups[head_dim] = (w, caches + [box.put(a) for a in w])
    clock = child_cpu_clock(box)
    seconds: dict[int, list[float]] = {SMALL: [], LARGE: []}
    for _ in range(CALLS):
        for head_dim, (w, stored) in setups.items():
            x = ctx.normal((1, 1, d["d_model"]), np.float32)
            start_cpu, start = (time.clock_gettime(clock) if clock is not None else None), time.perf_counter()
            got = box.call("mla_decode", x, *stored, d["h"])
            seconds[head_dim].append(time.clock_gettime(clock) - start_cpu if clock is not None
                                     else time.perf_counter() - start)
            check(ctx, got, mla_decode, VARIANTS, x, c_cache, kr_cache, *w, d["h"], names=NAMES)  # absorbed: cheap
    small, large = (statistics.median(seconds[size]) for size in (SMALL, LARGE))
    if large > GROWTH * small + SLACK:
        raise Wrong(t("exercise.mla_slow", cached=CACHED, small=SMALL, large=LARGE, small_ms=small * 1e3,
                      large_ms=large * 1e3), diagnosis="expands_every_step")
    return None

ERRORS: dict[str, str] = {}
ORACLE = mla_naive
