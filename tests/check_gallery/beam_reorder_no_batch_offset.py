"""Gallery: beam_reorder with one mistake, no_batch_offset (the worked solution in solutions/serving.py with it put in)."""

import numpy as np


def reorder_cache(k, v, parents):
    batch, beams = parents.shape
    rows = parents.ravel()  # global row of each new hypothesis's parent
    return np.take(k, rows, axis=1), np.take(v, rows, axis=1)
