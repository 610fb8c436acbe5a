"""`attnquiz check --format gradescope|classroom`: one check, reported as a course platform reads it.

Both formats follow the grading policy (one for grade, Gradescope, Classroom and
``check --require-all``): every selected exercise counts, so one that is not attempted scores 0
and fails. The exit status says the same: 0 when the result passes (Gradescope: every test
passed; Classroom: the score reaches --min-score, default full marks), 1 when it does not, 2
when the file could not be loaded (the JSON is printed all the same: 0 out of the full total).
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from quiz.errors import ExitStatus


def render_for(platform: str, doc: dict[str, Any], registry: Any = None, *, solution: Path, banks: tuple[str, ...] = (),
               exercises: tuple[str, ...] = (), timeout: float | None = None,
               min_score: float | None = None) -> tuple[dict[str, Any], ExitStatus]:
    """(the platform's JSON for the check report `doc`, the exit status)."""
    from quiz.grade.course import course_exercises
    from quiz.grade.gradescope import AutograderConfig, plan_exercises, results_json
    from quiz.grade.records import record_from_report
    from quiz.i18n import current_language

    record = record_from_report(doc, solution.stem, str(solution))
    found = course_exercises(banks, exercises, registry)
    plan = plan_exercises(found.specs, found.course_ids, current_language())
    if platform == "gradescope":
        config = AutograderConfig(plan=plan, exercises=exercises, banks=banks, timeout=timeout, visibility="visible",
                                  solution_file=str(solution), language=current_language())
        data = results_json(record, config)
        passed = record.complete
    else:
        from quiz.grade.classroom import classroom_result

        command = shlex.join(["attnquiz", "check", *(f"--exercise={e}" for e in exercises),
                              *(f"--bank={b}" for b in banks), f"--seed={record.seed}", str(solution)])
        data = classroom_result(record, sum(e.points for e in plan), min_score, command)
        passed = data["status"] == "pass"
    if record.status != "checked":
        return data, ExitStatus.USAGE
    return data, ExitStatus.OK if passed else ExitStatus.FAILURE
