"""Gallery: a row with no key becomes NaN."""

import numpy as np


def scaled_dot_product_attention(q, k, v, mask=None):
    scores = q @ np.swapaxes(k, -1, -2) / q.shape[-1] ** 0.5
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    top = np.max(scores, axis=-1, keepdims=True)
    e = np.exp(scores - top)
    total = np.sum(e, axis=-1, keepdims=True)
    weights = e / total
    return weights @ v
