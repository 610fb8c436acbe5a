"""Adversarial: softmax kills its own process with SIGSEGV. causal_mask is still checked."""

import os
import signal

import numpy as np


def softmax(x, axis=-1):
    os.kill(os.getpid(), signal.SIGSEGV)


def causal_mask(lq, lk=None):
    lk = lq if lk is None else lk
    return np.arange(lk)[None, :] <= np.arange(lq)[:, None] + (lk - lq)
