"""Adversarial: freezes every clock in its own process, and its "cache" recomputes the whole prefix.

The checker times each call in its own process, so the speed test must still fail, saying the
prefix is recomputed.
"""

import time

import numpy as np

for name in ("perf_counter", "monotonic", "time", "process_time"):
    setattr(time, name, lambda: 0.0)
    setattr(time, name + "_ns", lambda: 0)


def _heads(t, n_heads):
    b, l, d = t.shape
    return t.reshape(b, l, n_heads, d // n_heads).transpose(0, 2, 1, 3)


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
    seen = np.concatenate(cache.inputs, axis=1)  # recompute everything, every step
    b, total, d = seen.shape
    q, k, v = _heads(seen @ w_q, n_heads), _heads(seen @ w_k, n_heads), _heads(seen @ w_v, n_heads)
    cache.k, cache.v = k, v
    scores = q @ k.transpose(0, 1, 3, 2) / (d // n_heads) ** 0.5
    scores = np.where(np.tri(total, dtype=bool), scores, -np.inf)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    out = ((e / e.sum(axis=-1, keepdims=True)) @ v).transpose(0, 2, 1, 3).reshape(b, total, d) @ w_o
    return out[:, -x.shape[1]:]
