"""Gallery: mla_decode with one mistake, absorption_reshape (the worked solution in solutions/serving.py with it put in)."""

import numpy as np


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
    uk = w_uk.reshape(n_heads, d_c, d_nope).transpose(1, 0, 2)  # (d_c, H, d_nope)
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
