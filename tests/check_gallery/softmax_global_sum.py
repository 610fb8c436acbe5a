"""Gallery: divides by the sum of the whole array."""

import numpy as np


def softmax(x, axis=-1):
    shifted = x - np.max(x)
    e = np.exp(shifted)
    return e / np.sum(e)
