"""Gallery: right, and tiled over the keys only: every query row at once against one key block.

The usual NumPy FlashAttention (the outer loop over query blocks is for GPU SRAM; here it buys
nothing): the score tile is (L, block), 2 MiB at L = 4096, never (L, L). Its products have more
than ~128 rows, so OpenBLAS maps its ~32 MiB work buffer on the first one: the memory test's
baseline must already hold that buffer, or this correct solution is called "builds the full
L x L matrix" (found by a cold-start tester, F24).
"""

import numpy as np


def flash_attention(q, k, v, block_size=64, causal=False):
    length = q.shape[-2]
    scale = 1.0 / np.sqrt(q.shape[-1])
    m = np.full(q.shape[:-1] + (1,), -np.inf, q.dtype)  # (..., L, 1) running max
    l = np.zeros(q.shape[:-1] + (1,), q.dtype)  # (..., L, 1) running sum
    acc = np.zeros(q.shape[:-1] + (v.shape[-1],), q.dtype)  # (..., L, dv)
    rows = np.arange(length)[:, None]
    for s in range(0, length, block_size):
        e = min(length, s + block_size)
        scores = (q @ np.swapaxes(k[..., s:e, :], -1, -2)) * scale  # (..., L, block)
        if causal:
            scores = np.where(np.arange(s, e)[None, :] <= rows, scores, -np.inf)
        m_new = np.maximum(m, scores.max(-1, keepdims=True))
        safe = np.where(np.isfinite(m_new), m_new, 0)
        p = np.exp(scores - safe)
        correction = np.exp(np.where(np.isfinite(m), m - safe, -np.inf))
        l = l * correction + p.sum(-1, keepdims=True)
        acc = acc * correction + p @ v[..., s:e, :]
        m = m_new
    return (acc / np.where(l > 0, l, 1)).astype(q.dtype)
