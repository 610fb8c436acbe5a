"""What `attnquiz list` shows: banks, topics and question counts per type."""

from __future__ import annotations

from collections import Counter

from quiz.bank.loader import Catalog
from quiz.i18n import current_language, t
from quiz.bank.models import QUESTION_TYPES, localize


def render_listing(catalog: Catalog, width: int = 100) -> str:
    """A table per bank: one row per topic, one column per question type, and totals."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    lang = current_language()
    console = Console(width=width, record=True, file=_Null(), color_system=None, legacy_windows=False)
    if not catalog.banks:
        return t("list.none") + "\n"
    for bank in catalog.banks:
        table = Table(title=escape(f"{localize(bank.title, lang)}  [{bank.id}]"), title_justify="left", box=None,
                      pad_edge=False)
        table.add_column(t("list.topic"))
        for qtype in QUESTION_TYPES:
            table.add_column(qtype, justify="right")
        table.add_column(t("list.total"), justify="right")
        counts: dict[str, Counter[str]] = {}
        for question in bank.questions:
            counts.setdefault(question.topic, Counter())[question.type] += 1
        for topic, counter in counts.items():
            name = localize(bank.topics[topic], lang) if topic in bank.topics else topic
            table.add_row(escape(name), *(str(counter[q] or "") for q in QUESTION_TYPES), str(sum(counter.values())))
        console.print(table)
        console.print()
    total = sum(len(bank.questions) for bank in catalog.banks)
    console.print(t("list.summary", banks=len(catalog.banks), questions=total))
    return "".join(line.rstrip() + "\n" for line in console.export_text().splitlines())


class _Null:
    def write(self, _text: str) -> int:
        return 0

    def flush(self) -> None:
        pass
