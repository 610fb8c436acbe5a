"""The KV-cache speed test: does the solution's cache really make decoding faster?

Three kinds of timed run, each generating STEPS tokens one at a time from fresh random
inputs:

- user: the solution's ``decode_step`` with the solution's ``KVCache``, in its sandbox;
- cache: the reference ``decode_step`` and ``KVCache``, in a separate trusted child that
  loaded ``references.py`` and never the solution, under the same limits;
- naive: the reference recomputing causal multi-head attention over the whole prefix at
  every step (in the trusted child too: never the solution's own code).

Every step is one round trip timed here, in the checker, with ``time.perf_counter``, and (on
Linux) the child's CPU time over the step is read from the kernel's process CPU clock; timings
the solution might report are never read. Every output of every timed run is checked
against the reference. The three runs of a pair are interleaved (their order rotates from
pair to pair), so machine noise hits them alike, and the median over PAIRS pairs counts.
Speedup = naive time / cached time. The solution passes when its speedup is at least
REQUIRED of the reference cache's speedup measured in the same run, and its time per step does
not grow with the prefix the way recomputing it does (``recomputes``: judged on wall time, and on
CPU time too when it can be read, which machine load disturbs far less).
"""

from __future__ import annotations

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
PAIRS = 5
WARMUP_STEPS = 16
D_MODEL = 256  # large enough that projecting the whole prefix costs far more than one round trip
N_HEADS = 2
DTYPE = np.float32
REQUIRED = 0.4  # the solution's speedup must reach 40% of the reference cache's
EDGE = 32  # the early and late time per step are medians over this many positions
# Recomputing the prefix shows as time per step that grows from the first to the last positions by
# more than this share of the naive run's growth and this many times the reference cache's growth.
RECOMPUTE_SHARE = 0.18
RECOMPUTE_FACTOR = 6
BUDGET = 90.0  # seconds for the whole test; only a badly overloaded machine gets near it


def _inputs(ctx: Context, steps: int) -> tuple[np.ndarray, list[np.ndarray]]:
    x = ctx.normal((1, steps, D_MODEL), DTYPE)  # (1, steps, D): one sequence, fed a token at a time
    return x, [ctx.weights(D_MODEL, D_MODEL, DTYPE) for _ in range(4)]


def _stored(box: Any, weights: list[np.ndarray]) -> list[Any]:
    """The weights kept in the child when the sandbox can (then only x crosses per step)."""
    put = getattr(box, "put", None)
    return [put(w) for w in weights] if put is not None else weights


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
    wall: list[float] = field(default_factory=list)  # seconds per step, measured here
    cpu: list[float] | None = field(default_factory=list)  # the child's CPU seconds per step, if readable
    outputs: list[Any] = field(default_factory=list)

    def time(self, clock: _CpuClock, call: Any) -> None:
        cpu_start = clock.read()
        start = time.perf_counter()
        self.outputs.append(call())
        self.wall.append(time.perf_counter() - start)
        cpu_end = clock.read()
        if cpu_start is None or cpu_end is None:
            self.cpu = None
        elif self.cpu is not None:
            self.cpu.append(cpu_end - cpu_start)


class _TooSlow(Exception):
    def __init__(self, steps: int, seconds: float) -> None:
        super().__init__(steps, seconds)
        self.steps = steps
        self.seconds = seconds


def _decode_run(box: Any, x: np.ndarray, weights: list[np.ndarray], limit: float) -> _Run:
    """Time each decode_step call of one generation; stop past `limit` seconds in all."""
    cache = box.call("KVCache")
    stored = _stored(box, weights)
    clock, run = _CpuClock(box), _Run()
    for step in range(x.shape[1]):
        token = x[:, step:step + 1]  # (1, 1, D)
        run.time(clock, lambda: box.call("decode_step", token, cache, *stored, N_HEADS))
        if sum(run.wall) > limit:
            raise _TooSlow(step + 1, sum(run.wall))
    return run


def _naive_run(box: Any, x: np.ndarray, weights: list[np.ndarray]) -> _Run:
    stored = _stored(box, weights)
    clock, run = _CpuClock(box), _Run()
    for step in range(x.shape[1]):
        prefix = x[:, :step + 1]  # (1, t, D): everything so far, recomputed from scratch
        run.time(clock, lambda: box.call("recompute_last", prefix, *stored, N_HEADS))
    return run


def _check_outputs(ctx: Context, x: np.ndarray, weights: list[np.ndarray], outputs: list, who: str) -> None:
    expected = ref.multi_head_attention(x, *weights, N_HEADS, ref.causal_mask(x.shape[1]))  # (1, steps, D)
    for step, got in enumerate(outputs):
        problem = compare(got, expected[:, step:step + 1], ctx.tolerance)
        if problem is not None:
            raise Wrong(t("check.speed_wrong", who=who, step=step + 1, problem=problem[0]), problem[1])


