"""A deliberately slower but real KV cache, for bench/bench_check.py: it stores keys and values and
never recomputes the prefix, but attends head by head in a Python loop and projects the new
token twice, a constant overhead per step."""

import numpy as np


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
    hd = d // n_heads
    for _ in range(2):  # the constant overhead
        q = (x @ w_q).reshape(b, new, n_heads, hd).transpose(0, 2, 1, 3)
    k, v = cache.update((x @ w_k).reshape(b, new, n_heads, hd).transpose(0, 2, 1, 3),
                        (x @ w_v).reshape(b, new, n_heads, hd).transpose(0, 2, 1, 3))
    total = k.shape[2]
    mask = np.tril(np.ones((new, total), dtype=bool), k=total - new)
    heads = []
    for h in range(n_heads):
        scores = q[:, h] @ k[:, h].transpose(0, 2, 1) / hd ** 0.5
        scores = np.where(mask, scores, -np.inf)
        e = np.exp(scores - scores.max(axis=-1, keepdims=True))
        heads.append((e / e.sum(axis=-1, keepdims=True)) @ v[:, h])
    return np.concatenate(heads, axis=-1) @ w_o
