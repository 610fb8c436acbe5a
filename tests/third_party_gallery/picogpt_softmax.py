"""picoGPT's softmax.

Origin: https://github.com/jaymody/picoGPT, gpt2.py (softmax),
commit 817292baea75f194fb0bb8ba2aa5f947af4e45ee.
Adapted: the exercise's `axis` parameter added to the signature; the body is verbatim and, as in
picoGPT (which only ever needs the last axis), does not use it.
True verdict: softmax fails the "another axis" test (mistake: axis_ignored); every other test,
last axis, passes.
"""

import numpy as np


def softmax(x, axis=-1):
    exp_x = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return exp_x / np.sum(exp_x, axis=-1, keepdims=True)
