"""Gallery: paged_kv_cache with one mistake, cross_sequence (the worked solution in solutions/serving.py with it put in)."""

import numpy as np


class PagedKVCache:
    def __init__(self, num_blocks, block_size, n_heads, head_dim, dtype="float64"):
        self.block_size = block_size
        self.k_pool = np.zeros((num_blocks, n_heads, block_size, head_dim), dtype=dtype)
        self.v_pool = np.zeros_like(self.k_pool)
        self.free_list = list(range(num_blocks))
        self.ref_count = np.zeros(num_blocks, dtype=np.int64)
        self.tables = {}  # seq -> list of block ids
        self.empty_table = []
        self.lengths = {}  # seq -> number of tokens

    def _new_block(self):
        assert self.free_list, "out of blocks"
        block = self.free_list.pop()
        self.ref_count[block] = 1
        return block

    def _drop(self, block):
        self.ref_count[block] -= 1
        if self.ref_count[block] == 0:
            self.free_list.append(block)

    def append(self, seq, k, v):
        table = self.tables.get(seq, self.empty_table)
        self.tables[seq] = table
        length = self.lengths.get(seq, 0)
        for i in range(k.shape[1]):
            offset = length % self.block_size
            if offset == 0:
                table.append(self._new_block())
            elif self.ref_count[table[-1]] > 1:  # copy-on-write
                copy = self._new_block()
                self.k_pool[copy] = self.k_pool[table[-1]]
                self.v_pool[copy] = self.v_pool[table[-1]]
                self._drop(table[-1])
                table[-1] = copy
            self.k_pool[table[-1], :, offset] = k[:, i]
            self.v_pool[table[-1], :, offset] = v[:, i]
            length += 1
        self.lengths[seq] = length

    def gather(self, seq):
        n, table = self.lengths[seq], self.tables[seq]
        k = np.concatenate([self.k_pool[b] for b in table], axis=1)[:, :n]  # (H, n, hd)
        v = np.concatenate([self.v_pool[b] for b in table], axis=1)[:, :n]
        return k, v

    def block_table(self, seq):
        return np.array(self.tables[seq], dtype=np.int64)

    def free(self, seq):
        for block in self.tables.pop(seq):
            self._drop(block)
        del self.lengths[seq]

    def fork(self, parent, child):
        self.tables[child] = list(self.tables[parent])
        self.lengths[child] = self.lengths[parent]
        for block in self.tables[child]:
            self.ref_count[block] += 1

    def num_free_blocks(self):
        return len(self.free_list)

    def attention(self, q, seqs):
        out = np.zeros_like(q)
        for i, seq in enumerate(seqs):
            k, v = self.gather(seq)  # (H, n, hd)
            scores = np.einsum("hd,hnd->hn", q[i], k) / np.sqrt(q.shape[-1])
            w = np.exp(scores - scores.max(-1, keepdims=True))
            out[i] = np.einsum("hn,hnd->hd", w / w.sum(-1, keepdims=True), v)
        return out
