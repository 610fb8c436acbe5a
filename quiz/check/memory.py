"""The flash-attention memory test: the solution must not hold an L x L score matrix.

The solution runs in a child of its own whose address space (RLIMIT_AS) is capped at what a
clean child uses (the trusted child that loaded ``references.py``, measured as soon as it started,
before the speed test made it grow) plus HEADROOM. Both children run BLAS's products once before
their limits (WARM_BLAS), so BLAS's own work buffers are in the baseline and never count against
a solution. At LENGTH one L x L score matrix in the input dtype is larger than
HEADROOM, while a tiled solution needs a few megabytes. The limit is set from the trusted
child, not from the solution's own child, so memory a solution reserves while loading and
frees inside the call does not buy it room. With reference figures shared by a class run
(``quiz.check.figures``) the baseline is the one they carry: a trusted child of the same level,
measured the same way when they were, and no trusted child is started here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from quiz.check import references as ref
from quiz.check.unit import Context, Wrong, compare
from quiz.check.verdicts import MemoryResult
from quiz.i18n import t

LENGTH = 4096
HEAD_DIM = 32
DTYPE = np.float32
BLOCK_SIZE = 128
HEADROOM = 48 << 20  # one (4096, 4096) float32 matrix is 64 MiB
WARM_BLAS = (LENGTH, HEAD_DIM, BLOCK_SIZE)  # both children map BLAS's buffers before their limits (_child.warm_blas)
CHECKED_ROWS = 512  # of the LENGTH output rows, when they are right (see _rows)


def memory_test(ctx: Context) -> dict[str, Any]:
    from quiz.check.sandbox import CallError, Limits, Sandbox, SandboxFailure, SolutionLoadError

    if ctx.figures is not None:  # shared by a class run: a clean trusted child's, measured once (quiz.check.figures)
        baseline = ctx.figures.clean_address_space
    else:
        ctx.trusted()  # started (if the speed test has not), its clean address space read first
        baseline = ctx.trusted.clean_address_space
    found = MemoryResult(length=LENGTH, head_dim=HEAD_DIM, matrix_bytes=LENGTH * LENGTH * np.dtype(DTYPE).itemsize,
                         allowed_bytes=HEADROOM)
    q, k, v = (ctx.normal((1, LENGTH, HEAD_DIM), DTYPE) for _ in range(3))  # (1, L, d)
    too_big = t("check.memory_full", length=LENGTH, matrix=found.matrix_bytes >> 20, allowed=HEADROOM >> 20)
    limits = Limits(timeout=ctx.timeout, memory_bytes=baseline + HEADROOM, warm_blas=WARM_BLAS)
    try:
        with Sandbox(ctx.source, limits, ctx.sandbox.level, protected=ctx.protected) as box:  # the solution's level
            got = box.call("flash_attention", q, k, v, block_size=BLOCK_SIZE)
    except SolutionLoadError as exc:
        raise Wrong(t("check.memory_load", message=exc.message), memory=found) from None
    except CallError as exc:
        if "MemoryError" not in exc.exc_type:
            raise
        raise Wrong(too_big, diagnosis="full_matrix", memory=found) from None
    except SandboxFailure as failure:
        if failure.kind != "memory":
            raise
        raise Wrong(too_big, diagnosis="full_matrix", memory=found) from None
    rows = _rows(ctx)
    if not (isinstance(got, np.ndarray) and got.shape == q.shape[:-1] + v.shape[-1:] and got.dtype == q.dtype
            and compare(got[:, rows], ref.scaled_dot_product_attention(q[:, rows], k, v), ctx.tolerance) is None):
        problem = compare(got, ref.scaled_dot_product_attention(q, k, v), ctx.tolerance)  # every row, to say what is wrong
        if problem is not None:
            raise Wrong(t("check.memory_wrong", length=LENGTH, problem=problem[0]), problem[1], memory=found)
    return {"memory": found}


def _rows(ctx: Context) -> np.ndarray:
    """The query rows whose outputs are read when they are right: the first and last row of every block
    and random others, CHECKED_ROWS of the LENGTH in all (every row is read only to describe a mistake).

    The reference over all L x L scores costs more than the solution's own call, and this test is
    about memory: the other tests of the exercise read every row, at smaller sizes. A wrong block
    edge is always caught, and rows the solution cannot know of are read from every block: an output
    wrong in more than a few rows of 4096 does not get past (one wrong row in 8 is missed with odds of
    (7/8)^448). A mistake confined to a single interior row at this size alone could be."""
    edges = np.unique(np.r_[np.arange(0, LENGTH, BLOCK_SIZE), np.arange(BLOCK_SIZE - 1, LENGTH, BLOCK_SIZE)])
    others = np.setdiff1d(np.arange(LENGTH), edges)
    return np.sort(np.r_[edges, ctx.rng.choice(others, CHECKED_ROWS - len(edges), replace=False)])
