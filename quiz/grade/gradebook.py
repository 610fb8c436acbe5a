"""gradebook.csv (the shape of otter-grader's final_grades.csv) and OUT/feedback/NAME.md.

gradebook.csv has one column per exercise (the points earned), then ``total_points_earned``,
``percent_correct`` (a fraction, as otter writes it) and ``grading_status`` ("Completed", or why
the submission could not be graded); its first row, ``points-per-question``, holds the points
possible (otter's layout, which LMS gradebook imports and otter users' scripts expect). A
submission that could not be graded scores 0 in every column. Then one row per student.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from quiz.grade.feedback import feedback_markdown, reproduce_command

GRADEBOOK_CSV = "gradebook.csv"
FEEDBACK_DIR = "feedback"
POINTS_POSSIBLE = "points-per-question"
STUDENT = "student"
TOTAL = "total_points_earned"
PERCENT = "percent_correct"
STATUS = "grading_status"


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 4)


def exercise_points(records: Sequence[Any]) -> dict[str, float]:
    """Exercise id -> points possible, in the order the checker ran them (from the checked records)."""
    possible: dict[str, float] = {}
    for record in records:
        if record.status != "checked":
            continue
        per: dict[str, float] = {}
        for row in record.tests:
            per[row.exercise] = per.get(row.exercise, 0.0) + row.max_score
        for exercise, value in per.items():
            possible.setdefault(exercise, value)
    return possible


def gradebook_rows(records: Sequence[Any]) -> tuple[list[str], list[dict[str, Any]]]:
    """The header and the rows of gradebook.csv (the points-per-question row first)."""
    possible = exercise_points(records)
    header = [STUDENT, *possible, TOTAL, PERCENT, STATUS]
    total_possible = sum(possible.values())
    rows: list[dict[str, Any]] = [{STUDENT: POINTS_POSSIBLE, **{e: _number(p) for e, p in possible.items()},
                                   TOTAL: _number(total_possible), PERCENT: 1, STATUS: "--"}]
    for record in records:
        earned = {exercise: 0.0 for exercise in possible}
        for row in record.tests:
            earned[row.exercise] = earned.get(row.exercise, 0.0) + row.score
        total = sum(earned.get(e, 0.0) for e in possible)
        status = "Completed" if record.status == "checked" else f"{record.status}: {record.message}".strip(": ")
        rows.append({STUDENT: record.student, **{e: _number(earned.get(e, 0.0)) for e in possible},
                     TOTAL: _number(total), PERCENT: round(total / total_possible, 4) if total_possible else 0,
                     STATUS: status})
    return header, rows


def feedback_files(records: Sequence[Any], settings: Any) -> dict[str, str]:
    """feedback/NAME.md for every student: file name -> Markdown (one not graded: 0 of the class's total)."""
    from dataclasses import replace

    total = sum(exercise_points(records).values())
    files = {}
    for record in records:
        if record.status != "checked" and not record.max_score:
            record = replace(record, max_score=total)
        command = reproduce_command(record.seed, settings.exercises, [Path(b).name for b in settings.banks],
                                    settings.timeout,
                                    record.file or "solution.py")
        files[f"{record.student}.md"] = feedback_markdown(record, command=command)
    return files
