"""What the quiz prints: questions, feedback and reference answers, rendered with rich.

Explanations are Markdown, rendered for the terminal; in plain mode (``plain=True``)
everything is plain text (Markdown source as written, no colour), for pipes and screen
readers. rich itself honours NO_COLOR. Every user-supplied text is escaped before it
reaches rich's markup.
"""

from __future__ import annotations

import re
from typing import IO, TYPE_CHECKING

from quiz.bank import models
from quiz.i18n import t
from quiz.practice.scheduler import Rating

if TYPE_CHECKING:
    from rich.console import Console

    from quiz.practice.marking import Grade
    from quiz.practice.session import Item, Result

PLAIN_WIDTH = 160
RATING_KEYS = {Rating.AGAIN: "rating.again", Rating.HARD: "rating.hard", Rating.GOOD: "rating.good",
               Rating.EASY: "rating.easy"}


def make_console(plain: bool, file: IO[str] | None = None, width: int | None = None) -> Console:
    """The console everything is printed on (stdout unless `file` is given).

    Plain output that goes to a file or pipe is not wrapped at 80 columns.
    """
    import sys

    from rich.console import Console

    if plain and width is None and not (file or sys.stdout).isatty():
        width = PLAIN_WIDTH
    return Console(file=file, width=width, highlight=False, emoji=False, soft_wrap=plain,
                   color_system=None if plain else "auto", force_terminal=False if plain else None)


def number(value: float) -> str:
    """131072.0 as '131072', 0.125 as '0.125'."""
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e16 else f"{value:g}"


def escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def line(console: Console, text: str, style: str = "") -> None:
    console.print(escape(text), style=style or None)


_CJK_SOFT_BREAK = re.compile(r"(?<=[\u3000-\u303f\u3400-\u9fff\uff00-\uffef])\n(?=[^\s\-*+#>|`\d])")


def join_cjk_lines(text: str) -> str:
    """Drop the line breaks inside Chinese paragraphs, outside code fences.

    Markdown turns a line break inside a paragraph into a space, which is right between
    English words and wrong after a Chinese character or full-width punctuation.
    """
    parts = text.split("```")
    return "```".join(_CJK_SOFT_BREAK.sub("", part) if i % 2 == 0 else part for i, part in enumerate(parts))


def markdown(console: Console, text: str, plain: bool) -> None:
    """Markdown rendered for the terminal, or as written in plain mode."""
    if plain:
        console.print(escape(text.strip()))
        return
    from rich.markdown import Markdown

    console.print(Markdown(join_cjk_lines(text.strip())))


def choice_text(item: Item, index: int, lang: str) -> str:
    return models.localize(item.question.choices[index].text, lang)  # type: ignore[union-attr]


def question(console: Console, item: Item, position: int, total: int, lang: str, plain: bool,
             time_left: str | None = None) -> None:
    """The header (position, topic, difficulty, why it was chosen) and the question text."""
    q = item.question
    topic = models.localize(item.bank.topics[q.topic], lang) if q.topic in item.bank.topics else q.topic
    header = t("quiz.header", n=position, total=total, topic=topic, difficulty=q.difficulty,
               group=t(f"group.{item.group}")) + f" · {t(f'type.{q.type}')}"
    if time_left:
        header += t("quiz.time_left", time=time_left)
    console.print()
    line(console, header, "bold cyan")
    markdown(console, models.localize(q.prompt, lang), plain)


def open_reference(console: Console, item: Item, grade: Grade, lang: str, plain: bool) -> None:
    """The reference answer and the key points, ticked where the answer covered them."""
    q = item.question
    assert isinstance(q, models.OpenQuestion)
    console.print()
    line(console, t("open.reference"), "bold")
    markdown(console, models.localize(q.reference, lang), plain)
    line(console, t("open.key_points", covered=sum(grade.covered), total=len(grade.covered)), "bold")
    for point, covered in zip(q.key_points, grade.covered):
        line(console, f"  [{'x' if covered else ' '}] {models.localize(point.point, lang)}",
              "green" if covered else "")


