"""The quiz's link to the checker: code questions as a loop, checked in this process.

A code question names a checker exercise (or defines one in its bank). The quiz writes a
starter file (``attnquiz_<exercise>.py`` in the current folder) and runs the checker on it
in this process (quiz.check.runner.run_check, as `attnquiz check` does; the solution
itself runs in the checker's sandbox, never here). After a check the learner may check again
(having edited the file in another window), read a hint (one level at a time), see the
failing test's details (the report `attnquiz check` prints), give up (after a yes to 'are you sure?', as
`attnquiz solution` asks: the worked solution is shown and the question counts as Again), or skip. A file that is still the starter, that
implements nothing yet, or that is unchanged since the last check costs no attempt. Every
check is saved in the exercise progress, as `attnquiz check` saves it.

A question met again (due for review, or in a new session) offers the file the exercise was last
checked in, when it still exists elsewhere than the starter path here, before a fresh starter
(rustlings and exercism keep one workspace per exercise); a file unchanged since that check must
be edited first, so an old pass is not taken for a new one.

In an exam the first real check is the answer, and its report waits for the walk-through.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from quiz.bank import models
from quiz.i18n import current_language, t
from quiz.practice import render
from quiz.practice.question_types import Answer, Inputs

if TYPE_CHECKING:
    from rich.console import Console

    from quiz.check.registry import Registry
    from quiz.check.verdicts import CheckResult
    from quiz.practice.session import Item
    from quiz.practice.store import Store


@dataclass(frozen=True)
class CodeCheck:
    """Runs the checker for code questions.

    Starter files go to `folder` (the current one by default). An exercise defined in a
    bank (not built in) is checked with the quiz's extra `banks`, which define it.
    """

    folder: Path | None = None
    banks: tuple[str, ...] = ()
    store: Store | None = None  # where checks, hints read and give-ups are saved

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

    def starter(self, exercise: str, path: Path, custom: bool = False) -> str:
        from quiz.check.starter import check_command, starter_text

        banks = self.banks if custom else ()
        return starter_text([self.registry(custom)[exercise].spec], path.name,
                            check_command(path.name, banks, (exercise,)), banks)

    def write_starter(self, exercise: str, path: Path, custom: bool = False) -> bool:
        from quiz import files

        try:
            files.write_text(path, self.starter(exercise, path, custom))
        except OSError:
            return False
        return True

    def run(self, exercise: str, path: Path, custom: bool = False) -> CheckResult:
        """The check of `exercise` on the file at `path`, saved in the progress."""
        from quiz.check.runner import CheckOptions, run_check
        from quiz.practice.scheduler import utcnow

        result = run_check(path, CheckOptions(exercises=(exercise,)), self.registry(custom))
        if self.store is not None and not result.interrupted and result.load_error is None:
            self.store.record_check(result, utcnow())
        return result

    def earlier_file(self, exercise: str) -> tuple[Path, bool] | None:
        """The file the learner last checked `exercise` in, when it still exists and is not the starter
        path here, with whether it is unchanged since that check (its modification time is older)."""
        if self.store is None:
            return None
        here = self.starter_path(exercise).absolute()
        for path, checked_at in self.store.work_files(exercise):
            if path != here and path.is_file():
                try:
                    unchanged = path.stat().st_mtime <= checked_at.timestamp()
                except OSError:
                    continue
                return path, unchanged
        return None

    def hints(self, exercise: str, custom: bool, lang: str) -> list[str]:
        return [hint(lang) for hint in self.registry(custom)[exercise].spec.hints]

    def event(self, exercise: str, kind: str, level: int | None = None) -> None:
        from quiz.practice.scheduler import utcnow

        if self.store is not None:
            self.store.record_event(exercise, kind, utcnow(), level)

    def solution(self, exercise: str, custom: bool) -> str | None:
        """The worked solution of a built-in exercise; None for a bank's (the instructor's reference is hidden)."""
        from quiz.practice.exercises import worked_solution

        return None if custom else worked_solution(self.registry(custom)[exercise].spec)


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def solve(inputs: Inputs, console: Console, item: Item, check: CodeCheck, plain: bool, lang: str,
          exam: bool = False) -> Answer | None:
    """The loop of one code question (see the module docstring); None when skipped."""
    question = item.question
    assert isinstance(question, models.CodeQuestion)
    exercise = question.exercise_id
    custom = isinstance(question.exercise, models.ExerciseDefinition)  # defined in the bank itself
    path = check.starter_path(exercise)
    from quiz.check.starter import check_command

    banks = check.banks if custom else ()
    render.line(console, t("code.exercise", exercise=exercise,
                           command=check_command(path.name, banks, (exercise,)).removesuffix(" " + path.name)))
    hints = [] if exam else check.hints(exercise, custom, lang)
    if question.hint is not None and not exam:
        hints.insert(0, models.localize(question.hint, lang))
    attempts = read = 0
    last: CheckResult | None = None
    checked: str | None = None  # the digest of the file as last checked
    earlier = None if path.exists() else check.earlier_file(exercise)
    while True:
        action = ""
        if not path.exists():
            start = [("write", t("code.write_starter", path=path)), ("skip", t("code.skip"))]
            if earlier is not None and earlier[0].is_file():  # the file worked in last time first, as rustlings keep it
                start.insert(0, ("earlier", t("code.check_earlier", path=earlier[0])))
            action = start[inputs.select([label for _, label in start], t("code.action"))][0]
            if action == "skip":
                return None
            if action == "write":
                written = check.write_starter(exercise, path, custom)
                render.line(console, t("code.written" if written else "code.write_failed", path=path))
                continue
            path, unchanged = earlier  # type: ignore[misc]
            checked = _digest(path) if unchanged else None  # unchanged since it was checked: no free attempt
            action = "check"
        if not action:
            actions = [("check", t("code.run_check" if last is None else "code.check_again", path=path))]
            if read < len(hints):
                actions.append(("hint", t("code.hint", level=read + 1, count=len(hints))))
            if last is not None and not last.passed and not exam:
                actions.append(("details", t("code.details")))
            if not exam:  # not last: Up from the default wraps around to the last entry
                actions.append(("give_up", t("code.give_up")))
            actions.append(("skip", t("code.skip")))
            action = actions[inputs.select([label for _, label in actions], t("code.action"))][0]
        if action == "skip":
            return None
        if action == "hint":
            read += 1
            render.hanging(console, t("code.hint_label", level=read, count=len(hints)), hints[read - 1], "yellow")
            if question.hint is None or read > 1:  # the exercise's own levels are remembered
                check.event(exercise, "hint", read - (question.hint is not None))
            continue
        if action == "details":
            assert last is not None
            _report(console, last, plain)
            continue
        if action == "give_up":
            shown = check.solution(exercise, custom)
            if not inputs.confirm(t("code.give_up_confirm" if shown is not None else "code.give_up_confirm_hidden",
                                    exercise=exercise)):
                continue
            check.event(exercise, "gave_up")
            if shown is None:
                render.line(console, t("code.reference_hidden"))
            else:
                check.event(exercise, "solution")
                render.line(console, t("code.worked_solution"), "bold")
                render.code(console, shown, plain)
            return Answer(False, hints=read, attempts=attempts, gave_up=True, check=last)
        digest = _digest(path)
        if digest is None:
            render.line(console, t("code.unreadable", path=path))
            continue
        if path.read_text(encoding="utf-8", errors="replace") == check.starter(exercise, path, custom):
            render.line(console, t("code.untouched", path=path))
            continue
        if digest == checked:
            render.line(console, t("code.unchanged", path=path))
            continue
        result = check.run(exercise, path, custom)
        checked = digest
        if result.load_error is None and not result.attempted:
            render.line(console, t("code.nothing_attempted", path=path))
            continue
        attempts += 1
        last = result
        if exam:  # the report waits for the walk-through
            render.line(console, t("code.checked_exam"))
            return Answer(result.passed, attempts=attempts, check=result)
        _summary(console, result, attempts)
        if result.passed:
            return Answer(True, hints=read, attempts=attempts, check=result)


def _summary(console: Console, result: CheckResult, attempts: int) -> None:
    """One check in a few lines: the score, and the first test that did not pass with its diagnosis."""
    from quiz.check.report import diagnosis_text

    if result.load_error is not None:
        _report(console, result, plain=True)
        return
    render.line(console, t("code.score", attempt=attempts, score=f"{result.score:g}", total=f"{result.max_score:g}"),
                "bold green" if result.passed else "bold red")
    failing = next((v for v in result.tests if v.status.value != "passed" and v.status.attempted), None)
    if failing is None:
        return
    spec = result.specs[failing.exercise]
    render.hanging(console, "  ", t("code.failing", test=spec.test(failing.test).label(current_language()),
                                    message=failing.message))
    if failing.diagnosis:
        render.hanging(console, "  ", diagnosis_text(spec, failing.diagnosis), "yellow")


def _report(console: Console, result: CheckResult, plain: bool) -> None:
    if result.load_error is not None:
        render.line(console, t("check.load_failed", message=result.load_error.message), "red")
        if result.load_error.detail:
            render.line(console, result.load_error.detail.rstrip("\n"))
        return
    render.check_report(console, result, plain)
