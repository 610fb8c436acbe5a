"""Gallery: sliding_window_cache with one mistake, buffer_grows (the worked solution in solutions/serving.py with it put in)."""

import numpy as np


def sliding_window_attention(q, k, v, k_buf, v_buf, pos):
    w, new = k_buf.shape[2], q.shape[2]
    past = np.arange(pos - w, pos)  # (W,) positions the buffer can hold; negative = never written
    keys = np.concatenate([k_buf[:, :, past % w], k], axis=2)  # (B, H, W + new, hd), oldest first
    values = np.concatenate([v_buf[:, :, past % w], v], axis=2)  # (B, H, W + new, dv)
    key_pos = np.concatenate([past, np.arange(pos, pos + new)])  # (W + new,)
    query_pos = np.arange(pos, pos + new)[:, None]  # (new, 1)
    allowed = (key_pos <= query_pos) & (key_pos > query_pos - w) & (key_pos >= 0)  # (new, W + new)
    scores = q @ np.swapaxes(keys, -1, -2) / np.sqrt(q.shape[-1]).astype(q.dtype)
    scores = np.where(allowed, scores, -np.inf)
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    out = (weights / weights.sum(-1, keepdims=True)) @ values
    k_buf = np.concatenate([k_buf, k], axis=2)  # keeps everything
    v_buf = np.concatenate([v_buf, v], axis=2)
    return out, k_buf, v_buf
