"""The KV-cache speed test: does the solution's cache really make decoding cheaper as the sequence grows?

Three kinds of timed run, each generating tokens one at a time from fresh random inputs:

- user: the solution's ``decode_step`` with the solution's ``KVCache``, in its sandbox;
- cache: the reference ``decode_step`` and ``KVCache``, in a separate trusted child that loaded
  ``references.py`` and never the solution, under the same limits;
- naive: the reference recomputing causal multi-head attention over the whole prefix at every
  step (in the trusted child too: never the solution's own code).

The round trip to a sandbox costs more than a decoding step, so steps are not timed one by one:
each request runs CHUNK-many steps in the child's own loop (``Sandbox.steps``: the harness, not
the solution, loops and returns every output) and is timed here, in the checker, by
``time.perf_counter`` and by the child's kernel CPU clock (Linux). The chunk is chosen so that an
empty round trip, measured in the same run, is under a tenth of a request; that overhead is
reported. Every output of every timed run is checked against the reference.

The pass rule follows what a cache is for: the time of a step must not grow with the prefix the
way recomputing it does. It is judged two ways, on CPU time when it can be read (steadier on a busy
machine) and else on wall time: the Theil-Sen slope of time per step over every position (robust
to a few slow chunks), compared with the naive run's and the reference cache's; and the growth of
the total time between two lengths, the second one random (so a solution cannot pad its early
steps to flatten its curve: padding shows in the totals). A cache with a constant overhead per
step passes, and the overhead is said with its figure.
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from quiz.check import references as ref
from quiz.check.unit import Context, OutOfTime, Wrong, compare
from quiz.check.verdicts import SpeedResult
from quiz.i18n import t

STEPS = 256
ROUNDS = 2  # rounds of (user, cache, naive) at each of the two lengths, interleaved
WARMUP_STEPS = 16
D_MODEL = 256  # large enough that projecting the whole prefix costs far more than a cached step
N_HEADS = 2
DTYPE = np.float32
OVERHEAD_SHARE = 0.1  # an empty round trip is under this share of a timed request
MIN_CHUNK, MAX_CHUNK = 8, 32
# Recomputing the prefix shows as growth of time per step along the positions (the slope, or the late
# steps' extra cost read from the totals at two lengths) above this share of the naive run's and this
# many times the reference cache's.
RECOMPUTE_SHARE = 0.18
RECOMPUTE_FACTOR = 6
BUDGET = 90.0  # seconds for the whole test; only a badly overloaded machine gets near it


def _inputs(ctx: Context, steps: int) -> tuple[np.ndarray, list[np.ndarray]]:
    x = ctx.normal((1, steps, D_MODEL), DTYPE)  # (1, steps, D): one sequence, fed a token at a time
    return x, [ctx.weights(D_MODEL, D_MODEL, DTYPE) for _ in range(4)]


class _CpuClock:
    """The child's CPU time (all its threads, in seconds), read from Linux's process CPU clock.

    The kernel keeps it, so the solution cannot report it; it leaves out time the process waited
    for a core, which is what makes it steadier than wall time on a busy machine.
    """

    def __init__(self, box: Any) -> None:
        pid = getattr(box, "pid", None)
        self.clock = ((~pid) << 3) | 2 if isinstance(pid, int) and sys.platform.startswith("linux") else None

    def read(self) -> float | None:
        if self.clock is None:
            return None
        try:
            return time.clock_gettime(self.clock)
        except OSError:
            self.clock = None
            return None


@dataclass
class _Run:
    """One generation: per chunk its first position, its size and its times; every output."""

    starts: list[int] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)  # seconds per chunk, measured here
    cpu: list[float] | None = field(default_factory=list)  # the child's CPU seconds per chunk, if readable
    outputs: list[Any] = field(default_factory=list)

    def time(self, clock: _CpuClock, start: int, size: int, call: Any) -> None:
        cpu_start = clock.read()
        began = time.perf_counter()
        got = call()
        self.wall.append(time.perf_counter() - began)
        cpu_end = clock.read()
        if cpu_start is None or cpu_end is None:
            self.cpu = None
        elif self.cpu is not None:
            self.cpu.append(cpu_end - cpu_start)
        self.starts.append(start)
        self.sizes.append(size)
        self.outputs += list(got) if isinstance(got, list) else [got]

    def series(self, cpu: bool) -> list[tuple[float, float]]:
        """(position, seconds per step) for each chunk, the position at the chunk's middle."""
        times = self.cpu if cpu else self.wall
        assert times is not None
        return [(start + (size - 1) / 2, seconds / size) for start, size, seconds in zip(self.starts, self.sizes, times)]

    def total(self, cpu: bool) -> float:
        return sum(self.cpu if cpu else self.wall)  # type: ignore[arg-type]


class _TooSlow(Exception):
    def __init__(self, steps: int, seconds: float) -> None:
        super().__init__(steps, seconds)
        self.steps = steps
        self.seconds = seconds


