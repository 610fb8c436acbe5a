"""Adversarial: softmax never returns. The timeout stops it; causal_mask is still checked."""

import numpy as np


def softmax(x, axis=-1):
    while True:
        pass


def causal_mask(lq, lk=None):
    lk = lq if lk is None else lk
    return np.arange(lk)[None, :] <= np.arange(lq)[:, None] + (lk - lq)
