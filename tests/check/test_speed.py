"""The KV-cache speed test, on the worked solution (a real run); the recompute check on its own."""

from __future__ import annotations

import subprocess
import sys
import time
from types import SimpleNamespace

import pytest

from quiz.check import speed
from quiz.check.report import speed_chart
from quiz.check.sandbox import Limits, Sandbox
from quiz.check.runner import CheckOptions, run_check
from quiz.check.verdicts import Status
from tests.conftest import REPO


@pytest.mark.slow
def test_the_worked_cache_passes_with_figures_from_one_run() -> None:
    result = run_check(REPO / "solutions" / "attention.py", CheckOptions(exercises=("decode_step",)))
    verdict = result.tests[-1]
    assert verdict.test == "speed" and verdict.status is Status.PASSED, verdict.message
    figures = verdict.speed
    assert figures is not None and (figures.steps, figures.d_model, figures.n_heads) == (256, 256, 2)
    assert speed.ROUNDS <= figures.pairs <= speed.MAX_ROUNDS
    assert figures.dtype == "float32" and not figures.recomputes and figures.passed
    assert speed.STEPS // 2 <= figures.steps_short <= 3 * speed.STEPS // 4
    assert speed.MIN_CHUNK <= figures.chunk <= speed.MAX_CHUNK and figures.overhead_us > 0
    assert figures.cache_speedup > 1.5
    assert figures.naive_slope_ns > 10 * max(figures.cache_slope_ns, 1)  # recomputing grows: a real measure
    assert figures.naive_growth > figures.cache_growth + 0.3
    # one point per timed request, and a timed request is a chunk of steps, not one step
    chunks = -(-speed.STEPS // figures.chunk)
    assert len(figures.user_series) == len(figures.cache_series) == len(figures.naive_series) == chunks
    assert figures.cpu == hasattr(Sandbox, "pid")
    assert not figures.grows and "grows with the length" not in "\n".join(speed_chart(figures))


def test_the_cpu_clock_reads_another_process_and_never_its_reports() -> None:
    spin = "import time\nend = time.monotonic() + 0.4\nwhile time.monotonic() < end: pass\n"
    with subprocess.Popen([sys.executable, "-c", spin]) as child:
        clock = speed._CpuClock(SimpleNamespace(pid=child.pid))
        first = clock.read()
        time.sleep(0.2)
        second = clock.read()
        assert first is not None and second is not None and second > first
    assert speed._CpuClock(SimpleNamespace()).read() is None  # no pid: wall time only


def test_the_cpu_clock_of_a_real_sandbox_counts_a_worker_it_forked_where_it_has_a_cgroup() -> None:
    with Sandbox(REPO / "tests" / "sandbox_gallery" / "workers.py", Limits(timeout=10)) as box:
        clock = speed._CpuClock(box)
        first = clock.read()
        box.call("spin_workers", 1, 0.3)  # a forked worker's CPU time: the cgroup counts it, the harness's clock not
        second = clock.read()
        assert first is not None and second is not None
        assert second - first >= (0.25 if box.bounded_by == "cgroup" else 0.0)
    assert clock.read() is None  # the child is gone


def test_the_cpu_clock_prefers_the_sandboxs_own_reading_of_all_its_processes() -> None:
    readings = iter([1.5, 2.25])
    clock = speed._CpuClock(SimpleNamespace(pid=1, cpu_seconds=lambda: next(readings)))
    assert (clock.read(), clock.read()) == (1.5, 2.25)  # what Sandbox.cpu_seconds said, not process 1's clock


@pytest.mark.parametrize(
    ("user", "cache", "naive", "recomputes"),
    [
        (2000.0, 30.0, 10000.0, True),  # grows like a fifth of recomputing everything
        (40.0, 30.0, 10000.0, False),  # grows like the reference cache
        (150.0, 30.0, 10000.0, False),  # np.concatenate copies: a little more growth
    ],
    ids=["recomputes", "cache", "concatenating-cache"],
)
def test_recomputing_is_recognised_by_the_slope_of_time_per_step(user, cache, naive, recomputes: bool) -> None:
    assert speed.recomputes(user, cache, naive) is recomputes


@pytest.mark.parametrize(
    ("user", "cache", "early", "grows"),
    [
        (607e-9, 25e-9, 124e-6, True),  # np.concatenate every step (figures of a real run): 124 -> 1409 µs
        (219e-9, 39e-9, 60e-6, True),  # the same on a quieter run: 60 -> 201 µs
        (25e-9, 25e-9, 20e-6, False),  # the reference cache
        (60e-9, 30e-9, 60e-6, False),  # ... a noisy run of it
        (30e-9, 25e-9, 250e-6, False),  # a constant overhead per step
        (200e-9, 20e-9, 500e-6, False),  # grows, but adds a tenth of a slow step's time over the run
    ],
    ids=["concatenating-cache", "concatenating-cache-quiet", "cache", "cache-noisy", "constant-overhead", "slight-growth"],
)
def test_growth_of_time_per_step_is_told_from_a_constant_overhead(user, cache, early, grows: bool) -> None:
    assert speed.grows(user, cache, speed.STEPS, early) is grows


def test_the_late_steps_extra_cost_is_read_from_the_totals_at_two_lengths() -> None:
    # a cache: 100 us a step whatever the position; recomputing: 10 us per position
    assert speed.late_extra(256 * 100e-6, 128 * 100e-6, 256, 128) == pytest.approx(0.0, abs=1e-12)
    quadratic = speed.late_extra(10e-6 * 256 ** 2 / 2, 10e-6 * 128 ** 2 / 2, 256, 128)
    assert quadratic == pytest.approx(10e-6 * 128, rel=0.01)  # late steps cost ~128 positions more, each 10 us


def test_theil_sen_ignores_a_few_slow_chunks_and_growth_reads_the_exponent() -> None:
    line = [(float(x), 2.0 * x + 1) for x in range(20)]
    noisy = [(x, y + (1000 if i in (3, 11) else 0)) for i, (x, y) in enumerate(line)]
    assert speed.theil_sen(line) == pytest.approx(2.0) and speed.theil_sen(noisy) == pytest.approx(2.0)
    assert speed.growth(4.0, 1.0, 200, 100) == pytest.approx(2.0) and speed.growth(2.0, 1.0, 200, 100) == pytest.approx(1.0)


def test_a_cache_that_recomputes_fails_and_a_copying_cache_passes() -> None:
    fake = run_check(REPO / "tests" / "check_gallery" / "fake_cache_recomputes.py", CheckOptions(seed=3, exercises=("decode_step",)))
    timed = fake.tests[-1]
    assert timed.status is Status.FAILED and timed.diagnosis == "recomputes_prefix" and timed.speed is not None
    good = run_check(REPO / "tests" / "check_gallery" / "good_concat_cache.py", CheckOptions(seed=3, exercises=("decode_step",)))
    timed = good.tests[-1]
    assert timed.status is Status.PASSED and timed.speed is not None, timed.message
    # it copies the cache every step: the report says its time per step grows, never "a constant overhead"
    assert timed.speed.grows and timed.speed.user_slope_ns > timed.speed.cache_slope_ns
    text = "\n".join(speed_chart(timed.speed))
    assert "grows with the length" in text and "np.concatenate" in text and "constant overhead" not in text, text


def test_the_speed_figure_is_reported_even_when_only_the_dtype_is_wrong(tmp_path) -> None:
    source = (REPO / "solutions" / "attention.py").read_text(encoding="utf-8")
    promoted = tmp_path / "promoted.py"
    promoted.write_text(source + "\n\n_decode_step = decode_step\n\n\ndef decode_step(*args):\n"
                        "    return _decode_step(*args).astype(np.float64)\n", encoding="utf-8")
    result = run_check(promoted, CheckOptions(seed=3, exercises=("decode_step",)))
    dtype = next(v for v in result.tests if v.test == "float32")
    assert dtype.status is Status.FAILED and dtype.diagnosis == "float64_promoted"
    timed = result.tests[-1]
    assert timed.status is Status.SKIPPED and timed.points == 0 and timed.speed is not None
    assert "for information" in timed.message


def _run(wall: list[float], cpu: list[float] | None) -> speed.Run:
    return speed.Run(starts=[32 * i for i in range(len(wall))], sizes=[32] * len(wall), wall=wall, cpu=cpu)


def test_a_run_of_yours_stops_at_twice_the_recomputing_runs_cpu_time_and_wall_time_gets_slack() -> None:
    naive = _run([0.5, 0.5], [0.4, 0.4])  # recomputing: 1.0 s wall, 0.8 s CPU
    limit = speed._Limit.of(naive, timeout=10)
    limit.check(_run([1.0, 1.5], [0.3, 0.4]), 64)  # slow on the wall clock only (a busy machine): goes on
    with pytest.raises(speed._TooSlow) as slow:
        limit.check(_run([0.9, 0.9], [0.8, 0.9]), 64)  # 1.7 s of CPU > 2 x 0.8 s
    assert (slow.value.steps, slow.value.seconds, slow.value.naive) == (64, pytest.approx(1.7), pytest.approx(0.8))
    with pytest.raises(speed._TooSlow):
        limit.check(_run([2.0, 2.5], [0.3, 0.4]), 64)  # past 2 x 2 x 1.0 s of wall time even so
    wall_only = speed._Limit.of(_run([0.5, 0.5], None), timeout=10)
    with pytest.raises(speed._TooSlow):
        wall_only.check(_run([1.0, 1.5], None), 64)  # no CPU clock: 2 x the wall time
