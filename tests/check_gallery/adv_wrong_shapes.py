"""Adversarial: answers that would pass a lenient comparison: a scalar, a (1, d) row, a float64 result
for float32 inputs. Each must fail on kind, shape or dtype."""

import numpy as np


def softmax(x, axis=-1):
    if x.shape[axis] == 1:
        return 1.0  # a scalar "broadcasts" to the right answer
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    out = e / e.sum(axis=axis, keepdims=True)
    return out.astype(np.float64)  # float32 in, float64 out


def causal_mask(lq, lk=None):
    lk = lq if lk is None else lk
    full = np.arange(lk)[None, :] <= np.arange(lq)[:, None] + (lk - lq)
    return full[-1:] if lq == 1 else full.astype(np.int64)  # ints, not booleans
