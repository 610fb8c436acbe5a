"""A student's solution to the example course's exercises (attnquiz check --bank course.yaml solution.py)."""

import numpy as np


def rms_norm(x, weight, eps):
    rms = np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps)  # (..., 1) root mean square of each vector
    return x / rms * weight  # (..., d)


def alibi_bias(n_heads, length):
    slopes = 2.0 ** (-8.0 * np.arange(1, n_heads + 1) / n_heads)  # (H,) head h gets 2^(-8h/n), h from 1
    distance = np.arange(length)[:, None] - np.arange(length)[None, :]  # (L, L) i - j
    return -slopes[:, None, None] * distance  # (H, L, L)
