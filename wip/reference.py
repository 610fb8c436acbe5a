"""Scratch references of the eight new exercises (phase A: to be moved into the checker's units).

Each is the textbook formula, one line of NumPy per step, shapes in comments.
"""

from __future__ import annotations

import numpy as np


def causal_mask(lq, lk=None):
    lk = lq if lk is None else lk
    return np.arange(lk)[None, :] <= np.arange(lq)[:, None] + (lk - lq)  # (lq, lk)


def attention(q, k, v, mask=None, scale=None):
    scale = q.shape[-1] ** -0.5 if scale is None else scale
    scores = q @ np.swapaxes(k, -1, -2) * scale  # (..., Lq, Lk)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)  # (..., Lq, Lk)
    top = np.max(scores, axis=-1, keepdims=True)  # (..., Lq, 1)
    e = np.exp(scores - np.where(np.isfinite(top), top, 0))  # (..., Lq, Lk)
    total = np.sum(e, axis=-1, keepdims=True)  # (..., Lq, 1)
    return (e / np.where(total > 0, total, 1)) @ v  # (..., Lq, dv)


# --- 1. rope -------------------------------------------------------------------------------


def rope_angles(positions, d, base=10000.0):
    inv_freq = float(base) ** (-np.arange(0, d, 2, dtype=np.float64) / d)  # (d/2,) theta_i = base^(-2i/d)
    return np.asarray(positions, dtype=np.float64)[..., None] * inv_freq  # (..., L, d/2) in float64


