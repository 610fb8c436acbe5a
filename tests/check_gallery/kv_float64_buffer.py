"""Gallery: a preallocated cache made with np.zeros and no dtype: float32 keys come back float64."""

import numpy as np


class KVCache:
    def __init__(self, capacity=1024):
        self.k = self.v = None
        self.size = 0
        self.capacity = capacity

    def update(self, k, v):
        b, h, new, hd = k.shape
        if self.k is None:
            self.k = np.zeros((b, h, self.capacity, hd))
            self.v = np.zeros((b, h, self.capacity, hd))
        self.k[:, :, self.size:self.size + new] = k
        self.v[:, :, self.size:self.size + new] = v
        self.size += new
        return self.k[:, :, :self.size], self.v[:, :, :self.size]

    def __len__(self):
        return self.size
