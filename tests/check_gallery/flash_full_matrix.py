"""Gallery: right answer, but through the whole L x L matrix."""

import numpy as np


def flash_attention(q, k, v, block_size=64, causal=False):
    scores = q @ np.swapaxes(k, -1, -2) / q.shape[-1] ** 0.5  # (..., L, L): the whole matrix
    if causal:
        length = q.shape[-2]
        scores = np.where(np.tri(length, dtype=bool), scores, -np.inf)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True)) @ v
