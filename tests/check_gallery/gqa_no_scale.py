"""Gallery: no 1/sqrt(hd)."""

import numpy as np


def _heads(t, n):
    b, l, d = t.shape
    return t.reshape(b, l, n, d // n).transpose(0, 2, 1, 3)


def grouped_query_attention(x, w_q, w_k, w_v, w_o, n_heads, n_kv_heads, mask=None):
    b, l, d = x.shape
    hd = d // n_heads
    q = _heads(x @ w_q, n_heads)
    k = _heads(x @ w_k, n_kv_heads)
    v = _heads(x @ w_v, n_kv_heads)
    k = np.repeat(k, n_heads // n_kv_heads, axis=1)
    v = np.repeat(v, n_heads // n_kv_heads, axis=1)
    scores = q @ k.transpose(0, 1, 3, 2)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    out = ((e / e.sum(axis=-1, keepdims=True)) @ v).transpose(0, 2, 1, 3).reshape(b, l, d)
    return out @ w_o
