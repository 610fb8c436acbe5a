"""The check report as a typed model: what `attnquiz check --format json` prints and `grade` reads.

``report.to_json`` fills a ``CheckReport`` and dumps it; ``quiz.grade`` validates what a check
process printed back into the same model; docs/check-report.schema.json is generated from it
(``python -m quiz.check.report_model > docs/check-report.schema.json``, and a test demands the
committed file equal the generated one). Fields are only ever added within a schema_version.
This module imports only pydantic, so grade reads reports without loading the checker.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 2  # 2: the speed test times chunks in the child (issue 11)
SCHEMA_ID = "https://attnquiz.invalid/check-report.schema.json"

Status = Literal["passed", "failed", "error", "timeout", "not_implemented", "not_attempted", "skipped"]
NumberOrNull = Annotated[float | None, Field(description="null stands for NaN or infinity")]
Points = Annotated[float, Field(ge=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoadError(_Strict):
    message: str
    detail: str = Field(description="the source line and a caret, or empty")


class ErrorFigures(_Strict):
    """How far a wrong array is from the expected one."""

    max_abs: NumberOrNull
    max_rel: NumberOrNull
    index: list[Annotated[int, Field(ge=0)]]
    got: float | bool | None
    expected: float | bool | None
    count: int = Field(ge=1)
    size: int = Field(ge=1)


class Diagnosis(_Strict):
    name: str = Field(description="the mistake id, stable")
    title: str
    hint: str


class Edges(_Strict):
    early: float
    late: float


class Point(_Strict):
    position: float = Field(description="the middle of a timed chunk of steps")
    us: float = Field(description="microseconds per step in that chunk (median over the rounds, wall clock)")


class SpeedFigures(_Strict):
    """The KV-cache speed test: chunks of steps run in the child's own loop, each request timed by the checker."""

    steps: int = Field(description="the full length decoded")
    steps_short: int = Field(description="the second length, random, for the growth of the total (the first positions of the same runs)")
    pairs: int = Field(description="rounds of timed runs of yours and the reference cache (recomputation: one run)")
    d_model: int
    n_heads: int
    dtype: str
    chunk: int = Field(description="steps per timed request")
    overhead_us: float = Field(description="an empty round trip to the sandbox, measured in the same run")
    overhead_share: float = Field(description="of one timed request of the reference cache")
    clock: Literal["cpu", "wall"] = Field(description="the time the growth was judged on")
    user_seconds: float = Field(description="median time of the full length, on `clock`")
    cache_seconds: float
    naive_seconds: float
    user_speedup: float
    cache_speedup: float
    recomputes: bool
    grows: bool = Field(default=False, description="time per step grows with the length clearly more than the "
                                                   "reference cache's: with recomputes false, a cache that passes but "
                                                   "copies itself every step (np.concatenate); true whenever recomputes "
                                                   "is; reports before this field: false")
    user_slope_ns: float = Field(description="Theil-Sen slope of time per step over the positions (ns per position)")
    cache_slope_ns: float
    naive_slope_ns: float
    user_growth: float = Field(description="e in total time ~ steps^e between the two lengths")
    cache_growth: float
    naive_growth: float
    overhead_per_step_us: float = Field(description="how much longer a step of yours takes than the reference "
                                                    "cache's, on average")
    user_step_us: Edges
    cache_step_us: Edges
    naive_step_us: Edges
    series: dict[Literal["user", "cache", "naive"], list[Point]] = Field(description="time per step per chunk (median over the runs), on the clock of `clock`")
    reference_measured_at: str | None = Field(
        default=None, description="null: the reference cache's and the recomputing runs were timed in this check; "
                                  "else they are figures shared by a class run (`attnquiz grade`), measured then "
                                  "(ISO 8601, UTC) in a trusted child of the same isolation level")
    round_trip_ratio: float | None = Field(
        default=None, description="with shared figures: this check's empty round trip over the one measured with "
                                  "the figures (a sign of the machine's load changing since)")


class MemoryFigures(_Strict):
    length: int
    head_dim: int
    matrix_bytes: int
    allowed_bytes: int


