"""llama3.np's causal mask (built in Llama.__call__ for a prompt of L tokens at start_pos).

Origin: https://github.com/likejazz/llama3.np, llama3.py (Llama.__call__, the `mask` lines),
commit 7dae0e181efcba2e1fdca7d8718f73ba2505eb2f.
Adapted: L = lq, start_pos = lk - lq (the cached prefix); llama3.np's additive mask (0 = may
attend, -inf = masked) turned into the exercise's boolean one with `mask == 0`.
True verdict: causal_mask fails. The square, decode-offset and one-query tests pass (the mask is
aligned to the end by prepending start_pos zero columns), but with more queries than keys
start_pos is negative and np.zeros((L, start_pos)) raises "negative dimensions are not allowed".
"""

import numpy as np


def causal_mask(lq, lk=None):
    lk = lq if lk is None else lk
    L, start_pos = lq, lk - lq
    mask = np.full((L, L), float("-inf"))
    mask = np.triu(mask, k=1)
    mask = np.concatenate([np.zeros((L, start_pos)), mask], axis=1)
    return mask == 0
