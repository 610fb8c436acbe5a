"""Asking the person: the only module that imports questionary.

Two front ends implement the session's ``UI`` with the same question logic
(``_QuizUI``) over different input primitives:

- ``QuestionaryUI``: arrow-key select for single choice, checkbox for multiple choice,
  a true/false select (y/n keys), a text line for short and numeric answers, a
  multi-line editor for open answers (Esc then Enter, or Alt+Enter, submits). Every
  question is asked with ``unsafe_ask()``, so Ctrl-C reaches the session, which handles
  it in one place. In an exam a timer ends the prompt on screen when time runs out.
- ``PlainUI``: numbered plain-text prompts read line by line from standard input (for
  pipes, scripts, CI and screen readers): choices by number (``2``; ``1,3`` for several),
  ``y``/``n`` for true/false, one line for short and numeric answers, and open answers
  that end with an empty line or a single ``.``. End of input raises EOFError.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from quiz.bank import models
from quiz.i18n import t
from quiz.practice import code, feedback, question_types, render
from quiz.practice.code import CodeCheck
from quiz.practice.marking import Grade
from quiz.practice.question_types import Answer, Validator
from quiz.practice.scheduler import Rating, coverage_rating, doubtful_rating
from quiz.practice.session import Item, Result, TimeUp

if TYPE_CHECKING:
    from rich.console import Console

RATINGS = (Rating.AGAIN, Rating.HARD, Rating.GOOD, Rating.EASY)


def clock_text(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


class HintWanted(Exception):
    """Raised by an input primitive when the learner asks for the question's hint instead of answering."""


class _QuizUI:
    """The question logic shared by both front ends; subclasses supply the input primitives."""

    plain = False

    def __init__(self, console: Console, lang: str, code: CodeCheck | None = None, *, pause: bool = False,
                 exam: bool = False) -> None:
        self.console = console
        self.lang = lang
        self.code = code or CodeCheck()
        self.pause = pause  # wait for a key after the feedback
        self.exam = exam  # no hints, and code reports wait for the end
        self.deadline: float | None = None
        self.hint: str | None = None  # the question's hint while it may still be asked for

    # input primitives, one per kind of prompt
    def select(self, options: list[str], message: str, default: int = 0, *, answer: bool = False) -> int:
        """The index of the chosen option; interactive prompts start on `default`. An `answer` prompt
        (not a menu) also offers the question's hint."""
        raise NotImplementedError

    def checkbox(self, options: list[str]) -> frozenset[int]:
        raise NotImplementedError

    def truefalse(self) -> bool:
        raise NotImplementedError

    def confirm(self, message: str) -> bool:
        """Yes or no to `message`; Enter alone is no."""
        raise NotImplementedError

    def line(self, hint: str, plain_prompt: str, validate: Validator) -> str:
        """One line of text; `hint` is shown by interactive prompts, `plain_prompt` by plain ones."""
        raise NotImplementedError

    def lines(self) -> str:
        raise NotImplementedError

    # the session's UI protocol
    def ask(self, item: Item, position: int, total: int, deadline: float | None) -> Answer | None:
        self.deadline = deadline
        left = clock_text(deadline - time.monotonic()) if deadline is not None else None
        render.question(self.console, item, position, total, self.lang, self.plain, left)
        kind, q = question_types.of(item.question), item.question
        offered = q.hint is not None and kind.hint_in_prompt and not self.exam
        self.hint = models.localize(q.hint, self.lang) if offered else None
        if self.hint is not None:
            menu = kind.menu and not self.plain  # a typed answer has no 'Show a hint' entry to choose
            render.line(self.console, t("hint.available" if menu else "hint.available_plain"), "dim")
        shown = 0
        try:
            while True:
                try:
                    answer = kind.ask(self, item, self.lang)
                    break
                except HintWanted:
                    shown += 1
                    render.hanging(self.console, t("hint.label"), self.hint or "", "yellow")
                    self.hint = None  # one hint per question
        finally:
            self.hint = None
        return replace(answer, hints=answer.hints + shown) if answer is not None and shown else answer

    def _wants_hint(self, text: str) -> bool:
        """Whether `text` (typed at a prompt) asks for the question's hint."""
        return self.hint is not None and text.strip() in ("?", "？")

    def rate(self, item: Item, text: str, grade: Grade) -> Rating:
        """The learner's rating, the menu starting on the key points' one; a rating that contradicts the
        marking (scheduler.doubtful_rating) is asked about once: no goes back to the menu."""
        render.open_reference(self.console, item, grade, self.lang, self.plain)
        found, total = sum(grade.covered), len(grade.covered)
        suggested = RATINGS.index(coverage_rating(found, total))
        while True:
            rating = RATINGS[self.select([t(render.RATING_KEYS[r]) for r in RATINGS], t("prompt.rate"), suggested)]
            if not doubtful_rating(rating, found, total):
                return rating
            name = t(render.RATING_NAMES[rating])
            doubt = (t("prompt.rate_empty", rating=name) if not text.strip()
                     else t("prompt.rate_doubtful", rating=name, found=found, total=total))
            if self.confirm(doubt):
                return rating

    def feedback(self, result: Result) -> None:
        feedback.feedback(self.console, result, self.lang, self.plain)

    def solve(self, item: Item) -> Answer | None:
        return code.solve(self, self.console, item, self.code, self.plain, self.lang, self.exam)


