"""The KV-cache speed test: does the solution's cache really make decoding cheaper as the sequence grows?

Three kinds of timed run, each generating tokens one at a time from fresh random inputs (a round's
inputs are the same for yours and the reference cache's):

- user: the solution's ``decode_step`` with the solution's ``KVCache``, in its sandbox;
- cache: the reference ``decode_step`` and ``KVCache``, in a separate trusted child that loaded
  ``references.py`` and never the solution, under the same limits;
- naive: the reference recomputing causal multi-head attention over the whole prefix at every
  step (in the trusted child too: never the solution's own code).

The round trip to a sandbox costs more than a decoding step, so steps are not timed one by one:
each request runs CHUNK-many steps in the child's own loop (``Sandbox.steps``: the harness, not
the solution, loops and returns every output, stacked into one array when they are alike) and is
timed here, in the checker, by ``time.perf_counter`` and by the child's CPU time as the kernel
counts it (``_CpuClock``). The chunk is chosen so that an empty round trip, measured in the same
run, is under OVERHEAD_SHARE of a request; that overhead is reported. Every output of every timed
run is checked against the reference.

The pass rule follows what a cache is for: the time of a step must not grow with the prefix the
way recomputing it does. It is judged two ways, on CPU time when it can be read (steadier on a busy
machine) and else on wall time: the Theil-Sen slope of time per step over every position (robust
to a few slow chunks), compared with the naive run's and the reference cache's; and the growth of
the total time between two lengths, the second one random and read from the first positions of
the same runs (the solution, fed a token at a time in requests of one size, cannot tell where it
falls, so it cannot pad its early steps to flatten its curve: padding shows in the totals). A
cache with a constant overhead per step passes, and the overhead is said with its figure; so does a
cache whose time per step grows far slower than recomputing's (it copies the cache every step, as
``np.concatenate`` does), and the report says that it grows, and how much slower than recomputing.

In a class run the trusted side (the warm-up, the recomputing run, the reference cache's runs) is
measured once, by ``reference_runs`` (``quiz.check.figures``), and a check given those figures
(``Context.figures``) times the solution's runs alone, in requests of the figures' chunk, and judges
them against the figures' runs by the same rule, starting no trusted child.
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from quiz.check import references as ref
from quiz.check.unit import Context, OutOfTime, Wrong, compare
from quiz.check.verdicts import SpeedResult
from quiz.i18n import t

STEPS = 256
ROUNDS = 3  # timed runs of yours and of the reference cache, interleaved (the recomputing run is timed once)
MAX_ROUNDS = 5  # the stopping rule: further rounds only while the runs of one kind disagree
AGREE = 1.2  # runs of one kind agree when the slowest total is within this factor of the fastest
WARMUP_STEPS = 16
D_MODEL = 256  # large enough that projecting the whole prefix costs far more than a cached step
N_HEADS = 2
DTYPE = np.float32
OVERHEAD_SHARE = 0.05  # an empty round trip is under this share of a timed request
MIN_CHUNK, MAX_CHUNK = 32, 64  # past the empty round trip, a request costs a wake-up with cold caches (docs/checker.md)
# Recomputing the prefix shows as growth of time per step along the positions (the slope, or the late
# steps' extra cost read from the totals at two lengths) above this share of the naive run's and this
# many times the reference cache's.
RECOMPUTE_SHARE = 0.18
RECOMPUTE_FACTOR = 6
# A passing cache's time per step "grows" (it copies the cache every step) when its slope, past the reference
# cache's, adds over the run more than this share of its first steps' time.
GROWS_SHARE = 0.5
BUDGET = 90.0  # seconds for the whole test; only a badly overloaded machine gets near it
SLOWER = 2  # a run of yours stops once it has cost this many times the whole recomputing run
WALL_SLACK = 2  # ... on CPU time, when it can be read; wall time, noisier on a busy machine, gets this much more


def _inputs(ctx: Context, steps: int) -> tuple[np.ndarray, list[np.ndarray]]:
    x = ctx.normal((1, steps, D_MODEL), DTYPE)  # (1, steps, D): one sequence, fed a token at a time
    return x, [ctx.weights(D_MODEL, D_MODEL, DTYPE) for _ in range(4)]


class _CpuClock:
    """CPU time the child has used (seconds), read by the kernel, never reported by the solution.

    The sandbox's own reading when it has one (``Sandbox.cpu_seconds``: every process of the sandbox
    where it runs in a cgroup of its own), else Linux's process CPU clock of the harness (all its
    threads). It leaves out time the process waited for a core, which is what makes it steadier than
    wall time on a busy machine.
    """

    def __init__(self, box: Any) -> None:
        reading = getattr(box, "cpu_seconds", None)
        self.reading = reading if callable(reading) else None
        pid = getattr(box, "pid", None)
        self.clock = ((~pid) << 3) | 2 if isinstance(pid, int) and sys.platform.startswith("linux") else None

    def read(self) -> float | None:
        if self.reading is not None:
            return self.reading()
        if self.clock is None:
            return None
        try:
            return time.clock_gettime(self.clock)
        except OSError:
            self.clock = None
            return None


@dataclass
class Run:
    """One generation of STEPS tokens: per chunk its first position, its size and its times; every output."""

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
        self.outputs += got

    def series(self, cpu: bool) -> list[tuple[float, float]]:
        """(position, seconds per step) for each chunk, the position at the chunk's middle."""
        times = self.cpu if cpu else self.wall
        assert times is not None
        return [(start + (size - 1) / 2, seconds / size) for start, size, seconds in zip(self.starts, self.sizes, times)]

    def total(self, cpu: bool, steps: int | None = None) -> float:
        """Seconds for the first `steps` positions (a multiple of the chunk), or for all of them."""
        times = self.cpu if cpu else self.wall
        assert times is not None
        return sum(seconds for start, seconds in zip(self.starts, times) if steps is None or start < steps)


