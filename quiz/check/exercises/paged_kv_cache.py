"""paged_kv_cache: fixed-size blocks and a block table per sequence (vLLM's PagedAttention), checked against
a contiguous cache kept by the checker."""

from __future__ import annotations

import statistics
import time
from typing import Any

import numpy as np

from quiz.check import unit as base
from quiz.check.unit import Context, Tests, Wrong
from quiz.i18n import t

from quiz.check.exercises._parts import compare_parts, child_cpu_clock

# --- reference (the solution is compared with a contiguous cache; this is the trusted paged one) ---


class PagedKVCache:
    """A pool of blocks (N, H, block_size, hd); each sequence owns a list of block ids (its block table)."""

    def __init__(self, num_blocks, block_size, n_heads, head_dim, dtype="float64"):
        self.block_size = block_size
        self.k = np.zeros((num_blocks, n_heads, block_size, head_dim), dtype=dtype)  # (N, H, bs, hd)
        self.v = np.zeros_like(self.k)  # (N, H, bs, hd)
        self.free_blocks = list(range(num_blocks))[::-1]  # pop() hands out block 0 first
        self.refs = [0] * num_blocks  # how many sequences use each block
        self.tables: dict = {}  # sequence -> [block id, ...]
        self.lengths: dict = {}  # sequence -> tokens

    def _take(self):
        assert self.free_blocks, "the pool has no free block left"
        block = self.free_blocks.pop()
        self.refs[block] = 1
        return block

    def _release(self, block):
        self.refs[block] -= 1
        if self.refs[block] == 0:
            self.free_blocks.append(block)

    def append(self, seq, k, v):
        assert k.ndim == 3 and k.shape[:2] == v.shape[:2], f"k {k.shape}, v {v.shape}: each (H, new, hd)"
        table, n = self.tables.setdefault(seq, []), self.lengths.get(seq, 0)
        for i in range(k.shape[1]):
            slot = n % self.block_size
            if slot == 0:
                table.append(self._take())  # the last block is full, or there is none yet
            elif self.refs[table[-1]] > 1:  # a partial block shared with a fork: copy it first (copy-on-write)
                block = self._take()
                self.k[block], self.v[block] = self.k[table[-1]], self.v[table[-1]]
                self._release(table[-1])
                table[-1] = block
            self.k[table[-1], :, slot] = k[:, i]  # writes one slot: the other blocks are never copied
            self.v[table[-1], :, slot] = v[:, i]
            n += 1
        self.lengths[seq] = n

    def gather(self, seq):
        table, n = self.tables[seq], self.lengths[seq]
        h, hd = self.k.shape[1], self.k.shape[3]
        k = self.k[table].transpose(1, 0, 2, 3).reshape(h, -1, hd)[:, :n]  # (H, n, hd)
        v = self.v[table].transpose(1, 0, 2, 3).reshape(h, -1, self.v.shape[3])[:, :n]
        return k, v

    def block_table(self, seq):
        return np.array(self.tables[seq], dtype=np.int64)  # (ceil(n / block_size),)

    def free(self, seq):
        for block in self.tables.pop(seq):
            self._release(block)
        del self.lengths[seq]

    def fork(self, parent, child):
        self.tables[child], self.lengths[child] = list(self.tables[parent]), self.lengths[parent]
        for block in self.tables[child]:
            self.refs[block] += 1

    def num_free_blocks(self):
        return len(self.free_blocks)

    def attention(self, q, seqs):
        out = np.empty_like(q)  # (n, H, hd): one query per sequence
        for i, seq in enumerate(seqs):
            k, v = self.gather(seq)  # (H, len, hd)
            scores = q[i][:, None] @ np.swapaxes(k, -1, -2) / q.shape[-1] ** 0.5  # (H, 1, len)
            e = np.exp(scores - scores.max(axis=-1, keepdims=True))
            out[i] = ((e / e.sum(axis=-1, keepdims=True)) @ v)[:, 0]  # (H, hd)
        return out


def contiguous(k_chunks, v_chunks):
    """What gather must return after these appends: the chunks (H, new, hd) end to end."""
    return np.concatenate(k_chunks, axis=1), np.concatenate(v_chunks, axis=1)  # (H, length, hd) each


# the mistakes: all recognised by the tests themselves (what the block table, the free count and the
# wrong rows of a gather show), none by a variant
VARIANTS: dict[str, None] = {
    "boundary_off_by_one": None,
    "cross_sequence": None,
    "no_copy_on_write": None,
    "freed_blocks_referenced": None,
    "blocks_not_freed": None,
    "copies_blocks": None,
}

# --- the checker's model: a contiguous cache per sequence ---


