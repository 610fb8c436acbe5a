"""Charts for `attnquiz stats`: a review heatmap, the 30-day due forecast, accuracy per topic.

Each chart is a rich ``Text`` built from block characters. The level of a heatmap cell is
carried by its glyph (``·░▒▓█``) as well as its colour, so the chart still reads with
NO_COLOR set (rich then drops the colours) or on a monochrome terminal; the levels rank each day
among the user's own days with reviews (quiz.practice.progress.heatmap_levels). Plain mode does not
draw: ``plain_lines`` gives the same figures as sentences and short lists, for screen readers
and scripts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from quiz.i18n import t

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from quiz.practice.progress import Figures
    from quiz.practice.store import Stats

LEVEL_GLYPHS = "·░▒▓█"
LEVEL_STYLES = ("grey39", "green4", "green3", "green1", "bold bright_green")
BAR_EIGHTHS = " ▏▎▍▌▋▊▉█"
COLUMN_EIGHTHS = " ▁▂▃▄▅▆▇█"
FORECAST_HEIGHT = 6
BAR_WIDTH = 24


def heatmap(result: Figures) -> Text:
    """One cell per day: weeks are columns (oldest on the left), Monday to Sunday top to bottom."""
    from rich.cells import cell_len
    from rich.text import Text

    start, today = result.first_day, result.today
    weeks = (today - start).days // 7 + 1
    most = max(result.per_day.values(), default=0)
    levels = result.levels
    months = t("charts.months").split()
    weekdays = t("charts.weekdays").split()
    label_width = max(cell_len(day) for day in weekdays) + 1
    text = Text()
    total = sum(result.per_day.values())
    text.append(t("charts.heatmap_title", weeks=weeks, reviews=total, days=len(result.per_day)) + "\n", style="bold")
    header = [" "] * (weeks * 2 + 4)
    for week in range(weeks):
        monday = start + timedelta(days=7 * week)
        first = next((monday + timedelta(days=d) for d in range(7) if (monday + timedelta(days=d)).day == 1), None)
        if first is not None or week == 0:
            name = months[(first or monday).month - 1]
            cells = cell_len(name)
            if all(c == " " for c in header[2 * week: 2 * week + cells + 1]):
                header[2 * week: 2 * week + cells] = [name] + [""] * (cells - 1)
    text.append(" " * label_width + "".join(header).rstrip() + "\n")
    for weekday in range(7):
        label = weekdays[weekday] if weekday % 2 == 0 else ""
        text.append(label + " " * (label_width - cell_len(label)))
        for week in range(weeks):
            day = start + timedelta(days=7 * week + weekday)
            if day > today:
                break
            cell = levels.get(day, 0)
            text.append(LEVEL_GLYPHS[cell], style=LEVEL_STYLES[cell])
            text.append(" ")
        text.rstrip()
        text.append("\n")
    text.append(" " * label_width + t("charts.less") + " ")
    for cell, glyph in enumerate(LEVEL_GLYPHS):
        text.append(glyph, style=LEVEL_STYLES[cell])
        text.append(" ")
    text.append(t("charts.more", most=most))
    return text


def forecast(result: Figures) -> Text:
    """Columns for the questions due on each of the next 30 days; today holds the overdue ones."""
    from rich.text import Text

    counts = result.forecast
    most = max(counts, default=0)
    text = Text()
    text.append(t("charts.forecast_title", days=len(counts), total=sum(counts), today=counts[0] if counts else 0)
                + "\n", style="bold")
    width = len(str(most))
    for row in range(FORECAST_HEIGHT, 0, -1):
        label = str(most) if row == FORECAST_HEIGHT else ("0" if row == 1 and most == 0 else "")
        text.append(label.rjust(width) + " │")
        for n in counts:
            eighths = round(8 * FORECAST_HEIGHT * n / most) if most else 0
            part = max(0, min(8, eighths - 8 * (row - 1)))
            if n and row == 1 and part == 0:
                part = 1  # a day with something due always shows
            text.append(COLUMN_EIGHTHS[part], style="cyan")
        text.rstrip()
        text.append("\n")
    text.append(" " * width + " └" + "─" * len(counts) + "\n")
    marks = [" "] * len(counts)
    for offset in range(0, len(counts), 7):
        label = t("charts.today") if offset == 0 else f"+{offset}"
        if offset + len(label) <= len(counts):
            marks[offset: offset + len(label)] = list(label)
    text.append(" " * (width + 2) + "".join(marks).rstrip())
    return text


def accuracy_bars(rows: Sequence[tuple[str, int, int]]) -> Text:
    """A bar per topic: (name, right, answered) as a bar of the share right and the figures."""
    from rich.cells import cell_len
    from rich.text import Text

    text = Text()
    text.append(t("charts.accuracy_title") + "\n", style="bold")
    width = max((cell_len(name) for name, _, _ in rows), default=0)
    for name, right, answered in rows:
        share = right / answered if answered else 0.0
        eighths = round(share * BAR_WIDTH * 8)
        bar = "█" * (eighths // 8) + (BAR_EIGHTHS[eighths % 8] if eighths % 8 else "")
        style = "green" if share >= 0.8 else "yellow" if share >= 0.5 else "red"
        text.append(name + " " * (width - cell_len(name)) + " ")
        text.append(bar.ljust(BAR_WIDTH), style=style)
        text.append(" " + t("charts.accuracy_row", percent=round(100 * share), right=right, answered=answered))
        text.append("\n")
    text.rstrip()
    return text


def plain_lines(result: Figures) -> list[str]:
    """The heatmap's and forecast's figures as text: totals, the busiest day, each month, what is due."""
    lines = [t("charts.heatmap_title", weeks=(result.today - result.first_day).days // 7 + 1,
               reviews=sum(result.per_day.values()), days=len(result.per_day))]
    if result.per_day:
        busiest = max(result.per_day.items(), key=lambda item: (item[1], item[0]))
        lines.append(t("charts.busiest", day=busiest[0].isoformat(), reviews=busiest[1]))
        months: dict[tuple[int, int], list[int]] = {}
        for day, n in result.per_day.items():
            months.setdefault((day.year, day.month), []).append(n)
        lines += [t("charts.month_line", month=f"{year}-{month:02d}", reviews=sum(ns), days=len(ns))
                  for (year, month), ns in sorted(months.items())]
    counts = result.forecast
    lines.append(t("charts.forecast_title", days=len(counts), total=sum(counts), today=counts[0] if counts else 0))
    lines += [t("charts.due_line", day=_day(result.today, offset), due=n) for offset, n in enumerate(counts) if n]
    return lines


def _day(today: date, offset: int) -> str:
    return (today + timedelta(days=offset)).isoformat()


LOWEST = 5
"""How many of the questions least likely to be recalled `stats` lists (all with --questions)."""


def render(console: Console, stats: Stats, result: Figures, desired_retention: float, plain: bool,
           names: Callable[[str], str], prompt_of: Callable[[str, str], str | None], every_question: bool) -> None:
    """The memory part of `stats`: predicted retention, the least remembered questions, then the charts
    (or, in plain mode, their figures as lines)."""
    from quiz.practice import render as out

    console.print()
    if result.predicted_retention is not None:
        out.line(console, t("charts.retention", percent=round(100 * result.predicted_retention),
                            questions=len(result.questions), desired=round(100 * desired_retention)), "bold")
        shown = result.questions if every_question else result.questions[:LOWEST]
        rows = [[f"{q.question_id}: {_shorten(prompt_of(q.bank_id, q.question_id) or t('stats.missing_question'))}",
                 names(q.topic), f"{round(100 * q.retrievability)}%", _days(q.card.stability),
                 out_day(q.card.due)] for q in shown]
        _table(console, [t("column.question"), t("column.topic"), t("charts.column_recall"),
                         t("charts.column_stability"), t("charts.column_due")], rows, plain)
        if not every_question and len(result.questions) > LOWEST:
            out.line(console, t("charts.more_questions", count=len(result.questions) - LOWEST))
    console.print()
    if plain:
        for line in plain_lines(result):
            out.line(console, line)
        return
    console.print(heatmap(result))
    console.print()
    console.print(forecast(result))
    console.print()
    console.print(accuracy_bars([(names(s.topic), s.correct, s.answers) for s in stats.topics]))


def out_day(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d")


def _days(stability: float | None) -> str:
    return "-" if stability is None else t("charts.days", n=f"{stability:.1f}" if stability < 10 else round(stability))


def _shorten(text: str, limit: int = 50) -> str:
    first = " ".join(text.split())
    return first if len(first) <= limit else first[: limit - 1] + "…"


def _table(console: Console, headers: list[str], rows: list[list[str]], plain: bool) -> None:
    from rich import box
    from rich.table import Table

    from quiz.practice.render import escape

    table = Table(box=box.ASCII if plain else box.SIMPLE_HEAD, show_edge=not plain, pad_edge=False)
    for i, header in enumerate(headers):
        table.add_column(escape(header), justify="left" if i < 2 else "right")
    for row in rows:
        table.add_row(*map(escape, row))
    console.print(table)
