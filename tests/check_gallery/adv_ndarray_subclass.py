"""Adversarial: returns an ndarray subclass whose comparisons are always true, with wrong values."""

import numpy as np


class Agreeable(np.ndarray):
    def __eq__(self, other):
        return np.ones(self.shape, dtype=bool)

    def __ne__(self, other):
        return np.zeros(self.shape, dtype=bool)

    def __sub__(self, other):
        return np.zeros(self.shape)


def softmax(x, axis=-1):
    return np.zeros_like(x).view(Agreeable)