class _Countdown:
    """A prompt message that ends with the exam's time left, current each time the prompt is drawn."""

    def __init__(self, message: str, deadline: float) -> None:
        self.message, self.deadline = message, deadline

    def __format__(self, spec: str) -> str:
        return f"{self.message} ({t('prompt.time_left', time=clock_text(self.deadline - time.monotonic()))})"


class QuestionaryUI(_QuizUI):
    """Interactive prompts in a terminal. `input`/`output` are for tests (prompt_toolkit pipes)."""

    POINTER = 3  # cells before a select choice's text: " » "
    CHECKBOX = 5  # " » ○ "

    def __init__(self, console: Console, lang: str, code: CodeCheck | None = None, *, pause: bool = False,
                 exam: bool = False, **io: Any) -> None:
        super().__init__(console, lang, code, pause=pause, exam=exam)
        self.io = io

    def _message(self, text: str) -> Any:
        return _Countdown(text, self.deadline) if self.deadline is not None else text

    def _extra(self) -> dict[str, Any]:
        """Redraw once a second while an exam's clock runs, so the time left stays current."""
        return {"refresh_interval": 1.0} if self.deadline is not None else {}

    def _ask(self, question: Any) -> Any:
        """Ask one questionary question; Ctrl-C propagates; the exam timer ends it with TimeUp."""
        if self.deadline is None:
            return question.unsafe_ask()
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeUp
        app = question.application

        def expire() -> None:
            if app.is_running and app.loop is not None:
                app.loop.call_soon_threadsafe(lambda: app.is_done or app.exit(exception=TimeUp()))

        timer = threading.Timer(remaining, expire)
        timer.daemon = True
        timer.start()
        try:
            return question.unsafe_ask()
        finally:
            timer.cancel()

    def _titles(self, options: list[str], prefix: int) -> list[str]:
        """Choice texts wrapped to the terminal with a hanging indent: long ones are never cut."""
        width = self.console.width - 1
        return [render.wrap(text, width, prefix) for text in options]

    def _hint_choice(self, choices: list[Any]) -> list[Any]:
        import questionary

        return [*choices, questionary.Choice(title=t("hint.choice"), value=-1)] if self.hint is not None else choices

    def select(self, options: list[str], message: str, default: int = 0, *, answer: bool = False) -> int:
        import questionary

        choices = [questionary.Choice(title=text, value=i) for i, text in enumerate(self._titles(options, self.POINTER))]
        if answer:
            choices = self._hint_choice(choices)
        picked = self._ask(questionary.select(self._message(message), choices=choices, default=choices[default],
                                              instruction=t("prompt.select_hint"), **self._extra(), **self.io))
        if picked == -1:
            raise HintWanted
        return picked

    def checkbox(self, options: list[str]) -> frozenset[int]:
        import questionary

        choices = [questionary.Choice(title=text, value=i) for i, text in enumerate(self._titles(options, self.CHECKBOX))]
        picked = frozenset(self._ask(questionary.checkbox(self._message(t("prompt.answer")),
                                                          choices=self._hint_choice(choices),
                                                          instruction=t("prompt.checkbox_hint"), **self._extra(),
                                                          **self.io)))
        if -1 in picked:
            raise HintWanted
        return picked

    def truefalse(self) -> bool:
        import questionary

        choices = [questionary.Choice(title=t("prompt.true"), value=True, shortcut_key="y"),
                   questionary.Choice(title=t("prompt.false"), value=False, shortcut_key="n")]
        if self.hint is not None:
            choices.append(questionary.Choice(title=t("hint.choice"), value=None, shortcut_key="h"))
        picked = self._ask(questionary.select(self._message(t("prompt.answer")), choices=choices, use_shortcuts=True,
                                              instruction=t("prompt.truefalse_hint"), **self._extra(), **self.io))
        if picked is None:
            raise HintWanted
        return picked

    def confirm(self, message: str) -> bool:
        import questionary

        return bool(self._ask(questionary.confirm(self._message(message), default=False, **self._extra(), **self.io)))

    def line(self, hint: str, plain_prompt: str, validate: Validator) -> str:
        import questionary

        def check(text: str) -> bool | str:
            return True if self._wants_hint(text) else validate(text) or True

        text = self._ask(questionary.text(self._message(t("prompt.answer")), instruction=hint, validate=check,
                                          **self._extra(), **self.io))
        if self._wants_hint(text):
            raise HintWanted
        return text

    def lines(self) -> str:
        import questionary

        text = self._ask(questionary.text(self._message(t("prompt.answer")), multiline=True,
                                          instruction=t("prompt.open_hint") + "\n", **self._extra(), **self.io))
        if self._wants_hint(text):
            raise HintWanted
        return text

    def feedback(self, result: Result) -> None:
        super().feedback(result)
        if self.pause:
            self.wait(t("feedback.correct" if result.correct else "feedback.wrong"))

    def wait(self, verdict: str) -> None:
        """Hold the screen until a key is pressed (Ctrl-C still stops the quiz). The prompt repeats the
        verdict, which a long feedback may have scrolled off a short terminal."""
        import questionary

        self.console.print()
        questionary.press_any_key_to_continue(t("prompt.continue", verdict=verdict), **self.io).unsafe_ask()