def _stored(box: Any, weights: list[np.ndarray]) -> list[Any]:
    """The weights kept in the child (then only x crosses per request)."""
    return [box.put(w) for w in weights]


def _decode_run(box: Any, x: np.ndarray, weights: list[np.ndarray], chunk: int, limit: float) -> _Run:
    """Decode x a token at a time, `chunk` steps per request; stop past `limit` seconds in all."""
    cache = box.call("KVCache")
    stored = _stored(box, weights)
    clock, run = _CpuClock(box), _Run()
    for start in range(0, x.shape[1], chunk):
        part = x[:, start:start + chunk]  # (1, chunk, D): the harness feeds it one position at a time
        run.time(clock, start, part.shape[1], lambda: box.steps("decode_step", part, cache, *stored, N_HEADS))
        if sum(run.wall) > limit:
            raise _TooSlow(start + part.shape[1], sum(run.wall))
    return run


def _naive_run(box: Any, x: np.ndarray, weights: list[np.ndarray], chunk: int) -> _Run:
    stored = _stored(box, [x, *weights])
    clock, run = _CpuClock(box), _Run()
    for start in range(0, x.shape[1], chunk):
        stop = min(start + chunk, x.shape[1])
        run.time(clock, start, stop - start, lambda: box.call("recompute_steps", stored[0], start, stop, *stored[1:],
                                                              N_HEADS))
    return run


def _check_outputs(ctx: Context, x: np.ndarray, weights: list[np.ndarray], outputs: list, who: str) -> None:
    expected = ref.multi_head_attention(x, *weights, N_HEADS, ref.causal_mask(x.shape[1]))  # (1, steps, D)
    if len(outputs) != x.shape[1]:
        raise Wrong(t("check.speed_wrong", who=who, step=len(outputs), problem=t("check.speed_count",
                                                                                    got=len(outputs), steps=x.shape[1])))
    for step, got in enumerate(outputs):
        if ctx.informational and isinstance(got, np.ndarray) and got.dtype.kind == "f":
            got = got.astype(DTYPE)  # only the figures are wanted: the dtype was reported by the other tests
        problem = compare(got, expected[:, step:step + 1], ctx.tolerance)
        if problem is not None:
            raise Wrong(t("check.speed_wrong", who=who, step=step + 1, problem=problem[0]), problem[1])


def theil_sen(points: list[tuple[float, float]]) -> float:
    """The median of the slopes between every pair of points with different x (robust to outliers)."""
    slopes = [(y2 - y1) / (x2 - x1) for i, (x1, y1) in enumerate(points) for x2, y2 in points[i + 1:] if x2 != x1]
    return statistics.median(slopes) if slopes else 0.0


def growth(long_total: float, short_total: float, long_steps: int, short_steps: int) -> float:
    """The exponent e of total time ~ steps^e between the two lengths (1: linear, 2: quadratic)."""
    return math.log(long_total / short_total) / math.log(long_steps / short_steps)


def recomputes(user: float, cache: float, naive: float) -> bool:
    """Whether a slope of time per step over the positions grows the way recomputing the prefix does."""
    return user > RECOMPUTE_SHARE * naive and user > RECOMPUTE_FACTOR * max(cache, 0.0)


def late_extra(long_total: float, short_total: float, long_steps: int, short_steps: int) -> float:
    """Seconds per step that the steps after the short length cost over the steps before it, from totals:
    (T(long) - T(short)) / (long - short) - T(short) / short. About 0 for a cache, large for recomputation."""
    return (long_total - short_total) / (long_steps - short_steps) - short_total / short_steps


