"""Gallery: normalises over axis 0 whatever it is asked."""

import numpy as np


def softmax(x, axis=-1):
    shifted = x - np.max(x, axis=0, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=0, keepdims=True)