class _TooSlow(Exception):
    def __init__(self, steps: int, seconds: float, naive: float) -> None:
        super().__init__(steps, seconds, naive)
        self.steps = steps
        self.seconds = seconds  # the run so far, on the clock that stopped it
        self.naive = naive  # the whole recomputing run, on that clock


@dataclass(frozen=True)
class _Limit:
    """When a run of yours stops as slower than recomputing: SLOWER times the recomputing run's total, on
    CPU time when it can be read (wall time then gets WALL_SLACK times more, for a busy machine)."""

    wall: float
    cpu: float | None = None

    @staticmethod
    def of(naive: Run | None, timeout: float) -> _Limit:
        if naive is None:
            return _Limit(timeout)
        if naive.cpu is None:
            return _Limit(SLOWER * naive.total(False))
        return _Limit(SLOWER * WALL_SLACK * naive.total(False), SLOWER * naive.total(True))

    def check(self, run: Run, steps: int) -> None:
        if self.cpu is not None and run.cpu is not None and run.total(True) > self.cpu:
            raise _TooSlow(steps, run.total(True), self.cpu / SLOWER)
        if run.total(False) > self.wall:
            raise _TooSlow(steps, run.total(False), self.wall / (SLOWER * (1 if self.cpu is None else WALL_SLACK)))


def _stored(box: Any, weights: list[np.ndarray]) -> list[Any]:
    """The weights kept in the child (then only x crosses per request)."""
    return [box.put(w) for w in weights]


def _decode_run(box: Any, x: np.ndarray, weights: list[np.ndarray], chunk: int, limit: _Limit | None) -> Run:
    """Decode x a token at a time, `chunk` steps per request; stop (_TooSlow) past `limit`."""
    cache = box.call("KVCache")
    stored = _stored(box, weights)
    clock, run = _CpuClock(box), Run()
    for start in range(0, x.shape[1], chunk):
        part = x[:, start:start + chunk]  # (1, chunk, D): the harness feeds it one position at a time
        run.time(clock, start, part.shape[1], lambda: box.steps("decode_step", part, cache, *stored, N_HEADS))
        if limit is not None:
            limit.check(run, start + part.shape[1])
    return run


def _naive_run(box: Any, x: np.ndarray, weights: list[np.ndarray], chunk: int) -> Run:
    stored = _stored(box, [x, *weights])
    clock, run = _CpuClock(box), Run()

    def chunk_of(start: int, stop: int) -> list:
        got = box.call("recompute_steps", stored[0], start, stop, *stored[1:], N_HEADS)  # (1, stop - start, D)
        return [got[:, i:i + 1] for i in range(stop - start)]

    for start in range(0, x.shape[1], chunk):
        stop = min(start + chunk, x.shape[1])
        run.time(clock, start, stop - start, lambda: chunk_of(start, stop))
    return run


