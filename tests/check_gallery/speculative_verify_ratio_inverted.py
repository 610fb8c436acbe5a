"""Gallery: speculative_verify with one mistake, ratio_inverted (the worked solution in solutions/serving.py with it put in)."""

import numpy as np


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _sample(weights, u):
    return min(int(np.searchsorted(np.cumsum(weights), u * weights.sum(), side="right")), len(weights) - 1)


def speculative_verify(draft_tokens, draft_probs, target_logits, u_accept, u_sample, greedy=False):
    b, k = draft_tokens.shape
    p = _softmax(target_logits.astype(np.float64))  # (B, k+1, V)
    q = draft_probs.astype(np.float64)  # (B, k, V)
    n_accepted = np.zeros(b, dtype=np.int64)
    next_token = np.zeros(b, dtype=np.int64)
    for row in range(b):
        n = 0
        while n < k:
            x = draft_tokens[row, n]
            ok = x == p[row, n].argmax() if greedy else u_accept[row, n] < q[row, n, x] / p[row, n, x]
            if not ok:
                break
            n += 1
        n_accepted[row] = n
        if greedy:
            next_token[row] = p[row, n].argmax()
        elif n < k:
            next_token[row] = _sample(np.maximum(p[row, n] - q[row, n], 0.0), u_sample[row])
        else:
            next_token[row] = _sample(p[row, k], u_sample[row])  # bonus token
    return n_accepted, next_token


def crop_kv(k, v, n_draft, n_accepted):
    keep = k.shape[2] - (n_draft - n_accepted)
    return k[:, :, :keep], v[:, :, :keep]
