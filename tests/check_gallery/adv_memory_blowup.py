"""Adversarial: softmax tries to allocate 80 GB. causal_mask is still checked."""

import numpy as np


def softmax(x, axis=-1):
    waste = np.ones(10**10)
    return waste[: x.size].reshape(x.shape)


def causal_mask(lq, lk=None):
    lk = lq if lk is None else lk
    return np.arange(lk)[None, :] <= np.arange(lq)[:, None] + (lk - lq)
