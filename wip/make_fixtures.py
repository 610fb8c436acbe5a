"""Write wip/fixtures/<exercise>_<mistake>.py: a worked solution with one real mistake put in, and expected.yaml."""
from __future__ import annotations

from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent

# fixture -> (exercise, test that must name it, mistake, [(old, new), ...]); every `old` must occur in the solution
FIXTURES: dict[str, tuple[str, str, str, list[tuple[str, str]]]] = {}


def fixture(exercise, test, mistake, *edits, name=None):
    FIXTURES[name or f"{exercise}_{mistake}"] = (exercise, test, mistake, list(edits))


# rope
fixture("rope", "decode", "positions_restart", ("positions = np.arange(t, t + new)", "positions = np.arange(new)"))
fixture("rope", "decode", "rotates_cache_again",
        ("values = np.concatenate([v_cache, v], axis=2)",
         "values = np.concatenate([v_cache, v], axis=2)\n    keys = apply_rope(keys, np.arange(t + new), base, interleaved)"))
fixture("rope", "random_f64", "wrong_convention", ("    if interleaved:", "    if not interleaved:"))
fixture("rope", "random_f64", "mixed_layout",
        ("cos = np.concatenate([np.cos(angles)] * 2, axis=-1)", "cos = np.repeat(np.cos(angles), 2, axis=-1)"),
        ("sin = np.concatenate([np.sin(angles)] * 2, axis=-1)", "sin = np.repeat(np.sin(angles), 2, axis=-1)"))
fixture("rope", "base", "base_ignored", ("1.0 / base **", "1.0 / 10000.0 **"))
fixture("rope", "random_f64", "wrong_frequencies",
        ("np.arange(0, d, 2, dtype=np.float64) / d", "np.arange(d // 2, dtype=np.float64) / d"))
fixture("rope", "random_f64", "sign_flipped",
        ("np.concatenate([-x[..., d // 2:], x[..., : d // 2]]", "np.concatenate([x[..., d // 2:], -x[..., : d // 2]]"))

# sliding_window_cache
fixture("sliding_window_cache", "steps", "window_plus_one", ("(key_pos > query_pos - w)", "(key_pos >= query_pos - w)"))
fixture("sliding_window_cache", "steps", "buffer_order",
        ("np.concatenate([k_buf[:, :, past % w], k]", "np.concatenate([k_buf, k]"),
        ("np.concatenate([v_buf[:, :, past % w], v]", "np.concatenate([v_buf, v]"))
fixture("sliding_window_cache", "chunks", "window_not_aligned", ("(key_pos > query_pos - w)", "(key_pos > pos + new - 1 - w)"))
fixture("sliding_window_cache", "steps", "empty_slots_attended", (" & (key_pos >= 0)", ""))
fixture("sliding_window_cache", "steps", "buffer_grows",
        ("    for i in range(max(0, new - w), new):  # only the last W new tokens survive\n"
         "        k_buf[:, :, (pos + i) % w] = k[:, :, i]\n        v_buf[:, :, (pos + i) % w] = v[:, :, i]\n",
         "    k_buf = np.concatenate([k_buf, k], axis=2)  # keeps everything\n    v_buf = np.concatenate([v_buf, v], axis=2)\n"))

# paged_kv_cache
fixture("paged_kv_cache", "exact_blocks", "boundary_off_by_one",
        ("        for i in range(k.shape[1]):\n            offset = length % self.block_size\n            if offset == 0:\n"
         "                table.append(self._new_block())\n            elif",
         "        while len(table) < (length + k.shape[1]) // self.block_size + 1:  # blocks needed\n"
         "            table.append(self._new_block())\n        for i in range(k.shape[1]):\n"
         "            offset = length % self.block_size\n            if False:\n                pass\n            elif"),
        ("            self.k_pool[table[-1], :, offset] = k[:, i]\n            self.v_pool[table[-1], :, offset] = v[:, i]",
         "            self.k_pool[table[length // self.block_size], :, offset] = k[:, i]\n"
         "            self.v_pool[table[length // self.block_size], :, offset] = v[:, i]"))
