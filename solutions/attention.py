"""Worked solutions to every `attnquiz check` exercise, written to be read.

Check them yourself:   attnquiz check solutions/attention.py

Shapes in the comments: B batch, H heads, L sequence length, D model width,
hd = D // H the width of one head, Lq / Lk query and key lengths.
"""

import numpy as np


# 1. softmax ------------------------------------------------------------------------------
# softmax(x)_i = exp(x_i) / sum_j exp(x_j). Subtracting the maximum first changes nothing
# (the factor exp(-max) cancels) but keeps every exponent <= 0, so exp never overflows,
# even for logits of 1e4. An entry of -inf becomes exp(-inf) = 0: probability 0.

def softmax(x, axis=-1):
    shifted = x - np.max(x, axis=axis, keepdims=True)  # same shape as x, max along axis is 0
    e = np.exp(shifted)  # same shape, every value in [0, 1]
    return e / np.sum(e, axis=axis, keepdims=True)  # same shape, sums to 1 along axis


# 2. causal mask --------------------------------------------------------------------------
# The queries are the last lq of lk positions: query i sits at absolute position
# i + (lk - lq), and may look at every key up to and including that position.
# With lq == lk this is the usual lower triangle; when decoding one token (lq = 1) it is a
# single row of True.

def causal_mask(lq, lk=None):
    lk = lq if lk is None else lk
    query_pos = np.arange(lq)[:, None] + (lk - lq)  # (lq, 1) absolute positions of the queries
    key_pos = np.arange(lk)[None, :]  # (1, lk)
    return key_pos <= query_pos  # (lq, lk) bool, True = may attend


# 3. scaled dot-product attention ---------------------------------------------------------
# softmax(q k^T / sqrt(dk)) v. Dividing by sqrt(dk) keeps the scores' variance near 1 for
# unit-variance q and k, so the softmax does not saturate as dk grows.
# Masked scores become -inf before the softmax. A row with no allowed key would be
# exp(-inf - (-inf)) = NaN, so we take the row max only where it is finite and return zeros
# for such rows (their sum of exponentials is 0), as PyTorch does.

def scaled_dot_product_attention(q, k, v, mask=None):
    dk = q.shape[-1]
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(dk).astype(q.dtype)  # (..., Lq, Lk)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)  # (..., Lq, Lk), mask broadcasts
    row_max = np.max(scores, axis=-1, keepdims=True)  # (..., Lq, 1), -inf if nothing allowed
    row_max = np.where(np.isfinite(row_max), row_max, 0)  # (..., Lq, 1)
    e = np.exp(scores - row_max)  # (..., Lq, Lk), exactly 0 where masked
    total = np.sum(e, axis=-1, keepdims=True)  # (..., Lq, 1)
    weights = e / np.where(total == 0, 1, total)  # (..., Lq, Lk), a row with no key stays 0
    return weights @ v  # (..., Lq, dv)


# 4. multi-head attention -----------------------------------------------------------------
# Project once with the full (D, D) matrices, then cut the last axis into H heads of width
# hd. The reshape gives (B, L, H, hd); the transpose moves the heads in front of the
# sequence, (B, H, L, hd), so every head attends over its own positions. Merging undoes
# both steps in reverse order before the output projection.

