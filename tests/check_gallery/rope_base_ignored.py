"""Gallery: rope with one mistake, base_ignored (the worked solution in solutions/serving.py with it put in)."""

import numpy as np


def apply_rope(x, positions, base=10000.0, interleaved=False):
    d = x.shape[-1]
    inv_freq = 1.0 / 10000.0 ** (np.arange(0, d, 2, dtype=np.float64) / d)  # (d/2,) theta_i
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
