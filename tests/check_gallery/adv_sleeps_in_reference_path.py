"""Adversarial: its own multi_head_attention (what a naive checker would time as the no-cache
baseline) sleeps, while decode_step recomputes the whole prefix. The checker times the
baseline with its trusted reference, so the speed test must still fail."""

import time

import numpy as np


def _heads(t, n_heads):
    b, l, d = t.shape
    return t.reshape(b, l, n_heads, d // n_heads).transpose(0, 2, 1, 3)


def _attention(x, w_q, w_k, w_v, w_o, n_heads, mask):
    b, l, d = x.shape
    q, k, v = _heads(x @ w_q, n_heads), _heads(x @ w_k, n_heads), _heads(x @ w_v, n_heads)
    scores = q @ k.transpose(0, 1, 3, 2) / (d // n_heads) ** 0.5
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return ((e / e.sum(axis=-1, keepdims=True)) @ v).transpose(0, 2, 1, 3).reshape(b, l, d) @ w_o


def multi_head_attention(x, w_q, w_k, w_v, w_o, n_heads, mask=None):
    time.sleep(0.05)  # the "reference path": slow on purpose
    return _attention(x, w_q, w_k, w_v, w_o, n_heads, mask)


class KVCache:
    def __init__(self):
        self.k = self.v = None
        self.inputs = []

    def update(self, k, v):
        self.k = k if self.k is None else np.concatenate([self.k, k], axis=2)
        self.v = v if self.v is None else np.concatenate([self.v, v], axis=2)
        return self.k, self.v

    def __len__(self):
        return 0 if self.k is None else self.k.shape[2]


def decode_step(x, cache, w_q, w_k, w_v, w_o, n_heads):
    cache.inputs.append(x)
    seen = np.concatenate(cache.inputs, axis=1)
    new, total = x.shape[1], seen.shape[1]
    cache.update(_heads(x @ w_k, n_heads), _heads(x @ w_v, n_heads))
    return _attention(seen, w_q, w_k, w_v, w_o, n_heads, np.tri(total, dtype=bool))[:, -new:]
