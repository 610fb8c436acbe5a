"""The trusted reference's figures, measured once and shared by every check of a class run.

In a class run every student's check would measure the same trusted code (``references.py``) on
the same machine: the speed test's recomputing run and reference-cache runs, and the memory test's
baseline (a clean trusted child's address space). ``measure`` measures them once, in a trusted
child started from the caller's process, exactly as the tests do (``speed.reference_runs``); the
result is a ``ReferenceFigures`` value, which ``attnquiz grade`` hands to each check process on its
command line (a hidden option: grade's memory -> argv, nothing a sandbox could write) and
``run_check`` receives in ``CheckOptions.figures``.

A check uses figures only when they belong to it (``ReferenceFigures.mismatch``: the same
references.py, NumPy, Python, attnquiz, speed-test shapes, isolation level and limits); others
are ignored and the check measures the reference itself, as it does without figures. Figures are
data, validated here on the way in (every run the right number of chunks, every time finite and
positive); they are never a reason to skip checking the solution's own outputs. Nothing here
judges a solution: the speed and memory tests do, with the figures in place of their own trusted
child.
"""

from __future__ import annotations

import hashlib
import math
import platform
import secrets
import time
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from quiz import __version__
from quiz.check import CALL_TIMEOUT, ISOLATION

if TYPE_CHECKING:
    from quiz.check.speed import Run

FORMAT = 1
USED_BY = frozenset({"decode_step", "flash_attention"})  # the exercises whose tests consume figures (speed, memory)
Seconds = Annotated[float, Field(ge=0, allow_inf_nan=False)]


def references_digest(text: str) -> str:
    """The SHA-256 of references.py's text, as the check read it."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def numpy_version() -> str:
    import numpy

    return numpy.__version__


class RunFigures(BaseModel):
    """One timed run of STEPS steps: seconds per chunk of `chunk` steps, on each clock."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    wall: list[Annotated[float, Field(gt=0, allow_inf_nan=False)]] = Field(min_length=1)
    cpu: list[Seconds] | None = Field(description="the child's CPU time per chunk; null: not readable")

    @model_validator(mode="after")
    def _some_cpu(self) -> RunFigures:
        if self.cpu is not None and sum(self.cpu) <= 0:
            raise ValueError("a run that took no CPU time")
        return self

    @classmethod
    def of(cls, run: Run) -> RunFigures:
        return cls(wall=run.wall, cpu=run.cpu)

    def run(self, steps: int, chunk: int) -> Run:
        """The speed test's own value for this run (no outputs: they were checked when it was measured)."""
        from quiz.check.speed import Run

        starts = list(range(0, steps, chunk))
        return Run(starts=starts, sizes=[min(chunk, steps - start) for start in starts], wall=list(self.wall),
                   cpu=None if self.cpu is None else list(self.cpu))


