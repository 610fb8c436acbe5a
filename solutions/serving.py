"""Worked solutions of the eight serving exercises: `attnquiz check solutions/serving.py`.

RoPE, a sliding-window rolling buffer, a paged KV cache, speculative-decoding verification, the
attention backward pass, MLA decoding with absorbed projections, beam-search cache reordering and
linear attention. Each is written the way one would in an interview (NumPy only, loops where they
read better); the checker compares them with its own references. The eight core exercises are in
solutions/attention.py.
"""

import numpy as np


# --- rope ---


def apply_rope(x, positions, base=10000.0, interleaved=False):
    d = x.shape[-1]
    inv_freq = 1.0 / base ** (np.arange(0, d, 2, dtype=np.float64) / d)  # (d/2,) theta_i
    angles = np.asarray(positions, dtype=np.float64)[:, None] * inv_freq  # (L, d/2)
    if interleaved:
        cos = np.repeat(np.cos(angles), 2, axis=-1).astype(x.dtype)  # (L, d): c0 c0 c1 c1 ...
        sin = np.repeat(np.sin(angles), 2, axis=-1).astype(x.dtype)
        rotated = np.stack([-x[..., 1::2], x[..., 0::2]], axis=-1).reshape(x.shape)  # (-b, a) per pair
    else:
        cos = np.concatenate([np.cos(angles)] * 2, axis=-1).astype(x.dtype)  # (L, d): c0 .. c_{d/2-1} c0 ..
        sin = np.concatenate([np.sin(angles)] * 2, axis=-1).astype(x.dtype)
        rotated = np.concatenate([-x[..., d // 2:], x[..., : d // 2]], axis=-1)  # rotate_half
    return x * cos + rotated * sin  # (..., L, d)


def rope_attention(q, k, v, k_cache, v_cache, base=10000.0, interleaved=False):
    t, new = k_cache.shape[2], q.shape[2]
    positions = np.arange(t, t + new)
    q = apply_rope(q, positions, base, interleaved)
    k_rot = apply_rope(k, positions, base, interleaved)
    keys = np.concatenate([k_cache, k_rot], axis=2)  # (B, H, T, d)
    values = np.concatenate([v_cache, v], axis=2)
    scores = q @ np.swapaxes(keys, -1, -2) / np.sqrt(q.shape[-1]).astype(q.dtype)
    allowed = np.arange(t + new)[None, :] <= np.arange(t, t + new)[:, None]  # (new, T)
    scores = np.where(allowed, scores, -np.inf)
    w = np.exp(scores - scores.max(-1, keepdims=True))
    return (w / w.sum(-1, keepdims=True)) @ values, k_rot


# --- sliding_window_cache ---


def sliding_window_attention(q, k, v, k_buf, v_buf, pos):
    w, new = k_buf.shape[2], q.shape[2]
    past = np.arange(pos - w, pos)  # (W,) positions the buffer can hold; negative = never written
    keys = np.concatenate([k_buf[:, :, past % w], k], axis=2)  # (B, H, W + new, hd), oldest first
    values = np.concatenate([v_buf[:, :, past % w], v], axis=2)  # (B, H, W + new, dv)
    key_pos = np.concatenate([past, np.arange(pos, pos + new)])  # (W + new,)
    query_pos = np.arange(pos, pos + new)[:, None]  # (new, 1)
    allowed = (key_pos <= query_pos) & (key_pos > query_pos - w) & (key_pos >= 0)  # (new, W + new)
    scores = q @ np.swapaxes(keys, -1, -2) / np.sqrt(q.shape[-1]).astype(q.dtype)
    scores = np.where(allowed, scores, -np.inf)
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    out = (weights / weights.sum(-1, keepdims=True)) @ values
    for i in range(max(0, new - w), new):  # only the last W new tokens survive
        k_buf[:, :, (pos + i) % w] = k[:, :, i]
        v_buf[:, :, (pos + i) % w] = v[:, :, i]
    return out, k_buf, v_buf


# --- paged_kv_cache ---


class PagedKVCache:
    def __init__(self, num_blocks, block_size, n_heads, head_dim, dtype="float64"):
        self.block_size = block_size
        self.k_pool = np.zeros((num_blocks, n_heads, block_size, head_dim), dtype=dtype)
        self.v_pool = np.zeros_like(self.k_pool)
        self.free_list = list(range(num_blocks))
        self.ref_count = np.zeros(num_blocks, dtype=np.int64)
        self.tables = {}  # seq -> list of block ids
        self.lengths = {}  # seq -> number of tokens

    def _new_block(self):
        assert self.free_list, "out of blocks"
        block = self.free_list.pop()
        self.ref_count[block] = 1
        return block

    def _drop(self, block):
        self.ref_count[block] -= 1
        if self.ref_count[block] == 0:
            self.free_list.append(block)

    def append(self, seq, k, v):
        table = self.tables.setdefault(seq, [])
        length = self.lengths.get(seq, 0)
        for i in range(k.shape[1]):
            offset = length % self.block_size
            if offset == 0:
                table.append(self._new_block())
            elif self.ref_count[table[-1]] > 1:  # copy-on-write
                copy = self._new_block()
                self.k_pool[copy] = self.k_pool[table[-1]]
                self.v_pool[copy] = self.v_pool[table[-1]]
                self._drop(table[-1])
                table[-1] = copy
            self.k_pool[table[-1], :, offset] = k[:, i]
            self.v_pool[table[-1], :, offset] = v[:, i]
            length += 1
        self.lengths[seq] = length

    def gather(self, seq):
        n, table = self.lengths[seq], self.tables[seq]
        k = np.concatenate([self.k_pool[b] for b in table], axis=1)[:, :n]  # (H, n, hd)
        v = np.concatenate([self.v_pool[b] for b in table], axis=1)[:, :n]
        return k, v

    def block_table(self, seq):
        return np.array(self.tables[seq], dtype=np.int64)

    def free(self, seq):
        for block in self.tables.pop(seq):
            self._drop(block)
        del self.lengths[seq]

    def fork(self, parent, child):
        self.tables[child] = list(self.tables[parent])
        self.lengths[child] = self.lengths[parent]
        for block in self.tables[child]:
            self.ref_count[block] += 1

    def num_free_blocks(self):
        return len(self.free_list)

    def attention(self, q, seqs):
        out = np.zeros_like(q)
        for i, seq in enumerate(seqs):
            k, v = self.gather(seq)  # (H, n, hd)
            scores = np.einsum("hd,hnd->hn", q[i], k) / np.sqrt(q.shape[-1])
            w = np.exp(scores - scores.max(-1, keepdims=True))
            out[i] = np.einsum("hn,hnd->hd", w / w.sum(-1, keepdims=True), v)
        return out


# --- speculative_verify ---


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _sample(weights, u):
    return min(int(np.searchsorted(np.cumsum(weights), u * weights.sum(), side="right")), len(weights) - 1)


def speculative_verify(draft_tokens, draft_probs, target_logits, u_accept, u_sample, greedy=False):
    b, k = draft_tokens.shape
    p = _softmax(target_logits.astype(np.float64))  # (B, k+1, V)
    q = draft_probs.astype(np.float64)  # (B, k, V)
    n_accepted = np.zeros(b, dtype=np.int64)
    next_token = np.zeros(b, dtype=np.int64)
    for row in range(b):
        n = 0
        while n < k:
            x = draft_tokens[row, n]
            ok = x == p[row, n].argmax() if greedy else u_accept[row, n] < p[row, n, x] / q[row, n, x]
            if not ok:
                break
            n += 1
        n_accepted[row] = n
        if greedy:
            next_token[row] = p[row, n].argmax()
        elif n < k:
            next_token[row] = _sample(np.maximum(p[row, n] - q[row, n], 0.0), u_sample[row])
        else:
            next_token[row] = _sample(p[row, k], u_sample[row])  # bonus token
    return n_accepted, next_token


def crop_kv(k, v, n_draft, n_accepted):
    keep = k.shape[2] - (n_draft - n_accepted)
    return k[:, :, :keep], v[:, :, :keep]


# --- attention_backward ---


def attention_backward(q, k, v, d_out, causal=False):
    d = q.shape[-1]
    scale = 1.0 / np.sqrt(d)
    s = np.einsum("...id,...jd->...ij", q, k) * scale  # (..., Lq, Lk)
    if causal:
        lq, lk = q.shape[-2], k.shape[-2]
        s = np.where(np.tril(np.ones((lq, lk), dtype=bool), k=lk - lq), s, -np.inf)
    p = np.exp(s - s.max(-1, keepdims=True))
    p = p / p.sum(-1, keepdims=True)
    out = p @ v  # (..., Lq, dv)
    dv = np.einsum("...ij,...id->...jd", p, d_out)
    dp = np.einsum("...id,...jd->...ij", d_out, v)
    delta = np.sum(d_out * out, axis=-1, keepdims=True)  # rowsum(dP * P) = rowsum(dO * O)
    ds = p * (dp - delta)
    dq = np.einsum("...ij,...jd->...id", ds, k) * scale
    dk = np.einsum("...ij,...id->...jd", ds, q) * scale
    return dq.astype(q.dtype), dk.astype(k.dtype), dv.astype(v.dtype)


# --- mla_decode ---


def _rope(x, positions, base=10000.0):
    d = x.shape[-1]
    angles = positions[:, None].astype(np.float64) / base ** (np.arange(0, d, 2) / d)  # (L, d/2)
    cos, sin = np.cos(angles).astype(x.dtype), np.sin(angles).astype(x.dtype)
    a, b = x[..., : d // 2], x[..., d // 2:]
    return np.concatenate([a * cos - b * sin, a * sin + b * cos], axis=-1)


def mla_decode(x, c_cache, kr_cache, w_dkv, w_uk, w_uv, w_kr, w_q, w_qr, w_o, n_heads):
    bsz, new, _ = x.shape
    t = c_cache.shape[1]
    d_c, d_rope = w_dkv.shape[1], w_kr.shape[1]
    d_nope, d_v = w_q.shape[1] // n_heads, w_uv.shape[1] // n_heads
    pos = np.arange(t, t + new)
    c_new = x @ w_dkv  # (B, new, d_c)
    kr_new = _rope(x @ w_kr, pos)  # (B, new, d_rope)
    c = np.concatenate([c_cache, c_new], axis=1)  # (B, T, d_c)
    kr = np.concatenate([kr_cache, kr_new], axis=1)  # (B, T, d_rope)
    q_nope = (x @ w_q).reshape(bsz, new, n_heads, d_nope)  # (B, new, H, d_nope)
    q_rope = _rope((x @ w_qr).reshape(bsz, new, n_heads, d_rope).transpose(0, 2, 1, 3), pos)  # (B, H, new, d_rope)
    uk = w_uk.reshape(d_c, n_heads, d_nope)  # (d_c, H, d_nope)
    uv = w_uv.reshape(d_c, n_heads, d_v)  # (d_c, H, d_v)
    q_lat = np.einsum("bshn,chn->bhsc", q_nope, uk)  # (B, H, new, d_c)
    scores = np.einsum("bhsc,btc->bhst", q_lat, c) + np.einsum("bhsr,btr->bhst", q_rope, kr)
    scores = scores / np.sqrt(d_nope + d_rope).astype(x.dtype)
    allowed = np.arange(t + new)[None, :] <= pos[:, None]  # (new, T)
    scores = np.where(allowed, scores, -np.inf)
    p = np.exp(scores - scores.max(-1, keepdims=True))
    p = p / p.sum(-1, keepdims=True)
    o_lat = np.einsum("bhst,btc->bhsc", p, c)  # (B, H, new, d_c)
    o = np.einsum("bhsc,chv->bshv", o_lat, uv).reshape(bsz, new, n_heads * d_v)
    return o @ w_o, c_new, kr_new


# --- beam_reorder ---


def reorder_cache(k, v, parents):
    batch, beams = parents.shape
    rows = (parents + beams * np.arange(batch)[:, None]).ravel()  # global row of each new hypothesis's parent
    return np.take(k, rows, axis=1), np.take(v, rows, axis=1)


# --- linear_attention ---


def _phi(x):
    return np.where(x > 0, x + 1.0, np.exp(np.minimum(x, 0.0))).astype(x.dtype)  # elu(x) + 1


def linear_attention(q, k, v):
    fq, fk = _phi(q), _phi(k)
    kv = np.cumsum(np.einsum("bhld,bhle->bhlde", fk, v), axis=2)  # (B, H, L, d, dv)
    z = np.cumsum(fk, axis=2)  # (B, H, L, d)
    num = np.einsum("bhld,bhlde->bhle", fq, kv)
    den = np.einsum("bhld,bhld->bhl", fq, z)
    return num / den[..., None]


def linear_attention_step(q, k, v, state=None):
    b, h, new, d = q.shape
    if state is None:
        s = np.zeros((b, h, d, v.shape[-1]), dtype=q.dtype)
        z = np.zeros((b, h, d), dtype=q.dtype)
    else:
        s, z = state
    outs = []
    for i in range(new):
        fq, fk = _phi(q[:, :, i]), _phi(k[:, :, i])  # (B, H, d)
        s = s + np.einsum("bhd,bhe->bhde", fk, v[:, :, i])
        z = z + fk
        outs.append(np.einsum("bhd,bhde->bhe", fq, s) / np.einsum("bhd,bhd->bh", fq, z)[..., None])
    return np.stack(outs, axis=2), (s, z)
