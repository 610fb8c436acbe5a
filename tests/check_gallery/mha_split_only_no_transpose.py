"""Gallery: reshapes straight to (b, heads, l, hd) to split, but merges with the transpose."""

import numpy as np


def multi_head_attention(x, w_q, w_k, w_v, w_o, n_heads, mask=None):
    b, l, d = x.shape
    hd = d // n_heads

    def split(t):
        return t.reshape(b, n_heads, l, hd)

    q, k, v = split(x @ w_q), split(x @ w_k), split(x @ w_v)
    scores = q @ k.transpose(0, 1, 3, 2) / hd ** 0.5
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = e / e.sum(axis=-1, keepdims=True)
    out = (weights @ v).transpose(0, 2, 1, 3).reshape(b, l, d)
    return out @ w_o