def _expected(x: np.ndarray, weights: list[np.ndarray]) -> np.ndarray:
    """What every step must output: causal multi-head attention over the whole sequence, (1, steps, D)."""
    return ref.multi_head_attention(x, *weights, N_HEADS, ref.causal_mask(x.shape[1]))


def _check_outputs(ctx: Context, expected: np.ndarray, outputs: list, who: str) -> None:
    """Every output against its row of `expected`; the first wrong step is named."""
    if len(outputs) != expected.shape[1]:
        raise Wrong(t("check.speed_wrong", who=who, step=len(outputs), problem=t("check.speed_count",
                                                                                    got=len(outputs),
                                                                                    steps=expected.shape[1])))
    if ctx.informational:  # only the figures are wanted: the dtype was reported by the other tests
        outputs = [got.astype(DTYPE) if isinstance(got, np.ndarray) and got.dtype.kind == "f" else got
                   for got in outputs]
    row = (1, 1, expected.shape[2])
    if all(type(got) is np.ndarray and got.shape == row and got.dtype == expected.dtype for got in outputs):
        if compare(np.concatenate(outputs, axis=1), expected, ctx.tolerance) is None:
            return  # all at once: the same element-wise tolerance as step by step
    for step, got in enumerate(outputs):
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


def grows(user: float, cache: float, steps: int, early: float) -> bool:
    """Whether a slope of time per step (seconds per position), past the reference cache's, makes a step late in
    the run clearly dearer than an early one (`early` seconds): by more than GROWS_SHARE of `early` over `steps`
    positions. Not a failure by itself: `recomputes` is."""
    return (user - max(cache, 0.0)) * steps > GROWS_SHARE * early


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


def _agree(runs: list[Run], cpu: bool) -> bool:
    totals = [run.total(cpu) for run in runs]
    return max(totals) <= AGREE * min(totals)


