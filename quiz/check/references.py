"""The hidden, trusted NumPy references the checker compares solutions with.

Each function is the textbook formula, one line of NumPy per step, with the shape of every
array in a comment. This module imports nothing but NumPy: the checker also loads it, by
path, into a separate trusted child process for the KV-cache speed test and to measure a
clean child's address space for the flash-attention memory test.
"""

from __future__ import annotations

import numpy as np


def softmax(x, axis=-1):
    shifted = x - np.max(x, axis=axis, keepdims=True)  # (...), the row max is 0: exp never overflows
    e = np.exp(shifted)  # (...), exp(-inf) = 0
    return e / np.sum(e, axis=axis, keepdims=True)  # (...)


def causal_mask(lq, lk=None):
    lk = lq if lk is None else lk
    i = np.arange(lq)[:, None]  # (lq, 1) query positions, the last lq of lk
    j = np.arange(lk)[None, :]  # (1, lk) key positions
    return j <= i + (lk - lq)  # (lq, lk) True = may attend


def scaled_dot_product_attention(q, k, v, mask=None):
    scores = q @ np.swapaxes(k, -1, -2) / q.shape[-1] ** 0.5  # (..., Lq, Lk), a Python float keeps the dtype
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)  # (..., Lq, Lk)
    top = np.max(scores, axis=-1, keepdims=True)  # (..., Lq, 1), -inf for a row with no key
    top = np.where(np.isfinite(top), top, 0)  # (..., Lq, 1)
    e = np.exp(scores - top)  # (..., Lq, Lk), 0 where masked
    total = np.sum(e, axis=-1, keepdims=True)  # (..., Lq, 1), 0 for a row with no key
    weights = e / np.where(total > 0, total, 1)  # (..., Lq, Lk), all 0 for a row with no key
    return weights @ v  # (..., Lq, dv)


