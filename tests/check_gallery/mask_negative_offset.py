"""Gallery: zero columns for the cached prefix prepended to a square mask (llama3.np's form): np.zeros
with a negative size when there are more queries than keys."""

import numpy as np


def causal_mask(lq, lk=None):
    lk = lq if lk is None else lk
    square = np.tril(np.ones((lq, lq), dtype=bool))
    return np.concatenate([np.ones((lq, lk - lq), dtype=bool), square], axis=1)
