"""Adversarial: reserves address space while loading and frees it inside flash_attention, to make
room for the full L x L matrix. The memory limit comes from a clean child, so this buys nothing."""

import numpy as np

_reserve = np.empty(512 << 20, dtype=np.uint8)  # address space only: the pages are never touched


def flash_attention(q, k, v, block_size=64, causal=False):
    global _reserve
    _reserve = None  # give the room back, then build the whole matrix
    scores = q @ np.swapaxes(k, -1, -2) / q.shape[-1] ** 0.5
    if causal:
        scores = np.where(np.tri(q.shape[-2], dtype=bool), scores, -np.inf)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True)) @ v
