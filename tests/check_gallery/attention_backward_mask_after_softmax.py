"""Gallery: attention_backward with one mistake, mask_after_softmax (the worked solution in solutions/serving.py with it put in)."""

import numpy as np


def attention_backward(q, k, v, d_out, causal=False):
    d = q.shape[-1]
    scale = 1.0 / np.sqrt(d)
    s = np.einsum("...id,...jd->...ij", q, k) * scale  # (..., Lq, Lk)
    p = np.exp(s - s.max(-1, keepdims=True))
    p = p / p.sum(-1, keepdims=True)
    if causal:
        lq, lk = q.shape[-2], k.shape[-2]
        p = p * np.tril(np.ones((lq, lk)), k=lk - lq)  # masked weights
    out = p @ v  # (..., Lq, dv)
    dv = np.einsum("...ij,...id->...jd", p, d_out)
    dp = np.einsum("...id,...jd->...ij", d_out, v)
    delta = np.sum(d_out * out, axis=-1, keepdims=True)  # rowsum(dP * P) = rowsum(dO * O)
    ds = p * (dp - delta)
    dq = np.einsum("...ij,...jd->...id", ds, k) * scale
    dk = np.einsum("...ij,...id->...jd", ds, q) * scale
    return dq.astype(q.dtype), dk.astype(k.dtype), dv.astype(v.dtype)
