"""sliding_window_cache: a rolling buffer of W slots (slot = position mod W, Mistral 7B v0.1) and windowed attention."""

from __future__ import annotations

import numpy as np

from quiz.check.unit import Context, Tests, Wrong
from quiz.i18n import t

from quiz.check.exercises._parts import Variants, axis_length, call, check

# --- reference ---


def attention(q, k, v, mask):
    scores = q @ np.swapaxes(k, -1, -2) / q.shape[-1] ** 0.5  # (B, H, new, W + new)
    scores = np.where(mask, scores, -np.inf)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))  # every query sees at least itself
    return (e / e.sum(axis=-1, keepdims=True)) @ v  # (B, H, new, dv)


def window_mask(key_positions, query_positions, w):
    kp, qp = key_positions[None, :], query_positions[:, None]
    return (kp <= qp) & (kp > qp - w) & (kp >= 0)  # (new, keys): the last w positions up to the query


def write(k_buf, v_buf, k, v, pos):
    w, new = k_buf.shape[2], k.shape[2]
    k_buf, v_buf = k_buf.copy(), v_buf.copy()
    kept = np.arange(max(pos, pos + new - w), pos + new)  # (<= W,) the new positions that stay in the buffer
    k_buf[:, :, kept % w] = k[:, :, kept - pos]  # slot = position mod W
    v_buf[:, :, kept % w] = v[:, :, kept - pos]
    return k_buf, v_buf


def sliding_window_attention(q, k, v, k_buf, v_buf, pos):
    w, new = k_buf.shape[2], q.shape[2]
    old = np.arange(pos - w, pos)  # (W,) the positions the buffer may hold (negative: never written)
    keys = np.concatenate([k_buf[:, :, old % w], k], axis=2)  # (B, H, W + new, hd) in position order
    values = np.concatenate([v_buf[:, :, old % w], v], axis=2)  # (B, H, W + new, dv)
    key_positions = np.concatenate([old, np.arange(pos, pos + new)])  # (W + new,)
    out = attention(q, keys, values, window_mask(key_positions, np.arange(pos, pos + new), w))  # (B, H, new, dv)
    return (out, *write(k_buf, v_buf, k, v, pos))


# --- known mistakes ---


def _with(q, k, v, k_buf, v_buf, pos, *, mask=window_mask, read_order=None, write_order="slots"):
    w, new = k_buf.shape[2], q.shape[2]
    old = np.arange(pos - w, pos)
    slots = old % w if read_order is None else read_order
    keys = np.concatenate([k_buf[:, :, slots], k], axis=2)
    values = np.concatenate([v_buf[:, :, slots], v], axis=2)
    key_positions = np.concatenate([old, np.arange(pos, pos + new)])
    out = attention(q, keys, values, mask(key_positions, np.arange(pos, pos + new), w))
    if write_order == "slots":
        return (out, *write(k_buf, v_buf, k, v, pos))
    # a buffer kept in position order: shift left and put the newest last
    everything_k = np.concatenate([k_buf[:, :, old % w], k], axis=2)[:, :, -w:]
    everything_v = np.concatenate([v_buf[:, :, old % w], v], axis=2)[:, :, -w:]
    return out, everything_k, everything_v


def swa_window_plus_one(q, k, v, k_buf, v_buf, pos):
    return _with(q, k, v, k_buf, v_buf, pos, mask=lambda kp, qp, w: window_mask(kp, qp, w + 1))


def swa_buffer_order(q, k, v, k_buf, v_buf, pos):
    w = k_buf.shape[2]
    return [_with(q, k, v, k_buf, v_buf, pos, read_order=np.arange(w)),  # slot s read as if it held pos - W + s
            _with(q, k, v, k_buf, v_buf, pos, write_order="shifted")]  # the buffer kept in position order


def swa_window_not_aligned(q, k, v, k_buf, v_buf, pos):
    if q.shape[2] == 1:
        return None
    last, first = pos + q.shape[2] - 1, pos

    def to_last(kp, qp, w):  # one window for the whole chunk, ending at its last query
        return (kp[None, :] <= qp[:, None]) & (kp[None, :] > last - w) & (kp[None, :] >= 0)

    def to_first(kp, qp, w):  # one window for the whole chunk, starting from its first query
        return (kp[None, :] <= qp[:, None]) & (kp[None, :] > first - w) & (kp[None, :] >= 0)

    return [_with(q, k, v, k_buf, v_buf, pos, mask=to_last), _with(q, k, v, k_buf, v_buf, pos, mask=to_first)]


