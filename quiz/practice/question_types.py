"""The question types, each declared once: how a type is asked, marked, rated and shown.

One class per type holds everything the quiz does differently for it: the bank model it
reads (quiz.bank.models), ``ask`` (with the front end's input primitives, quiz.practice.prompts),
``mark`` (quiz.practice.marking), ``judge`` (the rating for the scheduler) and ``show``
(the type's part of the feedback). ``TYPES`` maps each bank type name to its class; the
list of types itself is the bank's ``QUESTION_MODELS``. Session, prompts and feedback
dispatch through ``TYPES`` and never test a question's class.

Adding a type: its model in quiz/bank/models.py (added to QUESTION_MODELS), one class
here (added to TYPES), and its ``type.<name>`` label in quiz/locales/quiz.yaml.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from quiz.bank import models
from quiz.i18n import t
from quiz.practice import marking, render, units
from quiz.practice.marking import Grade
from quiz.practice.scheduler import Rating, coverage_rating, objective_rating

if TYPE_CHECKING:
    from rich.console import Console

    from quiz.check.verdicts import CheckResult
    from quiz.practice.session import Item, Mode, Result

Validator = Callable[[str], "str | None"]  # an error message, or None when the text is acceptable


@dataclass(frozen=True)
class Answer:
    """What the person gave: a choice index (single), a set of indices (multiple), a bool
    (true/false, and code: whether the check passed), or text (short, numeric, open).

    `hints` counts the hints shown before answering; a code answer also says how many
    checks it took, whether the learner gave up, and the last check's result.
    """

    value: int | frozenset[int] | bool | str
    hints: int = 0
    attempts: int = 1
    gave_up: bool = False
    check: CheckResult | None = None


class Inputs(Protocol):
    """The input primitives a front end gives the question types (quiz.practice.prompts)."""

    def select(self, options: list[str], message: str, default: int = 0, *, answer: bool = False) -> int: ...

    def checkbox(self, options: list[str]) -> frozenset[int]: ...

    def truefalse(self) -> bool: ...

    def confirm(self, message: str) -> bool:
        """A yes/no question whose default (Enter) is no."""

    def line(self, hint: str, plain_prompt: str, validate: Validator) -> str: ...

    def lines(self) -> str: ...

    def solve(self, item: Item) -> Answer | None:
        """The code loop (quiz.practice.code): check, hint, details, skip, give up."""


class QuestionType:
    """The behaviour shared by most types; each subclass names its model and fills in the rest."""

    model: ClassVar[type[models.QuestionBase]]
    has_choices: ClassVar[bool] = False
    """Whether the question's `choices` are shuffled and shown as a list."""
    hint_in_prompt: ClassVar[bool] = True
    """Whether the answer prompt offers the question's `hint` (code questions offer hints in their loop)."""
    menu: ClassVar[bool] = False
    """Whether the answer is picked from a menu (which then has a 'Show a hint' entry), not typed."""

    def ask(self, inputs: Inputs, item: Item, lang: str) -> Answer | None:
        raise NotImplementedError

    def mark(self, question: Any, answer: Answer, lang: str) -> Grade:
        raise NotImplementedError

    def judge(self, item: Item, answer: Answer, grade: Grade, seconds: float, mode: Mode,
              self_rate: Callable[[], Rating | None]) -> tuple[Rating, bool]:
        """The rating for the scheduler and whether the answer counts as right.

        `self_rate` asks the learner (None when they pressed Ctrl-C instead)."""
        return objective_rating(grade.correct, grade.score, seconds), grade.correct

    def verdict(self, console: Console, result: Result) -> None:
        if result.correct:
            render.line(console, t("feedback.correct"), "bold green")
        else:
            render.line(console, t("feedback.wrong"), "bold red")

    def show(self, console: Console, result: Result, lang: str, plain: bool, with_reference: bool) -> None:
        """The type's part of the feedback, between the verdict and the explanation."""


class _Choices(QuestionType):
    has_choices = True
    menu = True

    def options(self, item: Item, lang: str) -> list[str]:
        return [render.choice_text(item, i, lang) for i in item.choice_order]

    def show(self, console: Console, result: Result, lang: str, plain: bool, with_reference: bool) -> None:
        """Every choice in the order shown: right or wrong, what was picked or missed, and why."""
        q, grade = result.item.question, result.grade
        render.line(console, t("feedback.choices"))
        for index in result.item.choice_order:
            choice = q.choices[index]
            mark = t("feedback.choice_right") if choice.correct else t("feedback.choice_wrong")
            note = t("feedback.your_pick") if index in grade.picked else ""
            if index in grade.missed and isinstance(self, Multiple):
                note = t("feedback.missed")
            style = "green" if choice.correct else ("red" if index in grade.picked else "")
            render.hanging(console, f"  {mark}  ", models.localize(choice.text, lang) + note, style)
            if choice.explanation is not None:
                render.hanging(console, "      ", models.localize(choice.explanation, lang), "dim" if not plain else "")


