"""Gradescope: the autograder zip `attnquiz autograder gradescope` builds, and the results.json it writes.

The zip (Gradescope's autograder specification: setup.sh and run_autograder at its root, unpacked
into /autograder/source on an Ubuntu image; each submission in /autograder/submission; the
results in /autograder/results/results.json) holds:

- ``setup.sh``: installs bubblewrap and Python from the distribution's packages, makes a virtual
  environment in /autograder/venv and installs the wheel below into it, with every dependency
  pinned (``constraints.txt``) to the version the zip was built with;
- ``run_autograder`` and ``autograde.py``: run :func:`run_autograder` from that environment;
- ``autograder.json``: the settings (exercises, banks, time limits, visibility) and the points of
  every test, so a submission that cannot even be loaded still scores 0 out of the full total;
- the attnquiz wheel, and ``banks/``: the course banks with their reference files.

Every submission's check runs in its own ``attnquiz check --format json`` process (quiz.grade's
runner: a wall-clock deadline, the whole process tree killed past it); its report becomes
results.json: one test per checker test, points per test, diagnoses in Markdown
(``output_format`` md), tests of built-in exercises visible (anyone can run them with
``attnquiz check``), tests of a course bank's own exercises hidden until the chosen visibility,
and a leaderboard with the measured KV-cache speedup and the score (while some tests are hidden,
the summary and the leaderboard give the visible tests' score only, as Gradescope hides the
total). ``AUTOGRADER_ROOT`` moves the layout. The zip is written aside and renamed into place,
so it is never half written.

``--isolation`` (autograder.json's ``isolation``): ``auto`` grades at the strongest sandbox level
the server offers and reports it (``extra_data.isolation``); ``strict`` refuses to grade below
bubblewrap's full boundary: each submission then gets a results.json with score 0, every test at
0 and the reason (``extra_data.reason``), rather than a grade computed at a weaker level.
setup.sh ends by printing the level the image offers.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from quiz import __version__
from quiz.errors import AttnquizError
from quiz.grade.feedback import by_exercise, isolation_warning, points, reproduce_command, test_markdown
from quiz.i18n import current_language, t

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
ISOLATIONS = ("auto", "strict")  # --isolation: strict refuses to grade below bubblewrap's full boundary
CONFIG = "autograder.json"
CONSTRAINTS = "constraints.txt"
BANKS = "banks"
TEMPLATES = Path(__file__).resolve().with_name("templates")
SPEEDUP_BOARD = "KV-cache speedup"
SCORE_BOARD = "Score"
VISIBLE_SCORE_BOARD = "Score (visible tests)"  # when some tests are hidden: their points are not shown either
SUBMISSION_TIMEOUT = 30 * 60.0  # far above a full check; Gradescope's own limit is set per assignment


# ----------------------------------------------------------------------------------------------
# What the autograder grades: settings and the points of every test


@dataclass(frozen=True)
class PlannedTest:
    id: str
    label: str
    points: float


@dataclass(frozen=True)
class PlannedExercise:
    id: str
    title: str
    course: bool  # defined by a course bank: its tests get the chosen visibility
    tests: tuple[PlannedTest, ...]

    @property
    def points(self) -> float:
        return sum(test.points for test in self.tests)


@dataclass(frozen=True)
class AutograderConfig:
    """source/autograder.json."""

    plan: tuple[PlannedExercise, ...]
    exercises: tuple[str, ...] = ()  # --exercise as given (empty: every exercise of the plan)
    banks: tuple[str, ...] = ()  # bank paths relative to source/
    timeout: float | None = None  # per call, `attnquiz check --timeout`
    visibility: str = "after_due_date"
    solution_file: str = "solution.py"
    language: str = "en"
    submission_timeout: float = SUBMISSION_TIMEOUT
    attnquiz_version: str = __version__
    isolation: str = "auto"  # auto: the strongest level the server offers; strict: refuse below it

    @property
    def max_score(self) -> float:
        return sum(exercise.points for exercise in self.plan)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AutograderConfig:
        plan = tuple(PlannedExercise(e["id"], e["title"], e["course"], tuple(PlannedTest(**x) for x in e["tests"]))
                     for e in data["plan"])
        return cls(**{**data, "plan": plan, "exercises": tuple(data["exercises"]), "banks": tuple(data["banks"])})


def plan_exercises(specs: Sequence[Any], course_ids: set[str], lang: str) -> tuple[PlannedExercise, ...]:
    """The plan of the selected exercises (catalogue specs), in the order they run."""
    return tuple(PlannedExercise(spec.id, spec.title(lang), spec.id in course_ids,
                                 tuple(PlannedTest(case.id, case.label(lang), case.points) for case in spec.tests))
                 for spec in specs)


# ----------------------------------------------------------------------------------------------
# results.json from a graded record


def results_json(record: Any, config: AutograderConfig) -> dict[str, Any]:
    """Gradescope's results.json for one graded submission (a quiz.grade Record)."""
    planned = {exercise.id: exercise for exercise in config.plan}
    rows = by_exercise(record.tests)
    tests = []
    for number, exercise in enumerate(dict.fromkeys([*planned, *rows]), start=1):
        course = planned[exercise].course if exercise in planned else False
        found = rows.get(exercise) or []
        if not found and exercise in planned:  # not checked at all (the file did not load): 0 of its points
            found = [_unchecked(planned[exercise], test, record) for test in planned[exercise].tests]
        for sub, row in enumerate(found, start=1):
            tests.append({
                "name": f"{exercise}: {row.label or row.test}",
                "name_format": "text",
                "number": f"{number}.{sub}",
                "score": row.score,
                "max_score": row.max_score,
                "status": "passed" if row.status == "passed" else "failed",
                "output": test_markdown(row),
                "output_format": "md",
                "tags": [exercise],
                "visibility": config.visibility if course else "visible",
                "extra_data": {"exercise": exercise, "test": row.test, "status": row.status,
                               "mistake": row.mistake_id or None},
            })
    score = sum(test["score"] for test in tests)
    shown = [test for test in tests if test["visibility"] == "visible"]
    hidden = Hidden(len(tests) - len(shown), sum(test["max_score"] for test in tests if test not in shown),
                    sum(test["score"] for test in shown), sum(test["max_score"] for test in shown))
    return {
        "score": score,
        "execution_time": max(1, round(record.seconds)),
        "output": _summary_markdown(record, config, score, sum(test["max_score"] for test in tests), hidden),
        "output_format": "md",
        "test_output_format": "md",
        "test_name_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {"attnquiz": __version__, "seed": record.seed, "isolation": record.isolation,
                       "limits": record.limits, "status": record.status, "sha256": record.sha256},
        "tests": tests,
        "leaderboard": [
            {"name": SPEEDUP_BOARD, "value": round(_speedup(record), 2), "order": "desc"},
            {"name": VISIBLE_SCORE_BOARD, "value": hidden.visible_score, "order": "desc"} if hidden.tests else
            {"name": SCORE_BOARD, "value": score, "order": "desc"},
        ],
    }


