"""Settings, the journal's records, and reading what `attnquiz check --format json` printed."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from quiz import __version__
from quiz.errors import ExitStatus
from quiz.grade.submissions import Submission, file_sha256
from quiz.i18n import t

SCORED = ("checked", "not_loadable", "timeout")  # statuses that are a grade (the others are not)

# Settings and records


@dataclass(frozen=True)
class Settings:
    """What a result depends on besides the submitted file."""

    exercises: tuple[str, ...] = ()
    timeout: float | None = None  # per exercise, passed to `attnquiz check --timeout`
    seed: int | None = None
    banks: tuple[str, ...] = ()
    submission_timeout: float = 600.0  # wall clock for one whole `attnquiz check` process
    isolation: str = "auto"  # passed to `attnquiz check --isolation` (auto: the strongest level available)

    def key(self) -> dict[str, Any]:
        """The part of the settings a resumed run must share to reuse a result."""
        return {
            "version": __version__,
            "exercises": sorted(self.exercises),
            "timeout": self.timeout,
            "seed": self.seed,
            "banks": [[bank, _bank_digest(bank)] for bank in self.banks],
            "isolation": self.isolation,
        }


def _bank_digest(bank: str) -> str:
    """A hash of a bank's files and of the reference files its exercises name: a change re-grades."""
    path = Path(bank)
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path, *_references(path)]
    digest = hashlib.sha256()
    for file in files:
        digest.update(str(file.relative_to(path) if path.is_dir() else file.name).encode())
        digest.update(file_sha256(file).encode() if file.is_file() else b"-")
    return digest.hexdigest()


def _references(bank_file: Path) -> list[Path]:
    from quiz.yamlio import YAMLError, safe_load

    try:
        data = safe_load(bank_file.read_text(encoding="utf-8"))
    except (OSError, ValueError, YAMLError):
        return []
    questions = data.get("questions") if isinstance(data, dict) else None
    exercises = [q.get("exercise") for q in questions or [] if isinstance(q, dict)]
    return [bank_file.parent / e["reference"] for e in exercises
            if isinstance(e, dict) and isinstance(e.get("reference"), str)]


@dataclass
class GradedTest:
    """One test of one student, as the checker reported it."""

    exercise: str
    test: str
    status: str  # passed, failed, error, timeout, not_implemented, not_attempted, skipped
    score: float
    max_score: float
    mistake: str = ""  # the diagnosed mistake's title, in the run's language, when one was found
    message: str = ""
    label: str = ""  # the test's title
    mistake_id: str = ""
    exercise_title: str = ""
    hint: str = ""  # what to try, for the diagnosed mistake
    speedup: dict[str, float] | None = None  # the KV-cache speed test: {"user", "cache"} speedups
    traceback: str = ""  # the solution's own frames, when it raised (last lines)
    failed_prerequisites: list[str] = field(default_factory=list)  # exercises this one builds on that failed too


@dataclass
class Record:
    """One student's result: what was checked, when, and what came out."""

    student: str
    source: str
    status: str  # checked | not_loadable | timeout | error | rejected
    score: float = 0.0
    max_score: float = 0.0
    sha256: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    message: str = ""
    tests: list[GradedTest] = field(default_factory=list)
    graded_at: str = ""
    seed: int | None = None  # the check's seed: `attnquiz check --seed N` repeats its inputs
    isolation: str = ""  # the sandbox level the check ran at (strict, uid, process), from its report
    limits: str = ""  # what bounded the solution's processes (cgroup, rlimits), from its report
    detail: str = ""  # for a file that did not load: the source line with a caret, when known
    file: str = ""  # the file checked, as the student names it ("solution.py", "alice.py")
    reference_figures: dict[str, Any] | None = None  # shared reference figures the check was given (quiz.grade.
    # calibration): measured_at, used, reason, sha256, round_trip_ratio; None: it measured the reference itself

    @property
    def complete(self) -> bool:
        """Every test passed: the grading policy (an unattempted exercise counts as failed)."""
        return self.status == "checked" and bool(self.tests) and all(row.status == "passed" for row in self.tests)

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        tests = [GradedTest(**row) for row in data.get("tests", [])]
        return cls(**{**data, "tests": tests})


# Reading what `attnquiz check --format json` printed


