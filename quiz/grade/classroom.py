"""GitHub Classroom: the result `check --format classroom` prints, and the workflow `autograder classroom` writes.

The result is what classroom-resources/autograding-grading-reporter reads (base64-encoded, from
the ``<ID>_RESULTS`` variable of its step): ``{"version": 1, "status": "pass"|"fail"|"error",
"max_score": N, "tests": [{"name", "status", "score", "message", "test_code", "filename",
"line_no", "duration"}]}``. The reporter sends Classroom the sum of the tests' ``score`` out of
``max_score``, and fails the job when ``status`` is "fail" or "error"; so every checker test is
one test here with its own points, and ``status`` is "pass" only when the score reaches the
minimum (default: full marks; an unattempted exercise scores 0, so it counts as failed).

The workflow has Classroom's current shape (the one its assignment editor writes): name
"Autograding Tests"; on push, workflow_dispatch and repository_dispatch; permissions checks:
write, actions: read, contents: read; skipped for github-classroom[bot]; one step that installs
bubblewrap and attnquiz (from the wheel committed next to the workflow, its dependencies pinned
to the versions the workflow was written with), runs the check and writes the base64 result as
its ``result`` output; then the reporter with ``runners:`` and the matching variable.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from quiz import __version__
from quiz.errors import AttnquizError
from quiz.grade.feedback import points
from quiz.i18n import current_language, t

RUNNER_ID = "attnquiz"  # the step id; the reporter reads ATTNQUIZ_RESULTS
REPORTER = "classroom-resources/autograding-grading-reporter@v1"
ASSETS = PurePosixPath(".github/attnquiz")  # the wheel, its pins and the banks, relative to the repository


def classroom_result(record: Any, max_score: float, min_score: float | None = None,
                     command: str = "") -> dict[str, Any]:
    """The reporter's JSON for one checked solution (a quiz.grade Record); `max_score` is the full total
    (also for a file that did not load), `min_score` the score that passes (default: `max_score`)."""
    tests = []
    for row in record.tests:
        status = "pass" if row.status == "passed" else ("error" if row.status in ("error", "timeout") else "fail")
        message = " ".join(filter(None, [row.message, t("check.likely_mistake", name=row.mistake, hint=row.hint)
                                         if row.mistake else "",
                                         t("check.fix_first", earlier=t("check.list_sep").join(row.failed_prerequisites),
                                           first=row.failed_prerequisites[0])
                                         if row.failed_prerequisites else ""]))
        tests.append({
            "name": f"{row.exercise}: {row.label or row.test}", "status": status, "score": row.score,
            "max_score": row.max_score, "message": message or t(f"check.status.{row.status}"),
            "test_code": command, "filename": record.source, "line_no": 0, "duration": 0,
        })
    score = sum(test["score"] for test in tests)
    needed = max_score if min_score is None else min_score
    if record.status != "checked":
        status = "error"
        tests.append({"name": t("autograde.cr_load_test"), "status": "error", "score": 0, "max_score": max_score,
                      "message": record.message or t(f"grade.status.{record.status}"), "test_code": command,
                      "filename": record.source, "line_no": 0, "duration": 0})
    else:
        status = "pass" if score >= needed and tests else "fail"
    return {"version": 1, "status": status, "max_score": max_score, "tests": tests,
            "extra": {"attnquiz": __version__, "score": score, "min_score": needed, "seed": record.seed,
                      "isolation": record.isolation, "limits": record.limits}}


# ----------------------------------------------------------------------------------------------
# The workflow


@dataclass
class WrittenWorkflow:
    path: Path
    files: list[Path] = field(default_factory=list)
    max_score: float = 0.0
    min_score: float = 0.0


def repository_root(workflow: Path) -> Path:
    """The repository a workflow file belongs to: it must be REPO/.github/workflows/NAME.yml."""
    resolved = workflow.absolute()
    if resolved.suffix not in (".yml", ".yaml") or resolved.parent.name != "workflows" \
            or resolved.parent.parent.name != ".github":
        raise AttnquizError(t("autograde.cr_where", path=workflow))
    return resolved.parent.parent.parent


def workflow_text(*, check_args: Sequence[str], wheel: str, python: str, min_score: float,
                  solution_file: str, timeout_minutes: int = 30) -> str:
    """The workflow YAML (Classroom's shape; the check step is a shell script that never needs `uses:`)."""
    install = ASSETS / "constraints.txt"
    command = shlex.join(["attnquiz", "check", "--format", "classroom", "--min-score", points(min_score),
                          *check_args, "--", solution_file])
    script = "\n".join([
        "set -euo pipefail",
        "if ! command -v bwrap >/dev/null 2>&1; then",
        "  sudo apt-get update && sudo apt-get install -y --no-install-recommends bubblewrap",
        "fi",
        "# Ubuntu 24.04 runners refuse unprivileged user namespaces unless allowed (bubblewrap needs them)",
        "sudo sysctl -q -w kernel.apparmor_restrict_unprivileged_userns=0 2>/dev/null || true",
        f"python -m pip install --quiet --disable-pip-version-check --constraint {install} {ASSETS / wheel}",
        'out="${RUNNER_TEMP:-/tmp}/attnquiz-classroom.json"',
        f"{command} > \"$out\" || true",
        "python -c 'import json, sys; json.load(open(sys.argv[1]))' \"$out\"  # the check printed its result",
        'echo "result=$(base64 -w 0 < "$out")" >> "$GITHUB_OUTPUT"',
    ])
    env_name = f"{RUNNER_ID.upper()}_RESULTS"
    lines = [
        "name: Autograding Tests",
        "'on':",
        "- push",
        "- workflow_dispatch",
        "- repository_dispatch",
        "permissions:",
        "  checks: write",
        "  actions: read",
        "  contents: read",
        "jobs:",
        "  run-autograding-tests:",
        "    runs-on: ubuntu-latest",
        "    if: github.actor != 'github-classroom[bot]'",
        "    steps:",
        "    - name: Checkout code",
        "      uses: actions/checkout@v4",
        "    - name: Set up Python",
        "      uses: actions/setup-python@v5",
        "      with:",
        f"        python-version: '{python}'",
        "    - name: attnquiz",
        f"      id: {RUNNER_ID}",
        "      shell: bash",
        f"      timeout-minutes: {timeout_minutes}",
        "      run: |",
        *(f"        {line}" for line in script.splitlines()),
        "    - name: Autograding Reporter",
        f"      uses: {REPORTER}",
        "      env:",
        f'        {env_name}: "${{{{steps.{RUNNER_ID}.outputs.result}}}}"',
        "      with:",
        f"        runners: {RUNNER_ID}",
    ]
    return "\n".join(lines) + "\n"


def write_classroom_workflow(out: Path, *, banks: Sequence[str] = (), exercises: Sequence[str] = (),
                             timeout: float | None = None, min_score: float | None = None,
                             solution_file: str = "solution.py", wheel: Path | None = None) -> WrittenWorkflow:
    """Write the workflow, and next to it (.github/attnquiz/) the wheel, its pins and the banks."""
    import tempfile

    from quiz.grade.gradescope import (
        build_wheel,
        check_wheel,
        constraints_text,
        load_course,
        write_files_atomically,
    )

    repo = repository_root(out)
    course = load_course(banks, exercises)
    max_score = sum(exercise.points for exercise in course.plan)
    if min_score is not None and not 0 <= min_score <= max_score:
        raise AttnquizError(t("autograde.cr_min_score", min_score=points(min_score), max_score=points(max_score)))
    needed = max_score if min_score is None else min_score
    args: list[str] = ["--lang", current_language()]  # the students' messages in the language it was written in
    for name in exercises:
        args += ["--exercise", name]
    for bank in course.banks:
        args += ["--bank", str(ASSETS / bank.target)]
    if timeout is not None:
        args += ["--timeout", points(timeout)]
    with tempfile.TemporaryDirectory(prefix="attnquiz-classroom-") as tmp:
        wheel_file = wheel if wheel is not None else build_wheel(Path(tmp))
        check_wheel(wheel_file)
        python = f"{sys.version_info.major}.{sys.version_info.minor}"
        files: dict[Path, str | bytes | Path] = {
            out: workflow_text(check_args=args, wheel=wheel_file.name, python=python, min_score=needed,
                               solution_file=solution_file),
            repo / ASSETS / "constraints.txt": constraints_text(),
            repo / ASSETS / wheel_file.name: wheel_file,
        }
        for bank in course.banks:
            files.update({repo / ASSETS / name: path for name, path in bank.members.items()})
        write_files_atomically(files)
    return WrittenWorkflow(out, list(files), max_score, needed)
