"""Gradescope autograder for attnquiz: check the submission, write results/results.json.

run_autograder starts this with the Python that has attnquiz installed. It finds the
student's file in submission/, runs `attnquiz check --format gradescope` on it (the
checker runs the solution in its own sandbox), sets each test's visibility, and writes
results/results.json. Whatever goes wrong (no file, a syntax error, the checker itself
failing), a results.json with a score and a message the student can act on is written,
because without one Gradescope shows the student only "the autograder failed".

Visibility: tests of the built-in exercises are visible (a student can run the very same
checks with `attnquiz check`); tests of the exercises a course bank defines (COURSE_BANK,
whose reference file is never shipped to students) get HIDDEN_VISIBILITY, by default
"after_due_date". The run's own stdout is for the instructor only (stdout_visibility hidden).

Settings come from the environment (run_autograder sets the defaults): AUTOGRADER_ROOT,
SOLUTION_FILE, CHECK_ARGS, COURSE_BANK, HIDDEN_VISIBILITY.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
DEADLINE_SECONDS = 30 * 60  # far above a full check; Gradescope's own limit is set per assignment


def find_solution(submission: Path, name: str) -> tuple[Path | None, str]:
    """The file to check: `name` anywhere in the submission, else its only .py file."""
    named = sorted(submission.rglob(name), key=lambda p: len(p.parts))
    if named:
        return named[0], ""
    scripts = sorted(p for p in submission.rglob("*.py") if not any(part.startswith(".") for part in p.parts))
    if len(scripts) == 1:
        return scripts[0], ""
    found = ", ".join(str(p.relative_to(submission)) for p in scripts) or "no .py file"
    return None, f"Submit your solution as {name} (found: {found})."


def course_exercises(root: Path, bank: str) -> set[str]:
    """Ids of the exercises a course bank defines inline (their tests are the hidden ones)."""
    if not bank:
        return set()
    import yaml

    data = yaml.safe_load((root / "source" / bank).read_text(encoding="utf-8")) or {}
    return {q["exercise"]["id"] for q in data.get("questions", [])
            if q.get("type") == "code" and isinstance(q.get("exercise"), dict)}


def failure(message: str, seconds: float) -> dict:
    """A results.json for a submission that could not be checked: zero, with the reason shown."""
    return {"score": 0, "execution_time": round(seconds, 2), "output": message, "output_format": "text",
            "stdout_visibility": "hidden", "tests": []}


def set_visibility(results: dict, hidden: set[str], visibility: str) -> dict:
    """Course-bank exercises' tests get `visibility`; everything else is visible now."""
    results["stdout_visibility"] = "hidden"
    for test in results.get("tests", []):
        exercise = (test.get("extra_data") or {}).get("exercise", "")
        test["visibility"] = visibility if exercise in hidden else "visible"
    return results


def main() -> int:
    root = Path(os.environ.get("AUTOGRADER_ROOT", "/autograder"))
    visibility = os.environ.get("HIDDEN_VISIBILITY", "after_due_date")
    if visibility not in VISIBILITIES:
        print(f"HIDDEN_VISIBILITY must be one of {', '.join(VISIBILITIES)}, not {visibility!r}", file=sys.stderr)
        return 2
    results_file = root / "results" / "results.json"
    results_file.parent.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    solution, problem = find_solution(root / "submission", os.environ.get("SOLUTION_FILE", "solution.py"))
    if solution is None:
        results = failure(problem, 0)
    else:
        bank = os.environ.get("COURSE_BANK", "")
        argv = [sys.executable, "-m", "quiz", "check", "--format", "gradescope",
                *(["--bank", str(root / "source" / bank)] if bank else []),
                *shlex.split(os.environ.get("CHECK_ARGS", "")), "--", str(solution)]
        print("$", shlex.join(argv), flush=True)
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, encoding="utf-8", errors="replace",
                                  stdin=subprocess.DEVNULL, timeout=DEADLINE_SECONDS)
            out, err, code = proc.stdout, proc.stderr, proc.returncode
        except subprocess.TimeoutExpired:
            out, err, code = "", f"the check did not finish within {DEADLINE_SECONDS} s", None
        print(err, file=sys.stderr, flush=True)
        try:
            results = json.loads(out)
            assert isinstance(results, dict) and isinstance(results.get("tests"), list)
        except (ValueError, AssertionError):
            # exit 2: the file cannot be loaded; the checker's message shows the line and a caret
            results = failure(err.strip() or f"attnquiz check failed (exit {code})", time.monotonic() - start)
        results = set_visibility(results, course_exercises(root, bank), visibility)
    results_file.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"score {results.get('score')}; wrote {results_file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
