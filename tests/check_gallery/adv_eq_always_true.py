"""Adversarial: returns an object that equals everything and pretends to be an array."""

import numpy as np


class Anything:
    shape = property(lambda self: self._shape)
    dtype = np.dtype("float64")

    def __init__(self, shape):
        self._shape = shape

    def __eq__(self, other):
        return True

    def __array__(self, dtype=None, copy=None):
        return np.zeros(self._shape)


def softmax(x, axis=-1):
    return Anything(x.shape)
