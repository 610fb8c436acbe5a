"""What the quiz prints: questions, feedback and reference answers, rendered with rich.

Explanations are Markdown, rendered for the terminal; in plain mode (``plain=True``)
everything is plain text (Markdown source as written, no colour), for pipes and screen
readers. rich itself honours NO_COLOR. Every user-supplied text is escaped before it
reaches rich's markup.
"""

from __future__ import annotations

import re
from typing import IO, TYPE_CHECKING

from quiz.i18n import localize, t
from quiz.practice.scheduler import Rating

if TYPE_CHECKING:
    from rich.console import Console

    from quiz.bank import models
    from quiz.check.verdicts import CheckResult
    from quiz.practice.marking import Grade
    from quiz.practice.session import Item

PLAIN_WIDTH = 160
RATING_KEYS = {Rating.AGAIN: "rating.again", Rating.HARD: "rating.hard", Rating.GOOD: "rating.good",
               Rating.EASY: "rating.easy"}
RATING_NAMES = {Rating.AGAIN: "rating_name.again", Rating.HARD: "rating_name.hard", Rating.GOOD: "rating_name.good",
                Rating.EASY: "rating_name.easy"}


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


def wrap(text: str, width: int, indent: int) -> str:
    """`text` wrapped for a line that starts `indent` cells in, within `width` cells: every line
    after the first is indented by `indent` spaces (a hanging indent). Words are cut only when
    longer than a line; wide (CJK) characters count two cells."""
    from rich.console import Console
    from rich.text import Text

    measure = Console(width=max(width, indent + 10), file=_Null(), color_system=None, legacy_windows=False)
    lines = []
    for paragraph in text.splitlines() or [""]:
        lines += [part.plain.rstrip() for part in Text(paragraph).wrap(measure, max(width - indent, 10))]
    return ("\n" + " " * indent).join(lines)


def hanging(console: Console, prefix: str, text: str, style: str = "") -> None:
    """`prefix` then `text` wrapped to the console's width, the following lines indented under the text."""
    from rich.cells import cell_len

    line(console, prefix + wrap(text, console.width, cell_len(prefix)), style)


def code(console: Console, source: str, plain: bool) -> None:
    """Python source, syntax-highlighted unless plain."""
    if plain:
        console.print(escape(source.rstrip()), highlight=False)
        return
    from rich.syntax import Syntax

    console.print(Syntax(source.rstrip(), "python", theme="ansi_dark", background_color="default"))


def check_report(console: Console, result: CheckResult, plain: bool) -> None:
    """The checker's own report of one check (the table `attnquiz check` prints)."""
    from rich.text import Text

    from quiz.check.report import render_table

    color = not plain and console.is_terminal and not console.no_color
    console.print(Text.from_ansi(render_table(result, width=max(console.width, 40), color=color)), end="",
                  soft_wrap=True)


class _Null:
    def write(self, _text: str) -> int:
        return 0

    def flush(self) -> None:
        pass


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
    return localize(item.question.choices[index].text, lang)  # type: ignore[union-attr]


def question(console: Console, item: Item, position: int, total: int, lang: str, plain: bool,
             time_left: str | None = None) -> None:
    """The header (position, topic, difficulty, why it was chosen) and the question text."""
    q = item.question
    topic = localize(item.bank.topics[q.topic], lang) if q.topic in item.bank.topics else q.topic
    header = t("quiz.header", n=position, total=total, topic=topic, difficulty=q.difficulty,
               group=t(f"group.{item.group}")) + f" · {t(f'type.{q.type}')}"
    if time_left:
        header += t("quiz.time_left", time=time_left)
    console.print()
    line(console, header, "bold cyan")
    markdown(console, localize(q.prompt, lang), plain)


def open_reference(console: Console, item: Item, grade: Grade, lang: str, plain: bool) -> None:
    """The reference answer and the key points, ticked where the answer covered them."""
    from quiz.bank import models

    q = item.question
    assert isinstance(q, models.OpenQuestion)
    console.print()
    line(console, t("open.reference"), "bold")
    markdown(console, localize(q.reference, lang), plain)
    line(console, t("open.key_points", covered=sum(grade.covered), total=len(grade.covered)), "bold")
    for point, covered in zip(q.key_points, grade.covered):
        line(console, f"  [{'x' if covered else ' '}] {localize(point.point, lang)}",
              "green" if covered else "")
