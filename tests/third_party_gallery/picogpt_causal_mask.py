"""picoGPT's causal mask (built inside mha for a sequence of x.shape[0] tokens).

Origin: https://github.com/jaymody/picoGPT, gpt2.py (mha, the `causal_mask` line),
commit 817292baea75f194fb0bb8ba2aa5f947af4e45ee.
Adapted: the sequence length is lq; picoGPT's additive mask (0 / -1e10) turned into the exercise's
boolean one with `mask == 0`. picoGPT has no cache, so it never needs lk != lq and ignores it.
True verdict: causal_mask fails: the square test passes; with lk != lq the mask is still
(lq, lq), the wrong shape (the queries are not aligned to the end of the keys).
"""

import numpy as np


def causal_mask(lq, lk=None):
    causal_mask = (1 - np.tri(lq, dtype=np.float64)) * -1e10  # [n_seq, n_seq]
    return causal_mask == 0