class PlainUI(_QuizUI):
    """Numbered plain-text prompts on standard input and output (see the module docstring)."""

    plain = True

    def _read(self, prompt: str) -> str:
        self.console.file.write(prompt)
        self.console.file.flush()
        text = sys.stdin.readline()
        if not text:
            raise EOFError
        text = text.rstrip("\r\n")
        if not sys.stdin.isatty():  # nothing echoed it: show the answer, so a transcript reads well
            self.console.file.write(text + "\n")
        return text

    def _until_valid(self, prompt: str, parse: Callable[[str], Any], error: str, hint: bool = True) -> Any:
        """Read until `parse` accepts the text; '?' asks for the question's hint (when `hint`)."""
        while True:
            text = self._read(prompt).strip()
            if hint and self._wants_hint(text):
                raise HintWanted
            value = parse(text)
            if value is not None:
                return value
            render.line(self.console, error)

    def _numbered(self, options: list[str]) -> None:
        for number, text in enumerate(options, start=1):
            render.hanging(self.console, f"  {number}) ", text)

    def select(self, options: list[str], message: str, default: int = 0, *, answer: bool = False) -> int:
        if not answer:  # an answer's choices follow the question, as a multiple choice's do; a menu is titled
            render.line(self.console, message)
        self._numbered(options)
        n = len(options)

        def parse(text: str) -> int | None:
            return int(text) - 1 if text.isdigit() and 1 <= int(text) <= n else None

        return self._until_valid(t("plain.choose_one", n=n), parse, t("plain.bad_choice", n=n), hint=answer)

    def checkbox(self, options: list[str]) -> frozenset[int]:
        self._numbered(options)
        n = len(options)

        def parse(text: str) -> frozenset[int] | None:
            parts = [p for p in text.replace("，", ",").replace(" ", ",").split(",") if p]
            if not all(p.isdigit() and 1 <= int(p) <= n for p in parts):
                return None
            return frozenset(int(p) - 1 for p in parts)

        return self._until_valid(t("plain.choose_many"), parse, t("plain.bad_choices", n=n))

    def truefalse(self) -> bool:
        yes, no = set(t("plain.yes_words").split()), set(t("plain.no_words").split())

        def parse(text: str) -> bool | None:
            word = text.casefold()
            return True if word in yes else False if word in no else None

        return self._until_valid(t("plain.truefalse"), parse, t("plain.bad_truefalse"))

    def confirm(self, message: str) -> bool:
        yes, no = set(t("plain.yes_words").split()), set(t("plain.no_words").split())

        def parse(text: str) -> bool | None:
            word = text.casefold()
            return False if not word or word in no else True if word in yes else None

        return self._until_valid(f"{message} [y/N] ", parse, t("plain.bad_yes_no"), hint=False)

    def line(self, hint: str, plain_prompt: str, validate: Validator) -> str:
        while True:
            text = self._read(plain_prompt)
            if self._wants_hint(text):
                raise HintWanted
            error = validate(text)
            if error is None:
                return text
            render.line(self.console, error)

    def lines(self) -> str:
        render.line(self.console, t("plain.open"))
        collected: list[str] = []
        while True:
            text = self._read("")
            if not collected and self._wants_hint(text):
                raise HintWanted
            if not text.strip() or text.strip() == ".":
                return "\n".join(collected)
            collected.append(text)


def is_interactive() -> bool:
    """Whether standard input and output are both terminals (else the quiz uses plain prompts)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def make_ui(plain: bool, console: Console, lang: str, code: CodeCheck | None = None, *, pause: bool = True,
            exam: bool = False) -> _QuizUI:
    """Plain prompts never pause (they are for pipes and scripts)."""
    if plain:
        return PlainUI(console, lang, code, exam=exam)
    return QuestionaryUI(console, lang, code, pause=pause, exam=exam)
