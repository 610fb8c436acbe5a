"""attnquiz grade: check a whole class's submissions, several at once, and resume after a stop.

A submission folder holds one ``NAME.py`` file or one ``NAME/`` folder per student. Each
submission is checked by its own ``attnquiz check --format json`` process (which runs the
solution in the checker's sandbox), started in a new session with a wall-clock deadline;
past the deadline the whole process tree is killed. So a submission that crashes, hangs,
eats memory or floods its output costs at most its own deadline and never stops the batch.

Results are written as each submission finishes, into the ``--out`` folder:

- ``results.jsonl``: the journal, one JSON object per graded submission, appended, flushed
  and synced. It is the record the other files are rebuilt from, and what resuming reads:
  a submission whose file hash and grading settings match its last entry is skipped.
- ``results.csv``: one row per student and test; ``totals.csv``: one row per student.
  Rows are appended as submissions finish; both are rebuilt from the journal at the start
  and at the end of a run (written to a temporary file and renamed over the old one).
- ``results.json``: written at the end: the settings, the summary, every student's record.

Nothing here imports the checker: the documented JSON of ``attnquiz check`` is the interface.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from quiz import __version__
from quiz.errors import AttnquizError, ExitStatus
from quiz.i18n import current_language, t

JOURNAL = "results.jsonl"
TESTS_CSV = "results.csv"
TOTALS_CSV = "totals.csv"
REPORT_JSON = "results.json"
TEST_FIELDS = ("student", "exercise", "test", "label", "status", "score", "max_score", "mistake", "mistake_id",
               "message")
TOTAL_FIELDS = ("student", "submission", "status", "score", "max_score", "percent", "tests_passed", "tests_total",
                "seconds", "sha256", "message")
SCORED = ("checked", "not_loadable", "timeout")  # statuses that are a grade (the others are not)
_SNIFF_BYTES = 8192
_SKIPPED_NAMES = {"__pycache__", "__MACOSX"}


# ----------------------------------------------------------------------------------------------
# Finding the submissions


@dataclass(frozen=True)
class Submission:
    """One student's entry in the submissions folder; `problem` says why it cannot be graded."""

    student: str
    source: str  # as found in the folder: "alice.py" or "alice/"
    path: Path | None = None  # the solution file to check
    problem: str = ""


def find_submissions(folder: Path, *, filename: str = "solution.py", exclude: Path | None = None) -> list[Submission]:
    """Every student's submission in `folder`, sorted by name; bad entries carry a `problem`."""
    if not folder.is_dir():
        raise AttnquizError(t("grade.not_a_folder", path=folder))
    root = folder.resolve()
    found = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.startswith(".") or entry.name in _SKIPPED_NAMES:
            continue
        if exclude is not None and not entry.is_symlink() and entry.resolve() == exclude.resolve():
            continue  # the --out folder inside the submissions folder
        found.append(_submission(entry, root, filename))
    if not found:
        raise AttnquizError(t("grade.empty", path=folder))
    return _flag_duplicates(found)


def _submission(entry: Path, root: Path, filename: str) -> Submission:
    is_folder = entry.is_dir()
    student = entry.name if is_folder else entry.stem
    source = entry.name + "/" if is_folder else entry.name
    if entry.is_symlink():
        if not entry.exists():
            return Submission(student, source, problem=t("grade.broken_link"))
        if not entry.resolve().is_relative_to(root):
            return Submission(student, source, problem=t("grade.link_outside"))
    if is_folder:
        path, problem = _file_in_folder(entry, filename)
        if path is None:
            return Submission(student, source, problem=problem)
        if not path.resolve().is_relative_to(root):
            return Submission(student, source, problem=t("grade.link_outside"))
    elif entry.is_file():
        if entry.suffix != ".py":
            return Submission(student, source, problem=t("grade.not_python"))
        path = entry
    else:
        return Submission(student, source, problem=t("grade.not_python"))
    problem = _unreadable(path)
    return Submission(student, source, path if not problem else None, problem)


