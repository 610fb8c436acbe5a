"""The reports: the end-of-session summary and `attnquiz stats`.

``summarize`` turns a session's outcome into numbers (score, a line per topic, time
taken, the next review); ``render_summary`` and ``render_stats`` print them as tables.
The same summary is shown after a finished session, a timed-out exam and Ctrl-C.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from quiz.i18n import localize, t
from quiz.practice import render

if TYPE_CHECKING:
    from rich.console import Console

    from quiz.bank import models
    from quiz.practice.session import Outcome

    from quiz.practice.store import Stats


@dataclass(frozen=True)
class TopicLine:
    topic: str
    answered: int
    correct: int


@dataclass(frozen=True)
class Summary:
    planned: int
    answered: int
    correct: int
    skipped: int
    seconds: float
    topics: list[TopicLine]
    next_due: datetime | None
    interrupted: bool
    timed_out: bool
    relearned: tuple[int, int] = (0, 0)
    """(missed questions answered right later in the session, missed questions), when relearning."""
    repeats_left: int = 0
    """Repeats of missed questions not asked when the session stopped early."""
    rated_for_you: tuple[str, int, int] | None = None
    """(rating name, key points found, key points) of the open answer whose self-rating Ctrl-C interrupted."""

    @property
    def percent(self) -> int:
        return round(100 * self.correct / self.answered) if self.answered else 0


def topic_name(bank: models.Bank, topic: str, lang: str) -> str:
    return localize(bank.topics[topic], lang) if topic in bank.topics else topic


def summarize(outcome: Outcome, next_due: datetime | None, lang: str) -> Summary:
    lines: dict[str, list[int]] = {}
    first = outcome.first_answers
    for result in first:
        counts = lines.setdefault(topic_name(result.item.bank, result.item.question.topic, lang), [0, 0])
        counts[0] += 1
        counts[1] += int(result.correct)
    return Summary(
        planned=outcome.planned,
        answered=len(first),
        correct=sum(r.correct for r in first),
        skipped=outcome.skipped,
        seconds=outcome.seconds,
        topics=[TopicLine(name, *counts) for name, counts in lines.items()],
        next_due=next_due,
        interrupted=outcome.interrupted,
        timed_out=outcome.timed_out,
        relearned=outcome.relearned if any(r.relearning for r in outcome.results) else (0, 0),
        repeats_left=outcome.repeats_left,
        rated_for_you=_rated_for_you(outcome),
    )


def _rated_for_you(outcome: Outcome) -> tuple[str, int, int] | None:
    result = outcome.rated_for_you
    if result is None:
        return None
    return t(render.RATING_NAMES[result.rating]), sum(result.grade.covered), len(result.grade.covered)


def duration(seconds: float) -> str:
    total = int(round(seconds))
    if total < 60:
        return t("duration.seconds", s=total)
    if total < 3600:
        return t("duration.minutes", m=total // 60, s=f"{total % 60:02d}")
    return t("duration.hours", h=total // 3600, m=f"{total % 3600 // 60:02d}")


def when(moment: datetime | None, now: datetime) -> str:
    """'now', 'in 10 min (18:05)', 'in 3 days (2025-05-02 09:00)' in local time."""
    if moment is None:
        return ""
    seconds = (moment - now).total_seconds()
    local = moment.astimezone()
    if seconds <= 0:
        return t("when.now")
    if seconds < 3600:
        return t("when.minutes", n=max(1, round(seconds / 60)), at=local.strftime("%H:%M"))
    if seconds < 86400:
        return t("when.hours", n=round(seconds / 3600), at=local.strftime("%H:%M"))
    return t("when.days", n=round(seconds / 86400), at=local.strftime("%Y-%m-%d %H:%M"))


def next_review_line(next_due: datetime | None, now: datetime) -> str:
    return t("summary.next_due", when=when(next_due, now)) if next_due else t("summary.nothing_scheduled")


def _percent(correct: int, answered: int) -> str:
    return f"{round(100 * correct / answered)}%" if answered else "-"


def _table(console: Console, headers: list[str], rows: list[list[str]], plain: bool, text_columns: int = 1) -> None:
    """A table whose first `text_columns` columns are text (left-aligned) and the rest numbers."""
    from rich import box
    from rich.table import Table

    table = Table(box=box.ASCII if plain else box.SIMPLE_HEAD, show_edge=not plain, pad_edge=False)
    for i, header in enumerate(headers):
        table.add_column(render.escape(header), justify="left" if i < text_columns else "right")
    for row in rows:
        table.add_row(*map(render.escape, row))
    console.print(table)


def render_summary(console: Console, summary: Summary, now: datetime, plain: bool) -> None:
    console.print()
    render.line(console, t("summary.title"), "bold")
    if summary.interrupted and summary.answered + summary.skipped < summary.planned:
        render.line(console, t("summary.interrupted", answered=summary.answered, planned=summary.planned), "yellow")
    elif summary.interrupted and summary.repeats_left:  # every planned question was asked: not 'stopped early'
        render.line(console, t("summary.interrupted_repeats", planned=summary.planned, left=summary.repeats_left),
                    "yellow")
    elif summary.timed_out:
        render.line(console, t("summary.timed_out", answered=summary.answered, planned=summary.planned), "yellow")
    if summary.rated_for_you is not None:
        rating, found, total = summary.rated_for_you
        render.line(console, t("summary.rated_for_you", rating=rating, found=found, total=total), "yellow")
    if summary.answered:
        render.line(console, t("summary.score", correct=summary.correct, answered=summary.answered,
                               percent=summary.percent), "bold")
        rows = [[line.topic, str(line.answered), str(line.correct), _percent(line.correct, line.answered)]
                for line in summary.topics]
        _table(console, [t("column.topic"), t("column.answered"), t("column.right"), t("column.accuracy")], rows,
               plain)
    else:
        render.line(console, t("summary.none"))
    if summary.relearned[1]:
        render.line(console, t("summary.relearned", fixed=summary.relearned[0], missed=summary.relearned[1]))
    if summary.skipped:
        render.line(console, t("summary.skipped", count=summary.skipped))
    render.line(console, t("summary.time", time=duration(summary.seconds)))
    render.line(console, next_review_line(summary.next_due, now))


def render_stats(console: Console, stats: Stats, now: datetime, plain: bool,
                 names: Callable[[str], str], prompt_of: Callable[[str, str], str | None],
                 new: Mapping[str, int] | None = None) -> None:
    """Per topic: questions seen, new ones (`new`: the loaded banks' questions never answered, by topic),
    answers, accuracy, due now and later in the next 7 days; the streak; the weakest five."""
    from quiz.practice.store import TopicStats

    new = new or {}
    if not stats.topics:
        render.line(console, t("stats.none"))
        if sum(new.values()):
            render.line(console, t("stats.all_new", questions=sum(new.values()), topics=len(new)))
        return
    lines = [*stats.topics, *(TopicStats(topic, 0, 0, 0, 0, 0) for topic in sorted(new)
                              if topic not in {s.topic for s in stats.topics})]
    rows = [[names(s.topic), str(s.questions), str(new.get(s.topic, 0)), str(s.answers), _percent(s.correct, s.answers),
             str(s.due_now), str(s.due_week)] for s in lines]
    if len(lines) > 1:
        total = [sum(getattr(s, f) for s in lines) for f in ("questions", "answers", "correct", "due_now", "due_week")]
        rows.append([t("column.total"), str(total[0]), str(sum(new.values())), str(total[1]),
                     _percent(total[2], total[1]), str(total[3]), str(total[4])])
    _table(console, [t("column.topic"), t("column.seen"), t("column.new"), t("column.answers"), t("column.accuracy"),
                     t("column.due_now"), t("column.due_week")], rows, plain)
    render.line(console, t("stats.streak", days=stats.streak))
    render.line(console, next_review_line(stats.next_due, now))
    if stats.weakest:
        console.print()
        render.line(console, t("stats.weakest"), "bold")
        weak_rows = []
        for weak in stats.weakest:
            prompt = prompt_of(weak.bank_id, weak.question_id) or t("stats.missing_question")
            weak_rows.append([f"{weak.question_id}: {_shorten(prompt)}", names(weak.topic),
                              f"{weak.correct}/{weak.answers}"])
        _table(console, [t("column.question"), t("column.topic"), t("column.right")], weak_rows, plain, 2)


def _shorten(text: str, limit: int = 60) -> str:
    first = " ".join(text.split())
    return first if len(first) <= limit else first[: limit - 1] + "…"