@dataclass(frozen=True)
class Hidden:
    """The tests students do not see yet (Gradescope then hides the total score too), and the visible score."""

    tests: int
    points: float
    visible_score: float
    visible_max: float


def _unchecked(exercise: PlannedExercise, test: PlannedTest, record: Any) -> Any:
    from quiz.grade.records import GradedTest

    return GradedTest(exercise=exercise.id, exercise_title=exercise.title, test=test.id, label=test.label,
                   status="not_attempted", score=0.0, max_score=test.points,
                   message=t("autograde.not_checked", status=t(f"grade.status.{record.status}")))


def _speedup(record: Any) -> float:
    """The solution's measured KV-cache speedup (decode_step's speed test), 0 when it was not measured."""
    found = [row.speedup["user"] for row in record.tests if row.speedup]
    return max(found, default=0.0)


def _summary_markdown(record: Any, config: AutograderConfig, score: float, max_score: float, hidden: Hidden) -> str:
    from quiz.grade.feedback import code_block, md_escape

    lines = []
    if record.status == "checked" and hidden.tests:  # the total would reveal how the hidden tests went
        lines.append(t("autograde.gs_score_visible", score=points(hidden.visible_score),
                       max_score=points(hidden.visible_max), hidden=hidden.tests, points=points(hidden.points),
                       when=t(f"autograde.when.{config.visibility}")))
    elif record.status == "checked":
        lines.append(t("autograde.gs_score", score=points(score), max_score=points(max_score)))
    else:
        lines.append(t("autograde.gs_not_checked", status=t(f"grade.status.{record.status}"),
                       max_score=points(max_score)))
        if record.message:
            lines.append(code_block("\n".join(filter(None, [record.message, record.detail]))))
    if record.seed is not None:
        command = reproduce_command(record.seed, config.exercises, [Path(b).name for b in config.banks],
                                    config.timeout, config.solution_file)
        lines.append(t("autograde.gs_seed", seed=record.seed) + "\n\n" + code_block(command, "sh"))
        if any(exercise.course for exercise in config.plan):  # students lack the course bank
            lines.append(t("autograde.gs_seed_bank"))
    if record.isolation:  # every report states the sandbox level it was graded at
        lines.append(md_escape(t("check.isolation", level=record.isolation,
                                 what=t(f"check.isolation.{record.isolation}"))))
    if record.limits:
        lines.append(md_escape(t(f"check.limits.{record.limits}")))
    warning = isolation_warning(record.isolation)
    if warning:
        lines.append(f"> {md_escape(warning)}")
    return "\n\n".join(lines)