def _file_in_folder(folder: Path, filename: str) -> tuple[Path | None, str]:
    named = folder / filename
    if named.is_file():
        return named, ""
    scripts = sorted(p for p in folder.iterdir() if p.suffix == ".py" and p.is_file())
    if len(scripts) == 1:
        return scripts[0], ""
    if not scripts:
        return None, t("grade.no_solution", filename=filename)
    return None, t("grade.several_scripts", filename=filename, found=", ".join(p.name for p in scripts))


def _unreadable(path: Path) -> str:
    """Why this file cannot be a Python source ("" when it can be tried)."""
    try:
        with open(path, "rb") as f:
            head = f.read(_SNIFF_BYTES)
    except OSError as exc:
        return t("grade.cannot_read", reason=exc.strerror or str(exc))
    if b"\0" in head:
        return t("grade.binary")
    return ""


def _flag_duplicates(found: list[Submission]) -> list[Submission]:
    """Two entries for one student (alice.py and alice/, or Alice.py and alice.py): neither is graded."""
    by_name: dict[str, list[Submission]] = {}
    for sub in found:
        by_name.setdefault(sub.student.casefold(), []).append(sub)
    flagged = []
    for sub in found:
        twins = by_name[sub.student.casefold()]
        if len(twins) > 1:
            sources = ", ".join(s.source for s in twins)
            sub = Submission(sub.student, sub.source, problem=t("grade.duplicate", sources=sources))
        flagged.append(sub)
    return flagged


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


# ----------------------------------------------------------------------------------------------
# Settings and records


