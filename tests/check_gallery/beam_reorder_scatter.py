"""Gallery: beam_reorder with one mistake, scatter (the worked solution in solutions/serving.py with it put in)."""

import numpy as np


def reorder_cache(k, v, parents):
    batch, beams = parents.shape
    rows = (parents + beams * np.arange(batch)[:, None]).ravel()  # global row of each new hypothesis's parent
    new_k, new_v = k.copy(), v.copy()
    new_k[:, rows] = k
    new_v[:, rows] = v
    return new_k, new_v
