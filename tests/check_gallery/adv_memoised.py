"""Adversarial: decode_step remembers its answers by position and shape and replays them.

Fast, and right for the first inputs it saw; but the checker draws fresh inputs for every
timed run and checks every output, so the speed test must fail on a wrong output.
"""

import numpy as np

_memo = {}


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
    key = (len(cache), x.shape, x.dtype.str)
    if key in _memo:
        cache.update(np.zeros_like(_heads(x @ w_k, n_heads)), np.zeros_like(_heads(x @ w_v, n_heads)))
        return _memo[key]
    b, new, d = x.shape
    q = _heads(x @ w_q, n_heads)
    k, v = cache.update(_heads(x @ w_k, n_heads), _heads(x @ w_v, n_heads))
    total = k.shape[2]
    scores = q @ k.transpose(0, 1, 3, 2) / (d // n_heads) ** 0.5
    scores = np.where(np.arange(total)[None, :] <= np.arange(new)[:, None] + (total - new), scores, -np.inf)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    out = ((e / e.sum(axis=-1, keepdims=True)) @ v).transpose(0, 2, 1, 3).reshape(b, new, d) @ w_o
    _memo[key] = out
    return out