fixture("paged_kv_cache", "several_sequences", "cross_sequence",
        ("        self.tables = {}  # seq -> list of block ids", "        self.tables = {}  # seq -> list of block ids\n        self.empty_table = []"),
        ("table = self.tables.setdefault(seq, [])", "table = self.tables.get(seq, self.empty_table)\n        self.tables[seq] = table"))
fixture("paged_kv_cache", "fork", "no_copy_on_write",
        ("            elif self.ref_count[table[-1]] > 1:  # copy-on-write\n                copy = self._new_block()\n"
         "                self.k_pool[copy] = self.k_pool[table[-1]]\n                self.v_pool[copy] = self.v_pool[table[-1]]\n"
         "                self._drop(table[-1])\n                table[-1] = copy\n", ""))
fixture("paged_kv_cache", "fork", "freed_blocks_referenced",
        ("        for block in self.tables.pop(seq):\n            self._drop(block)",
         "        for block in self.tables.pop(seq):\n            self.ref_count[block] = 0\n            self.free_list.append(block)"))
fixture("paged_kv_cache", "free_and_reuse", "blocks_not_freed",
        ("        for block in self.tables.pop(seq):\n            self._drop(block)", "        del self.tables[seq]"))
fixture("paged_kv_cache", "append_cost", "copies_blocks",
        ("        self.lengths[seq] = length\n",
         "        self.lengths[seq] = length\n        self.contiguous = getattr(self, 'contiguous', {})  # a contiguous copy too\n"
         "        old = self.contiguous.get(seq)\n"
         "        self.contiguous[seq] = (k, v) if old is None else (np.concatenate([old[0], k], 1), np.concatenate([old[1], v], 1))\n"))

# speculative_verify
fixture("speculative_verify", "sampling_f64", "argmax_acceptance",
        ("ok = x == p[row, n].argmax() if greedy else u_accept[row, n] < p[row, n, x] / q[row, n, x]",
         "ok = x == p[row, n].argmax()"))
fixture("speculative_verify", "sampling_f64", "no_residual", ("np.maximum(p[row, n] - q[row, n], 0.0)", "p[row, n]"))
fixture("speculative_verify", "sampling_f64", "ratio_inverted", ("p[row, n, x] / q[row, n, x]", "q[row, n, x] / p[row, n, x]"))
fixture("speculative_verify", "all_accepted", "no_bonus_position", ("_sample(p[row, k], ", "_sample(p[row, k - 1], "))
fixture("speculative_verify", "crop", "keeps_rejected", ("keep = k.shape[2] - (n_draft - n_accepted)", "keep = k.shape[2] - (n_draft - n_accepted) + 1"))
fixture("speculative_verify", "crop", "drops_accepted", ("keep = k.shape[2] - (n_draft - n_accepted)", "keep = k.shape[2] - n_draft"))


def main() -> None:
    out = HERE / "fixtures"
    out.mkdir(exist_ok=True)
    expected = {}
    for name, (exercise, test, mistake, edits) in FIXTURES.items():
        text = (HERE / "solutions" / f"{exercise}.py").read_text(encoding="utf-8")
        for old, new in edits:
            assert old in text, (name, old)
            text = text.replace(old, new)
        header = f'"""Gallery: {exercise} with one mistake, {mistake} (the worked solution with it put in)."""\n\n'
        (out / f"{name}.py").write_text(header + text, encoding="utf-8")
        expected[f"{name}.py"] = {"exercises": [exercise], "status": {exercise: "failed"}, "diagnosis": {test: mistake}}
    (out / "expected.yaml").write_text(yaml.safe_dump(expected, sort_keys=True, width=200), encoding="utf-8")


if __name__ == "__main__":
    main()
