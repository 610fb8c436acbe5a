"""What a student reads about one graded submission: Markdown for Gradescope and OUT/feedback/NAME.md.

Everything here is rendered from the grader's own records (``Outcome`` rows parsed from the
documented ``attnquiz check --format json`` report), never from what a solution printed about
itself. Text that came from the solution (an exception message, a traceback) is escaped, or
put in a code block whose fence is longer than any run of backticks inside it, so it cannot
turn into links, HTML or headings.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from quiz.i18n import t

if TYPE_CHECKING:
    from quiz.grade.records import GradedTest, Record

_MD_SPECIAL = re.compile(r"([\\`*_\[\]#|~])")
UNATTEMPTED = ("not_attempted", "not_implemented")
FULL_ISOLATION = "strict"  # the sandbox's full boundary (bubblewrap namespaces); anything else is weaker


def md_escape(text: str) -> str:
    """Plain text as Markdown that shows exactly that text (no markup, no raw HTML)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def code_block(text: str, language: str = "text") -> str:
    """A fenced block that no backtick inside the text can close early."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text.rstrip()}\n{fence}"


def points(value: float) -> str:
    return f"{value:g}"


def reproduce_command(seed: int | None, exercises: Sequence[str] = (), banks: Sequence[str] = (),
                      timeout: float | None = None, solution: str = "solution.py") -> str:
    """The `attnquiz check` command that repeats a graded run's random inputs."""
    argv = ["attnquiz", "check"]
    if seed is not None:
        argv += ["--seed", str(seed)]
    for name in exercises:
        argv += ["--exercise", name]
    for bank in banks:
        argv += ["--bank", bank]
    if timeout is not None:
        argv += ["--timeout", f"{timeout:g}"]
    return shlex.join([*argv, solution])


def isolation_warning(isolation: str | None) -> str:
    """One line when the sandbox ran below its full boundary (empty when it did not)."""
    if not isolation or isolation == FULL_ISOLATION:
        return ""
    return t("autograde.isolation_weak", level=isolation, full=FULL_ISOLATION)


def outcome_lines(row: GradedTest) -> list[str]:
    """The Markdown paragraphs that explain one test's result (empty list for a plain pass)."""
    parts = []
    if row.message:
        parts.append(md_escape(row.message))
    if row.failed_prerequisites:
        parts.append(t("autograde.md_fix_first", first=row.failed_prerequisites[0],
                       earlier=", ".join(f"`{name}`" for name in row.failed_prerequisites)))
    if row.mistake:
        parts.append(t("autograde.md_mistake", mistake=md_escape(row.mistake), hint=md_escape(row.hint)))
    if row.speedup is not None:
        parts.append(md_escape(t("autograde.speed_line", **row.speedup)))
    if row.traceback:
        parts.append(code_block(row.traceback))
    return parts


def test_markdown(row: GradedTest) -> str:
    """A Gradescope test's output: its status and points, then what went wrong and what to try."""
    head = t("autograde.md_test_head", status=t(f"check.status.{row.status}"), score=points(row.score),
             max_score=points(row.max_score))
    return "\n\n".join([head, *outcome_lines(row)])


def by_exercise(rows: Iterable[GradedTest]) -> dict[str, list[GradedTest]]:
    grouped: dict[str, list[GradedTest]] = {}
    for row in rows:
        grouped.setdefault(row.exercise, []).append(row)
    return grouped


def feedback_markdown(record: Record, *, command: str) -> str:
    """OUT/feedback/NAME.md: the score, a table per exercise, what to fix, and how to repeat the run."""
    lines = [f"# {md_escape(t('autograde.fb_title', student=record.student))}", ""]
    if record.status == "checked":
        lines.append(t("autograde.fb_score", score=points(record.score), max_score=points(record.max_score),
                       percent=f"{record.percent:.0f}"))
    else:
        lines.append(t("autograde.fb_not_graded", status=t(f"grade.status.{record.status}"),
                       score=points(record.score), max_score=points(record.max_score)))
        if record.message:
            lines += ["", code_block("\n".join(filter(None, [record.message, record.detail])))]
    if record.tests:
        lines += ["", f"| {t('autograde.fb_col_exercise')} | {t('autograde.fb_col_result')} | "
                      f"{t('autograde.fb_col_points')} |", "| --- | --- | --- |"]
        for exercise, rows in by_exercise(record.tests).items():
            passed = sum(row.status == "passed" for row in rows)
            title = rows[0].exercise_title or exercise
            lines.append(f"| {md_escape(title)} (`{exercise}`) | "
                         f"{t('autograde.fb_passed', passed=passed, total=len(rows))} | "
                         f"{points(sum(r.score for r in rows))}/{points(sum(r.max_score for r in rows))} |")
        to_fix = [rows for rows in by_exercise(record.tests).values() if any(r.status != "passed" for r in rows)]
        if to_fix:
            lines += ["", f"## {t('autograde.fb_to_fix')}", ""]
        for rows in to_fix:
            if all(r.status in UNATTEMPTED for r in rows):  # one entry for an exercise not started at all
                lines += [f"### `{rows[0].exercise}` ({t(f'check.status.{rows[0].status}')}, "
                          f"0/{points(sum(r.max_score for r in rows))})", "", md_escape(rows[0].message), ""]
                continue
            for row in rows:
                if row.status == "passed":
                    continue
                lines.append(f"### `{row.exercise}`: {md_escape(row.label or row.test)} "
                             f"({t(f'check.status.{row.status}')}, {points(row.score)}/{points(row.max_score)})")
                lines += ["", *"\n\n".join(outcome_lines(row)).splitlines(), ""]
    lines += ["", f"## {t('autograde.fb_repeat')}", ""]
    if record.seed is not None:
        lines += [t("autograde.fb_repeat_how", seed=record.seed), "", code_block(command, "sh")]
        if (record.reference_figures or {}).get("used"):
            lines += ["", t("autograde.fb_shared_reference", at=record.reference_figures["measured_at"])]
    else:
        lines.append(t("autograde.fb_no_seed"))
    warning = isolation_warning(record.isolation)
    if warning:
        lines += ["", f"> {md_escape(warning)}"]
    return "\n".join(lines).rstrip() + "\n"
