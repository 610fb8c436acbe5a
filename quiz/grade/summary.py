"""The class summary: scores and the most common mistakes."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from quiz.grade.records import SCORED, Record
from quiz.i18n import t

# ClassSummary


@dataclass
class ClassSummary:
    students: int
    checked: int  # checked with a report (status "checked")
    not_graded: dict[str, int]  # status -> count, for every status other than "checked"
    mean_percent: float | None
    median_percent: float | None
    histogram: list[tuple[str, int]]  # ("0-9", n), ..., ("90-100", n), of graded students' percent
    mistakes: dict[str, list[tuple[str, int]]]  # exercise -> [(mistake, students)], most common first
    graded: int = 0  # given a grade: checked, or scored 0 (could not be loaded, stopped at the deadline)


def summarize(records: list[Record], top: int = 3) -> ClassSummary:
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
    return ClassSummary(
        students=len(records),
        checked=len(checked),
        not_graded=dict(sorted(Counter(r.status for r in records if r.status != "checked").items())),
        mean_percent=round(statistics.fmean(percents), 1) if percents else None,
        median_percent=round(statistics.median(percents), 1) if percents else None,
        histogram=list(zip(labels, bins)),
        mistakes={ex: counter.most_common(top) for ex, counter in sorted(per_exercise.items())},
        graded=len(percents),
    )


def with_class_max(records: list[Record]) -> list[Record]:
    """Give submissions that scored 0 without a report (not loadable, timed out) the class's maximum."""
    top = max((r.max_score for r in records if r.status == "checked"), default=0.0)
    return [replace(r, max_score=top) if r.status in SCORED and not r.max_score else r for r in records]


def render_summary(summary: ClassSummary, out: Path, ignored: Sequence[str] = ()) -> str:
    """The summary as the plain text the command prints (`ignored`: the folder's entries that are not
    submissions)."""
    lines = [t("grade.summary_head", students=summary.students, graded=summary.graded,
               not_graded=summary.students - summary.graded)]
    for status, count in summary.not_graded.items():
        key = "grade.summary_zero" if status in SCORED else "grade.summary_not_graded"
        lines.append("  " + t(key, status=t(f"grade.status.{status}"), count=count))
    if ignored:
        lines.append(t("grade.ignored", count=len(ignored), names=", ".join(ignored)))
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