@dataclass(frozen=True)
class Settings:
    """What a result depends on besides the submitted file."""

    exercises: tuple[str, ...] = ()
    timeout: float | None = None  # per exercise, passed to `attnquiz check --timeout`
    seed: int | None = None
    banks: tuple[str, ...] = ()
    submission_timeout: float = 600.0  # wall clock for one whole `attnquiz check` process

    def key(self) -> dict[str, Any]:
        """The part of the settings a resumed run must share to reuse a result."""
        return {
            "version": __version__,
            "exercises": sorted(self.exercises),
            "timeout": self.timeout,
            "seed": self.seed,
            "banks": [[bank, _bank_digest(bank)] for bank in self.banks],
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
    import yaml

    try:
        data = yaml.safe_load(bank_file.read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError):
        return []
    questions = data.get("questions") if isinstance(data, dict) else None
    exercises = [q.get("exercise") for q in questions or [] if isinstance(q, dict)]
    return [bank_file.parent / e["reference"] for e in exercises
            if isinstance(e, dict) and isinstance(e.get("reference"), str)]


@dataclass
class Outcome:
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
    tests: list[Outcome] = field(default_factory=list)
    graded_at: str = ""

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        tests = [Outcome(**row) for row in data.get("tests", [])]
        return cls(**{**data, "tests": tests})


# ----------------------------------------------------------------------------------------------
# Reading what `attnquiz check --format json` printed


def record_from_check(
    sub: Submission, sha256: str, settings: Settings, key: dict[str, Any], returncode: int | None, stdout: str,
    stderr: str, seconds: float,
) -> Record:
    """Turn one finished (or killed: returncode None) check process into a Record; `key` is settings.key()."""
    base = dict(student=sub.student, source=sub.source, sha256=sha256, settings=key,
                seconds=round(seconds, 3), graded_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    if returncode is None:
        return Record(status="timeout", message=t("grade.deadline", seconds=_shown(settings.submission_timeout)),
                      **base)
    try:
        report = json.loads(stdout) if stdout.strip() else None
    except ValueError as exc:
        return Record(status="error", message=t("grade.bad_report", detail=str(exc)), **base)
    load_error = report.get("load_error") if isinstance(report, dict) else None
    if returncode == ExitStatus.USAGE:
        message = load_error["message"] if isinstance(load_error, dict) else _last_line(stderr)
        return Record(status="not_loadable", message=message or t("grade.no_output"), **base)
    if returncode not in (ExitStatus.OK, ExitStatus.FAILURE) or report is None:
        return Record(status="error", message=t("grade.checker_failed", code=returncode,
                                                 detail=_last_line(stderr) or t("grade.no_output")), **base)
    try:
        tests, score, max_score = parse_check_report(report)
    except (KeyError, TypeError, ValueError) as exc:
        return Record(status="error", message=t("grade.bad_report", detail=repr(exc)), **base)
    return Record(status="checked", score=score, max_score=max_score, tests=tests, **base)


def parse_check_report(doc: dict[str, Any]) -> tuple[list[Outcome], float, float]:
    """The tests, score and maximum score of a check report (docs/checker.md, schema_version 1)."""
    rows = []
    for exercise in doc["exercises"]:
        for test in exercise["tests"]:
            diagnosis = test.get("diagnosis") or {}
            rows.append(Outcome(
                exercise=exercise["name"], test=test["name"], status=test["status"],
                score=float(test["score"]), max_score=float(test["max_score"]),
                mistake=str(diagnosis.get("title") or ""), message=str(test.get("message") or ""),
                label=str(test.get("label") or ""), mistake_id=str(diagnosis.get("name") or ""),
            ))
    return rows, float(doc["score"]), float(doc["max_score"])


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:500] if lines else ""


def _shown(seconds: float) -> str:
    return f"{seconds:g}"


# ----------------------------------------------------------------------------------------------
# Running one check process, and killing its whole tree


def check_argv(path: Path, settings: Settings) -> list[str]:
    """The command that checks one submission (the same Python, so the same attnquiz)."""
    argv = [sys.executable, "-m", "quiz", "check", "--format", "json"]
    for name in settings.exercises:
        argv += ["--exercise", name]
    for bank in settings.banks:
        argv += ["--bank", bank]
    if settings.timeout is not None:
        argv += ["--timeout", _shown(settings.timeout)]
    if settings.seed is not None:
        argv += ["--seed", str(settings.seed)]
    return argv + ["--", str(path)]


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["ATTNQUIZ_LANG"] = current_language()  # the messages in the results match this run's language
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"  # --jobs processes share the cores; BLAS threads would oversubscribe them
    return env


def preflight(settings: Settings) -> None:
    """Check the options once on an empty solution, so a bad --exercise or --bank stops the run
    before it marks every student as unloadable."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="attnquiz-grade-") as tmp:
        empty = Path(tmp) / "solution.py"
        empty.write_text("", encoding="utf-8")
        try:
            proc = subprocess.run(check_argv(empty, settings), stdin=subprocess.DEVNULL, capture_output=True,
                                  text=True, encoding="utf-8", errors="replace", env=_child_env(),
                                  timeout=settings.submission_timeout)
        except subprocess.TimeoutExpired:
            raise AttnquizError(t("grade.preflight", detail=t("grade.deadline", seconds=_shown(
                settings.submission_timeout)))) from None
    if proc.returncode not in (ExitStatus.OK, ExitStatus.FAILURE):
        detail = _last_line(proc.stderr).removeprefix(t("error.prefix", message="")) or t("grade.no_output")
        raise AttnquizError(t("grade.preflight", detail=detail))


def _descendants(pid: int) -> list[int]:
    """Every live process below `pid` (Linux /proc; elsewhere none)."""
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_tree(proc: subprocess.Popen[Any]) -> None:
    """Kill a check process started in its own session, and everything it started.

    The sandbox's children run in sessions of their own, so killing the check's process group
    alone could leave a hanging solution spinning: freeze the group first (so nothing is
    re-parented away), kill the group of every descendant, then the check's own group.
    """
    _signal_group(proc.pid, signal.SIGSTOP)
    for pid in _descendants(proc.pid):
        try:
            group = os.getpgid(pid)
        except ProcessLookupError:
            continue
        if group != os.getpgrp():
            _signal_group(group, signal.SIGKILL)
    _signal_group(proc.pid, signal.SIGKILL)


def _signal_group(group: int, sig: signal.Signals) -> None:
    try:
        os.killpg(group, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _drain(proc: subprocess.Popen[str]) -> tuple[str, str]:
    """What a killed process left in its pipes; give up if an escaped grandchild holds them open."""
    try:
        return proc.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        proc.wait()
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
        return "", ""


class Runner:
    """Starts check processes, remembers the running ones, and can stop them all at once."""

    def __init__(self, settings: Settings, key: dict[str, Any]) -> None:
        self.settings = settings
        self.key = key  # computed once: every record of a run carries the same one
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[str]] = set()
        self.stopped = False

    def check(self, sub: Submission, sha256: str) -> Record | None:
        """Check one submission; None when the run was stopped before it finished."""
        assert sub.path is not None, f"{sub.student} cannot be checked: {sub.problem}"
        start = time.perf_counter()
        with self._lock:
            if self.stopped:
                return None
            try:
                proc = subprocess.Popen(check_argv(sub.path, self.settings), stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                        encoding="utf-8", errors="replace", env=_child_env(),
                                        start_new_session=True)
            except OSError as exc:
                return record_from_check(sub, sha256, self.settings, self.key, -1, "", str(exc), 0.0)
            self._running.add(proc)
        try:
            out, err = proc.communicate(timeout=self.settings.submission_timeout)
            returncode: int | None = proc.returncode
        except subprocess.TimeoutExpired:
            kill_tree(proc)
            out, err = _drain(proc)
            returncode = None
        finally:
            with self._lock:
                self._running.discard(proc)
        if self.stopped:
            return None
        return record_from_check(sub, sha256, self.settings, self.key, returncode, out, err, time.perf_counter() - start)

    def stop(self) -> None:
        with self._lock:
            self.stopped = True
            running = list(self._running)
        for proc in running:
            kill_tree(proc)


# ----------------------------------------------------------------------------------------------
# The output folder


def _csv_cell(value: Any) -> Any:
    """Neutralise text a spreadsheet would run as a formula (messages can quote student code)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def per_test_rows(record: Record) -> list[dict[str, Any]]:
    return [{"student": record.student, **asdict(row)} for row in record.tests]


def total_row(record: Record) -> dict[str, Any]:
    return {
        "student": record.student, "submission": record.source, "status": record.status,
        "score": _number(record.score), "max_score": _number(record.max_score), "percent": round(record.percent, 1),
        "tests_passed": sum(row.status == "passed" for row in record.tests), "tests_total": len(record.tests),
        "seconds": record.seconds, "sha256": record.sha256, "message": record.message,
    }


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 4)


