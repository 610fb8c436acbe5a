"""The KV-cache speed test, on the worked solution (a real run); the recompute check on its own."""

from __future__ import annotations

import subprocess
import sys
import time
from types import SimpleNamespace

import pytest

from quiz.check import speed
from quiz.check.sandbox import Sandbox
from quiz.check.runner import CheckOptions, run_check
from quiz.check.verdicts import Status
from tests.conftest import REPO


@pytest.mark.slow
def test_the_worked_cache_passes_with_figures_from_one_run() -> None:
    result = run_check(REPO / "solutions" / "attention.py", CheckOptions(exercises=("decode_step",)))
    verdict = result.tests[-1]
    assert verdict.test == "speed" and verdict.status is Status.PASSED, verdict.message
    figures = verdict.speed
    assert figures is not None and (figures.steps, figures.pairs) == (256, 5) and not figures.recomputes
    assert figures.cache_speedup > 1.5 and figures.user_speedup >= 0.4 * figures.cache_speedup
    early, late = figures.naive_step_us
    assert late > 2 * early  # recomputing grows with the prefix: the test measures something real
    # every step of 2 warm-up and 15 timed runs was one round trip, all counted
    assert result.timings["calls"] > (2 * speed.WARMUP_STEPS + 3 * speed.PAIRS * speed.STEPS)
    # CPU-time figures come with them wherever the sandbox tells the child's process id
    assert (figures.user_cpu_step_us is not None) == hasattr(Sandbox, "pid")


def test_the_cpu_clock_reads_another_process_and_never_its_reports() -> None:
    spin = "import time\nend = time.monotonic() + 0.4\nwhile time.monotonic() < end: pass\n"
    with subprocess.Popen([sys.executable, "-c", spin]) as child:
        clock = speed._CpuClock(SimpleNamespace(pid=child.pid))
        first = clock.read()
        time.sleep(0.2)
        second = clock.read()
        assert first is not None and second is not None and second > first
    assert speed._CpuClock(SimpleNamespace()).read() is None  # no pid: wall time only


@pytest.mark.parametrize(
    ("user", "cache", "naive", "recomputes"),
    [
        ((200, 700), (120, 160), (300, 2300), True),  # grows like a quarter of recomputing everything
        ((130, 170), (120, 160), (300, 2300), False),  # grows like the reference cache
        ((130, 230), (120, 160), (300, 2300), False),  # np.concatenate copies: a little more growth
        ((200, 700), (120, 600), (300, 2300), False),  # everything slowed down late in the run: noise
    ],
    ids=["recomputes", "cache", "concatenating-cache", "noise"],
)
def test_recomputing_is_recognised_by_how_the_time_per_step_grows(user, cache, naive, recomputes: bool) -> None:
    assert speed.recomputes(user, cache, naive) is recomputes
