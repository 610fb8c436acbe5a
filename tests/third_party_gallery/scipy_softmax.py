"""SciPy's softmax.

Origin: https://github.com/scipy/scipy, scipy/special/_logsumexp.py (softmax),
commit 033b13880993f49e485f8ba763fbb3847ff4b801.
Adapted: `_asarray_validated(x, check_finite=False)` (SciPy's private input check) written as
np.asarray(x); the default axis=None changed to the exercise's axis=-1. Body otherwise verbatim.
True verdict: softmax passes. Max-shifted along `axis` with keepdims, exp, divided by the sum
along the same axis; -inf entries give exp(-inf) = 0; the input is not modified.
"""

import numpy as np


def softmax(x, axis=-1):
    x = np.asarray(x)
    x_max = np.amax(x, axis=axis, keepdims=True)
    exp_x_shifted = np.exp(x - x_max)
    return exp_x_shifted / np.sum(exp_x_shifted, axis=axis, keepdims=True)