class Single(_Choices):
    model = models.SingleQuestion

    def ask(self, inputs: Inputs, item: Item, lang: str) -> Answer | None:
        index = inputs.select(self.options(item, lang), t("prompt.answer"), answer=True)
        return Answer(item.choice_order[index])

    def mark(self, question: models.SingleQuestion, answer: Answer, lang: str) -> Grade:
        assert isinstance(answer.value, int)
        return marking.grade_single(question, answer.value)


class Multiple(_Choices):
    model = models.MultipleQuestion

    def ask(self, inputs: Inputs, item: Item, lang: str) -> Answer | None:
        picked = inputs.checkbox(self.options(item, lang))
        return Answer(frozenset(item.choice_order[i] for i in picked))

    def mark(self, question: models.MultipleQuestion, answer: Answer, lang: str) -> Grade:
        assert isinstance(answer.value, frozenset)
        return marking.grade_multiple(question, answer.value)

    def verdict(self, console: Console, result: Result) -> None:
        grade = result.grade
        right = len(grade.picked) - len(grade.wrong_picks)
        if result.correct or not right:
            super().verdict(console, result)
            return
        render.line(console, t("feedback.partial", got=right, of=right + len(grade.missed),
                               wrong=len(grade.wrong_picks)), "bold yellow")


class TrueFalse(QuestionType):
    model = models.TrueFalseQuestion
    menu = True

    def ask(self, inputs: Inputs, item: Item, lang: str) -> Answer | None:
        return Answer(inputs.truefalse())

    def mark(self, question: models.TrueFalseQuestion, answer: Answer, lang: str) -> Grade:
        assert isinstance(answer.value, bool)
        return marking.grade_truefalse(question, answer.value)

    def show(self, console: Console, result: Result, lang: str, plain: bool, with_reference: bool) -> None:
        q, value = result.item.question, result.answer.value
        render.line(console, t("feedback.your_answer", answer=t("prompt.true") if value else t("prompt.false")))
        render.line(console, t("feedback.right_answer", answer=t("prompt.true") if q.answer else t("prompt.false")))


class Short(QuestionType):
    model = models.ShortQuestion

    def ask(self, inputs: Inputs, item: Item, lang: str) -> Answer | None:
        return Answer(inputs.line(t("prompt.text_hint"), t("plain.text"), lambda _text: None))

    def mark(self, question: models.ShortQuestion, answer: Answer, lang: str) -> Grade:
        assert isinstance(answer.value, str)
        return marking.grade_short(question, answer.value, lang)

    def show(self, console: Console, result: Result, lang: str, plain: bool, with_reference: bool) -> None:
        q, value = result.item.question, result.answer.value
        render.hanging(console, "", t("feedback.your_answer", answer=str(value).strip() or t("feedback.no_answer")))
        if result.grade.typo_of is not None:
            render.hanging(console, "", t("feedback.typo", accepted=result.grade.typo_of), "yellow")
        render.hanging(console, "", t("feedback.accepted", answers=" | ".join(models.localize(q.answers, lang))))


class Numeric(QuestionType):
    model = models.NumericQuestion

    def ask(self, inputs: Inputs, item: Item, lang: str) -> Answer | None:
        q = item.question
        unit = models.localize(q.unit, lang) if q.unit is not None else None
        shown = t("prompt.unit", unit=unit) if unit else ""

        forms = marking.unit_forms(q, lang)

        def numeric(text: str) -> str | None:
            read = marking.read_number(text, forms) if text.strip() else 0.0
            if isinstance(read, units.Refusal):  # asked again: an equivalent answer is never marked wrong
                return t(read.key, typed=read.typed, unit=unit) if unit else t("prompt.unit_none", typed=read.typed)
            return None if read is not None else t("prompt.not_a_number")

        return Answer(inputs.line(t("prompt.numeric_hint", unit=shown), t("plain.numeric", unit=shown), numeric))

    def mark(self, question: models.NumericQuestion, answer: Answer, lang: str) -> Grade:
        assert isinstance(answer.value, str)
        return marking.grade_numeric(question, answer.value, lang)

    def show(self, console: Console, result: Result, lang: str, plain: bool, with_reference: bool) -> None:
        q, given = result.item.question, str(result.answer.value).strip()
        unit = f" {models.localize(q.unit, lang)}" if q.unit is not None else ""
        if not given:
            shown = t("feedback.no_answer")
        elif result.grade.value is None:
            shown = t("feedback.not_a_number", answer=given)
        else:  # in the question's unit, so a converted answer shows what it was read as
            shown = t("feedback.read_as", answer=given, value=render.number(result.grade.value) + unit)
        render.line(console, t("feedback.your_answer", answer=shown))
        render.line(console, t("feedback.numeric_answer", answer=render.number(q.answer), unit=unit,
                               tolerance=render.number(q.tolerance)))