def _edges(runs: list[list[float]]) -> tuple[float, float]:
    """Median microseconds per step over the first and the last EDGE positions of all runs."""
    early = [step for times in runs for step in times[:EDGE]]
    late = [step for times in runs for step in times[-EDGE:]]
    return statistics.median(early) * 1e6, statistics.median(late) * 1e6


def _cpu_edges(runs: list[_Run]) -> tuple[float, float] | None:
    cpu = [run.cpu for run in runs]
    return None if any(times is None for times in cpu) else _edges(cpu)  # type: ignore[arg-type]


def speed_test(ctx: Context) -> dict[str, Any]:
    """Decode STEPS tokens with the solution and with the references; compare the speedups."""
    user, trusted = ctx.sandbox, ctx.trusted()
    you, reference = t("check.speed_you"), t("check.speed_reference")
    for box in (user, trusted):  # warm up both children (imports, BLAS buffers, code paths); checked too
        x, weights = _inputs(ctx, WARMUP_STEPS)
        _check_outputs(ctx, x, weights, _decode_run(box, x, weights, ctx.timeout).outputs,
                       you if box is user else reference)
    runs: dict[str, list[_Run]] = {"user": [], "cache": [], "naive": []}
    order = ["naive", "cache", "user"]  # the first pair times the naive run first: it bounds the user's run
    deadline = time.monotonic() + BUDGET
    for pair in range(PAIRS):
        if time.monotonic() > deadline:
            raise OutOfTime(t("check.speed_budget", seconds=BUDGET, pairs=pair))
        for kind in order[pair % 3:] + order[:pair % 3]:
            x, weights = _inputs(ctx, STEPS)
            if kind == "naive":
                run = _naive_run(trusted, x, weights)
            elif kind == "cache":
                run = _decode_run(trusted, x, weights, float("inf"))
            else:
                limit = 2 * sum(runs["naive"][-1].wall) if runs["naive"] else ctx.timeout
                try:
                    run = _decode_run(user, x, weights, limit)
                except _TooSlow as slow:
                    if not runs["naive"]:
                        raise OutOfTime(t("check.speed_timeout", steps=slow.steps, seconds=slow.seconds)) from None
                    raise Wrong(t("check.speed_slower_than_naive", steps=slow.steps, seconds=slow.seconds,
                                  naive=sum(runs["naive"][-1].wall)), diagnosis="recomputes_prefix") from None
            _check_outputs(ctx, x, weights, run.outputs, you if kind == "user" else reference)
            runs[kind].append(run)
    wall = {kind: _edges([run.wall for run in found]) for kind, found in runs.items()}
    cpu = {kind: _cpu_edges(found) for kind, found in runs.items()}
    recomputed = recomputes(wall["user"], wall["cache"], wall["naive"])
    if None not in cpu.values():
        recomputed = recomputed or recomputes(cpu["user"], cpu["cache"], cpu["naive"])  # type: ignore[arg-type]
    result = SpeedResult(
        steps=STEPS, pairs=PAIRS,
        user_seconds=statistics.median(sum(run.wall) for run in runs["user"]),
        cache_seconds=statistics.median(sum(run.wall) for run in runs["cache"]),
        naive_seconds=statistics.median(sum(run.wall) for run in runs["naive"]),
        user_step_us=wall["user"], cache_step_us=wall["cache"], naive_step_us=wall["naive"], required=REQUIRED,
        recomputes=recomputed, user_cpu_step_us=cpu["user"], cache_cpu_step_us=cpu["cache"],
        naive_cpu_step_us=cpu["naive"],
    )
    if not result.passed:
        raise Wrong(_slow_message(result), diagnosis="recomputes_prefix" if result.recomputes else None,
                    speed=result)
    return {"speed": result}


def recomputes(user: tuple[float, float], cache: tuple[float, float], naive: tuple[float, float]) -> bool:
    """Whether the time per step (early, late) grows with the prefix the way recomputing it does."""
    growth = user[1] - user[0]
    return growth > RECOMPUTE_SHARE * (naive[1] - naive[0]) and growth > RECOMPUTE_FACTOR * max(cache[1] - cache[0], 0)


def _slow_message(result: SpeedResult) -> str:
    fields = dict(user=result.user_speedup, cache=result.cache_speedup, required=result.required * 100,
                  early=result.user_step_us[0], late=result.user_step_us[1],
                  cache_early=result.cache_step_us[0], cache_late=result.cache_step_us[1])
    return t("check.speed_recomputes" if result.recomputes else "check.speed_slow", **fields)
