"""`attnquiz exercises`: every exercise the checker knows, with its difficulty, points and what to write.

``exercise_rows`` returns the rows as values (the command prints them with ``render_exercises``), so
that other views (progress, status) can add columns to the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from quiz.check.registry import Registry
from quiz.i18n import t


@dataclass(frozen=True)
class ExerciseRow:
    id: str
    title: str
    difficulty: int | None  # 1 to 3; None for a bank exercise that does not say
    points: float
    names: tuple[str, ...]  # what the solution file defines


def exercise_rows(registry: Registry, lang: str) -> list[ExerciseRow]:
    """One row per exercise of the registry, in the order they are checked."""
    return [ExerciseRow(spec.id, spec.title(lang), spec.difficulty, spec.points, spec.names)
            for spec in registry.specs().values()]


def render_exercises(rows: list[ExerciseRow]) -> str:
    """The rows as an aligned plain-text table, then a line on how to start one."""
    header = (t("exercises.id"), t("exercises.difficulty"), t("exercises.points"), t("exercises.defines"),
              t("exercises.title"))
    cells = [(row.id, t(f"exercises.level_{row.difficulty}") if row.difficulty else "-", f"{row.points:g}",
              ", ".join(row.names), row.title) for row in rows]
    widths = [max(_width(line[i]) for line in [header, *cells]) for i in range(len(header) - 1)]
    lines = ["  ".join(_pad(text, width) for text, width in zip(line, widths)) + "  " + line[-1]
             for line in [header, *cells]]
    return "\n".join(line.rstrip() for line in lines) + "\n\n" + t("exercises.footer", count=len(rows)) + "\n"


def _width(text: str) -> int:
    """Columns a string takes in a terminal: CJK characters take two."""
    return sum(2 if "\u2e80" <= char <= "\u9fff" or "\uff00" <= char <= "\uffef" else 1 for char in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
