"""The learner's progress on the code exercises: hint levels, worked solutions, what to do next, and
the table of `attnquiz exercises` (each exercise's status, best score and speedup, grouped by topic).

Pure functions over the store's ``ExerciseProgress`` (quiz.practice.store) and the checker's
exercise specs; the worked solutions are the files in solutions/ (shipped in the wheel as
quiz/_data/solutions), one definition per exercise, shown with the comment block above it.
"""

from __future__ import annotations

import ast
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from quiz.errors import AttnquizError
from quiz.i18n import t
from quiz.paths import data_path

if TYPE_CHECKING:
    from rich.console import Console

    from quiz.check.catalog import ExerciseSpec
    from quiz.check.listing import ExerciseRow
    from quiz.check.verdicts import CheckResult
    from quiz.practice.store import ExerciseProgress


def next_hint_level(count: int, read: int, asked: int | None) -> int | None:
    """The level to show: `asked`, else the next unread one (the last again once all are read);
    None when `asked` is past the last."""
    if asked is not None:
        return asked if asked <= count else None
    return min(read + 1, count)


def worked_solution(spec: ExerciseSpec) -> str:
    """The definition of `spec`'s function or class in solutions/, with the comment block above it."""
    folder = data_path("solutions")
    for path in sorted(folder.glob("*.py")):
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        for node in ast.parse(source).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == spec.name:
                start = node.lineno - 1
                if start > 0 and not lines[start - 1].strip() and start > 1 and lines[start - 2].startswith("#"):
                    start -= 1  # one blank line between the comment block and the definition
                while start > 0 and lines[start - 1].startswith("#"):
                    start -= 1
                return "\n".join(lines[start:node.end_lineno]) + "\n"
    raise AttnquizError(t("solution.missing", exercise=spec.id, folder=folder))


def next_exercise(order: Iterable[str], progress: Mapping[str, ExerciseProgress]) -> str | None:
    """What to do next: the first failing exercise (in catalogue order), else the first not started."""
    order = list(order)
    for wanted in ("failing", "not_started"):
        for exercise in order:
            known = progress.get(exercise)
            if (known.status if known else "not_started") == wanted:
                return exercise
    return None


def hint_target(result: CheckResult | None, selection: Sequence[str]) -> str | None:
    """The exercise a hint is for in watch mode: the first the last check attempted without passing,
    else the first it found not started, else None (all pass); before any result, the first selected."""
    from quiz.check.verdicts import Status, exercise_status

    if result is None or not result.tests:
        return selection[0] if selection else None
    statuses = {name: exercise_status(result.for_exercise(name)) for name in result.exercise_names()}
    for name, status in statuses.items():
        if status not in (Status.PASSED, Status.NOT_ATTEMPTED, Status.NOT_IMPLEMENTED):
            return name
    return next((name for name, status in statuses.items() if status is not Status.PASSED), None)


def show_solution(code: str, color: bool) -> None:
    """The worked solution, syntax-highlighted on a colour terminal, as plain text otherwise."""
    from rich.console import Console
    from rich.syntax import Syntax

    if not color:
        import click

        click.echo(code, nl=False)
        return
    Console(highlight=False).print(Syntax(code, "python", theme="ansi_dark", background_color="default"))


@dataclass(frozen=True)
class Tally:
    """How far the learner is through the exercises, and which to do next."""

    total: int
    passed: int
    failing: int
    next: str | None  # None once every exercise has passed
    next_progress: ExerciseProgress | None  # what the store knows about it (None: not started)

    @property
    def not_started(self) -> int:
        return self.total - self.passed - self.failing


def tally(order: Iterable[str], progress: Mapping[str, ExerciseProgress]) -> Tally:
    """Counts over the exercises in `order` (other ids in the store, say a bank's not loaded now, are left out)."""
    order = list(order)
    statuses = [status_of(exercise, progress) for exercise in order]
    following = next_exercise(order, progress)
    return Tally(len(order), statuses.count("passed"), statuses.count("failing"), following,
                 progress.get(following) if following else None)


def status_of(exercise: str, progress: Mapping[str, ExerciseProgress]) -> str:
    known = progress.get(exercise)
    return known.status if known else "not_started"


def summary_lines(counts: Tally, banks: Sequence[str] = ()) -> list[str]:
    """Two lines for `attnquiz exercises` and `stats`: the counts, then what to do next (its commands with
    the --bank options given, `banks`)."""
    from quiz.check.starter import check_command, command

    lines = [t("exercises.tally", total=counts.total, passed=counts.passed, failing=counts.failing,
               not_started=counts.not_started)]
    if counts.next is None:
        lines.append(t("exercises.all_passed", count=counts.total))
    elif counts.next_progress is not None and counts.next_progress.status == "failing":
        lines.append(t("exercises.next_failing", exercise=counts.next, score=_score(counts.next_progress),
                       hint=command("hint", counts.next, banks=banks)))
    else:
        file = f"{counts.next}.py"
        lines.append(t("exercises.next_new", exercise=counts.next,
                       new=command("new", "--exercise", counts.next, "-o", file, banks=banks),
                       check=check_command(file, banks, (counts.next,))))
    return lines


