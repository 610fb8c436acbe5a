"""The quiz's link to the checker: code questions, checked in this process.

A code question names a checker exercise (or defines one in its bank). The quiz writes a
starter file (``attnquiz_<exercise>.py`` in the current folder) and runs the checker on it
in this process (quiz.check.runner.run_check, as `attnquiz check` does; the solution
itself runs in the checker's sandbox, never here). The report is the one `attnquiz check`
prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from quiz.bank import models
from quiz.i18n import t
from quiz.practice import render
from quiz.practice.question_types import Answer, Inputs

if TYPE_CHECKING:
    from rich.console import Console

    from quiz.check.registry import Registry
    from quiz.check.verdicts import CheckResult
    from quiz.practice.session import Item


@dataclass(frozen=True)
class CodeCheck:
    """Runs the checker for code questions.

    Starter files go to `folder` (the current one by default). An exercise defined in a
    bank (not built in) is checked with the quiz's extra `banks`, which define it.
    """

    folder: Path | None = None
    banks: tuple[str, ...] = ()

    def starter_path(self, exercise: str) -> Path:
        return (self.folder or Path.cwd()) / f"attnquiz_{exercise}.py"

    def registry(self, custom: bool) -> Registry:
        """The checker's exercises: the built-in ones, plus the banks' for an exercise a bank defines."""
        from quiz.check.registry import builtin, with_banks

        if not custom:
            return builtin()
        if "_with_banks" not in self.__dict__:  # built once per quiz (frozen: set through __dict__)
            self.__dict__["_with_banks"] = with_banks(self.banks)
        return self.__dict__["_with_banks"]

    def write_starter(self, exercise: str, path: Path, custom: bool = False) -> bool:
        from quiz.check.starter import starter_text

        spec = self.registry(custom)[exercise].spec
        try:
            path.write_text(starter_text([spec], path.name), encoding="utf-8")
        except OSError:
            return False
        return True

    def run(self, exercise: str, path: Path, custom: bool = False) -> CheckResult:
        """The check of `exercise` on the file at `path`."""
        from quiz.check.runner import CheckOptions, run_check

        return run_check(path, CheckOptions(exercises=(exercise,)), self.registry(custom))


def solve(inputs: Inputs, console: Console, item: Item, check: CodeCheck, plain: bool) -> Answer | None:
    """Offer to write the starter file and run the check on it; None when skipped."""
    question = item.question
    assert isinstance(question, models.CodeQuestion)
    exercise = question.exercise_id
    custom = isinstance(question.exercise, models.ExerciseDefinition)  # defined in the bank itself
    path = check.starter_path(exercise)
    render.line(console, t("code.exercise", exercise=exercise))
    while True:
        first = t("code.run_check", path=path) if path.exists() else t("code.write_starter", path=path)
        if inputs.select([first, t("code.skip")], t("code.action")) == 1:
            return None
        if path.exists():
            result = check.run(exercise, path, custom)
            _report(console, result, plain)
            return Answer(result.passed, check=result)
        written = check.write_starter(exercise, path, custom)
        render.line(console, t("code.written" if written else "code.write_failed", path=path))


def _report(console: Console, result: CheckResult, plain: bool) -> None:
    if result.load_error is not None:
        render.line(console, t("check.load_failed", message=result.load_error.message), "red")
        if result.load_error.detail:
            render.line(console, result.load_error.detail.rstrip("\n"))
        return
    render.check_report(console, result, plain)