class Outputs:
    """The --out folder: the journal and the CSV files, written so that nothing is lost."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with open(folder / JOURNAL, "a", encoding="utf-8"):
                pass
            probe = folder / f".write-test-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise AttnquizError(t("grade.out_unwritable", path=folder, reason=exc.strerror or str(exc))) from None

    def previous(self) -> dict[str, Record]:
        """The last journal entry of each student (a torn last line from a kill is ignored)."""
        latest: dict[str, Record] = {}
        with open(self.folder / JOURNAL, encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    record = Record.from_json(json.loads(line))
                except (ValueError, TypeError, KeyError):
                    continue
                latest[record.student] = record
        return latest

    def append(self, record: Record) -> None:
        """Journal first (synced), then the CSV rows; each write is a whole line or nothing new."""
        journal = self.folder / JOURNAL
        with open(journal, "a+b") as f:
            if f.tell() and (f.seek(-1, os.SEEK_END), f.read(1))[1] != b"\n":
                f.write(b"\n")  # a line torn by an earlier kill stays on its own line
            f.write(json.dumps(record.to_json(), ensure_ascii=False).encode("utf-8") + b"\n")
            f.flush()
            os.fsync(f.fileno())
        self._append_csv(TESTS_CSV, TEST_FIELDS, per_test_rows(record))
        self._append_csv(TOTALS_CSV, TOTAL_FIELDS, [total_row(record)])

    def rewrite(self, records: Iterable[Record], report: dict[str, Any] | None = None) -> None:
        """Rebuild the CSV files (and results.json) from `records`, replacing the old ones atomically."""
        records = list(records)
        self._replace(TESTS_CSV, lambda f: _write_csv(f, TEST_FIELDS, [r for rec in records for r in per_test_rows(rec)]))
        self._replace(TOTALS_CSV, lambda f: _write_csv(f, TOTAL_FIELDS, [total_row(rec) for rec in records]))
        if report is not None:
            self._replace(REPORT_JSON, lambda f: f.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n"))

    def _append_csv(self, name: str, fields: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
        path = self.folder / name
        with open(path, "a", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=fields)
            if f.tell() == 0:
                writer.writeheader()
            writer.writerows({k: _csv_cell(v) for k, v in row.items()} for row in rows)

    def _replace(self, name: str, write: Callable[[Any], Any]) -> None:
        tmp = self.folder / f".{name}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.folder / name)


def _write_csv(f: Any, fields: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    writer = csv.DictWriter(f, fieldnames=fields)
    writer.writeheader()
    writer.writerows({k: _csv_cell(v) for k, v in row.items()} for row in rows)


# ----------------------------------------------------------------------------------------------
# Summary


@dataclass
class Summary:
    students: int
    checked: int
    not_graded: dict[str, int]  # status -> count, for every status other than "checked"
    mean_percent: float | None
    median_percent: float | None
    histogram: list[tuple[str, int]]  # ("0-9", n), ..., ("90-100", n), of graded students' percent
    mistakes: dict[str, list[tuple[str, int]]]  # exercise -> [(mistake, students)], most common first


def summarize(records: list[Record], top: int = 3) -> Summary:
    """Score distribution (a submission that cannot be loaded or timed out scores 0) and the most
    common diagnosed mistakes, per exercise, counted once per student."""
    checked = [r for r in records if r.status == "checked"]
    percents = [r.percent for r in records if r.status in SCORED]
    bins = [0] * 10
    for p in percents:
        bins[min(int(p // 10), 9)] += 1
    labels = [f"{10 * i}-{10 * i + 9}" for i in range(9)] + ["90-100"]
    per_exercise: dict[str, Counter[str]] = {}
    for record in checked:
        for exercise, mistake in {(row.exercise, row.mistake) for row in record.tests if row.mistake}:
            per_exercise.setdefault(exercise, Counter())[mistake] += 1
    return Summary(
        students=len(records),
        checked=len(checked),
        not_graded=dict(sorted(Counter(r.status for r in records if r.status != "checked").items())),
        mean_percent=round(statistics.fmean(percents), 1) if percents else None,
        median_percent=round(statistics.median(percents), 1) if percents else None,
        histogram=list(zip(labels, bins)),
        mistakes={ex: counter.most_common(top) for ex, counter in sorted(per_exercise.items())},
    )


def with_class_max(records: list[Record]) -> list[Record]:
    """Give submissions that scored 0 without a report (not loadable, timed out) the class's maximum."""
    top = max((r.max_score for r in records if r.status == "checked"), default=0.0)
    return [replace(r, max_score=top) if r.status in SCORED and not r.max_score else r for r in records]


