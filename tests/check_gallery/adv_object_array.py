"""Adversarial: returns an object array whose elements claim to equal anything."""

import numpy as np


class Anything:
    def __eq__(self, other):
        return True

    def __float__(self):
        return 0.0


def softmax(x, axis=-1):
    out = np.empty(x.shape, dtype=object)
    out.fill(Anything())
    return out