def _empty_round_trip(box: Any, cache: Any) -> float:
    times = []
    for _ in range(9):
        began = time.perf_counter()
        box.length(cache)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def speed_test(ctx: Context) -> dict[str, Any]:
    """Decode with the solution and with the references at two lengths; judge how the time grows."""
    user, trusted = ctx.sandbox, ctx.trusted()
    you, reference = t("check.speed_you"), t("check.speed_reference")
    for box in (user, trusted):  # warm up both children (imports, BLAS buffers, code paths); checked too
        x, weights = _inputs(ctx, WARMUP_STEPS)
        _check_outputs(ctx, x, weights, _decode_run(box, x, weights, WARMUP_STEPS, ctx.timeout).outputs,
                       you if box is user else reference)
    overhead = _empty_round_trip(user, user.call("KVCache"))
    x, weights = _inputs(ctx, WARMUP_STEPS)
    probe = _decode_run(trusted, x, weights, WARMUP_STEPS, ctx.timeout)
    step = min(probe.wall) / WARMUP_STEPS  # the reference cache's time per step
    chunk = max(MIN_CHUNK, min(MAX_CHUNK, math.ceil((1 - OVERHEAD_SHARE) / OVERHEAD_SHARE * overhead / step)))
    short = int(ctx.rng.integers(STEPS // 2, 3 * STEPS // 4 + 1))
    runs: dict[tuple[str, int], list[_Run]] = {(kind, n): [] for kind in ("user", "cache", "naive") for n in (STEPS, short)}
    order = ["naive", "cache", "user"]  # the first round times the naive run first: it bounds the user's run
    deadline = time.monotonic() + BUDGET
    for number in range(ROUNDS):
        for length in (STEPS, short):
            if time.monotonic() > deadline:
                raise OutOfTime(t("check.speed_budget", seconds=BUDGET, pairs=number))
            for kind in order[number % 3:] + order[:number % 3]:
                x, weights = _inputs(ctx, length)
                if kind == "naive":
                    run = _naive_run(trusted, x, weights, chunk)
                elif kind == "cache":
                    run = _decode_run(trusted, x, weights, chunk, float("inf"))
                else:
                    naive = runs[("naive", length)]
                    limit = 2 * naive[-1].total(False) if naive else ctx.timeout
                    try:
                        run = _decode_run(user, x, weights, chunk, limit)
                    except _TooSlow as slow:
                        if not naive:
                            raise OutOfTime(t("check.speed_timeout", steps=slow.steps, seconds=slow.seconds)) from None
                        raise Wrong(t("check.speed_slower_than_naive", steps=slow.steps, seconds=slow.seconds,
                                      naive=naive[-1].total(False)), diagnosis="recomputes_prefix") from None
                _check_outputs(ctx, x, weights, run.outputs, you if kind == "user" else reference)
                runs[(kind, length)].append(run)
    result = _result(runs, short, chunk, overhead)
    if not result.passed:
        raise Wrong(_slow_message(result), diagnosis="recomputes_prefix", speed=result)
    return {"speed": result}


def _result(runs: dict[tuple[str, int], list[_Run]], short: int, chunk: int, overhead: float) -> SpeedResult:
    cpu = all(run.cpu is not None for found in runs.values() for run in found)

    def slope(kind: str) -> float:
        return theil_sen([point for run in runs[(kind, STEPS)] for point in run.series(cpu)])

    def total(kind: str, length: int, on_cpu: bool = cpu) -> float:
        return statistics.median(run.total(on_cpu) for run in runs[(kind, length)])

    def series(kind: str) -> tuple[tuple[float, float], ...]:
        """Per chunk of the full length: (position, median µs per step over the rounds), wall time."""
        found = [run.series(False) for run in runs[(kind, STEPS)]]
        return tuple((found[0][i][0], statistics.median(s[i][1] for s in found) * 1e6) for i in range(len(found[0])))

    slopes = {kind: slope(kind) for kind in ("user", "cache", "naive")}
    exponents = {kind: growth(total(kind, STEPS), total(kind, short), STEPS, short) for kind in slopes}
    extra = {kind: late_extra(total(kind, STEPS), total(kind, short), STEPS, short) for kind in slopes}
    recomputed = (recomputes(slopes["user"], slopes["cache"], slopes["naive"])
                  or recomputes(extra["user"], extra["cache"], extra["naive"]))
    user_series, cache_series, naive_series = series("user"), series("cache"), series("naive")
    return SpeedResult(
        steps=STEPS, pairs=ROUNDS, steps_short=short, d_model=D_MODEL, n_heads=N_HEADS, dtype=np.dtype(DTYPE).name,
        chunk=chunk, overhead_us=overhead * 1e6, overhead_share=overhead / (chunk * _per_step(cache_series)),
        cpu=cpu, user_seconds=total("user", STEPS), cache_seconds=total("cache", STEPS),
        naive_seconds=total("naive", STEPS),
        user_slope_ns=slopes["user"] * 1e9, cache_slope_ns=slopes["cache"] * 1e9, naive_slope_ns=slopes["naive"] * 1e9,
        user_growth=exponents["user"], cache_growth=exponents["cache"], naive_growth=exponents["naive"],
        user_series=user_series, cache_series=cache_series, naive_series=naive_series,
        user_step_us=(user_series[0][1], user_series[-1][1]), cache_step_us=(cache_series[0][1], cache_series[-1][1]),
        naive_step_us=(naive_series[0][1], naive_series[-1][1]), recomputes=recomputed,
    )


def _per_step(series: tuple[tuple[float, float], ...]) -> float:
    return statistics.median(us for _, us in series) * 1e-6


def _slow_message(result: SpeedResult) -> str:
    return t("check.speed_recomputes", early=result.user_step_us[0], late=result.user_step_us[1],
             cache_early=result.cache_step_us[0], cache_late=result.cache_step_us[1],
             slope=result.user_slope_ns, cache_slope=result.cache_slope_ns, naive_slope=result.naive_slope_ns,
             growth=result.user_growth, cache_growth=result.cache_growth, naive_growth=result.naive_growth)