# ----------------------------------------------------------------------------------------------
# Grading one submission inside the autograder


def find_solution(submission: Path, name: str) -> tuple[Path | None, str]:
    """The file to check: `name` at the shallowest depth it occurs in the submission, else its only .py file."""
    def visible(path: Path) -> bool:
        return not any(part.startswith(".") or part in ("__pycache__", "__MACOSX")
                       for part in path.relative_to(submission).parts)

    named = sorted((p for p in submission.rglob(name) if p.is_file() and visible(p)), key=lambda p: (len(p.parts), p))
    if named:
        shallowest = [p for p in named if len(p.parts) == len(named[0].parts)]
        if len(shallowest) > 1:
            found = ", ".join(str(p.relative_to(submission)) for p in shallowest)
            return None, t("autograde.several_solutions", filename=name, found=found)
        return named[0], ""
    scripts = sorted(p for p in submission.rglob("*.py") if p.is_file() and visible(p))
    if len(scripts) == 1:
        return scripts[0], ""
    found = ", ".join(str(p.relative_to(submission)) for p in scripts) or t("autograde.no_python")
    return None, t("autograde.submit_as", filename=name, found=found)


def grade_submission(root: Path, config: AutograderConfig) -> Any:
    """Check the submission in root/submission with the config's settings: a quiz.grade Record."""
    from quiz.grade.records import Record, Settings
    from quiz.grade.submissions import Submission
    from quiz.grade.runner import Runner

    solution, problem = find_solution(root / "submission", config.solution_file)
    if solution is None:
        return Record("submission", "submission/", "rejected", message=problem)
    source = root / "source"
    settings = Settings(exercises=config.exercises, timeout=config.timeout,
                        banks=tuple(str(source / bank) for bank in config.banks),
                        submission_timeout=config.submission_timeout, isolation=config.isolation)
    sub = Submission("submission", "submission/", solution)  # a folder: helper modules next to the solution count
    record = Runner(settings, settings.key()).check(sub)  # returns once the check's every process is gone
    assert record is not None, "a runner that was never stopped returns a record"
    return record


