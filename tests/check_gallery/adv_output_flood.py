"""Adversarial: prints megabytes on every call. The output is capped; the answers are right."""

import numpy as np


def softmax(x, axis=-1):
    print("spam " * 200_000)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
