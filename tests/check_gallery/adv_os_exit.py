"""Adversarial: softmax ends the process with os._exit(0). causal_mask is right and must still be checked."""

import os

import numpy as np


def softmax(x, axis=-1):
    os._exit(0)


def causal_mask(lq, lk=None):
    lk = lq if lk is None else lk
    return np.arange(lk)[None, :] <= np.arange(lq)[:, None] + (lk - lq)
