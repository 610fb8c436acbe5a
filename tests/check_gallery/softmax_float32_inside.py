"""Gallery: computes the softmax in float32 on purpose and casts back: right to 1e-7, not to float64's 1e-9."""

import numpy as np


def softmax(x, axis=-1):
    low = x.astype(np.float32)
    e = np.exp(low - low.max(axis=axis, keepdims=True))
    return (e / e.sum(axis=axis, keepdims=True)).astype(x.dtype)
