"""Gallery: exp(x) straight away: overflows for logits of 1e4."""

import numpy as np


def softmax(x, axis=-1):
    shifted = x
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)
