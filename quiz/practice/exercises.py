"""The learner's progress on the code exercises: hint levels, worked solutions, what to do next.

Pure functions over the store's ``ExerciseProgress`` (quiz.practice.store) and the checker's
exercise specs; the worked solutions are the files in solutions/ (shipped in the wheel as
quiz/_data/solutions), one definition per exercise, shown with the comment block above it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from quiz.errors import AttnquizError
from quiz.i18n import t
from quiz.paths import data_path

if TYPE_CHECKING:
    from quiz.check.catalog import ExerciseSpec
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


def show_solution(code: str, color: bool) -> None:
    """The worked solution, syntax-highlighted on a colour terminal, as plain text otherwise."""
    from rich.console import Console
    from rich.syntax import Syntax

    if not color:
        import click

        click.echo(code, nl=False)
        return
    Console(highlight=False).print(Syntax(code, "python", theme="ansi_dark", background_color="default"))