def apply_rope(x, positions, base=10000.0, interleaved=False):
    d = x.shape[-1]
    angles = rope_angles(positions, d, base)  # (L, d/2)
    cos, sin = np.cos(angles).astype(x.dtype), np.sin(angles).astype(x.dtype)  # (L, d/2)
    if interleaved:  # RoFormer, GPT-J, Meta's Llama: pairs (2i, 2i+1)
        x1, x2 = x[..., 0::2], x[..., 1::2]  # (..., L, d/2)
        out = np.empty_like(x)  # (..., L, d)
        out[..., 0::2] = x1 * cos - x2 * sin
        out[..., 1::2] = x1 * sin + x2 * cos
        return out
    x1, x2 = x[..., : d // 2], x[..., d // 2:]  # GPT-NeoX, Hugging Face: pairs (i, i + d/2)
    return np.concatenate([x1 * cos - x2 * sin, x1 * sin + x2 * cos], axis=-1)  # (..., L, d)


def rope_attention(q, k, v, k_cache, v_cache, base=10000.0, interleaved=False):
    start, new = k_cache.shape[2], q.shape[2]
    positions = np.arange(start, start + new)  # (new,) absolute positions of the new tokens
    q_rot = apply_rope(q, positions, base, interleaved)  # (B, H, new, d)
    k_rot = apply_rope(k, positions, base, interleaved)  # (B, H, new, d): only the new keys are rotated
    keys = np.concatenate([k_cache, k_rot], axis=2)  # (B, H, total, d), the cache holds rotated keys
    values = np.concatenate([v_cache, v], axis=2)  # (B, H, total, dv)
    out = attention(q_rot, keys, values, causal_mask(new, start + new))  # (B, H, new, dv)
    return out, k_rot


# --- 2. sliding_window_cache ---------------------------------------------------------------


def sliding_window_attention(q, k, v, k_buf, v_buf, pos, window):
    new, w = q.shape[2], window
    old = np.arange(pos - w, pos)  # (W,) the positions the buffer can hold before this call
    slots = old % w  # (W,) where each of them lives: slot = position mod W
    positions = np.concatenate([old, np.arange(pos, pos + new)])  # (W + new,)
    keys = np.concatenate([k_buf[:, :, slots], k], axis=2)  # (B, H, W + new, hd) in position order
    values = np.concatenate([v_buf[:, :, slots], v], axis=2)  # (B, H, W + new, dv)
    p = np.arange(pos, pos + new)[:, None]  # (new, 1) query positions
    mask = (positions[None, :] <= p) & (positions[None, :] > p - w) & (positions[None, :] >= 0)  # (new, W + new)
    out = attention(q, keys, values, mask)  # (B, H, new, dv)
    k_buf, v_buf = k_buf.copy(), v_buf.copy()
    keep = np.arange(max(pos, pos + new - w), pos + new)  # (<= W,) the new positions that stay
    k_buf[:, :, keep % w] = k[:, :, keep - pos]  # slot = position mod W
    v_buf[:, :, keep % w] = v[:, :, keep - pos]
    return out, k_buf, v_buf


# --- 3. paged_kv_cache ---------------------------------------------------------------------


class PagedKVCache:
    """A pool of fixed-size blocks; each sequence has a block table (PagedAttention)."""

    def __init__(self, num_blocks, block_size, n_heads, head_dim, dtype="float64"):
        self.block_size = block_size
        self.k = np.zeros((num_blocks, n_heads, block_size, head_dim), dtype=dtype)  # (N, H, bs, hd)
        self.v = np.zeros_like(self.k)  # (N, H, bs, hd)
        self.free_blocks = list(range(num_blocks))[::-1]  # pop() hands out block 0 first
        self.refs = [0] * num_blocks  # how many sequences use each block
        self.tables: dict = {}  # sequence -> list of block ids
        self.lengths: dict = {}  # sequence -> number of tokens

    def _take(self):
        assert self.free_blocks, "no free block left in the pool"
        block = self.free_blocks.pop()
        self.refs[block] = 1
        return block

    def _release(self, block):
        self.refs[block] -= 1
        if self.refs[block] == 0:
            self.free_blocks.append(block)

    def append(self, seq, k, v):
        assert k.shape == v.shape[:-1] + k.shape[-1:] and k.ndim == 3, f"k {k.shape}, v {v.shape}: (H, new, hd)"
        table = self.tables.setdefault(seq, [])
        n = self.lengths.get(seq, 0)
        for i in range(k.shape[1]):
            slot = n % self.block_size
            if slot == 0:
                table.append(self._take())  # the last block is full (or there is none): a fresh block
            elif self.refs[table[-1]] > 1:  # a shared partial block: copy it before writing (copy-on-write)
                block = self._take()
                self.k[block], self.v[block] = self.k[table[-1]], self.v[table[-1]]
                self._release(table[-1])
                table[-1] = block
            self.k[table[-1], :, slot] = k[:, i]
            self.v[table[-1], :, slot] = v[:, i]
            n += 1
        self.lengths[seq] = n

    def gather(self, seq):
        table, n = self.tables[seq], self.lengths[seq]
        k = self.k[table].transpose(1, 0, 2, 3).reshape(self.k.shape[1], -1, self.k.shape[3])  # (H, blocks*bs, hd)
        v = self.v[table].transpose(1, 0, 2, 3).reshape(self.v.shape[1], -1, self.v.shape[3])
        return k[:, :n], v[:, :n]  # (H, n, hd) each

    def block_table(self, seq):
        return np.array(self.tables[seq], dtype=np.int64)  # (ceil(n / bs),)

    def free(self, seq):
        for block in self.tables.pop(seq):
            self._release(block)
        del self.lengths[seq]

    def fork(self, parent, child):
        self.tables[child] = list(self.tables[parent])
        self.lengths[child] = self.lengths[parent]
        for block in self.tables[child]:
            self.refs[block] += 1

    def num_free_blocks(self):
        return len(self.free_blocks)

    def attention(self, q, seqs):
        out = np.empty_like(q)  # (n, H, hd): one query per sequence
        for i, seq in enumerate(seqs):
            k, v = self.gather(seq)  # (H, len, hd)
            out[i] = attention(q[i][:, None], k, v)[:, 0]  # (H, hd)
        return out


# --- 4. speculative_verify -----------------------------------------------------------------


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def sample(probs, u):
    """Inverse-CDF sampling: the first token whose cumulative probability exceeds u * total."""
    cdf = np.cumsum(probs, axis=-1)  # (B, V)
    return np.minimum((cdf <= u[:, None] * cdf[:, -1:]).sum(axis=-1), probs.shape[-1] - 1)  # (B,)


def speculative_verify(draft_tokens, draft_probs, target_logits, u_accept, u_sample, greedy=False):
    b, k = draft_tokens.shape
    p = softmax(target_logits.astype(np.float64))  # (B, k+1, V) target distributions
    rows = np.arange(b)
    if greedy:
        accepted = draft_tokens == p[:, :k].argmax(axis=-1)  # (B, k)
    else:
        q = draft_probs.astype(np.float64)  # (B, k, V)
        p_x = np.take_along_axis(p[:, :k], draft_tokens[..., None], axis=-1)[..., 0]  # (B, k) p_i(x_i)
        q_x = np.take_along_axis(q, draft_tokens[..., None], axis=-1)[..., 0]  # (B, k) q_i(x_i)
        accepted = u_accept < p_x / q_x  # (B, k): accept with probability min(1, p/q)
    n = np.cumprod(accepted, axis=1).sum(axis=1)  # (B,) accepted until the first rejection
    p_n = p[rows, n]  # (B, V) the target distribution at the first rejected (or bonus) position
    if greedy:
        return n.astype(np.int64), p_n.argmax(axis=-1).astype(np.int64)
    q_pad = np.concatenate([q, np.zeros_like(q[:, :1])], axis=1)  # (B, k+1, V): no draft at the bonus position
    residual = np.maximum(p_n - q_pad[rows, n], 0)  # (B, V) max(0, p - q); equals p at the bonus position
    return n.astype(np.int64), sample(residual, u_sample).astype(np.int64)


def crop_kv(k, v, n_draft, n_accepted):
    keep = k.shape[2] - n_draft + n_accepted  # the prefix and the accepted draft tokens
    return k[:, :, :keep], v[:, :, :keep]  # (B, H, keep, hd)


# --- 5. attention_backward -----------------------------------------------------------------


def attention_backward(q, k, v, d_out, causal=False):
    scale = q.shape[-1] ** -0.5
    scores = q @ np.swapaxes(k, -1, -2) * scale  # (..., Lq, Lk)
    if causal:
        scores = np.where(causal_mask(q.shape[-2], k.shape[-2]), scores, -np.inf)
    p = softmax(scores)  # (..., Lq, Lk)
    dv = np.swapaxes(p, -1, -2) @ d_out  # (..., Lk, dv)
    dp = d_out @ np.swapaxes(v, -1, -2)  # (..., Lq, Lk)
    ds = p * (dp - np.sum(dp * p, axis=-1, keepdims=True))  # (..., Lq, Lk) the softmax Jacobian
    dq = ds @ k * scale  # (..., Lq, d)
    dk = np.swapaxes(ds, -1, -2) @ q * scale  # (..., Lk, d)
    return dq, dk, dv


# --- 6. mla_decode -------------------------------------------------------------------------


def mla_naive(x, c_cache, kr_cache, w_dkv, w_uk, w_uv, w_kr, w_q, w_qr, w_o, n_heads):
    """MLA the long way: expand every cached latent into per-head keys and values."""
    b, new, _ = x.shape
    start, d_r = c_cache.shape[1], w_kr.shape[1]
    positions = np.arange(start, start + new)
    c_new = x @ w_dkv  # (B, new, d_c) the only per-head-free thing cached
    kr_new = apply_rope(x @ w_kr, positions)  # (B, new, d_r) the decoupled RoPE key, shared by all heads
    c = np.concatenate([c_cache, c_new], axis=1)  # (B, T, d_c)
    kr = np.concatenate([kr_cache, kr_new], axis=1)  # (B, T, d_r)
    t = c.shape[1]
    heads = lambda a: a.reshape(b, a.shape[1], n_heads, -1).transpose(0, 2, 1, 3)  # (B, H, L, hd)
    k_nope = heads(c @ w_uk)  # (B, H, T, d_n)
    values = heads(c @ w_uv)  # (B, H, T, d_v)
    k_full = np.concatenate([k_nope, np.broadcast_to(kr[:, None], (b, n_heads, t, d_r))], axis=-1)  # (B, H, T, d_n+d_r)
    q_nope = heads(x @ w_q)  # (B, H, new, d_n)
    q_rope = apply_rope(heads(x @ w_qr), positions)  # (B, H, new, d_r)
    q_full = np.concatenate([q_nope, q_rope], axis=-1)  # (B, H, new, d_n + d_r)
    out = attention(q_full, k_full, values, causal_mask(new, t))  # (B, H, new, d_v)
    return out.transpose(0, 2, 1, 3).reshape(b, new, -1) @ w_o, c_new, kr_new  # (B, new, D)


def mla_decode(x, c_cache, kr_cache, w_dkv, w_uk, w_uv, w_kr, w_q, w_qr, w_o, n_heads):
    """MLA with the up-projections absorbed: attention runs on the latents themselves."""
    b, new, _ = x.shape
    start, d_c = c_cache.shape[1], w_dkv.shape[1]
    d_n, d_r = w_q.shape[1] // n_heads, w_kr.shape[1]
    positions = np.arange(start, start + new)
    c_new = x @ w_dkv  # (B, new, d_c)
    kr_new = apply_rope(x @ w_kr, positions)  # (B, new, d_r)
    c = np.concatenate([c_cache, c_new], axis=1)  # (B, T, d_c)
    kr = np.concatenate([kr_cache, kr_new], axis=1)  # (B, T, d_r)
    uk = w_uk.reshape(d_c, n_heads, d_n).transpose(1, 0, 2)  # (H, d_c, d_n)
    uv = w_uv.reshape(d_c, n_heads, -1).transpose(1, 0, 2)  # (H, d_c, d_v)
    q_nope = (x @ w_q).reshape(b, new, n_heads, d_n).transpose(0, 2, 1, 3)  # (B, H, new, d_n)
    q_rope = apply_rope((x @ w_qr).reshape(b, new, n_heads, d_r).transpose(0, 2, 1, 3), positions)  # (B, H, new, d_r)
    q_latent = q_nope @ np.swapaxes(uk, -1, -2)  # (B, H, new, d_c): W_uk absorbed into the query
    scores = (q_latent @ np.swapaxes(c, -1, -2)[:, None] + q_rope @ np.swapaxes(kr, -1, -2)[:, None])  # (B, H, new, T)
    scores = scores * (d_n + d_r) ** -0.5
    scores = np.where(causal_mask(new, c.shape[1]), scores, -np.inf)
    weights = softmax(scores)  # (B, H, new, T)
    latent_out = weights @ c[:, None]  # (B, H, new, d_c)
    out = latent_out @ uv  # (B, H, new, d_v): W_uv applied after the attention
    return out.transpose(0, 2, 1, 3).reshape(b, new, -1) @ w_o, c_new, kr_new  # (B, new, D)


# --- 7. beam_reorder -----------------------------------------------------------------------


def reorder_cache(k, v, parents):
    batch, beams = parents.shape
    rows = (parents + np.arange(batch)[:, None] * beams).reshape(-1)  # (batch*beams,) global parent rows
    return k[:, rows], v[:, rows]  # (layers, batch*beams, H, L, hd): a gather, so repeated parents are copies


# --- 8. linear_attention -------------------------------------------------------------------


def elu_plus_one(x):
    return np.where(x > 0, x + 1, np.exp(np.minimum(x, 0)))  # elu(x) + 1 > 0


def linear_attention(q, k, v):
    fq, fk = elu_plus_one(q), elu_plus_one(k)  # (B, H, L, d)
    s = np.cumsum(fk[..., :, None] * v[..., None, :], axis=2)  # (B, H, L, d, dv) S_i = sum_{j<=i} phi(k_j) v_j^T
    z = np.cumsum(fk, axis=2)  # (B, H, L, d) z_i = sum_{j<=i} phi(k_j)
    num = np.einsum("bhld,bhlde->bhle", fq, s)  # (B, H, L, dv)
    den = np.einsum("bhld,bhld->bhl", fq, z)[..., None]  # (B, H, L, 1)
    return num / den


def linear_attention_step(q, k, v, state=None):
    b, h, new, d = q.shape
    s, z = state if state is not None else (np.zeros((b, h, d, v.shape[-1]), q.dtype), np.zeros((b, h, d), q.dtype))
    out = np.empty(q.shape[:-1] + v.shape[-1:], dtype=q.dtype)  # (B, H, new, dv)
    for i in range(new):
        fq, fk = elu_plus_one(q[:, :, i]), elu_plus_one(k[:, :, i])  # (B, H, d)
        s = s + fk[..., :, None] * v[:, :, i, None, :]  # (B, H, d, dv)
        z = z + fk  # (B, H, d)
        out[:, :, i] = np.einsum("bhd,bhde->bhe", fq, s) / np.einsum("bhd,bhd->bh", fq, z)[..., None]
    return out, (s, z)
