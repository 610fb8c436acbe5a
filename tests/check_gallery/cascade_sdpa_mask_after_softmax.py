"""Gallery: one bug in scaled_dot_product_attention (the mask applied after the softmax); softmax,
multi_head_attention, decode_step and grouped_query_attention are right but the last three call it, so they fail
too: the report says to fix scaled_dot_product_attention first."""

import numpy as np


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def scaled_dot_product_attention(q, k, v, mask=None):
    weights = softmax(q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1]).astype(q.dtype))
    if mask is not None:
        weights = weights * mask  # the bug: masked after the softmax, so the rows no longer sum to 1
    return weights @ v


def causal_mask(lq, lk=None):
    lk = lq if lk is None else lk
    return np.arange(lk)[None, :] <= np.arange(lq)[:, None] + (lk - lq)


def _heads(x, n):
    b, length, d = x.shape
    return x.reshape(b, length, n, d // n).transpose(0, 2, 1, 3)


def _merge(x):
    b, h, length, hd = x.shape
    return x.transpose(0, 2, 1, 3).reshape(b, length, h * hd)


def multi_head_attention(x, w_q, w_k, w_v, w_o, n_heads, mask=None):
    q, k, v = (_heads(x @ w, n_heads) for w in (w_q, w_k, w_v))
    return _merge(scaled_dot_product_attention(q, k, v, mask)) @ w_o


def grouped_query_attention(x, w_q, w_k, w_v, w_o, n_heads, n_kv_heads, mask=None):
    group = n_heads // n_kv_heads
    q = _heads(x @ w_q, n_heads)
    k, v = (np.repeat(_heads(x @ w, n_kv_heads), group, axis=1) for w in (w_k, w_v))
    return _merge(scaled_dot_product_attention(q, k, v, mask)) @ w_o


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
    q, k_new, v_new = (_heads(x @ w, n_heads) for w in (w_q, w_k, w_v))
    k, v = cache.update(k_new, v_new)
    return _merge(scaled_dot_product_attention(q, k, v, causal_mask(q.shape[2], k.shape[2]))) @ w_o