def render_summary(summary: Summary, out: Path) -> str:
    """The summary as the plain text the command prints."""
    lines = [t("grade.summary_head", students=summary.students, checked=summary.checked)]
    for status, count in summary.not_graded.items():
        lines.append("  " + t("grade.summary_status", status=t(f"grade.status.{status}"), count=count))
    if summary.mean_percent is not None:
        lines.append(t("grade.summary_mean", mean=summary.mean_percent, median=summary.median_percent))
        width = max(count for _, count in summary.histogram) or 1
        for label, count in summary.histogram:
            bar = "#" * round(30 * count / width)
            lines.append(f"  {label:>6}%  {count:>4}  {bar}".rstrip())
    if summary.mistakes:
        lines.append(t("grade.summary_mistakes"))
        for exercise, mistakes in summary.mistakes.items():
            shown = ", ".join(t("grade.mistake_count", mistake=m, count=c) for m, c in mistakes)
            lines.append("  " + t("grade.summary_exercise", exercise=exercise, mistakes=shown))
    lines.append(t("grade.summary_files", path=out))
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------------------------
# The whole batch


@dataclass
class GradeRun:
    records: list[Record]  # one per student in the folder, in name order
    summary: Summary
    graded: int  # checked in this run
    resumed: int  # reused from an earlier run
    interrupted: bool = False

    @property
    def exit_status(self) -> ExitStatus:
        if self.interrupted:
            return ExitStatus.INTERRUPTED
        ok = all(r.status in ("checked", "not_loadable", "timeout") for r in self.records)
        return ExitStatus.OK if ok else ExitStatus.FAILURE


