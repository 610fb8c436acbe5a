"""Gallery: linear_attention with one mistake, state_grows (the worked solution in solutions/serving.py with it put in)."""

import numpy as np


def _phi(x):
    return np.where(x > 0, x + 1.0, np.exp(np.minimum(x, 0.0))).astype(x.dtype)  # elu(x) + 1


def linear_attention(q, k, v):
    fq, fk = _phi(q), _phi(k)
    kv = np.cumsum(np.einsum("bhld,bhle->bhlde", fk, v), axis=2)  # (B, H, L, d, dv)
    z = np.cumsum(fk, axis=2)  # (B, H, L, d)
    num = np.einsum("bhld,bhlde->bhle", fq, kv)
    den = np.einsum("bhld,bhld->bhl", fq, z)
    return num / den[..., None]


def linear_attention_step(q, k, v, state=None):
    b, h, new, d = q.shape
    if state is None:
        s = np.zeros((b, h, d, v.shape[-1]), dtype=q.dtype)
        z = np.zeros((b, h, d), dtype=q.dtype)
    else:
        s, z = state[0], state[1]
    keys = [k] if state is None else [state[2], k]  # keeps the history too
    outs = []
    for i in range(new):
        fq, fk = _phi(q[:, :, i]), _phi(k[:, :, i])  # (B, H, d)
        s = s + np.einsum("bhd,bhe->bhde", fk, v[:, :, i])
        z = z + fk
        outs.append(np.einsum("bhd,bhde->bhe", fq, s) / np.einsum("bhd,bhd->bh", fq, z)[..., None])
    return np.stack(outs, axis=2), (s, z, np.concatenate(keys, axis=2))