class ReferenceFigures(BaseModel):
    """The trusted side of the speed and memory tests, measured once (``measure``), for checks that match it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal[1] = FORMAT
    measured_at: datetime = Field(description="when, UTC")
    seconds: Seconds = Field(description="how long measuring took (wall clock)")
    seed: int = Field(ge=0, description="of the random inputs of the measured runs")
    attnquiz: str
    references_sha256: str = Field(pattern="^[0-9a-f]{64}$")
    numpy: str
    python: str
    isolation: Literal["strict", "uid", "process"] = Field(description="the trusted child's isolation level")
    limits: Literal["cgroup", "rlimits"] = Field(description="what bounded the trusted child (its CPU clock)")
    steps: int = Field(ge=1)
    d_model: int = Field(ge=1)
    n_heads: int = Field(ge=1)
    dtype: str
    chunk: int = Field(ge=1, description="steps per timed request; a check given these figures uses it too")
    overhead_us: float = Field(gt=0, allow_inf_nan=False, description="the trusted child's empty round trip")
    naive: RunFigures = Field(description="the recomputing run")
    cache: list[RunFigures] = Field(min_length=1, description="the reference cache's runs")
    clean_address_space: int = Field(gt=0, description="bytes: the memory test's baseline")

    @model_validator(mode="after")
    def _consistent(self) -> ReferenceFigures:
        chunks = math.ceil(self.steps / self.chunk)
        for run in (self.naive, *self.cache):
            if len(run.wall) != chunks or (run.cpu is not None and len(run.cpu) != chunks):
                raise ValueError(f"a run of {self.steps} steps in chunks of {self.chunk} has {chunks} chunks")
        if self.measured_at.tzinfo is None:
            raise ValueError("measured_at needs a time zone")
        return self

    def mismatch(self, references: str, isolation: str, limits: str) -> str | None:
        """Why these figures do not belong to a check of `references` (the text of references.py it read), at
        this isolation level and with these limits (in this process: NumPy, Python, attnquiz, the speed test's
        setting); None when they do."""
        from quiz.check import speed
        from quiz.check.speed import MAX_CHUNK, MIN_CHUNK, ROUNDS

        expected = {"references_sha256": references_digest(references), "numpy": numpy_version(),
                    "python": platform.python_version(), "attnquiz": __version__, "isolation": isolation,
                    "limits": limits, "steps": speed.STEPS, "d_model": speed.D_MODEL, "n_heads": speed.N_HEADS,
                    "dtype": np.dtype(speed.DTYPE).name}
        for name, value in expected.items():
            if getattr(self, name) != value:
                return f"{name} {getattr(self, name)} is not this check's {value}"
        if not MIN_CHUNK <= self.chunk <= MAX_CHUNK:
            return f"chunk {self.chunk} is outside {MIN_CHUNK}..{MAX_CHUNK}"
        if len(self.cache) < ROUNDS:
            return f"{len(self.cache)} reference cache runs, fewer than {ROUNDS}"
        return None

    def naive_run(self) -> Run:
        return self.naive.run(self.steps, self.chunk)

    def cache_runs(self) -> list[Run]:
        return [run.run(self.steps, self.chunk) for run in self.cache]

    @property
    def shown_at(self) -> str:
        return self.measured_at.isoformat(timespec="seconds")

    def dump(self) -> str:
        """Compact JSON: what `attnquiz check --reference-figures` takes (parsed and dumped again, the same text)."""
        return self.model_dump_json()

    def digest(self) -> str:
        """The SHA-256 of `dump()`: the same for grade, which measured them, and every check that got them."""
        return hashlib.sha256(self.dump().encode("utf-8")).hexdigest()


def measure(isolation: str = ISOLATION, timeout: float = CALL_TIMEOUT, seed: int | None = None) -> ReferenceFigures:
    """Measure the trusted references' figures in a trusted child of this process at `isolation`
    (quiz.check.isolation.choose): the clean address space as it starts, then the speed test's trusted
    runs (``speed.reference_runs``). Raises IsolationUnavailable, SandboxFailure, SolutionLoadError."""
    from quiz.check import isolation as levels
    from quiz.check import references, speed
    from quiz.check.registry import builtin
    from quiz.check.runner import TrustedChild, preload, rng_for
    from quiz.check.unit import Context

    level = levels.choose(isolation)
    preload()
    text = Path(references.__file__).read_text(encoding="utf-8")
    registry = builtin()
    exercise = registry["decode_step"]
    seed = secrets.randbits(32) if seed is None else seed
    at = datetime.now(timezone.utc)
    began = time.perf_counter()
    with ExitStack() as stack:
        trusted = TrustedChild(stack, text, level, timeout)
        ctx = Context(exercise, None, rng_for(seed, exercise.id, "speed"), {**registry.tolerance, **exercise.tolerance},
                      timeout=timeout, trusted=trusted)
        chunk, overhead, naive, cached = speed.reference_runs(ctx)
        assert trusted.clean_address_space is not None
        return ReferenceFigures(
            measured_at=at, seconds=time.perf_counter() - began, seed=seed, attnquiz=__version__,
            references_sha256=references_digest(text), numpy=numpy_version(), python=platform.python_version(),
            isolation=level.value, limits=trusted().bounded_by, steps=speed.STEPS, d_model=speed.D_MODEL,
            n_heads=speed.N_HEADS, dtype=np.dtype(speed.DTYPE).name, chunk=chunk, overhead_us=overhead * 1e6,
            naive=RunFigures.of(naive), cache=[RunFigures.of(run) for run in cached],
            clean_address_space=trusted.clean_address_space)
