"""hkproj/pytorch-llama (the "LLaMA from scratch" video code): the attention layer with its KV
cache.

Origin: https://github.com/hkproj/pytorch-llama, model.py (repeat_kv, SelfAttention),
commit 07cef081c214286f55f5c6efc12618c24400e1b4.
Adapted: transliterated from PyTorch to NumPy one call at a time: view -> reshape,
transpose(1, 2) -> swapaxes(1, 2), torch.matmul -> np.matmul, expand -> np.broadcast_to,
torch.zeros -> np.zeros(dtype=np.float32) (torch's default dtype), .type_as(xq) -> astype,
F.softmax -> the max-shifted softmax below; nn.Linear(bias=False) -> x @ w. The RoPE lines are
removed (the exercise has no positional encoding). The exercise's KVCache holds the
SelfAttention (and its preallocated cache) and the position.
True verdict: decode_step fails. SelfAttention applies no causal mask at all (its Transformer
asserts one token at a time), so a prefill of several tokens lets each see the later ones
(mistake: no_mask; asked upstream in hkproj/pytorch-llama issue #15, "Why is causal attention
mask not used?"). Its cache is float32 (torch.zeros) and its softmax runs in float32, so float64
single steps get float32-level precision too. The float32 test fails on its prefill as well.
"""

import math

import numpy as np


def _softmax(x, axis=-1):  # torch.nn.functional.softmax
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def repeat_kv(x, n_rep: int):
    batch_size, seq_len, n_kv_heads, head_dim = x.shape
    if n_rep == 1:
        return x
    return (
        # (B, Seq_Len, N_KV_Heads, 1, Head_Dim)
        np.broadcast_to(x[:, :, :, None, :], (batch_size, seq_len, n_kv_heads, n_rep, head_dim))
        # (B, Seq_Len, N_KV_Heads * N_Rep, Head_Dim)
        .reshape(batch_size, seq_len, n_kv_heads * n_rep, head_dim)
    )


class SelfAttention:
    def __init__(self, w_q, w_k, w_v, w_o, n_heads, dim, max_batch_size=32, max_seq_len=2048):
        # Indicates the number of heads for the Keys and Values
        self.n_kv_heads = n_heads
        # Indicates the number of heads for the Queries
        self.n_heads_q = n_heads
        # Indicates how many times the Keys and Values should be repeated
        self.n_rep = self.n_heads_q // self.n_kv_heads
        # Indicates the dimension of each head, that is, the part of the embedding that each head will be responsible for
        self.head_dim = dim // n_heads

        self.wq = lambda x: x @ w_q
        self.wk = lambda x: x @ w_k
        self.wv = lambda x: x @ w_v
        self.wo = lambda x: x @ w_o

        self.cache_k = np.zeros((max_batch_size, max_seq_len, self.n_kv_heads, self.head_dim), dtype=np.float32)
        self.cache_v = np.zeros((max_batch_size, max_seq_len, self.n_kv_heads, self.head_dim), dtype=np.float32)

    def forward(self, x, start_pos: int):
        batch_size, seq_len, _ = x.shape  # (B, 1, Dim)

        # (B, 1, Dim) -> (B, 1, H_Q * Head_Dim)
        xq = self.wq(x)
        # (B, 1, Dim) -> (B, 1, H_KV * Head_Dim)
        xk = self.wk(x)
        # (B, 1, Dim) -> (B, 1, H_KV * Head_Dim)
        xv = self.wv(x)

        # (B, 1, H_Q * Head_Dim) -> (B, 1, H_Q, Head_Dim)
        xq = xq.reshape(batch_size, seq_len, self.n_heads_q, self.head_dim)
        # (B, 1, H_KV * Head_Dim) -> (B, 1, H_KV, Head_Dim)
        xk = xk.reshape(batch_size, seq_len, self.n_kv_heads, self.head_dim)
        # (B, 1, H_KV * Head_Dim) -> (B, 1, H_KV, Head_Dim)
        xv = xv.reshape(batch_size, seq_len, self.n_kv_heads, self.head_dim)

        # Replace the entry in the cache
        self.cache_k[:batch_size, start_pos : start_pos + seq_len] = xk
        self.cache_v[:batch_size, start_pos : start_pos + seq_len] = xv

        # (B, Seq_Len_KV, H_KV, Head_Dim)
        keys = self.cache_k[:batch_size, : start_pos + seq_len]
        # (B, Seq_Len_KV, H_KV, Head_Dim)
        values = self.cache_v[:batch_size, : start_pos + seq_len]

        # Since every group of Q shares the same K and V heads, just repeat the K and V heads for every Q in the same group.

        # (B, Seq_Len_KV, H_KV, Head_Dim) --> (B, Seq_Len_KV, H_Q, Head_Dim)
        keys = repeat_kv(keys, self.n_rep)
        # (B, Seq_Len_KV, H_KV, Head_Dim) --> (B, Seq_Len_KV, H_Q, Head_Dim)
        values = repeat_kv(values, self.n_rep)

        # (B, 1, H_Q, Head_Dim) -> (B, H_Q, 1, Head_Dim)
        xq = xq.swapaxes(1, 2)
        # (B, Seq_Len_KV, H_Q, Head_Dim) -> (B, H_Q, Seq_Len_KV, Head_Dim)
        keys = keys.swapaxes(1, 2)
        # (B, Seq_Len_KV, H_Q, Head_Dim) -> (B, H_Q, Seq_Len_KV, Head_Dim)
        values = values.swapaxes(1, 2)

        # (B, H_Q, 1, Head_Dim) @ (B, H_Q, Head_Dim, Seq_Len_KV) -> (B, H_Q, 1, Seq_Len_KV)
        scores = np.matmul(xq, keys.swapaxes(2, 3)) / math.sqrt(self.head_dim)
        # (B, H_Q, 1, Seq_Len_KV) -> (B, H_Q, 1, Seq_Len_KV)
        scores = _softmax(scores.astype(np.float32), axis=-1).astype(xq.dtype)

        # (B, H_Q, 1, Seq_Len) @ (B, H_Q, Seq_Len_KV, Head_Dim) -> (B, H_Q, 1, Head_Dim)
        output = np.matmul(scores, values)
        # (B, H_Q, 1, Head_Dim) -> (B, 1, H_Q, Head_Dim) -> (B, 1, Dim)
        output = (output.swapaxes(1, 2).reshape(batch_size, seq_len, -1))
        return self.wo(output) # (B, 1, Dim) -> (B, 1, Dim)


# --- the wrapper ---


class KVCache:
    def __init__(self):
        self.attention = None
        self.start_pos = 0

    def __len__(self):
        return self.start_pos


def decode_step(x, cache, w_q, w_k, w_v, w_o, n_heads):
    if cache.attention is None:
        cache.attention = SelfAttention(w_q, w_k, w_v, w_o, n_heads, x.shape[-1])
    output = cache.attention.forward(x, cache.start_pos)
    cache.start_pos += x.shape[1]
    return output