def speed_test(ctx: Context) -> dict[str, Any]:
    """Decode with the solution and with the references; judge how the time grows with the position.

    The recomputing run is timed once (it costs more than all the others together, and being the
    trusted reference its time depends on the position alone); yours and the reference cache's are
    timed ROUNDS times, interleaved, and up to MAX_ROUNDS times while their totals disagree. The
    totals at the second, random length are those of each run's first positions: the solution is fed
    one token at a time and cannot tell where that length falls (every request has the same size).

    With reference figures shared by a class run (``ctx.figures``: measured once, in a trusted child,
    by ``reference_runs``; ``quiz.check.figures``) no trusted child is started: the solution's runs
    alone are timed, in requests of the figures' chunk, ROUNDS times and up to MAX_ROUNDS while they
    disagree, every output still checked, and judged against the figures' recomputing and reference
    cache runs by the same rule.
    """
    shared = ctx.figures
    user = ctx.sandbox
    you, reference = t("check.speed_you"), t("check.speed_reference")
    deadline = time.monotonic() + BUDGET
    x, weights = _inputs(ctx, STEPS)
    expected = _expected(x, weights)
    trusted = None if shared is not None else ctx.trusted()
    step = 0.0 if trusted is None else _warm_up(ctx, trusted, x, weights, expected)
    try:
        warm = _decode_run(user, x[:, :WARMUP_STEPS], weights, WARMUP_STEPS, _Limit.of(None, ctx.timeout))
    except _TooSlow as slow:
        raise OutOfTime(t("check.speed_timeout", steps=slow.steps, seconds=slow.seconds)) from None
    _check_outputs(ctx, expected[:, :WARMUP_STEPS], warm.outputs, you)
    overhead = _empty_round_trip(user, user.call("KVCache"))
    chunk = shared.chunk if shared is not None else _chunk(overhead, step)
    short = chunk * int(ctx.rng.integers(math.ceil(STEPS / 2 / chunk), 3 * STEPS // 4 // chunk + 1))
    if trusted is None:
        naive, cached = shared.naive_run(), shared.cache_runs()
    else:
        naive, cached = _naive_run(trusted, x, weights, chunk), []  # first: it bounds the time your runs may take
        _check_outputs(ctx, expected, naive.outputs, reference)
    limit = _Limit.of(naive, ctx.timeout)
    runs: dict[str, list[Run]] = {"user": [], "cache": cached}
    timed = ("user",) if trusted is None else ("cache", "user")  # the kinds measured here
    cpu = naive.cpu is not None and all(run.cpu is not None for run in cached)
    for number in range(MAX_ROUNDS):
        if number >= ROUNDS and all(_agree(runs[kind], cpu) for kind in timed):
            break
        if time.monotonic() > deadline:
            if number >= ROUNDS:
                break
            raise OutOfTime(t("check.speed_budget", seconds=BUDGET, rounds=number))
        if number:
            x, weights = _inputs(ctx, STEPS)  # fresh inputs for every round, the same for both runs of it
            expected = _expected(x, weights)
        for kind in timed if number % 2 == 0 else timed[::-1]:
            if kind == "cache":
                run = _decode_run(trusted, x, weights, chunk, None)
            else:
                try:
                    run = _decode_run(user, x, weights, chunk, limit)
                except _TooSlow as slow:
                    raise Wrong(t("check.speed_slower_than_naive", steps=slow.steps, seconds=slow.seconds,
                                  naive=slow.naive), diagnosis="recomputes_prefix") from None
            _check_outputs(ctx, expected, run.outputs, you if kind == "user" else reference)
            cpu = cpu and run.cpu is not None
            runs[kind].append(run)
    result = _result(runs, naive, short, chunk, overhead, cpu)
    if shared is not None:
        result = replace(result, shared_at=shared.shown_at,
                         round_trip_ratio=overhead / (shared.overhead_us * 1e-6))
    if not result.passed:
        raise Wrong(_slow_message(result), diagnosis="recomputes_prefix", speed=result)
    return {"speed": result}


def _warm_up(ctx: Context, trusted: Any, x: np.ndarray, weights: list[np.ndarray], expected: np.ndarray) -> float:
    """Warm the trusted child up (checked too): imports, BLAS buffers and code paths, and one recomputation at
    the full length, so that the allocator holds the baseline's largest buffers from then on, as in a process
    that has been decoding for a while (else early recomputing steps pay for fresh pages). Returns the
    reference cache's time per step past its first request (wall clock)."""
    trusted.call("recompute_steps", trusted.put(x), STEPS - 1, STEPS, *_stored(trusted, weights), N_HEADS)
    probe = _decode_run(trusted, x[:, :2 * WARMUP_STEPS], weights, WARMUP_STEPS, _Limit.of(None, ctx.timeout))
    _check_outputs(ctx, expected[:, :2 * WARMUP_STEPS], probe.outputs, t("check.speed_reference"))
    return probe.wall[-1] / WARMUP_STEPS


def _chunk(overhead: float, step: float) -> int:
    """Steps per request: an empty round trip (`overhead` seconds) under OVERHEAD_SHARE of a request of steps
    of `step` seconds, within MIN_CHUNK..MAX_CHUNK."""
    return max(MIN_CHUNK, min(MAX_CHUNK, math.ceil((1 - OVERHEAD_SHARE) / OVERHEAD_SHARE * overhead / step)))


def reference_runs(ctx: Context) -> tuple[int, float, Run, list[Run]]:
    """The trusted references' side of the speed test, alone, for figures shared by a class run
    (``quiz.check.figures``): (chunk, the trusted child's empty round trip in seconds, the recomputing run,
    MAX_ROUNDS runs of the reference cache), measured in ``ctx.trusted()`` as ``speed_test`` measures them,
    every output checked.

    The same warm-up; the chunk from the trusted child's own empty round trip (a sandbox of the same
    level and harness as a solution's, so about the same round trip); the recomputing run once, first;
    then the reference cache's runs back to back, each from fresh inputs: MAX_ROUNDS of them (they
    are cheap, and measured once for a whole class)."""
    trusted = ctx.trusted()
    reference = t("check.speed_reference")
    deadline = time.monotonic() + BUDGET
    x, weights = _inputs(ctx, STEPS)
    expected = _expected(x, weights)
    step = _warm_up(ctx, trusted, x, weights, expected)
    overhead = _empty_round_trip(trusted, trusted.call("KVCache"))
    chunk = _chunk(overhead, step)
    naive = _naive_run(trusted, x, weights, chunk)
    _check_outputs(ctx, expected, naive.outputs, reference)
    cached: list[Run] = []
    for number in range(MAX_ROUNDS):
        if time.monotonic() > deadline:
            raise OutOfTime(t("check.speed_budget", seconds=BUDGET, rounds=number))
        x, weights = _inputs(ctx, STEPS)
        run = _decode_run(trusted, x, weights, chunk, None)
        _check_outputs(ctx, _expected(x, weights), run.outputs, reference)
        cached.append(run)
    return chunk, overhead, naive, cached


def _result(runs: dict[str, list[Run]], naive: Run, short: int, chunk: int, overhead: float,
            cpu: bool) -> SpeedResult:
    everything = {**runs, "naive": [naive]}

    def slope(kind: str) -> float:
        return theil_sen([point for run in everything[kind] for point in run.series(cpu)])

    def total(kind: str, steps: int | None = None) -> float:
        """Seconds for the first `steps` positions (all of them: None): chunk by chunk, the median over the
        runs (a burst of load in one run's chunk does not count), summed."""
        found = everything[kind]
        return sum(statistics.median(run.cpu[i] if cpu else run.wall[i] for run in found)  # type: ignore[index]
                   for i, start in enumerate(found[0].starts) if steps is None or start < steps)

    def series(kind: str, on_cpu: bool = cpu) -> tuple[tuple[float, float], ...]:
        """Per chunk: (position, median µs per step over the runs), on the judged clock unless told."""
        found = [run.series(on_cpu) for run in everything[kind]]
        return tuple((found[0][i][0], statistics.median(s[i][1] for s in found) * 1e6) for i in range(len(found[0])))

    slopes = {kind: slope(kind) for kind in everything}
    exponents = {kind: growth(total(kind), total(kind, short), STEPS, short) for kind in slopes}
    extra = {kind: late_extra(total(kind), total(kind, short), STEPS, short) for kind in slopes}
    recomputed = (recomputes(slopes["user"], slopes["cache"], slopes["naive"])
                  or recomputes(extra["user"], extra["cache"], extra["naive"]))
    user_series, cache_series, naive_series = series("user"), series("cache"), series("naive")
    return SpeedResult(
        steps=STEPS, pairs=len(runs["user"]), steps_short=short, d_model=D_MODEL, n_heads=N_HEADS,
        dtype=np.dtype(DTYPE).name, chunk=chunk, overhead_us=overhead * 1e6,
        overhead_share=overhead / (chunk * _per_step(series("cache", False))), cpu=cpu,  # both on the wall clock
        user_seconds=total("user"), cache_seconds=total("cache"), naive_seconds=total("naive"),
        user_slope_ns=slopes["user"] * 1e9, cache_slope_ns=slopes["cache"] * 1e9, naive_slope_ns=slopes["naive"] * 1e9,
        user_growth=exponents["user"], cache_growth=exponents["cache"], naive_growth=exponents["naive"],
        user_series=user_series, cache_series=cache_series, naive_series=naive_series,
        user_step_us=(user_series[0][1], user_series[-1][1]), cache_step_us=(cache_series[0][1], cache_series[-1][1]),
        naive_step_us=(naive_series[0][1], naive_series[-1][1]), recomputes=recomputed,
        grows=recomputed or grows(slopes["user"], slopes["cache"], STEPS, user_series[0][1] * 1e-6),
    )


def _per_step(series: tuple[tuple[float, float], ...]) -> float:
    return statistics.median(us for _, us in series) * 1e-6


def _slow_message(result: SpeedResult) -> str:
    return t("check.speed_recomputes", early=result.user_step_us[0], late=result.user_step_us[1],
             cache_early=result.cache_step_us[0], cache_late=result.cache_step_us[1],
             slope=result.user_slope_ns, cache_slope=result.cache_slope_ns, naive_slope=result.naive_slope_ns,
             growth=result.user_growth, cache_growth=result.cache_growth, naive_growth=result.naive_growth)
