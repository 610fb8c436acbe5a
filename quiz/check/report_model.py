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

SCHEMA_VERSION = 1
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


class SpeedFigures(_Strict):
    steps: int
    pairs: int
    user_seconds: float
    cache_seconds: float
    naive_seconds: float
    user_speedup: float
    cache_speedup: float
    required_fraction: float
    required_speedup: float
    recomputes: bool
    user_step_us: Edges
    cache_step_us: Edges
    naive_step_us: Edges
    user_cpu_step_us: Edges | None = Field(description="the same medians in the child's CPU time; null where it "
                                                        "cannot be read")
    cache_cpu_step_us: Edges | None
    naive_cpu_step_us: Edges | None


class MemoryFigures(_Strict):
    length: int
    head_dim: int
    matrix_bytes: int
    allowed_bytes: int


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


class CheckReport(_Strict):
    """The machine-readable report of `attnquiz check`. Fields are only ever added within a schema_version;
    messages, titles and hints are in the interface language named by `language`."""

    schema_version: Literal[1]
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
