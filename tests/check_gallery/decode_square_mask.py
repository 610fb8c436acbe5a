"""Gallery: the causal mask sliced as [:new, :new] (as LLMs-from-scratch did before its PR #697):
single steps and a first prefill pass, a chunk of several tokens after a prefix raises."""

import numpy as np


def _heads(t, n_heads):
    b, l, d = t.shape
    return t.reshape(b, l, n_heads, d // n_heads).transpose(0, 2, 1, 3)


class KVCache:
    def __init__(self):
        self.k = None
        self.v = None

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
    causal = np.tril(np.ones((1024, 1024), dtype=bool))  # (context, context), built once in real code
    mask = causal[:new, :new]  # right for a prefill and for single steps, not for a chunk after a prefix
    scores = q @ k.transpose(0, 1, 3, 2) / (d // n_heads) ** 0.5
    scores = np.where(mask, scores, -np.inf)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    out = ((e / e.sum(axis=-1, keepdims=True)) @ v).transpose(0, 2, 1, 3).reshape(b, new, d)
    return out @ w_o