Progress = Callable[[Record, bool], None]  # (record, reused from an earlier run)


def _reusable(old: Record | None, sub: Submission, sha256: str, key: dict[str, Any]) -> bool:
    """Whether an earlier result still stands: same file, same place, same grading settings."""
    return old is not None and old.sha256 == sha256 and old.settings == key and old.source == sub.source


def grade_class(
    folder: Path,
    out: Path,
    settings: Settings,
    *,
    jobs: int | None = None,
    filename: str = "solution.py",
    on_start: Callable[[int], None] | None = None,
    on_record: Progress | None = None,
) -> GradeRun:
    """Check every submission in `folder`, writing results to `out` as they come; resumable."""
    submissions = find_submissions(folder, filename=filename, exclude=out)
    outputs = Outputs(out)
    preflight(settings)
    previous = outputs.previous()
    key = settings.key()
    final: dict[str, Record] = {}  # by source ("alice.py", "alice/"): unique in the folder
    todo: list[tuple[Submission, str]] = []
    for sub in submissions:
        if sub.path is None:
            final[sub.source] = Record(sub.student, sub.source, "rejected", message=sub.problem)
            continue
        sha = file_sha256(sub.path)
        if _reusable(previous.get(sub.student), sub, sha, key):
            final[sub.source] = previous[sub.student]
        else:
            todo.append((sub, sha))
    resumed = sum(r.status != "rejected" for r in final.values())
    order = [s.source for s in submissions]
    outputs.rewrite(final[source] for source in order if source in final)
    if on_start:
        on_start(len(submissions))
    for source in order:
        if source in final and on_record:
            on_record(final[source], final[source].status != "rejected")
    runner = Runner(settings, key)
    interrupted = False
    graded = 0
    pool = ThreadPoolExecutor(max_workers=max(1, jobs or os.cpu_count() or 1), thread_name_prefix="grade")
    try:
        futures = [pool.submit(runner.check, sub, sha) for sub, sha in todo]
        for future in as_completed(futures):
            record = future.result()
            if record is None:
                continue
            try:
                outputs.append(record)
            except OSError as exc:
                raise AttnquizError(t("grade.write_failed", path=out, reason=exc.strerror or str(exc))) from None
            final[record.source] = record
            graded += 1
            if on_record:
                on_record(record, False)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        runner.stop()
        pool.shutdown(wait=True, cancel_futures=True)
    if interrupted:  # Ctrl-C may have come between a journal entry and its bookkeeping here
        journal = outputs.previous()
        for sub, sha in todo:
            if sub.source not in final and _reusable(journal.get(sub.student), sub, sha, key):
                final[sub.source] = journal[sub.student]
                graded += 1
    records = with_class_max([final[source] for source in order if source in final])
    summary = summarize(records)
    report = {"attnquiz": __version__, "settings": key, "summary": asdict(summary),
              "students": [r.to_json() for r in records]}
    outputs.rewrite(records, report)
    return GradeRun(records, summary, graded, resumed, interrupted)
