"""Adversarial: a full L x L matrix built in place (one 64 MiB buffer, no temporaries), checked after
the speed test has made the trusted child grow. The memory cap comes from the trusted child as it
was when it started, so the matrix still does not fit."""

import numpy as np


def _heads(t, n_heads):
    b, l, d = t.shape
    return t.reshape(b, l, n_heads, d // n_heads).transpose(0, 2, 1, 3)


class KVCache:
    def __init__(self):
        self.k = self.v = None

    def update(self, k, v):
        self.k = k if self.k is None else np.concatenate([self.k, k], axis=2)
        self.v = v if self.v is None else np.concatenate([self.v, v], axis=2)
        return self.k, self.v

    def __len__(self):
        return 0 if self.k is None else self.k.shape[2]


def decode_step(x, cache, w_q, w_k, w_v, w_o, n_heads):
    b, new, d = x.shape
    q = _heads(x @ w_q, n_heads)
    k, v = cache.update(_heads(x @ w_k, n_heads), _heads(x @ w_v, n_heads))
    total = k.shape[2]
    scores = q @ k.transpose(0, 1, 3, 2) / (d // n_heads) ** 0.5
    scores = np.where(np.tri(new, total, total - new, dtype=bool), scores, -np.inf)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    out = ((e / e.sum(axis=-1, keepdims=True)) @ v).transpose(0, 2, 1, 3).reshape(b, new, d)
    return out @ w_o


def flash_attention(q, k, v, block_size=64, causal=False):
    scores = q @ np.swapaxes(k, -1, -2)  # the one (..., L, L) buffer, then only in-place operations
    scores *= q.shape[-1] ** -0.5
    if causal:
        scores[..., ~np.tri(q.shape[-2], dtype=bool)] = -np.inf
    scores -= scores.max(axis=-1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=-1, keepdims=True)
    return scores @ v