def record_from_check(
    sub: Submission, sha256: str, settings: Settings, key: dict[str, Any], returncode: int | None, stdout: str,
    stderr: str, seconds: float,
) -> Record:
    """Turn one finished (or killed: returncode None) check process into a Record; `key` is settings.key()."""
    base = dict(student=sub.student, source=sub.source, sha256=sha256, settings=key,
                file=sub.path.name if sub.path is not None else "",
                seconds=round(seconds, 3), graded_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    if returncode is None:
        return Record(status="timeout", message=t("grade.deadline", seconds=_shown(settings.submission_timeout)),
                      **base)
    try:
        report = json.loads(stdout) if stdout.strip() else None
    except ValueError as exc:
        return Record(status="error", message=t("grade.bad_report", detail=str(exc)), **base)
    load_error = report.get("load_error") if isinstance(report, dict) else None
    if isinstance(report, dict):
        base.update(seed=report["seed"] if type(report.get("seed")) is int else None, isolation=isolation_of(report),
                    limits=limits_of(report), reference_figures=reference_of(report))
    if returncode == ExitStatus.USAGE:
        message = load_error["message"] if isinstance(load_error, dict) else _last_line(stderr)
        detail = str(load_error.get("detail") or "") if isinstance(load_error, dict) else ""
        return Record(status="not_loadable", message=message or t("grade.no_output"), detail=detail, **base)
    if returncode not in (ExitStatus.OK, ExitStatus.FAILURE) or report is None:
        return Record(status="error", message=t("grade.checker_failed", code=returncode,
                                                 detail=_last_line(stderr) or t("grade.no_output")), **base)
    try:
        tests, score, max_score = parse_check_report(report)
    except (KeyError, TypeError, ValueError) as exc:
        return Record(status="error", message=t("grade.bad_report", detail=repr(exc)), **base)
    if report.get("exit_status") != returncode:  # a report is taken only with the exit status it states
        return Record(status="error", message=t("grade.bad_report", detail=t("grade.status_mismatch",
                      code=returncode, stated=report.get("exit_status"))), **base)
    return Record(status="checked", score=score, max_score=max_score, tests=tests, **base)


TRACEBACK_LINES = 8


def record_from_report(doc: dict[str, Any], student: str, source: str) -> Record:
    """A Record for a check report made in this process (`check --format gradescope|classroom`)."""
    load_error = doc.get("load_error")
    base = dict(student=student, source=source, seconds=float(doc.get("execution_time") or 0.0),
                seed=doc.get("seed"), isolation=isolation_of(doc), limits=limits_of(doc))
    if load_error:
        return Record(status="not_loadable", message=str(load_error["message"]),
                      detail=str(load_error.get("detail") or ""), **base)
    tests, score, max_score = parse_check_report(doc)
    return Record(status="checked", score=score, max_score=max_score, tests=tests, **base)


def parse_check_report(doc: dict[str, Any]) -> tuple[list[GradedTest], float, float]:
    """The tests, score and maximum score of a check report, validated by its model (quiz.check.report_model;
    a report that does not follow it raises pydantic's ValidationError, a ValueError)."""
    from quiz.check.report_model import CheckReport

    report = CheckReport.model_validate(doc)
    rows = [GradedTest(exercise=exercise.name, test=test.name, status=getattr(test.status, "value", test.status),
                       score=test.score,
                       max_score=test.max_score, mistake=test.diagnosis.title if test.diagnosis else "",
                       message=test.message, label=test.label,
                       mistake_id=test.diagnosis.name if test.diagnosis else "",
                       exercise_title=exercise.title, hint=test.diagnosis.hint if test.diagnosis else "",
                       speedup=None if test.speed is None else {"user": test.speed.user_speedup,
                                                                "cache": test.speed.cache_speedup},
                       traceback="\n".join(test.traceback.rstrip().splitlines()[-TRACEBACK_LINES:]),
                       failed_prerequisites=list(exercise.failed_prerequisites) if test.status != "passed" else [])
            for exercise in report.exercises for test in exercise.tests]
    return rows, report.score, report.max_score


def reference_of(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The shared reference figures a check report says it was given, with the speed test's round-trip ratio
    (its empty round trip over the figures'), if it says."""
    found = doc.get("reference_figures")
    if not isinstance(found, dict):
        return None
    speeds = [test.get("speed") for exercise in doc.get("exercises") or [] if isinstance(exercise, dict)
              for test in exercise.get("tests") or [] if isinstance(test, dict)]
    ratio = next((speed.get("round_trip_ratio") for speed in speeds if isinstance(speed, dict)), None)
    return {"measured_at": str(found.get("measured_at", "")), "used": found.get("used") is True,
            "reason": str(found.get("reason", "")), "sha256": str(found.get("sha256", "")),
            "round_trip_ratio": ratio if isinstance(ratio, (int, float)) and not isinstance(ratio, bool) else None}


def limits_of(doc: dict[str, Any]) -> str:
    """What a check report says bounded the solution's processes ("cgroup", "rlimits"), if it says."""
    found = doc.get("limits")
    return found if found in ("cgroup", "rlimits") else ""


def isolation_of(doc: dict[str, Any]) -> str:
    """The isolation level a check report says its sandbox had ("strict", "process", ...), if it says."""
    found = doc.get("isolation")
    if isinstance(found, dict):
        found = found.get("level")
    return found if found in ("strict", "uid", "process") else ""


def _last_line(text: str, limit: int = 500) -> str:
    """The last line of `text` that is not blank, stripped, at most `limit` characters."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:limit] if lines else ""


def _shown(seconds: float) -> str:
    return f"{seconds:g}"

