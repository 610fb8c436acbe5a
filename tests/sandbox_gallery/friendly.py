"""A well-behaved solution: plain values, arrays of every kind, a cache object, exceptions."""

import numpy as np


def echo(*args, **kwargs):
    return args[0] if len(args) == 1 and not kwargs else (args, sorted(kwargs.items()))


def double_in_place(x):
    x *= 2  # inputs arrive writable
    return x


def plain_values():
    return None, True, -7, 2.5, float("inf"), "text", [1, (2, 3)]


def numpy_scalar():
    return np.float32(1.5)


def int32_array():
    return np.arange(3, dtype=np.int32)


def big_array(n):
    return np.zeros(n, dtype=np.float64)


def fortran_array():
    return np.asfortranarray(np.arange(6.0).reshape(2, 3))


def big_endian():
    return np.arange(4, dtype=">f8")


def fails(message):
    raise ValueError(message)


def todo(x):
    raise NotImplementedError


def chatty(n):
    print("hello from the solution")
    print("x" * n)
    return n


class KVCache:
    def __init__(self, max_len=None):
        self.k = self.v = None

    def update(self, k, v):
        self.k = k if self.k is None else np.concatenate([self.k, k], axis=2)
        self.v = v if self.v is None else np.concatenate([self.v, v], axis=2)
        return self.k, self.v

    def __len__(self):
        return 0 if self.k is None else self.k.shape[2]


def cache_length(cache):
    return len(cache)


def total(*arrays):
    return float(sum(float(a.sum()) for a in arrays))


def append_step(x, cache):
    """One decoding-like step: append x's positions to the cache, return everything so far."""
    keys, _ = cache.update(x[:, None], x[:, None])
    return keys[:, 0]