def _verdict(console: Console, result: Result, lang: str) -> None:
    grade, q = result.grade, result.item.question
    if isinstance(q, models.OpenQuestion):
        line(console, t("feedback.self_rated", rating=t(RATING_KEYS[result.rating])),
              "green" if result.correct else "red")
    elif result.correct:
        line(console, t("feedback.correct"), "bold green")
    elif isinstance(q, models.MultipleQuestion) and len(grade.picked) > len(grade.wrong_picks):
        right = len(grade.picked) - len(grade.wrong_picks)
        line(console, t("feedback.partial", got=right, of=right + len(grade.missed), wrong=len(grade.wrong_picks)),
              "bold yellow")
    else:
        line(console, t("feedback.wrong"), "bold red")


def _choices(console: Console, result: Result, lang: str, plain: bool) -> None:
    """Every choice in the order shown: right or wrong, what was picked or missed, and why."""
    q, grade = result.item.question, result.grade
    line(console, t("feedback.choices"))
    for index in result.item.choice_order:
        choice = q.choices[index]  # type: ignore[union-attr]
        mark = t("feedback.choice_right") if choice.correct else t("feedback.choice_wrong")
        note = t("feedback.your_pick") if index in grade.picked else ""
        if index in grade.missed and isinstance(q, models.MultipleQuestion):
            note = t("feedback.missed")
        style = "green" if choice.correct else ("red" if index in grade.picked else "")
        line(console, f"  {mark}  {models.localize(choice.text, lang)}{note}", style)
        if choice.explanation is not None:
            line(console, f"      {models.localize(choice.explanation, lang)}", "dim" if not plain else "")


def _answers(console: Console, result: Result, lang: str) -> None:
    q, value = result.item.question, result.answer.value
    if isinstance(q, models.TrueFalseQuestion):
        line(console, t("feedback.your_answer", answer=t("prompt.true") if value else t("prompt.false")))
        line(console, t("feedback.right_answer", answer=t("prompt.true") if q.answer else t("prompt.false")))
    elif isinstance(q, models.ShortQuestion):
        line(console, t("feedback.your_answer", answer=str(value).strip() or t("feedback.no_answer")))
        line(console, t("feedback.accepted", answers=" | ".join(models.localize(q.answers, lang))))
    elif isinstance(q, models.NumericQuestion):
        given = str(value).strip()
        if not given:
            shown = t("feedback.no_answer")
        elif result.grade.value is None:
            shown = t("feedback.not_a_number", answer=given)
        else:
            shown = t("feedback.read_as", answer=given, value=number(result.grade.value))
        line(console, t("feedback.your_answer", answer=shown))
        unit = f" {models.localize(q.unit, lang)}" if q.unit is not None else ""
        line(console, t("feedback.numeric_answer", answer=number(q.answer), unit=unit,
                         tolerance=number(q.tolerance)))
    elif isinstance(q, models.CodeQuestion):
        line(console, t("feedback.code_passed") if value else t("feedback.code_failed"))


def feedback(console: Console, result: Result, lang: str, plain: bool, with_reference: bool = False) -> None:
    """Right or wrong, the answers, why each wrong choice is wrong, the explanation, errata, source."""
    q = result.item.question
    console.print()
    _verdict(console, result, lang)
    if isinstance(q, (models.SingleQuestion, models.MultipleQuestion)):
        _choices(console, result, lang, plain)
    elif isinstance(q, models.OpenQuestion):
        if with_reference:
            line(console, t("feedback.your_answer", answer=str(result.answer.value).strip()
                             or t("feedback.no_answer")))
            open_reference(console, result.item, result.grade, lang, plain)
    else:
        _answers(console, result, lang)
    console.print()
    line(console, t("feedback.explanation"), "bold")
    markdown(console, models.localize(q.explanation, lang), plain)
    if q.errata is not None:
        line(console, t("feedback.errata", text=models.localize(q.errata, lang)), "yellow")
    if q.source:
        line(console, t("feedback.source", source=q.source), "dim" if not plain else "")


def walkthrough(console: Console, mistakes: list[Result], lang: str, plain: bool) -> None:
    """The exam's walk through every mistake, with the full feedback of each."""
    if not mistakes:
        return
    console.print()
    line(console, t("summary.mistakes"), "bold")
    for n, result in enumerate(mistakes, start=1):
        console.print()
        prompt = models.localize(result.item.question.prompt, lang).strip().splitlines()[0]
        line(console, t("feedback.mistake_header", n=n, total=len(mistakes), prompt=prompt), "bold cyan")
        feedback(console, result, lang, plain, with_reference=True)
