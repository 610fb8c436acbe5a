"""A NumPy self-attention with a KV cache from a tutorial repository.

Origin: https://github.com/kminemur/large_language_model, self_attention_with_kvcache.py
(SelfAttentionWithKVCache.self_attention, its "Update cache" lines),
commit 6f3ebc11251e086a0220d989b7d097f098f784d4.
Adapted: the cache-update lines of self_attention, verbatim, as the exercise's KVCache.update,
returning the cached keys and values; __len__ reads the cached length along the sequence axis.
True verdict: kv_cache fails: the tutorial's keys are (tokens, d), so it concatenates on axis 0;
with (batch, heads, seq, hd) arrays that is the batch axis (mistake: wrong_axis). The empty and
single-update tests pass.
"""

import numpy as np


class KVCache:
    def __init__(self):
        self.cache = {'K': None, 'V': None}

    def update(self, K, V):
        # Update cache
        if self.cache['K'] is None:
            self.cache['K'] = K
            self.cache['V'] = V
        else:
            self.cache['K'] = np.concatenate((self.cache['K'], K), axis=0)
            self.cache['V'] = np.concatenate((self.cache['V'], V), axis=0)
        return self.cache['K'], self.cache['V']

    def __len__(self):
        return 0 if self.cache['K'] is None else self.cache['K'].shape[2]