class ReferenceFiguresUse(_Strict):
    """Reference figures shared by a class run, given to this check (`attnquiz grade`)."""

    measured_at: str = Field(description="when they were measured (ISO 8601, UTC)")
    used: bool = Field(description="they matched this check (references, NumPy, Python, attnquiz, isolation level, "
                                   "limits): the speed and memory tests were judged against them and no trusted "
                                   "child was started")
    reason: str = Field(description="why they did not match (the check then measured the reference itself); "
                                    "empty when used")
    sha256: str = Field(description="SHA-256 of the figures' JSON: which measurement of the run they were "
                                    "(results.json of `attnquiz grade` lists each one's)")


class VerdictReport(_Strict):
    """One test's verdict."""

    name: str = Field(description="the test id, stable across versions")
    label: str
    status: Status
    score: Points
    max_score: float = Field(gt=0)
    message: str = Field(description="one line; empty when passed")
    seconds: float = Field(ge=0)
    error: ErrorFigures | None
    diagnosis: Diagnosis | None
    speed: SpeedFigures | None
    memory: MemoryFigures | None
    traceback: str = Field(description="the solution's traceback when it raised, else empty")


class ExerciseReport(_Strict):
    name: str = Field(description="the exercise id, as --exercise takes it")
    title: str
    status: Status
    score: Points
    max_score: Points
    tests: list[VerdictReport] = Field(min_length=1)
    failed_prerequisites: list[str] = Field(default_factory=list, description=(
        "the exercises this one builds on (exercises.yaml builds_on) that failed in this check, in the order they ran: "
        "fix the first of them first, its mistakes may be what fails here; empty when this one passed, or none did"))


class StoppedAt(_Strict):
    """The test a Ctrl-C stopped."""

    exercise: str
    test: str
    seconds: float = Field(ge=0, description="how long it had been running")


class CheckReport(_Strict):
    """The machine-readable report of `attnquiz check`. Fields are only ever added within a schema_version;
    messages, titles and hints are in the interface language named by `language`."""

    schema_version: Literal[2]
    attnquiz_version: str
    solution: str = Field(description="the path as given on the command line")
    seed: int = Field(ge=0, description="--seed with this value repeats the inputs")
    language: Literal["en", "zh"]
    passed: bool = Field(description="every test of every attempted exercise passed (NotImplementedError in an "
                                     "attempted exercise is not a pass) and one was attempted; with --require-all, "
                                     "every exercise was")
    exit_status: Literal[0, 1, 2]
    score: Points
    max_score: Points
    execution_time: float = Field(ge=0, description="seconds, wall clock, whole check")
    load_error: LoadError | None = Field(description="null, or why the file could not be loaded (then exercises is "
                                                     "empty and exit_status 2)")
    exercises: list[ExerciseReport]
    output: str = Field(description="what the solution printed (capped); never used for grading")
    isolation: Literal["strict", "uid", "process"] = Field(
        default="process", description="the sandbox's isolation level (docs/checker.md): strict is the full "
                                       "boundary (bubblewrap); reports written before this field ran at process")
    limits: Literal["cgroup", "rlimits"] = Field(
        default="rlimits", description="what bounded the solution's processes (docs/checker.md): cgroup (one cgroup "
                                       "for all of them: memory, processes, CPU time together) or rlimits (each "
                                       "process on its own)")

    interrupted: bool = Field(default=False, description="Ctrl-C stopped the check: exercises holds only the tests "
                                                        "that finished, and passed is false")
    stopped: StoppedAt | None = Field(default=None, description="when interrupted, the test that was running (null: "
                                                               "between tests)")
    reference_figures: ReferenceFiguresUse | None = Field(
        default=None, description="null: the check measured the trusted reference itself (as a learner's check "
                                  "always does); else the shared figures it was given and whether it used them")

    def dump(self) -> str:
        """The JSON text: UTF-8 as is, two-space indent, no NaN."""
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False, indent=2, allow_nan=False)


def json_schema() -> dict[str, Any]:
    """docs/check-report.schema.json, generated from CheckReport."""
    schema = CheckReport.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema,
            "title": f"attnquiz check --format json (schema_version {SCHEMA_VERSION})"}


def schema_text() -> str:
    return json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    print(schema_text(), end="")
