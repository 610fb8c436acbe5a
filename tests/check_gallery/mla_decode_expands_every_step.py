"""Gallery: mla_decode with one mistake, expands_every_step."""

import numpy as np


def _rope(x, positions, base=10000.0):
    d = x.shape[-1]
    angles = positions[:, None].astype(np.float64) / base ** (np.arange(0, d, 2) / d)
    cos, sin = np.cos(angles).astype(x.dtype), np.sin(angles).astype(x.dtype)
    a, b = x[..., : d // 2], x[..., d // 2:]
    return np.concatenate([a * cos - b * sin, a * sin + b * cos], axis=-1)


def mla_decode(x, c_cache, kr_cache, w_dkv, w_uk, w_uv, w_kr, w_q, w_qr, w_o, n_heads):
    # right answer, but every step turns the whole latent cache back into per-head keys and values
    bsz, new, _ = x.shape
    t = c_cache.shape[1]
    d_rope = w_kr.shape[1]
    pos = np.arange(t, t + new)
    c_new = x @ w_dkv
    kr_new = _rope(x @ w_kr, pos)
    c = np.concatenate([c_cache, c_new], axis=1)
    kr = np.concatenate([kr_cache, kr_new], axis=1)
    split = lambda a: a.reshape(bsz, a.shape[1], n_heads, -1).transpose(0, 2, 1, 3)
    k_nope, v = split(c @ w_uk), split(c @ w_uv)  # (B, H, T, .) expanded at every call
    k = np.concatenate([k_nope, np.repeat(kr[:, None], n_heads, axis=1)], axis=-1)
    q = np.concatenate([split(x @ w_q), _rope(split(x @ w_qr), pos)], axis=-1)
    scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(q.shape[-1]).astype(x.dtype)
    scores = np.where(np.arange(t + new)[None, :] <= pos[:, None], scores, -np.inf)
    p = np.exp(scores - scores.max(-1, keepdims=True))
    o = (p / p.sum(-1, keepdims=True)) @ v
    return o.transpose(0, 2, 1, 3).reshape(bsz, new, -1) @ w_o, c_new, kr_new
