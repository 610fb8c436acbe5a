"""Meta's Llama 2 reference model (llama/model.py): the attention layer with its KV cache and
the square mask of Transformer.forward before the fix.

Origin: https://github.com/meta-llama/llama, llama/model.py (repeat_kv, Attention.forward, the
mask lines of Transformer.forward), commit 7bcee80f48395553e8fec7ea107c302d13a15041.
Adapted: transliterated from PyTorch to NumPy one call at a time: view -> reshape,
transpose(1, 2) -> swapaxes(1, 2), torch.matmul -> np.matmul, torch.full/triu/hstack/zeros ->
np.full/triu/hstack/zeros (torch.zeros is float32 by default, so dtype=np.float32),
.to(xq)/.type_as(xq) -> astype(xq.dtype, copy=False) (a no-op when the dtype already matches,
as in torch), F.softmax -> the max-shifted softmax below, expand -> np.broadcast_to. The
parallel linear layers become x @ w (no bias). The RoPE line is removed (the exercise has no
positional encoding) and model parallelism is one process. The exercise's KVCache holds the
Attention (and its preallocated cache) and the position.
True verdict: decode_step fails. (1) The square mask: for a chunk of seqlen > 1 tokens after a
cached prefix, the (1, 1, seqlen, seqlen) mask cannot be added to the (bs, heads, seqlen,
cache_len + seqlen) scores and the step raises; reported upstream as meta-llama/llama issue #899
("Incorrect attention mask breaks key-value caching") and fixed in commit e9077bd ("Fix
key-value caching for seqlen != 1"). (2) The softmax runs in float32 (`scores.float()`) and is
cast back, so float64 inputs get float32-level precision (about 1e-7 relative, where float64
allows 1e-9 + 1e-7 relative). The float32 test passes.
"""

import math

import numpy as np


def _softmax(x, axis=-1):  # torch.nn.functional.softmax
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def repeat_kv(x, n_rep: int):
    """torch.repeat_interleave(x, dim=2, repeats=n_rep)"""
    bs, slen, n_kv_heads, head_dim = x.shape
    if n_rep == 1:
        return x
    return (
        np.broadcast_to(x[:, :, :, None, :], (bs, slen, n_kv_heads, n_rep, head_dim))
        .reshape(bs, slen, n_kv_heads * n_rep, head_dim)
    )


class Attention:
    def __init__(self, w_q, w_k, w_v, w_o, n_heads, dim, max_batch_size=32, max_seq_len=2048):
        self.n_kv_heads = n_heads
        self.n_local_heads = n_heads
        self.n_local_kv_heads = self.n_kv_heads
        self.n_rep = self.n_local_heads // self.n_local_kv_heads
        self.head_dim = dim // n_heads

        self.wq = lambda x: x @ w_q
        self.wk = lambda x: x @ w_k
        self.wv = lambda x: x @ w_v
        self.wo = lambda x: x @ w_o

        self.cache_k = np.zeros(
            (
                max_batch_size,
                max_seq_len,
                self.n_local_kv_heads,
                self.head_dim,
            ), dtype=np.float32
        )
        self.cache_v = np.zeros(
            (
                max_batch_size,
                max_seq_len,
                self.n_local_kv_heads,
                self.head_dim,
            ), dtype=np.float32
        )

    def forward(self, x, start_pos, mask):
        bsz, seqlen, _ = x.shape
        xq, xk, xv = self.wq(x), self.wk(x), self.wv(x)

        xq = xq.reshape(bsz, seqlen, self.n_local_heads, self.head_dim)
        xk = xk.reshape(bsz, seqlen, self.n_local_kv_heads, self.head_dim)
        xv = xv.reshape(bsz, seqlen, self.n_local_kv_heads, self.head_dim)

        self.cache_k = self.cache_k.astype(xq.dtype, copy=False)
        self.cache_v = self.cache_v.astype(xq.dtype, copy=False)

        self.cache_k[:bsz, start_pos : start_pos + seqlen] = xk
        self.cache_v[:bsz, start_pos : start_pos + seqlen] = xv

        keys = self.cache_k[:bsz, : start_pos + seqlen]
        values = self.cache_v[:bsz, : start_pos + seqlen]

        # repeat k/v heads if n_kv_heads < n_heads
        keys = repeat_kv(keys, self.n_rep)  # (bs, seqlen, n_local_heads, head_dim)
        values = repeat_kv(values, self.n_rep)  # (bs, seqlen, n_local_heads, head_dim)

        xq = xq.swapaxes(1, 2)  # (bs, n_local_heads, seqlen, head_dim)
        keys = keys.swapaxes(1, 2)
        values = values.swapaxes(1, 2)
        scores = np.matmul(xq, keys.swapaxes(2, 3)) / math.sqrt(self.head_dim)
        if mask is not None:
            scores = scores + mask  # (bs, n_local_heads, seqlen, cache_len + seqlen)
        scores = _softmax(scores.astype(np.float32), axis=-1).astype(xq.dtype, copy=False)
        output = np.matmul(scores, values)  # (bs, n_local_heads, seqlen, head_dim)
        output = output.swapaxes(1, 2).reshape(bsz, seqlen, -1)
        return self.wo(output)


def transformer_mask(h, seqlen, start_pos):
    """The mask lines of Transformer.forward."""
    mask = None
    if seqlen > 1:
        mask = np.full((1, 1, seqlen, seqlen), float("-inf"))
        mask = np.triu(mask, k=start_pos + 1).astype(h.dtype)
    return mask


# --- the wrapper ---


class KVCache:
    def __init__(self):
        self.attention = None
        self.start_pos = 0

    def __len__(self):
        return self.start_pos


def decode_step(x, cache, w_q, w_k, w_v, w_o, n_heads):
    if cache.attention is None:
        cache.attention = Attention(w_q, w_k, w_v, w_o, n_heads, x.shape[-1])
    seqlen = x.shape[1]
    output = cache.attention.forward(x, cache.start_pos, transformer_mask(x, seqlen, cache.start_pos))
    cache.start_pos += seqlen
    return output
