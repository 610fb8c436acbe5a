"""Gallery: tril from the top-left corner: query i sees keys 0..i only."""

import numpy as np


class KVCache:
    def __init__(self):
        self.k = None
        self.v = None

    def update(self, k, v):
        if self.k is None:
            self.k, self.v = k, v
        else:
            self.k = np.concatenate([self.k, k], axis=2)
            self.v = np.concatenate([self.v, v], axis=2)
        return self.k, self.v

    def __len__(self):
        return 0 if self.k is None else self.k.shape[2]


def _heads(t, n_heads):
    b, l, d = t.shape
    return t.reshape(b, l, n_heads, d // n_heads).transpose(0, 2, 1, 3)


def decode_step(x, cache, w_q, w_k, w_v, w_o, n_heads):
    b, new, d = x.shape
    hd = d // n_heads
    q = _heads(x @ w_q, n_heads)
    k_new, v_new = _heads(x @ w_k, n_heads), _heads(x @ w_v, n_heads)
    k, v = cache.update(k_new, v_new)
    total = k.shape[2]
    mask = np.arange(total)[None, :] <= np.arange(new)[:, None]
    scores = q @ k.transpose(0, 1, 3, 2) / hd ** 0.5
    scores = np.where(mask, scores, -np.inf)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    out = (e / e.sum(axis=-1, keepdims=True)) @ v
    out = out.transpose(0, 2, 1, 3).reshape(b, new, d)
    return out @ w_o
