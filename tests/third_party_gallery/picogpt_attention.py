"""picoGPT's attention.

Origin: https://github.com/jaymody/picoGPT, gpt2.py (softmax, attention),
commit 817292baea75f194fb0bb8ba2aa5f947af4e45ee.
Adapted: picoGPT's attention takes an additive mask (0 / -1e10, as its mha builds it); the
exercise's boolean mask is turned into that form, and None into 0. Body verbatim.
True verdict: scaled_dot_product_attention errors: every test has a batch dimension and
`k.T` reverses all axes of a (..., Lk, dk) array (mistake: k_transposed). Written for 2-D inputs
only; with batched keys its additive -1e10 mask would also turn a row with no key into the
mean of v instead of zeros.
"""

import numpy as np


def softmax(x):
    exp_x = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return exp_x / np.sum(exp_x, axis=-1, keepdims=True)


def attention(q, k, v, mask):  # [n_q, d_k], [n_k, d_k], [n_k, d_v], [n_q, n_k] -> [n_q, d_v]
    return softmax(q @ k.T / np.sqrt(q.shape[-1]) + mask) @ v


def scaled_dot_product_attention(q, k, v, mask=None):
    additive = 0.0 if mask is None else (1 - mask.astype(q.dtype)) * -1e10  # picoGPT's form of a mask
    return attention(q, k, v, additive)
