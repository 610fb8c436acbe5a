"""Gallery: beam_reorder with one mistake, only_k (the worked solution in solutions/serving.py with it put in)."""

import numpy as np


def reorder_cache(k, v, parents):
    batch, beams = parents.shape
    rows = (parents + beams * np.arange(batch)[:, None]).ravel()  # global row of each new hypothesis's parent
    return np.take(k, rows, axis=1), v