def swa_empty_slots_attended(q, k, v, k_buf, v_buf, pos):
    if pos >= k_buf.shape[2]:
        return None
    return _with(q, k, v, k_buf, v_buf, pos, mask=lambda kp, qp, w: (kp[None, :] <= qp[:, None]) &
                 (kp[None, :] > qp[:, None] - w))


VARIANTS: Variants = {
    "window_plus_one": swa_window_plus_one,
    "buffer_order": swa_buffer_order,
    "window_not_aligned": swa_window_not_aligned,
    "empty_slots_attended": swa_empty_slots_attended,
    "buffer_grows": None,  # recognised by the buffer's size
}

# --- tests ---

TESTS = Tests()



def _run(ctx: Context, chunks: list[int], window: int, dtype: type = np.float64) -> None:
    b, h, hd = ctx.size(1, 2), ctx.size(1, 3), ctx.size(2, 5)
    dv = hd + ctx.size(0, 2)
    total = sum(chunks)
    q, k = ctx.normal((b, h, total, hd), dtype), ctx.normal((b, h, total, hd), dtype)
    v = ctx.normal((b, h, total, dv), dtype)
    k_buf, v_buf = np.zeros((b, h, window, hd), dtype), np.zeros((b, h, window, dv), dtype)
    pos = 0
    for n, new in enumerate(chunks, start=1):
        piece = slice(pos, pos + new)
        args = (q[:, :, piece], k[:, :, piece], v[:, :, piece], k_buf, v_buf, pos)
        got = call(ctx, "sliding_window_attention", *args)
        if isinstance(got, (tuple, list)) and len(got) == 3:
            for name, part in zip(("k_buf", "v_buf"), got[1:]):
                slots = axis_length(part, 2)
                if slots is not None and slots != window:
                    raise Wrong(t("exercise.swa_grows", name=name, slots=slots, window=window, total=pos + new),
                                diagnosis="buffer_grows")
        _, k_buf, v_buf = check(ctx, got, sliding_window_attention, VARIANTS, *args, names=("out", "k_buf", "v_buf"),
                                what=t("exercise.at_chunk", n=n, new=new, pos=pos))
        pos += new


@TESTS.case("steps")
def test_steps(ctx: Context) -> None:
    window = ctx.size(3, 5)
    _run(ctx, [1] * (window + ctx.size(2, 4)), window)


@TESTS.case("prefill_then_steps")
def test_prefill_then_steps(ctx: Context) -> None:
    window = ctx.size(4, 6)
    _run(ctx, [ctx.size(2, window - 1)] + [1] * (window + 1), window)


@TESTS.case("long_prefill")
def test_long_prefill(ctx: Context) -> None:
    window = ctx.size(3, 5)
    _run(ctx, [window + ctx.size(2, 5), 1, 1], window)  # a prefill longer than the window


@TESTS.case("chunks")
def test_chunks(ctx: Context) -> None:
    window = ctx.size(4, 6)
    _run(ctx, [ctx.size(2, 3), window - 1, 1, ctx.size(2, window), 3, window + 1], window)


@TESTS.case("float32")
def test_float32(ctx: Context) -> None:
    window = ctx.size(3, 4)
    _run(ctx, [2, 1, 3, 1, 1, window], window, np.float32)


@TESTS.case("window_1")
def test_window_1(ctx: Context) -> None:
    _run(ctx, [1, 2, 1, 3], 1)


@TESTS.case("memory")
def test_memory(ctx: Context) -> None:
    """After 4W positions the buffer still has W slots, its size checked after every call: two single steps,
    a chunk of 3W - 3 positions (longer than the buffer: it wraps twice), then W + 1 single steps, a whole turn
    of the buffer and one more (12 calls rather than 4W = 32; each call costs a round trip)."""
    window = 8
    _run(ctx, [1, 1, 3 * window - 3] + [1] * (window + 1), window)

ERRORS: dict[str, str] = {}
ORACLE = sliding_window_attention
