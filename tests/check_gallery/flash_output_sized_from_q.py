"""Gallery: the output allocated like q (np.empty_like(q)): right while dv == d, raises when v is wider."""

import numpy as np


def flash_attention(q, k, v, block_size=64, causal=False):
    length, d = q.shape[-2], q.shape[-1]
    scale = d ** -0.5
    out = np.empty_like(q)
    for q0 in range(0, length, block_size):
        qb = q[..., q0:q0 + block_size, :] * scale
        bq = qb.shape[-2]
        m = np.full(qb.shape[:-1] + (1,), -np.inf, dtype=q.dtype)
        s = np.zeros_like(m)
        acc = np.zeros(qb.shape[:-1] + v.shape[-1:], dtype=q.dtype)
        k_end = min(length, q0 + bq) if causal else length
        for k0 in range(0, k_end, block_size):
            kb, vb = k[..., k0:k0 + block_size, :], v[..., k0:k0 + block_size, :]
            scores = qb @ np.swapaxes(kb, -1, -2)
            if causal:
                allowed = np.arange(k0, k0 + kb.shape[-2])[None, :] <= np.arange(q0, q0 + bq)[:, None]
                scores = np.where(allowed, scores, -np.inf)
            m_new = np.maximum(m, scores.max(axis=-1, keepdims=True))
            p = np.exp(scores - m_new)
            rescale = np.exp(m - m_new)
            s = s * rescale + p.sum(axis=-1, keepdims=True)
            acc = acc * rescale + p @ vb
            m = m_new
        out[..., q0:q0 + bq, :] = acc / s
    return out
