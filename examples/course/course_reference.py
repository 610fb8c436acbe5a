"""Reference implementations for my-course-week2: keep this file away from students."""

import numpy as np


def rms_norm(x, weight, eps):
    scale = np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps)  # (..., 1)
    return (x / scale * weight).astype(x.dtype)  # (..., d)


def rms_norm_subtracts_mean(x, weight, eps):
    centred = x - np.mean(x, axis=-1, keepdims=True)  # (..., d)
    return (centred / np.sqrt(np.mean(centred * centred, axis=-1, keepdims=True) + eps) * weight).astype(x.dtype)


def rms_norm_eps_outside_sqrt(x, weight, eps):
    return (x / (np.sqrt(np.mean(x * x, axis=-1, keepdims=True)) + eps) * weight).astype(x.dtype)


def _slopes(n_heads, first):
    return 2.0 ** (-8.0 * np.arange(first, first + n_heads) / n_heads)  # (H,)


def _distance(length):
    i = np.arange(length)[:, None]  # (L, 1) query positions
    j = np.arange(length)[None, :]  # (1, L) key positions
    return (i - j).astype(np.float64)  # (L, L)


def alibi_bias(n_heads, length):
    return -_slopes(n_heads, 1)[:, None, None] * _distance(length)  # (H, L, L)


def alibi_zero_based(n_heads, length):
    return -_slopes(n_heads, 0)[:, None, None] * _distance(length)  # (H, L, L)


def alibi_sign_flipped(n_heads, length):
    return _slopes(n_heads, 1)[:, None, None] * _distance(length)  # (H, L, L)