def split_heads(x, n_heads):
    b, l, d = x.shape
    return x.reshape(b, l, n_heads, d // n_heads).transpose(0, 2, 1, 3)  # (B, H, L, hd)


def merge_heads(x):
    b, h, l, hd = x.shape
    return x.transpose(0, 2, 1, 3).reshape(b, l, h * hd)  # (B, L, H*hd)


def multi_head_attention(x, w_q, w_k, w_v, w_o, n_heads, mask=None):
    q = split_heads(x @ w_q, n_heads)  # (B, H, L, hd)
    k = split_heads(x @ w_k, n_heads)  # (B, H, L, hd)
    v = split_heads(x @ w_v, n_heads)  # (B, H, L, hd)
    heads = scaled_dot_product_attention(q, k, v, mask)  # (B, H, L, hd)
    return merge_heads(heads) @ w_o  # (B, L, D)


class KVCache:
    """Keys and values of every position so far, preallocated and doubled when full."""

    def __init__(self, capacity=64):
        self.capacity = capacity
        self.k = self.v = None  # (B, H, capacity, hd) once the first update arrives
        self.n = 0

    def update(self, k, v):
        assert k.shape == v.shape and k.ndim == 4, f"k {k.shape} and v {v.shape} must both be (B, H, new, hd)"
        new = k.shape[2]
        if self.k is None:
            b, h, _, hd = k.shape
            self.k = np.empty((b, h, max(self.capacity, new), hd), dtype=k.dtype)  # (B, H, cap, hd)
            self.v = np.empty_like(self.k)  # (B, H, cap, hd)
        if self.n + new > self.k.shape[2]:
            grow = max(self.k.shape[2], new)
            self.k = np.concatenate([self.k, np.empty_like(self.k[:, :, :grow])], axis=2)  # (B, H, 2cap, hd)
            self.v = np.concatenate([self.v, np.empty_like(self.v[:, :, :grow])], axis=2)  # (B, H, 2cap, hd)
        self.k[:, :, self.n:self.n + new] = k
        self.v[:, :, self.n:self.n + new] = v
        self.n += new
        return self.k[:, :, :self.n], self.v[:, :, :self.n]  # (B, H, total, hd) each

    def reset(self):
        self.n = 0

    def __len__(self):
        return self.n


def decode_step(x, cache, w_q, w_k, w_v, w_o, n_heads):
    q = split_heads(x @ w_q, n_heads)  # (B, H, new, hd) queries of the new tokens only
    k, v = cache.update(split_heads(x @ w_k, n_heads), split_heads(x @ w_v, n_heads))  # (B, H, total, hd)
    mask = causal_mask(q.shape[2], k.shape[2])  # (new, total), aligned to the end
    return merge_heads(scaled_dot_product_attention(q, k, v, mask)) @ w_o  # (B, new, D)


def grouped_query_attention(x, w_q, w_k, w_v, w_o, n_heads, n_kv_heads, mask=None):
    q = split_heads(x @ w_q, n_heads)  # (B, H, L, hd)
    k = split_heads(x @ w_k, n_kv_heads)  # (B, KV, L, hd)
    v = split_heads(x @ w_v, n_kv_heads)  # (B, KV, L, hd)
    group = n_heads // n_kv_heads
    k = np.repeat(k, group, axis=1)  # (B, H, L, hd): query head h reads kv head h // group
    v = np.repeat(v, group, axis=1)  # (B, H, L, hd)
    return merge_heads(scaled_dot_product_attention(q, k, v, mask)) @ w_o  # (B, L, D)


def flash_attention(q, k, v, block_size=64, causal=False):
    *lead, length, d = q.shape
    scale = d ** -0.5
    out = np.zeros(q.shape[:-1] + v.shape[-1:], dtype=q.dtype)  # (..., L, dv)
    for qs in range(0, length, block_size):
        qb = q[..., qs:qs + block_size, :] * scale  # (..., bq, d)
        m = np.full(qb.shape[:-1] + (1,), -np.inf, dtype=q.dtype)  # (..., bq, 1) running max
        s = np.zeros_like(m)  # (..., bq, 1) running sum of exp
        acc = np.zeros(qb.shape[:-1] + (v.shape[-1],), dtype=q.dtype)  # (..., bq, dv)
        last = min(length, qs + block_size) if causal else length
        for ks in range(0, last, block_size):
            scores = qb @ np.swapaxes(k[..., ks:ks + block_size, :], -1, -2)  # (..., bq, bk)
            if causal:
                allowed = causal_mask(length)[qs:qs + block_size, ks:ks + block_size]  # (bq, bk)
                scores = np.where(allowed, scores, -np.inf)  # (..., bq, bk)
            m_new = np.maximum(m, scores.max(axis=-1, keepdims=True))  # (..., bq, 1)
            p = np.exp(scores - m_new)  # (..., bq, bk)
            correction = np.exp(m - m_new)  # (..., bq, 1) rescales what was summed so far
            s = s * correction + p.sum(axis=-1, keepdims=True)  # (..., bq, 1)
            acc = acc * correction + p @ v[..., ks:ks + block_size, :]  # (..., bq, dv)
            m = m_new
        out[..., qs:qs + block_size, :] = acc / s  # (..., bq, dv)
    return out


# --- used by the checker only (the trusted child of the speed and memory tests) ---


def recompute_last(x, w_q, w_k, w_v, w_o, n_heads):
    """The no-cache baseline: causal multi-head attention over the whole prefix, keeping the last row.

    A lean implementation (every causal row has a key, so no guard for empty rows), so that the
    baseline is not slower than it needs to be and speedups are not inflated.
    """
    q = split_heads(x @ w_q, n_heads)  # (B, H, L, hd)
    k = split_heads(x @ w_k, n_heads)  # (B, H, L, hd)
    v = split_heads(x @ w_v, n_heads)  # (B, H, L, hd)
    scores = q @ np.swapaxes(k, -1, -2) / q.shape[-1] ** 0.5  # (B, H, L, L)
    scores = np.where(causal_mask(x.shape[1]), scores, -np.inf)  # (B, H, L, L)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))  # (B, H, L, L)
    heads = (e / e.sum(axis=-1, keepdims=True)) @ v  # (B, H, L, hd)
    return (merge_heads(heads) @ w_o)[:, -1:]  # (B, 1, D)


def recompute_steps(x, start, stop, w_q, w_k, w_v, w_o, n_heads):
    """recompute_last for every position start..stop-1 of x (1, L, D), in this trusted child's own loop;
    the outputs side by side, (B, stop - start, D), so that they cross the pipe as one array."""
    return np.concatenate([recompute_last(x[:, :t + 1], w_q, w_k, w_v, w_o, n_heads) for t in range(start, stop)],
                          axis=1)


def address_space_bytes():
    """This process's virtual memory size (Linux), the quantity RLIMIT_AS limits."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[0])
    import resource

    return pages * resource.getpagesize()
