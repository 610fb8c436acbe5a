"""Gallery: len counts update calls, not positions."""

import numpy as np


class KVCache:
    def __init__(self):
        self.k = None
        self.v = None
        self.calls = 0

    def update(self, k, v):
        self.calls += 1
        if self.k is None:
            self.k, self.v = k, v
        else:
            self.k = np.concatenate([self.k, k], axis=2)
            self.v = np.concatenate([self.v, v], axis=2)
        return self.k, self.v

    def __len__(self):
        return self.calls
