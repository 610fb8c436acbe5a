"""Gallery: beam_reorder with one mistake, in_place_aliasing (the worked solution in solutions/serving.py with it put in)."""

import numpy as np


def reorder_cache(k, v, parents):
    batch, beams = parents.shape
    rows = (parents + beams * np.arange(batch)[:, None]).ravel()  # global row of each new hypothesis's parent
    for i, row in enumerate(rows):  # in place, no extra memory
        k[:, i] = k[:, row]
        v[:, i] = v[:, row]
    return k, v
