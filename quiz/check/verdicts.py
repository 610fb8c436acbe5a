"""What a check found, as plain dataclasses: the report renders them, nothing else decides.

Every field here was computed by the checker's own process from arrays it validated
itself; nothing the solution printed or returned about itself is ever stored as a verdict.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from quiz.errors import ExitStatus

if TYPE_CHECKING:
    from quiz.check.catalog import ExerciseSpec


class Status(str, enum.Enum):
    PASSED = "passed"
    FAILED = "failed"  # ran, and the answer is wrong (or too slow, or too big)
    ERROR = "error"  # the solution raised, crashed or broke the protocol
    TIMEOUT = "timeout"
    NOT_IMPLEMENTED = "not_implemented"  # still raises NotImplementedError, as in the starter
    NOT_ATTEMPTED = "not_attempted"  # the file does not define the function or class
    SKIPPED = "skipped"  # not run because an earlier test of the exercise did not pass

    @property
    def attempted(self) -> bool:
        return self not in (Status.NOT_IMPLEMENTED, Status.NOT_ATTEMPTED)


@dataclass(frozen=True)
class Mismatch:
    """How far a wrong array is from the expected one."""

    max_abs: float  # largest |got - expected|
    max_rel: float  # largest |got - expected| / |expected|
    index: tuple[int, ...]  # the first index (C order) outside the tolerance
    got: float | bool
    expected: float | bool
    count: int  # how many entries are outside the tolerance
    size: int


@dataclass(frozen=True)
class SpeedResult:
    """The KV-cache speed test: chunks of steps timed by the checker around the child's own loop."""

    steps: int  # the full length decoded
    pairs: int  # rounds of timed runs of (yours, reference cache); recomputation is timed once
    steps_short: int  # the second, random length
    d_model: int
    n_heads: int
    dtype: str
    chunk: int  # steps per timed request
    overhead_us: float  # an empty round trip to the sandbox, measured in the same run
    overhead_share: float  # of a timed request of the reference cache
    cpu: bool  # judged on the children's CPU time (else wall time)
    user_seconds: float  # median time of the full length with the solution's cache (CPU time if cpu, else wall)
    cache_seconds: float  # the same with the reference KV cache
    naive_seconds: float  # the reference recomputing causal attention over the whole prefix each step
    user_slope_ns: float  # Theil-Sen slope of time per step over the positions, ns per step per position
    cache_slope_ns: float
    naive_slope_ns: float
    user_growth: float  # e in total time ~ steps^e between the two lengths
    cache_growth: float
    naive_growth: float
    user_series: tuple[tuple[float, float], ...]  # (position, µs per step) per chunk, on the judged clock (cpu)
    cache_series: tuple[tuple[float, float], ...]
    naive_series: tuple[tuple[float, float], ...]
    user_step_us: tuple[float, float]  # µs per step in the first and the last chunk
    cache_step_us: tuple[float, float]
    naive_step_us: tuple[float, float]
    recomputes: bool  # time per step grows with the prefix the way recomputing it does
    grows: bool = False  # time per step grows clearly more than the reference cache's (speed.grows), if slower
    shared_at: str | None = None  # the references' runs came from figures shared by a class run, measured then (ISO)
    round_trip_ratio: float | None = None  # with shared figures: this check's empty round trip / the figures' one

    @property
    def user_speedup(self) -> float:
        return self.naive_seconds / self.user_seconds

    @property
    def cache_speedup(self) -> float:
        return self.naive_seconds / self.cache_seconds

    @property
    def overhead_per_step_us(self) -> float:
        """How much slower a step of yours is than the reference cache's, on average (a constant overhead
        when its time per step does not grow)."""
        return (self.user_seconds - self.cache_seconds) / self.steps * 1e6

    @property
    def passed(self) -> bool:
        return not self.recomputes


@dataclass(frozen=True)
class MemoryResult:
    """The flash-attention memory test."""

    length: int
    head_dim: int
    matrix_bytes: int  # one L x L score matrix in the input dtype
    allowed_bytes: int  # address space the solution's process may add to a clean child's


@dataclass(frozen=True)
class Verdict:
    exercise: str
    test: str
    status: Status
    points: float  # points earned
    max_points: float
    message: str = ""  # one line in the interface language; empty when passed
    mismatch: Mismatch | None = None
    diagnosis: str | None = None  # id of the likely mistake (exercises.yaml), when one matched
    speed: SpeedResult | None = None
    memory: MemoryResult | None = None
    detail: str = ""  # the solution's traceback, when it raised
    seconds: float = 0.0


@dataclass(frozen=True)
class LoadProblem:
    """Why the solution file could not be loaded at all."""

    message: str  # one line: path:line:col: SyntaxError: ...
    detail: str = ""  # the source line with a caret, when known


