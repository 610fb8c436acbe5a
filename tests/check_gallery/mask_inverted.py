"""Gallery: True where attention is NOT allowed."""

import numpy as np


def causal_mask(lq, lk=None):
    lk = lq if lk is None else lk
    i = np.arange(lq)[:, None]
    j = np.arange(lk)[None, :]
    return j > i + (lk - lq)
