"""Adversarial: softmax calls sys.exit(0) hoping a clean exit reads as success. causal_mask is right."""

import sys

import numpy as np


def softmax(x, axis=-1):
    sys.exit(0)


def causal_mask(lq, lk=None):
    lk = lq if lk is None else lk
    return np.arange(lk)[None, :] <= np.arange(lq)[:, None] + (lk - lq)