@dataclass(frozen=True)
class Stopped:
    """The test a Ctrl-C stopped: it had not finished, and nothing after it ran."""

    exercise: str
    test: str
    seconds: float  # how long it had been running


@dataclass(frozen=True)
class ReferenceUse:
    """Reference figures a check was given (shared by a class run: quiz.check.figures), and whether it used them."""

    measured_at: str  # when they were measured (ISO, UTC)
    used: bool  # they matched: the speed and memory tests were judged against them, no trusted child started
    reason: str = ""  # why they did not match (then the check measured the reference itself)
    sha256: str = ""  # of the figures' JSON (ReferenceFigures.digest): which measurement they were


@dataclass
class CheckResult:
    solution: str
    seed: int
    tests: list[Verdict] = field(default_factory=list)
    load_error: LoadProblem | None = None
    seconds: float = 0.0
    output: str = ""  # what the solution printed (capped), shown as is, never interpreted
    interrupted: bool = False  # Ctrl-C: `tests` holds the ones that finished before it
    stopped: Stopped | None = None  # when interrupted, the test that was running (None: between tests)
    specs: dict[str, ExerciseSpec] = field(default_factory=dict)  # the exercises checked: titles, labels, hints
    isolation: str = "process"  # the sandbox's isolation level: strict, uid or process (quiz/check/isolation.py)
    limits: str = "rlimits"  # what bounded the solution's processes: "cgroup" (all together) or "rlimits" (each)
    require_all: bool = False  # passing needs every exercise attempted (--require-all, grading formats)
    reference: ReferenceUse | None = None  # shared reference figures given to the check; None: it measured its own

    @property
    def score(self) -> float:
        return sum(verdict.points for verdict in self.tests)

    @property
    def max_score(self) -> float:
        return sum(verdict.max_points for verdict in self.tests)

    @property
    def attempted(self) -> list[Verdict]:
        """The tests of every attempted exercise (one with a test that did not raise NotImplementedError)."""
        return [verdict for name in self.attempted_exercises() for verdict in self.for_exercise(name)]

    def attempted_exercises(self) -> list[str]:
        return [name for name in self.exercise_names()
                if any(verdict.status.attempted for verdict in self.for_exercise(name))]

    @property
    def passed(self) -> bool:
        """Every test of every attempted exercise passed (a NotImplementedError in an attempted exercise is
        not a pass), and at least one exercise was attempted; with require_all, every exercise was. An interrupted
        check did not pass."""
        attempted = self.attempted_exercises()
        if self.interrupted or not attempted or (self.require_all and len(attempted) != len(self.exercise_names())):
            return False
        return all(verdict.status is Status.PASSED for verdict in self.attempted)

    @property
    def exit_status(self) -> ExitStatus:
        if self.load_error is not None:
            return ExitStatus.USAGE
        return ExitStatus.OK if self.passed else ExitStatus.FAILURE

    def exercise_names(self) -> list[str]:
        return list(dict.fromkeys(verdict.exercise for verdict in self.tests))

    def for_exercise(self, exercise: str) -> list[Verdict]:
        return [verdict for verdict in self.tests if verdict.exercise == exercise]

    def failed_prerequisites(self, exercise: str) -> list[str]:
        """What to fix before `exercise`: the exercises it builds on (its spec's builds_on) that this check ran,
        attempted and did not pass, and in turn those that failed ones build on, in the order they ran. Empty unless
        `exercise` itself was attempted and did not pass; never a guess about an exercise this check did not run."""
        if not _failed(self.for_exercise(exercise)):
            return []
        failed: set[str] = set()
        todo = list(self.specs[exercise].builds_on) if exercise in self.specs else []
        while todo:
            name = todo.pop()
            if name not in failed and name in self.specs and _failed(self.for_exercise(name)):
                failed.add(name)
                todo += self.specs[name].builds_on
        return [name for name in self.exercise_names() if name in failed]


def _failed(verdicts: list[Verdict]) -> bool:
    status = exercise_status(verdicts)
    return bool(verdicts) and status.attempted and status is not Status.PASSED


def exercise_status(verdicts: list[Verdict]) -> Status:
    """One status for an exercise. Not attempted or not implemented only when every test is; otherwise
    the first test status that is not 'passed', by severity, and a test that still raised
    NotImplementedError makes an attempted exercise failed (never passed)."""
    statuses = [verdict.status for verdict in verdicts]
    for status in (Status.NOT_ATTEMPTED, Status.NOT_IMPLEMENTED):
        if all(s is status for s in statuses):
            return status
    for status in (Status.ERROR, Status.TIMEOUT, Status.FAILED, Status.SKIPPED):
        if status in statuses:
            return status
    return Status.FAILED if Status.NOT_IMPLEMENTED in statuses else Status.PASSED
