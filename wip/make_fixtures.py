"""Write wip/fixtures/<exercise>_<mistake>.py: a worked solution with one real mistake put in, and expected.yaml."""
from __future__ import annotations

from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent

# fixture -> (exercise, test that must name it, mistake, [(old, new), ...]); every `old` must occur in the solution
FIXTURES: dict[str, tuple[str, str, str, list[tuple[str, str]]]] = {}


STATUS: dict[str, str] = {}


def fixture(exercise, test, mistake, *edits, name=None, status="failed"):
    FIXTURES[name or f"{exercise}_{mistake}"] = (exercise, test, mistake, list(edits))
    STATUS[name or f"{exercise}_{mistake}"] = status


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

# attention_backward
fixture("attention_backward", "random_f64", "no_row_term", ("ds = p * (dp - delta)", "ds = p * dp"))
fixture("attention_backward", "random_f64", "no_scale",
        ("dq = np.einsum(\"...ij,...jd->...id\", ds, k) * scale", "dq = np.einsum(\"...ij,...jd->...id\", ds, k)"),
        ("dk = np.einsum(\"...ij,...id->...jd\", ds, q) * scale", "dk = np.einsum(\"...ij,...id->...jd\", ds, q)"))
fixture("attention_backward", "causal", "mask_after_softmax",
        ("    if causal:\n        lq, lk = q.shape[-2], k.shape[-2]\n        s = np.where(np.tril(np.ones((lq, lk), dtype=bool), k=lk - lq), s, -np.inf)\n"
         "    p = np.exp(s - s.max(-1, keepdims=True))\n    p = p / p.sum(-1, keepdims=True)\n",
         "    p = np.exp(s - s.max(-1, keepdims=True))\n    p = p / p.sum(-1, keepdims=True)\n    if causal:\n"
         "        lq, lk = q.shape[-2], k.shape[-2]\n        p = p * np.tril(np.ones((lq, lk)), k=lk - lq)  # masked weights\n"))
fixture("attention_backward", "causal", "mask_ignored", ("    if causal:\n        lq, lk", "    if False:\n        lq, lk"))

# mla_decode
fixture("mla_decode", "decode", "caches_expanded", ("return o @ w_o, c_new, kr_new", "return o @ w_o, c_new @ w_uk, kr_new"))
fixture("mla_decode", "decode", "rope_on_latent", ("c_new = x @ w_dkv", "c_new = _rope(x @ w_dkv, pos)"))
fixture("mla_decode", "decode", "absorption_reshape",
        ("uk = w_uk.reshape(d_c, n_heads, d_nope)", "uk = w_uk.reshape(n_heads, d_c, d_nope).transpose(1, 0, 2)"))
fixture("mla_decode", "decode", "wrong_scale", ("np.sqrt(d_nope + d_rope)", "np.sqrt(d_c)"))
fixture("mla_decode", "decode", "positions_restart",
        ("kr_new = _rope(x @ w_kr, pos)", "kr_new = _rope(x @ w_kr, pos - t)"),
        ("n_heads, d_rope).transpose(0, 2, 1, 3), pos)", "n_heads, d_rope).transpose(0, 2, 1, 3), pos - t)"))
fixture("mla_decode", "absorbed", "expands_every_step")

# beam_reorder
fixture("beam_reorder", "random_f64", "only_k", ("np.take(v, rows, axis=1)", "v"))
fixture("beam_reorder", "random_f64", "in_place_aliasing",
        ("    return np.take(k, rows, axis=1), np.take(v, rows, axis=1)",
         "    for i, row in enumerate(rows):  # in place, no extra memory\n        k[:, i] = k[:, row]\n        v[:, i] = v[:, row]\n    return k, v"))
fixture("beam_reorder", "random_f64", "no_batch_offset", ("(parents + beams * np.arange(batch)[:, None]).ravel()", "parents.ravel()"))
fixture("beam_reorder", "random_f64", "wrong_axis", ("np.take(k, rows, axis=1), np.take(v, rows, axis=1)",
        "np.take(k, rows, axis=0), np.take(v, rows, axis=0)"), status="error")
fixture("beam_reorder", "random_f64", "scatter",
        ("    return np.take(k, rows, axis=1), np.take(v, rows, axis=1)",
         "    new_k, new_v = k.copy(), v.copy()\n    new_k[:, rows] = k\n    new_v[:, rows] = v\n    return new_k, new_v"))

# linear_attention
fixture("linear_attention", "parallel_f64", "not_causal",
        ("kv = np.cumsum(np.einsum(\"bhld,bhle->bhlde\", fk, v), axis=2)", "kv = np.einsum(\"bhld,bhle->bhlde\", fk, v).sum(axis=2, keepdims=True)"),
        ("z = np.cumsum(fk, axis=2)  # (B, H, L, d)", "z = fk.sum(axis=2, keepdims=True)"))
fixture("linear_attention", "parallel_f64", "no_normaliser", ("    return num / den[..., None]\n", "    return num\n"))
fixture("linear_attention", "parallel_f64", "negative_feature_map", ("np.where(x > 0, x + 1.0, np.exp(np.minimum(x, 0.0)))", "np.where(x > 0, x, np.exp(np.minimum(x, 0.0)) - 1.0)"))
fixture("linear_attention", "recurrent", "excludes_self",
        ("        s = s + np.einsum(\"bhd,bhe->bhde\", fk, v[:, :, i])\n        z = z + fk\n"
         "        outs.append(np.einsum(\"bhd,bhde->bhe\", fq, s) / np.einsum(\"bhd,bhd->bh\", fq, z)[..., None])\n",
         "        outs.append(np.einsum(\"bhd,bhde->bhe\", fq, s) / np.einsum(\"bhd,bhd->bh\", fq, z + 1e-30)[..., None])\n"
         "        s = s + np.einsum(\"bhd,bhe->bhde\", fk, v[:, :, i])\n        z = z + fk\n"))
fixture("linear_attention", "recurrent", "state_grows",
        ("    outs = []\n", "    keys = [k] if state is None else [state[2], k]  # keeps the history too\n    outs = []\n"),
        ("    return np.stack(outs, axis=2), (s, z)", "    return np.stack(outs, axis=2), (s, z, np.concatenate(keys, axis=2))"),
        ("        s, z = state\n", "        s, z = state[0], state[1]\n"))


def main() -> None:
    out = HERE / "fixtures"
    out.mkdir(exist_ok=True)
    expected = {}
    for name, (exercise, test, mistake, edits) in FIXTURES.items():
        source = HERE / "fixtures_src" / f"{name}.py"
        text = (source if source.exists() else HERE / "solutions" / f"{exercise}.py").read_text(encoding="utf-8")
        for old, new in edits:
            assert old in text, (name, old)
            text = text.replace(old, new)
        header = f'"""Gallery: {exercise} with one mistake, {mistake} (the worked solution with it put in)."""\n\n'
        (out / f"{name}.py").write_text(header + text, encoding="utf-8")
        expected[f"{name}.py"] = {"exercises": [exercise], "status": {exercise: STATUS[name]}, "diagnosis": {test: mistake}}
    (out / "expected.yaml").write_text(yaml.safe_dump(expected, sort_keys=True, width=200), encoding="utf-8")


if __name__ == "__main__":
    main()