class Open(QuestionType):
    """Marked by key-point coverage; rated by the learner in practice, by coverage in an exam."""

    model = models.OpenQuestion

    def ask(self, inputs: Inputs, item: Item, lang: str) -> Answer | None:
        return Answer(inputs.lines())

    def mark(self, question: models.OpenQuestion, answer: Answer, lang: str) -> Grade:
        assert isinstance(answer.value, str)
        return marking.grade_open(question, answer.value, lang)

    def judge(self, item: Item, answer: Answer, grade: Grade, seconds: float, mode: Mode,
              self_rate: Callable[[], Rating | None]) -> tuple[Rating, bool]:
        rating = None if mode == "exam" else self_rate()
        if rating is None:  # an exam, or Ctrl-C at the self-rating: rated by the key points covered
            rating = coverage_rating(sum(grade.covered), len(grade.covered))
        return rating, rating != Rating.AGAIN

    def verdict(self, console: Console, result: Result) -> None:
        render.line(console, t("feedback.self_rated", rating=t(render.RATING_KEYS[result.rating])),
                    "green" if result.correct else "red")

    def show(self, console: Console, result: Result, lang: str, plain: bool, with_reference: bool) -> None:
        if with_reference:
            render.hanging(console, "", t("feedback.your_answer", answer=str(result.answer.value).strip()
                                          or t("feedback.no_answer")))
            render.open_reference(console, result.item, result.grade, lang, plain)


class Code(QuestionType):
    """Right when the check passed; rated by the checks and hints it took (time says nothing)."""

    model = models.CodeQuestion
    hint_in_prompt = False
    EASY_ATTEMPTS = 1
    GOOD_ATTEMPTS = 3

    def ask(self, inputs: Inputs, item: Item, lang: str) -> Answer | None:
        return inputs.solve(item)

    def mark(self, question: models.CodeQuestion, answer: Answer, lang: str) -> Grade:
        assert isinstance(answer.value, bool)
        check = answer.check
        share = check.score / check.max_score if check is not None and check.max_score else None
        return marking.grade_code(answer.value, share)

    def judge(self, item: Item, answer: Answer, grade: Grade, seconds: float, mode: Mode,
              self_rate: Callable[[], Rating | None]) -> tuple[Rating, bool]:
        return code_rating(grade.correct and not answer.gave_up, answer.attempts, answer.hints), grade.correct

    def show(self, console: Console, result: Result, lang: str, plain: bool, with_reference: bool) -> None:
        answer = result.answer
        if answer.gave_up:
            render.line(console, t("feedback.code_gave_up"))
        elif answer.value:
            render.line(console, t("feedback.code_passed", count=answer.attempts, hints=answer.hints))
        else:
            render.line(console, t("feedback.code_failed"))
        if with_reference and answer.check is not None:
            render.check_report(console, answer.check, plain)


def code_rating(passed: bool, attempts: int, hints: int) -> Rating:
    """Not passed (or given up) is Again; first check without a hint is Easy; a few checks is Good; else Hard."""
    if not passed:
        return Rating.AGAIN
    if hints:
        return Rating.HARD
    if attempts <= Code.EASY_ATTEMPTS:
        return Rating.EASY
    return Rating.GOOD if attempts <= Code.GOOD_ATTEMPTS else Rating.HARD


TYPES: dict[str, QuestionType] = {
    kind.model.model_fields["type"].annotation.__args__[0]: kind  # type: ignore[union-attr]
    for kind in (Single(), Multiple(), TrueFalse(), Short(), Numeric(), Open(), Code())
}
assert tuple(TYPES) == models.QUESTION_TYPES, "every bank question type needs its class here"


def of(question: models.AnyQuestion) -> QuestionType:
    """The type of `question`."""
    return TYPES[question.type]
