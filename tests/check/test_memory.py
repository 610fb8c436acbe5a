"""The flash-attention memory test: a tiled solution fits, the full L x L matrix does not."""

from __future__ import annotations

import numpy as np

from quiz.check import memory
from quiz.check.runner import CheckOptions, run_check
from quiz.check.verdicts import Status
from tests.conftest import REPO


def test_one_score_matrix_is_larger_than_the_room_allowed() -> None:
    assert memory.LENGTH ** 2 * np.dtype(memory.DTYPE).itemsize > memory.HEADROOM
    assert memory.LENGTH > memory.BLOCK_SIZE


def test_the_tiled_solution_passes_and_the_full_matrix_fails_saying_why() -> None:
    tiled = run_check(REPO / "solutions" / "attention.py", CheckOptions(seed=5, exercises=("flash_attention",)))
    full = run_check(REPO / "tests" / "check_gallery" / "flash_full_matrix.py",
                     CheckOptions(seed=5, exercises=("flash_attention",)))
    passed, failed = tiled.tests[-1], full.tests[-1]
    assert passed.test == failed.test == "memory"
    assert passed.status is Status.PASSED and passed.memory is not None and passed.memory.length == 4096
    assert [v.status for v in full.tests[:-1]] == [Status.PASSED] * (len(full.tests) - 1)
    assert failed.status is Status.FAILED and failed.diagnosis == "full_matrix"
    assert failed.message == ("ran out of memory at L=4096: one L x L score matrix needs 64 MiB and only 48 MiB "
                              "are allowed; compute it block by block")