class Model:
    """What each sequence must hold, plus where every row the test ever appended came from."""

    def __init__(self, ctx: Context, box: Any, n_heads: int, head_dim: int, block_size: int, dtype: type,
                 num_blocks: int) -> None:
        self.ctx, self.box = ctx, box
        self.h, self.hd, self.bs, self.dtype, self.num_blocks = n_heads, head_dim, block_size, dtype, num_blocks
        self.seqs: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.rows: list[tuple[int, int, np.ndarray]] = []  # (sequence, position, key row (H, hd))
        self.handle = box.call("PagedKVCache", num_blocks, block_size, n_heads, head_dim, np.dtype(dtype).name)

    def empty(self) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros((self.h, 0, self.hd), self.dtype), np.zeros((self.h, 0, self.hd), self.dtype)

    def append(self, seq: int, new: int) -> None:
        k, v = self.ctx.normal((self.h, new, self.hd), self.dtype), self.ctx.normal((self.h, new, self.hd), self.dtype)
        self.box.call_method(self.handle, "append", seq, k, v)
        old_k, old_v = self.seqs.get(seq, self.empty())
        for i in range(new):
            self.rows.append((seq, old_k.shape[1] + i, k[:, i]))
        self.seqs[seq] = (np.concatenate([old_k, k], axis=1), np.concatenate([old_v, v], axis=1))

    def fork(self, parent: int, child: int) -> None:
        self.box.call_method(self.handle, "fork", parent, child)
        self.seqs[child] = self.seqs[parent]

    def free(self, seq: int) -> None:
        self.box.call_method(self.handle, "free", seq)
        del self.seqs[seq]

    def blocks_in_use(self, shared: int = 0) -> int:
        return sum(-(-k.shape[1] // self.bs) for k, _ in self.seqs.values()) - shared

    def expect_free(self, shared: int = 0, context: str = "") -> None:
        got = self.box.call_method(self.handle, "num_free_blocks")
        expected = self.num_blocks - self.blocks_in_use(shared)
        if got != expected:
            diagnosis = "blocks_not_freed" if isinstance(got, int) and got < expected else None
            raise Wrong(t("exercise.paged_free", got=got, expected=expected, context=context), diagnosis=diagnosis)

    def expect_table(self, seq: int) -> None:
        got = self.box.call_method(self.handle, "block_table", seq)
        table = np.asarray(got) if isinstance(got, (list, tuple, np.ndarray)) else None
        n = self.seqs[seq][0].shape[1]
        expected = -(-n // self.bs)
        if table is None or table.ndim != 1 or table.dtype.kind not in "iu" and table.size:
            raise Wrong(t("exercise.paged_table_kind", got=base.describe(got)))
        if len(table) != expected:
            off = len(table) in (n // self.bs + 1, n // self.bs, expected - 1, expected + 1)
            raise Wrong(t("exercise.paged_table", seq=seq, n=n, bs=self.bs, got=len(table), expected=expected),
                        diagnosis="boundary_off_by_one" if off else None)
        outside = table.min(initial=0) < 0 or table.max(initial=0) >= self.num_blocks
        if len(set(table.tolist())) != len(table) or outside:
            raise Wrong(t("exercise.paged_table_ids", seq=seq, table=table.tolist()[:12], n=self.num_blocks))

    def expect_gather(self, seq: int, wrong_owner: str = "cross_sequence") -> None:
        got = self.box.call_method(self.handle, "gather", seq)
        expected = self.seqs[seq]
        problem = compare_parts(got, expected, ("k", "v"), self.ctx)
        if problem is None:
            return
        raise Wrong(t("exercise.paged_gather", seq=seq, problem=problem[0]), problem[1],
                    self._whose_rows(seq, got, wrong_owner))

    def _whose_rows(self, seq: int, got: Any, wrong_owner: str) -> str | None:
        """Name the mistake from where the wrong rows of a gather came from."""
        k = got[0] if isinstance(got, (tuple, list)) and got else None
        expected = self.seqs[seq][0]
        if not isinstance(k, np.ndarray) or k.shape != expected.shape:
            return None
        same = lambda a, b: bool(np.allclose(a, b, rtol=1e-6, atol=1e-9))
        wrong = [p for p in range(k.shape[1]) if not same(k[:, p], expected[:, p])]
        mine = [expected[:, p] for p in range(expected.shape[1])]
        theirs = [row for _, _, row in self.rows if not any(same(row, own) for own in mine)]
        foreign = [p for p in wrong if any(same(k[:, p], row) for row in theirs)]
        if foreign:
            return wrong_owner  # some wrong rows hold another sequence's data
        if wrong and all(p % self.bs in (0, self.bs - 1) for p in wrong):
            return "boundary_off_by_one"
        return None


def _model(ctx: Context, num_blocks: int, dtype: type = np.float64, block_size: int | None = None) -> Model:
    if "PagedKVCache" not in ctx.sandbox.info.defined:
        raise Wrong(t("exercise.missing_function", name="PagedKVCache"))
    bs = ctx.size(2, 4) if block_size is None else block_size
    return Model(ctx, ctx.sandbox, ctx.size(1, 3), ctx.size(2, 4), bs, dtype, num_blocks)



TESTS = Tests()

@TESTS.case("one_sequence")
def test_one_sequence(ctx: Context) -> None:
    m = _model(ctx, 16)
    for new in [m.bs - 1, 1, 1, m.bs, 2 * m.bs + 1, 1]:  # across every kind of block boundary
        m.append(0, new)
        m.expect_table(0)
        m.expect_gather(0)


@TESTS.case("exact_blocks")
def test_exact_blocks(ctx: Context) -> None:
    m = _model(ctx, 16)
    m.append(0, 2 * m.bs)  # exactly two blocks: no third
    m.expect_table(0)
    m.expect_gather(0)
    m.append(0, m.bs)
    m.expect_table(0)
    m.expect_free()


@TESTS.case("several_sequences")
def test_several_sequences(ctx: Context) -> None:
    m = _model(ctx, 32)
    for seq, new in [(0, 3), (1, 1), (2, m.bs + 1), (0, 1), (1, m.bs), (0, m.bs), (2, 1), (1, 1), (3, 2)]:
        m.append(seq, new)  # interleaved appends: the sequences' blocks alternate in the pool
    for seq in m.seqs:
        m.expect_gather(seq)
        m.expect_table(seq)
    m.expect_free()


@TESTS.case("attention")
def test_attention(ctx: Context) -> None:
    m = _model(ctx, 32)
    for seq, new in [(0, 5), (1, 1), (2, 2 * m.bs + 1), (1, 2), (0, 1)]:
        m.append(seq, new)
    seqs = [2, 0, 1]
    q = ctx.normal((len(seqs), m.h, m.hd))
    got = ctx.sandbox.call_method(m.handle, "attention", q, seqs)
    expected = np.stack([_attend(q[i], *m.seqs[seq]) for i, seq in enumerate(seqs)])
    problem = compare_parts(got, expected, None, ctx)
    if problem is not None:
        swapped = [np.stack([_attend(q[i], *m.seqs[s]) for i, s in enumerate(order)])
                   for order in ([0, 1, 2], sorted(seqs, key=lambda s: -m.seqs[s][0].shape[1]))]
        close = any(base.distance(got, other, ctx.tolerance) is not None for other in swapped)
        raise Wrong(t("exercise.paged_attention", problem=problem[0]), problem[1], "cross_sequence" if close else None)


def _attend(q: np.ndarray, k: np.ndarray, v: np.ndarray) -> np.ndarray:
    scores = q[:, None] @ np.swapaxes(k, -1, -2) / q.shape[-1] ** 0.5  # (H, 1, len)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return ((e / e.sum(axis=-1, keepdims=True)) @ v)[:, 0]  # (H, hd)


@TESTS.case("free_and_reuse")
def test_free_and_reuse(ctx: Context) -> None:
    m = _model(ctx, 8, block_size=2)
    m.append(0, 7)  # 4 blocks
    m.append(1, 3)  # 2 blocks
    m.free(0)
    m.expect_free(context="free(0)")
    m.append(2, 8)  # 4 blocks: fits only if sequence 0's blocks came back
    m.append(1, 1)
    for seq in (1, 2):
        m.expect_gather(seq)
    m.expect_free()


@TESTS.case("fork")
def test_fork(ctx: Context) -> None:
    m = _model(ctx, 12, block_size=3)
    m.append(0, 7)  # blocks: 3 + 3 + 1 (partial)
    m.fork(0, 1)
    m.expect_free(shared=3, context="fork(0, 1)")
    m.append(1, 1)  # writes into the shared partial block: it must be copied first
    m.append(0, 2)
    m.expect_gather(0, wrong_owner="no_copy_on_write")
    m.expect_gather(1, wrong_owner="no_copy_on_write")
    m.expect_free(shared=2, context="copy-on-write")
    m.free(0)
    m.append(2, 6)  # takes the freed blocks, never the two full blocks sequence 1 still uses
    m.expect_gather(1, wrong_owner="freed_blocks_referenced")
    m.expect_gather(2, wrong_owner="freed_blocks_referenced")
    m.expect_free()


@TESTS.case("float32")
def test_float32(ctx: Context) -> None:
    m = _model(ctx, 16, np.float32)
    for seq, new in [(0, 3), (1, 2), (0, m.bs + 2), (1, 1)]:
        m.append(seq, new)
    for seq in m.seqs:
        m.expect_gather(seq)


# --- appending never copies the blocks already written ---

LONG = 4096
SHORT = 16
APPENDS = 15
HEADS, HEAD_DIM, BLOCK = 8, 64, 16
CHUNK = 256  # the long prefix is one stored chunk appended LONG // CHUNK times: 1 MiB crosses, not 16
SHARP = 4.0  # the check's query: the last token's key times this, so that attention sees mostly that token
GROWTH = 2.0  # the long sequence's append may take this many times the short one's...
SLACK = 400e-6  # ...plus this many seconds


@TESTS.case("append_cost")
def test_append_cost(ctx: Context) -> dict[str, Any] | None:
    box = ctx.sandbox
    blocks = LONG // BLOCK + SHORT // BLOCK + 2 * APPENDS // BLOCK + 4
    handle = box.call("PagedKVCache", blocks, BLOCK, HEADS, HEAD_DIM, "float32")
    chunk = [ctx.normal((HEADS, CHUNK, HEAD_DIM), np.float32) for _ in range(2)]  # (H, CHUNK, hd): k, v
    stored = [box.put(part) for part in chunk]  # kept in the child: the long prefix never crosses the pipe
    for _ in range(LONG // CHUNK):
        box.call_method(handle, "append", 0, *stored)  # a long sequence, 16 MiB of blocks
    box.call_method(handle, "append", 1, *(part[:, :SHORT] for part in chunk))  # a short one
    clock = child_cpu_clock(box)
    times: dict[int, list[tuple[float, float | None]]] = {0: [], 1: []}
    tokens = [ctx.normal((HEADS, 1, HEAD_DIM), np.float32) for _ in range(2)]
    for i in range(2 * APPENDS):
        seq = i % 2
        cpu = time.clock_gettime(clock) if clock is not None else None
        start = time.perf_counter()
        box.call_method(handle, "append", seq, *tokens)
        wall = time.perf_counter() - start
        times[seq].append((wall, time.clock_gettime(clock) - cpu if clock is not None else None))
    _expect_appended(ctx, handle, chunk, tokens)
    # wall time: the fastest append of each (waiting for a core on a busy machine only ever adds to it);
    # the child's CPU clock: the median
    wall = {seq: min(w for w, _ in found) for seq, found in times.items()}
    cpu = {seq: statistics.median(c for _, c in found) for seq, found in times.items()} if clock is not None else None
    grows_wall = wall[0] > GROWTH * wall[1] + SLACK
    grows_cpu = cpu is None or cpu[0] > GROWTH * cpu[1] + SLACK
    if grows_wall and grows_cpu:  # both clocks must agree before it fails (the wall clock alone is noisy)
        shown = cpu or wall
        raise Wrong(t("exercise.paged_copies", long=LONG, short=SHORT, long_us=shown[0] * 1e6,
                      short_us=shown[1] * 1e6), diagnosis="copies_blocks")
    return None


def _expect_appended(ctx: Context, handle: Any, chunk: list[np.ndarray], tokens: list[np.ndarray]) -> None:
    """The long sequence holds its prefix and the timed appends: one query's attention over it, whose answer
    is a few numbers (a gather would send 16 MiB back). The query is the appended key, sharpened, so that a
    sequence without the appended token gives an answer far from the one expected."""
    q = (SHARP * tokens[0][:, 0])[None]  # (1, H, hd)
    # the sequence is the chunk LONG // CHUNK times over, then the token APPENDS times: each distinct key is
    # counted that many times in the softmax (the log of the count added to its score)
    k, v = (np.concatenate([part, token], axis=1).astype(np.float64) for part, token in zip(chunk, tokens))
    scores = q[0, :, None].astype(np.float64) @ np.swapaxes(k, -1, -2) / HEAD_DIM ** 0.5  # (H, 1, CHUNK + 1)
    scores += np.log(np.r_[np.full(CHUNK, LONG // CHUNK), APPENDS])
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    expected = ((e / e.sum(axis=-1, keepdims=True)) @ v)[:, 0].astype(np.float32)  # (H, hd)
    got = ctx.sandbox.call_method(handle, "attention", q, [0])
    if compare_parts(got, expected[None], None, ctx) is not None:
        raise Wrong(t("exercise.paged_append_lost"))


ERRORS: dict[str, str] = {}
ORACLE = contiguous
