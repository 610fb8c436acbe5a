"""The feedback after an answer, and the exam's walk through the mistakes.

The frame is the same for every type: the verdict, the type's own part (the choices and
why each is right or wrong, the accepted answers, the reference answer, the check's report:
quiz.practice.question_types), then the explanation, the common mistake and the source.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from quiz.bank import models
from quiz.i18n import t
from quiz.practice import question_types, render

if TYPE_CHECKING:
    from rich.console import Console

    from quiz.practice.session import Result


def feedback(console: Console, result: Result, lang: str, plain: bool, with_reference: bool = False) -> None:
    """Right or wrong, the answers, why each wrong choice is wrong, the explanation, errata, source."""
    q = result.item.question
    kind = question_types.of(q)
    console.print()
    kind.verdict(console, result)
    kind.show(console, result, lang, plain, with_reference)
    console.print()
    render.line(console, t("feedback.explanation"), "bold")
    render.markdown(console, models.localize(q.explanation, lang), plain)
    if q.errata is not None:
        render.hanging(console, "", t("feedback.errata", text=models.localize(q.errata, lang)), "yellow")
    if q.source:
        render.line(console, t("feedback.source", source=q.source), "dim" if not plain else "")


def walkthrough(console: Console, mistakes: list[Result], lang: str, plain: bool) -> None:
    """The exam's walk through every mistake, with the full feedback of each (a code question's report too)."""
    if not mistakes:
        return
    console.print()
    render.line(console, t("summary.mistakes"), "bold")
    for n, result in enumerate(mistakes, start=1):
        console.print()
        prompt = models.localize(result.item.question.prompt, lang).strip().splitlines()[0]
        render.line(console, t("feedback.mistake_header", n=n, total=len(mistakes), prompt=prompt), "bold cyan")
        feedback(console, result, lang, plain, with_reference=True)