def split_heads(x, n_heads):
    b, length, d = x.shape
    return x.reshape(b, length, n_heads, d // n_heads).transpose(0, 2, 1, 3)  # (B, H, L, hd)


def merge_heads(x):
    b, h, length, hd = x.shape
    return x.transpose(0, 2, 1, 3).reshape(b, length, h * hd)  # (B, L, D)


def multi_head_attention(x, w_q, w_k, w_v, w_o, n_heads, mask=None):
    q = split_heads(x @ w_q, n_heads)  # (B, H, L, hd)
    k = split_heads(x @ w_k, n_heads)  # (B, H, L, hd)
    v = split_heads(x @ w_v, n_heads)  # (B, H, L, hd)
    heads = scaled_dot_product_attention(q, k, v, mask)  # (B, H, L, hd); mask broadcasts over H
    return merge_heads(heads) @ w_o  # (B, L, D)


# 5. KV cache -----------------------------------------------------------------------------
# When generating, the keys and values of earlier tokens never change, so we keep them.
# This cache preallocates room and doubles it when full, so appending a token costs
# O(1) amortised instead of copying the whole history each step (np.concatenate would).
# The arrays live on the instance (created in update), never on the class.

class KVCache:
    def __init__(self, capacity=128):
        self.capacity = capacity
        self.k = None  # (B, H, capacity, hd) after the first update
        self.v = None
        self.length = 0

    def update(self, k, v):
        assert k.shape == v.shape, f"k {k.shape} and v {v.shape} differ"
        new = k.shape[2]
        if self.k is None:
            b, h, _, hd = k.shape
            self.k = np.zeros((b, h, max(self.capacity, new), hd), dtype=k.dtype)  # (B, H, cap, hd)
            self.v = np.zeros_like(self.k)
        while self.length + new > self.k.shape[2]:  # full: double the room
            self.k = np.concatenate([self.k, np.zeros_like(self.k)], axis=2)  # (B, H, 2 cap, hd)
            self.v = np.concatenate([self.v, np.zeros_like(self.v)], axis=2)
        self.k[:, :, self.length:self.length + new] = k
        self.v[:, :, self.length:self.length + new] = v
        self.length += new
        return self.k[:, :, :self.length], self.v[:, :, :self.length]  # (B, H, total, hd) each

    def __len__(self):
        return self.length


# 6. decoding with the cache --------------------------------------------------------------
# Only the new tokens are projected: their queries attend over every cached key and value.
# The mask is causal_mask(new, total): the new queries are the LAST positions, so during a
# prefill of several tokens each sees the tokens before it, and a single decoding step
# (new = 1) sees everything. Per step this costs O(D^2 + total * D) instead of recomputing
# O(total * D^2 + total^2 * D) for the whole prefix.

def decode_step(x, cache, w_q, w_k, w_v, w_o, n_heads):
    q = split_heads(x @ w_q, n_heads)  # (B, H, new, hd)
    k_new = split_heads(x @ w_k, n_heads)  # (B, H, new, hd)
    v_new = split_heads(x @ w_v, n_heads)  # (B, H, new, hd)
    k, v = cache.update(k_new, v_new)  # (B, H, total, hd) each
    mask = causal_mask(q.shape[2], k.shape[2])  # (new, total), aligned to the end
    heads = scaled_dot_product_attention(q, k, v, mask)  # (B, H, new, hd)
    return merge_heads(heads) @ w_o  # (B, new, D)


# 7. grouped-query attention --------------------------------------------------------------
# n_kv_heads key/value heads serve n_heads query heads in groups of n_heads // n_kv_heads:
# query head h reads kv head h // group. np.repeat makes [kv0, kv0, kv1, kv1] (each head
# repeated in place), which is that mapping; np.tile would make [kv0, kv1, kv0, kv1].
# (A real implementation would broadcast instead of copying; the result is the same.)

def grouped_query_attention(x, w_q, w_k, w_v, w_o, n_heads, n_kv_heads, mask=None):
    group = n_heads // n_kv_heads
    q = split_heads(x @ w_q, n_heads)  # (B, H, L, hd)
    k = split_heads(x @ w_k, n_kv_heads)  # (B, KV, L, hd)
    v = split_heads(x @ w_v, n_kv_heads)  # (B, KV, L, hd)
    k = np.repeat(k, group, axis=1)  # (B, H, L, hd)
    v = np.repeat(v, group, axis=1)  # (B, H, L, hd)
    return merge_heads(scaled_dot_product_attention(q, k, v, mask)) @ w_o  # (B, L, D)


# 8. FlashAttention -----------------------------------------------------------------------
# Walk over the keys in blocks, keeping for each query a running max m, a running sum s of
# exp(score - m) and an accumulator acc of exp(score - m) @ v. When a new block raises the
# max from m to m_new, everything summed so far was relative to the old max, so it is
# rescaled by exp(m - m_new). After the last block acc / s is the exact softmax(...) @ v,
# and memory holds only (block, block) scores, never (L, L).
# With causal=True, key blocks entirely after the query block are skipped, and inside a
# block the mask compares absolute positions.

def flash_attention(q, k, v, block_size=64, causal=False):
    length, d = q.shape[-2], q.shape[-1]
    scale = d ** -0.5  # a Python float: float32 inputs stay float32
    out = np.empty(q.shape[:-1] + v.shape[-1:], dtype=q.dtype)  # (..., L, dv)
    for q0 in range(0, length, block_size):
        q_blk = q[..., q0:q0 + block_size, :] * scale  # (..., bq, d)
        bq = q_blk.shape[-2]
        m = np.full(q_blk.shape[:-1] + (1,), -np.inf, dtype=q.dtype)  # (..., bq, 1) running max
        s = np.zeros_like(m)  # (..., bq, 1) running sum
        acc = np.zeros(q_blk.shape[:-1] + v.shape[-1:], dtype=q.dtype)  # (..., bq, dv)
        k_end = min(length, q0 + bq) if causal else length
        for k0 in range(0, k_end, block_size):
            k_blk = k[..., k0:k0 + block_size, :]  # (..., bk, d)
            v_blk = v[..., k0:k0 + block_size, :]  # (..., bk, dv)
            scores = q_blk @ np.swapaxes(k_blk, -1, -2)  # (..., bq, bk)
            if causal:
                q_pos = np.arange(q0, q0 + bq)[:, None]  # (bq, 1) absolute positions
                k_pos = np.arange(k0, k0 + k_blk.shape[-2])[None, :]  # (1, bk)
                scores = np.where(k_pos <= q_pos, scores, -np.inf)  # (..., bq, bk)
            m_new = np.maximum(m, np.max(scores, axis=-1, keepdims=True))  # (..., bq, 1)
            p = np.exp(scores - m_new)  # (..., bq, bk)
            rescale = np.exp(m - m_new)  # (..., bq, 1), 0 on the first block
            s = s * rescale + np.sum(p, axis=-1, keepdims=True)  # (..., bq, 1)
            acc = acc * rescale + p @ v_blk  # (..., bq, dv)
            m = m_new
        out[..., q0:q0 + bq, :] = acc / s  # (..., bq, dv)
    return out