def run_autograder(root: Path) -> int:
    """What run_autograder does: grade root/submission, write root/results/results.json (always)."""
    from quiz.i18n import bind_language

    started = time.monotonic()
    results_file = root / "results" / "results.json"
    results_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        config = AutograderConfig.from_json(json.loads((root / "source" / CONFIG).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        _write_json(results_file, {"score": 0, "output": t("autograde.bad_config", reason=str(exc)),
                                   "stdout_visibility": "hidden", "tests": []})
        print(t("autograde.bad_config", reason=str(exc)), file=sys.stderr)
        return 1
    bind_language(config.language)
    refused = strict_refusal() if config.isolation == "strict" else None
    record = grade_submission(root, config) if refused is None else None
    if record is not None and config.isolation == "strict" and record.status == "not_loadable" \
            and not record.isolation:  # no report at all: the check itself refused to run below strict
        refused = (record.message.removeprefix(t("error.prefix", message="")), "")
    if refused is not None:
        reason, level = refused
        results = refused_results(config, reason, level)
        print(t("autograde.gs_refused_log", reason=reason, level=level) if level else
              t("autograde.gs_refused_log_check", reason=reason))
    else:
        results = results_json(record, config)
    results["execution_time"] = max(1, round(time.monotonic() - started))
    _write_json(results_file, results)
    status = "refused" if record is None or refused is not None else record.status
    print(t("autograde.gs_done", status=t(f"autograde.gs_status.{status}"), score=points(results["score"]),
            max_score=points(sum(test["max_score"] for test in results["tests"])), path=results_file))
    if record is None or refused is not None:
        return 0
    warning = isolation_warning(record.isolation)
    if warning:
        print(warning, file=sys.stderr)
    return 0


def strict_refusal() -> tuple[str, str] | None:
    """None when bubblewrap's full boundary works here; else (why not, the strongest level that does)."""
    from quiz.check.isolation import Level, host, refusal

    found = host()
    if found.works(Level.STRICT):
        return None
    return refusal(found.problems[Level.STRICT]), found.best().value


def refused_results(config: AutograderConfig, reason: str, level: str) -> dict[str, Any]:
    """results.json for a submission not graded because the server cannot run the strict sandbox
    (`--isolation strict`): 0 of the full total, every planned test at 0, the reason for the instructor."""
    from quiz.grade.feedback import md_escape

    tests = []
    for number, exercise in enumerate(config.plan, start=1):
        for sub, test in enumerate(exercise.tests, start=1):
            tests.append({"name": f"{exercise.id}: {test.label or test.id}", "name_format": "text",
                          "number": f"{number}.{sub}", "score": 0.0, "max_score": test.points, "status": "failed",
                          "output": t("autograde.refused_test"), "output_format": "md", "tags": [exercise.id],
                          "visibility": config.visibility if exercise.course else "visible",
                          "extra_data": {"exercise": exercise.id, "test": test.id, "status": "refused"}})
    return {
        "score": 0.0,
        "execution_time": 1,
        "output": t("autograde.gs_refused", max_score=points(config.max_score)) + "\n\n" + md_escape(reason),
        "output_format": "md",
        "test_output_format": "md",
        "test_name_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {"attnquiz": __version__, "status": "refused", "isolation": level,
                       "isolation_required": "strict", "reason": reason},
        "tests": tests,
        "leaderboard": [],
    }


def setup_report(root: Path) -> str:
    """What setup.sh prints last: the sandbox level this machine offers, and what the zip's --isolation makes of it."""
    from quiz.check.isolation import Level, host

    found = host()
    level = found.best().value
    from quiz.i18n import bind_language

    try:
        settings = json.loads((root / "source" / CONFIG).read_text(encoding="utf-8"))
        wanted, language = settings.get("isolation", "auto"), settings.get("language", "en")
    except (OSError, ValueError, AttributeError):
        wanted, language = "auto", "en"
    bind_language(language)
    lines = [t("autograde.setup_level", level=level)]
    if not found.works(Level.STRICT):
        key = "autograde.setup_strict_refuses" if wanted == "strict" else "autograde.setup_below_strict"
        lines.append(t(key, reason=found.problems[Level.STRICT], level=level))
    return "\n".join(lines)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    from quiz import files

    files.write_text(path, json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n", newline="")


# ----------------------------------------------------------------------------------------------
# Building the zip


@dataclass
class BuiltZip:
    path: Path
    files: list[str] = field(default_factory=list)
    max_score: float = 0.0
    exercises: int = 0
    hidden: int = 0  # tests of course exercises (their visibility: the chosen one)
    wheel: str = ""


def build_gradescope_zip(out: Path, *, banks: Sequence[str] = (), exercises: Sequence[str] = (),
                         timeout: float | None = None, visibility: str = "after_due_date",
                         solution_file: str = "solution.py", wheel: Path | None = None,
                         submission_timeout: float = SUBMISSION_TIMEOUT, isolation: str = "auto") -> BuiltZip:
    """Write the autograder zip to `out` (atomically); a bad bank, reference or output is one clear error."""
    assert visibility in VISIBILITIES, visibility
    assert isolation in ISOLATIONS, isolation
    _check_writable(out)
    course = load_course(banks, exercises)
    config = AutograderConfig(plan=course.plan, exercises=tuple(exercises),
                              banks=tuple(bank.target for bank in course.banks), timeout=timeout,
                              visibility=visibility, solution_file=solution_file, language=current_language(),
                              submission_timeout=submission_timeout, isolation=isolation)
    with tempfile.TemporaryDirectory(prefix="attnquiz-autograder-") as tmp:
        wheel_file = wheel if wheel is not None else build_wheel(Path(tmp))
        check_wheel(wheel_file)
        python = f"{sys.version_info.major}.{sys.version_info.minor}"
        members: dict[str, bytes | Path] = {
            "setup.sh": _template("setup.sh").replace("@PYTHON_VERSION@", python).replace("@WHEEL@", wheel_file.name),
            "run_autograder": _template("run_autograder"),
            "autograde.py": _template("autograde.py"),
            CONFIG: json.dumps(config.to_json(), ensure_ascii=False, indent=2) + "\n",
            CONSTRAINTS: constraints_text(),
            wheel_file.name: wheel_file,
        }
        for bank in course.banks:
            members.update(bank.members)
        write_zip_atomically(out, members)
    return BuiltZip(out, list(members), config.max_score, len(course.plan),
                    sum(len(e.tests) for e in course.plan if e.course), wheel_file.name)


def _template(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


def _check_writable(out: Path) -> None:
    parent = out.parent if str(out.parent) else Path(".")
    if out.is_dir():
        raise AttnquizError(t("autograde.out_is_folder", path=out))
    if not parent.is_dir():
        raise AttnquizError(t("autograde.out_no_folder", path=out, folder=parent))
    if not os.access(parent, os.W_OK | os.X_OK):
        raise AttnquizError(t("autograde.out_unwritable", path=out, reason=t("autograde.no_permission")))


_EXECUTABLE = {"setup.sh", "run_autograder"}


def _temporary(target: Path) -> Path:
    """Where `target` is written before it is renamed into place; a leftover of a build that was killed
    (its process gone) is removed first, so a stopped build leaves nothing behind for long."""
    prefix, suffix = f".{target.name}.", ".tmp"
    try:
        leftovers = [p for p in target.parent.iterdir() if p.name.startswith(prefix) and p.name.endswith(suffix)]
    except OSError:
        leftovers = []
    for old in leftovers:
        pid = old.name[len(prefix):-len(suffix)]
        if pid.isdigit() and int(pid) != os.getpid() and not _running(int(pid)):
            old.unlink(missing_ok=True)
    return target.with_name(f"{prefix}{os.getpid()}{suffix}")


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's
    return True


def write_zip_atomically(out: Path, members: dict[str, str | bytes | Path]) -> None:
    """Write every member to a temporary file next to `out`, then rename it over `out`."""
    tmp = _temporary(out)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, content in members.items():
                info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = ((0o755 if name in _EXECUTABLE else 0o644) | 0o100000) << 16
                data = content.read_bytes() if isinstance(content, Path) else (
                    content.encode("utf-8") if isinstance(content, str) else content)
                archive.writestr(info, data)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise AttnquizError(t("autograde.out_unwritable", path=out, reason=exc.strerror or str(exc))) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_files_atomically(files: dict[Path, str | bytes | Path]) -> None:
    """Write every file aside first, then rename them all into place: an error leaves no file half written."""
    staged: list[tuple[Path, Path]] = []
    try:
        for target, content in files.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = _temporary(target)
            staged.append((tmp, target))
            data = content.read_bytes() if isinstance(content, Path) else (
                content.encode("utf-8") if isinstance(content, str) else content)
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        for tmp, target in staged:
            os.replace(tmp, target)
    except OSError as exc:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        where = exc.filename or next(iter(files), "")
        raise AttnquizError(t("autograde.out_unwritable", path=where, reason=exc.strerror or str(exc))) from None


# ----------------------------------------------------------------------------------------------
# The course: banks with their reference files, the exercises and their points


@dataclass(frozen=True)
class PackedBank:
    source: Path  # the bank as given (a file or a folder)
    target: str  # where it is in the zip, relative to source/
    members: dict[str, Path]  # zip name -> file on disk (the bank's YAML files and reference files)


@dataclass(frozen=True)
class Course:
    plan: tuple[PlannedExercise, ...]
    banks: tuple[PackedBank, ...]


def load_course(banks: Sequence[str], exercises: Sequence[str]) -> Course:
    """Validate the banks (and load their reference files), select the exercises, plan their points."""
    from quiz.grade.course import course_exercises

    found = course_exercises(banks, exercises)
    packed = tuple(pack_bank(Path(bank), index, found.references.get(str(Path(bank)), []))
                   for index, bank in enumerate(banks, start=1))
    return Course(plan_exercises(found.specs, found.course_ids, current_language()), packed)


def pack_bank(bank: Path, index: int, references: list[Path]) -> PackedBank:
    """A bank's YAML files and the reference files its exercises name, under banks/N-NAME/, relative
    paths kept (so each bank still finds its reference files next to it)."""
    files = sorted(p for p in bank.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()) \
        if bank.is_dir() else [bank]
    everything = [p.resolve() for p in files] + [p.resolve() for p in references]
    base = Path(os.path.commonpath([p.parent for p in everything] + ([bank.resolve()] if bank.is_dir() else [])))
    folder = f"{BANKS}/{index}-{_safe(bank.stem)}"
    members = {f"{folder}/{p.relative_to(base).as_posix()}": p for p in everything}
    target = f"{folder}/{bank.resolve().relative_to(base).as_posix()}" if bank.resolve() != base else folder
    return PackedBank(bank, target, members)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "bank"


# ----------------------------------------------------------------------------------------------
# The wheel and the versions it was tested with


def source_tree() -> Path | None:
    """The project folder when attnquiz runs from a source checkout (an editable install), else None."""
    root = Path(__file__).resolve().parents[2]
    pyproject = root / "pyproject.toml"
    try:
        text = pyproject.read_text(encoding="utf-8")
    except OSError:
        return None
    return root if re.search(r'^name\s*=\s*"attnquiz"', text, re.M) else None


def build_wheel(folder: Path) -> Path:
    """Build attnquiz's wheel from the source checkout it runs from (pip wheel, no dependencies)."""
    root = source_tree()
    if root is None:
        raise AttnquizError(t("autograde.no_source"))
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-input", "--quiet",
                           "--disable-pip-version-check", "--wheel-dir", str(folder), str(root)],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    wheels = sorted(folder.glob("attnquiz-*.whl"))
    if proc.returncode != 0 or not wheels:
        detail = (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
        raise AttnquizError(t("autograde.wheel_failed", detail=detail))
    return wheels[-1]


def check_wheel(wheel: Path) -> None:
    """The wheel must be attnquiz's, of the version running now (its pins are this install's)."""
    match = re.fullmatch(r"attnquiz-([^-]+)-.+\.whl", wheel.name)
    if not wheel.is_file() or match is None:
        raise AttnquizError(t("autograde.not_a_wheel", path=wheel))
    if match.group(1) != __version__:
        raise AttnquizError(t("autograde.wheel_version", path=wheel, found=match.group(1), version=__version__))


def constraints_text() -> str:
    """name==version for attnquiz's dependencies and theirs, as installed now.

    A requirement only for an extra is left out; one with another marker (a Python version, a
    platform) is pinned when it is installed here, since then it applied here."""
    from importlib import metadata

    pinned: dict[str, str] = {}
    todo = ["attnquiz"]
    while todo:
        try:
            requires = metadata.distribution(todo.pop()).requires or []
        except metadata.PackageNotFoundError:
            continue
        for spec in requires:
            name, _, marker = spec.partition(";")
            if re.search(r"\bextra\s*==", marker):
                continue
            found = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", name)
            if found is None:
                continue
            key = re.sub(r"[-_.]+", "-", found.group(1)).lower()
            if key in pinned:
                continue
            try:
                pinned[key] = metadata.version(found.group(1))
            except metadata.PackageNotFoundError:
                continue
            todo.append(found.group(1))
    header = t("autograde.constraints_header", version=__version__,
               python=f"{sys.version_info.major}.{sys.version_info.minor}")
    return "".join([f"# {header}\n", *(f"{name}=={version}\n" for name, version in sorted(pinned.items()))])


def unpack(zip_path: Path, root: Path) -> Path:
    """Unpack an autograder zip as Gradescope does: into root/source, with run_autograder copied to root.
    (Tests and `docs/grading.md`'s local try-out use it.)"""
    source = root / "source"
    source.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            target = source / info.filename
            archive.extract(info, source)
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                target.chmod(mode)
    shutil.copy2(source / "run_autograder", root / "run_autograder")
    return source