def render_summary(console: Console, counts: Tally) -> None:
    """The exercises' part of `attnquiz stats`: a title, the counts and what to do next."""
    from quiz.practice import render

    console.print()
    render.line(console, t("exercises.stats_title"), "bold")
    for line in summary_lines(counts):
        render.line(console, line)


def render_exercises(rows: Sequence[ExerciseRow], progress: Mapping[str, ExerciseProgress], width: int,
                     topic_name: Callable[[str], str], banks: Sequence[str] = ()) -> str:
    """The exercises grouped by topic (topics in order of their first exercise), each with its difficulty,
    status, best score and best speedup; the title too when the width leaves room; then the summary, whose
    commands repeat the --bank options given (`banks`)."""
    from quiz.check.starter import command
    from rich.cells import cell_len
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    groups: dict[str, list[ExerciseRow]] = {}
    for row in rows:
        groups.setdefault(row.topic or "-", []).append(row)
    cells = [["  " + row.id, t(f"exercises.level_{row.difficulty}") if row.difficulty else "-",
              t(f"exercises.{status_of(row.id, progress)}"), *_best(row, progress.get(row.id))] for row in rows]
    header = [t("exercises.id"), t("exercises.difficulty"), t("exercises.status"), t("exercises.best"),
              t("exercises.speedup")]
    fixed = sum(max(cell_len(line[i]) for line in [header, *cells]) + 2 for i in range(len(header)))
    with_titles = width - fixed >= TITLE_MIN_WIDTH
    table = Table(box=None, pad_edge=False, show_edge=False)
    for i, name in enumerate(header):
        table.add_column(escape(name), no_wrap=True, justify="right" if i >= 3 else "left")
    if with_titles:
        table.add_column(escape(t("exercises.title")), overflow="fold")
    by_id = {row.id: line for row, line in zip(rows, cells)}
    for topic, members in groups.items():
        table.add_row(escape(topic), "", "", "", "", *([escape(topic_name(topic))] if with_titles else []),
                      style="bold")
        for row in members:
            table.add_row(*map(escape, by_id[row.id]), *([escape(row.title)] if with_titles else []))
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None, legacy_windows=False,
                      highlight=False)
    console.print(table)
    console.print()
    bank_args = command(banks=banks).removeprefix("attnquiz")
    for line in [*summary_lines(tally([row.id for row in rows], progress), banks), t("exercises.footer", banks=bank_args)]:
        console.print(escape(line))
    return "".join(line.rstrip() + "\n" for line in console.export_text().splitlines())


TITLE_MIN_WIDTH = 24
"""Columns the title needs to be shown; a narrower terminal leaves it out (`--format json` has it)."""


def to_json(order: Sequence[str], progress: Mapping[str, ExerciseProgress],
            rows: Mapping[str, ExerciseRow] | None = None) -> dict[str, Any]:
    """`attnquiz exercises --format json` (with the rows: title, topic, difficulty, points) and the
    `exercises` part of `stats --format json` (without them)."""
    counts = tally(order, progress)
    return {
        "passed": counts.passed, "failing": counts.failing, "not_started": counts.not_started, "next": counts.next,
        "exercises": [_exercise_json(exercise, progress.get(exercise), (rows or {}).get(exercise))
                      for exercise in order],
    }


def _exercise_json(exercise: str, known: ExerciseProgress | None, row: ExerciseRow | None) -> dict[str, Any]:
    about = {"title": row.title, "topic": row.topic, "difficulty": row.difficulty, "points": row.points} if row else {}
    checked = known is not None and known.checks > 0
    return {"id": exercise, **about, "status": known.status if known else "not_started",
            "best_score": known.best_score if checked else None,
            "max_score": known.max_score if checked else None,
            "best_speedup": known.best_speedup if known else None, "checks": known.checks if known else 0,
            "last_checked": known.last_checked.isoformat(timespec="seconds") if known and known.last_checked
            else None, "hints_read": known.hints_read if known else 0, "gave_up": known.gave_up if known else False}


def _best(row: ExerciseRow, known: ExerciseProgress | None) -> tuple[str, str]:
    """The best score out of the points (`-/10` before any check) and the best speedup measured."""
    if known is None or not known.checks:
        return f"-/{row.points:g}", "-"
    speedup = f"{known.best_speedup:.1f}x" if known.best_speedup is not None else "-"
    return _score(known), speedup


def _score(known: ExerciseProgress) -> str:
    return f"{known.best_score:g}/{known.max_score:g}"
