"""What `attnquiz list` shows: the banks, the topic ids and tags the quiz filters take, and counts.

``listing`` turns a Catalog into a value (banks, topics, tags, each with its question count);
``render_listing`` prints it as text at a given width and ``to_json`` as plain data. Topic ids
and tags are shown as ``--topic`` and ``--tag`` take them; ``questions=True`` adds every
question's id (what ``--question`` takes) with its type, difficulty and tags, topic by topic.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass
from typing import Any

from quiz.bank.loader import Catalog
from quiz.bank.models import QUESTION_TYPES, localize
from quiz.i18n import t


@dataclass(frozen=True)
class BankLine:
    id: str
    title: str
    questions: int


@dataclass(frozen=True)
class QuestionLine:
    id: str
    bank: str
    type: str
    difficulty: int
    tags: tuple[str, ...]


@dataclass(frozen=True)
class TopicLine:
    id: str
    name: str
    banks: tuple[str, ...]
    types: dict[str, int]  # question type -> how many, in QUESTION_TYPES order, only the types present
    questions: tuple[QuestionLine, ...]


@dataclass(frozen=True)
class Listing:
    banks: tuple[BankLine, ...]
    topics: tuple[TopicLine, ...]  # sorted by id
    tags: dict[str, int]  # tag -> questions carrying it, sorted by tag

    @property
    def total(self) -> int:
        return sum(bank.questions for bank in self.banks)

    def types(self) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for topic in self.topics:
            counts.update(topic.types)
        return {qtype: counts[qtype] for qtype in QUESTION_TYPES if counts[qtype]}


def listing(catalog: Catalog, lang: str) -> Listing:
    """The catalog's banks, topics and tags with their question counts."""
    names: dict[str, str] = {}
    found: dict[str, list[QuestionLine]] = {}
    banks_of: dict[str, list[str]] = {}
    tags: Counter[str] = Counter()
    for bank in catalog.banks:
        for question in bank.questions:
            if question.topic in bank.topics:
                names.setdefault(question.topic, localize(bank.topics[question.topic], lang))
            found.setdefault(question.topic, []).append(
                QuestionLine(question.id, bank.id, question.type, question.difficulty, tuple(question.tags)))
            if bank.id not in banks_of.setdefault(question.topic, []):
                banks_of[question.topic].append(bank.id)
            tags.update(set(question.tags))
    topics = []
    for topic in sorted(found):
        counts = Counter(line.type for line in found[topic])
        topics.append(TopicLine(topic, names.get(topic, topic), tuple(banks_of[topic]),
                                {qtype: counts[qtype] for qtype in QUESTION_TYPES if counts[qtype]},
                                tuple(found[topic])))
    banks = tuple(BankLine(bank.id, localize(bank.title, lang), len(bank.questions)) for bank in catalog.banks)
    return Listing(banks, tuple(topics), dict(sorted(tags.items())))


def render_listing(result: Listing, width: int = 100, questions: bool = False) -> str:
    """Banks, topics (id, name, count), tags with counts, the count by type; with `questions`, every question id."""
    from rich.console import Console
    from rich.columns import Columns
    from rich.markup import escape
    from rich.padding import Padding
    from rich.table import Table

    if not result.banks:
        return t("list.none") + "\n"
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None, legacy_windows=False,
                      highlight=False)
    console.print(t("list.banks"))
    banks = Table(box=None, pad_edge=False, show_header=False)
    banks.add_column(no_wrap=True)
    banks.add_column()
    banks.add_column(justify="right", no_wrap=True)
    for bank in result.banks:
        banks.add_row(escape(f"  [{bank.id}]"), escape(bank.title), str(bank.questions))
    console.print(banks)
    console.print()
    console.print(t("list.topics"))
    topics = Table(box=None, pad_edge=False)
    topics.add_column(t("list.topic_id"), no_wrap=True)
    topics.add_column(t("list.name"))
    topics.add_column(t("list.questions"), justify="right", no_wrap=True)
    for topic in result.topics:
        topics.add_row(escape(topic.id), escape(topic.name), str(sum(topic.types.values())))
    console.print(topics)
    console.print()
    console.print(t("list.tags"))
    cells = [escape(f"{tag} {count}") for tag, count in result.tags.items()] or ["-"]
    console.print(Padding(Columns(cells, padding=(0, 3), column_first=True), (0, 0, 0, 2)))
    if questions:
        for topic in result.topics:
            console.print()
            console.print(escape(f"{topic.id} · {topic.name}"))
            table = Table(box=None, pad_edge=False)
            for key in ("list.question_id", "list.type", "list.difficulty", "list.bank"):
                table.add_column(t(key), no_wrap=True)
            table.add_column(t("list.tag_column"))
            for line in topic.questions:
                table.add_row(escape(line.id), escape(line.type), str(line.difficulty), escape(line.bank),
                              escape(", ".join(line.tags)))
            console.print(table)
    console.print()
    console.print(escape(t("list.summary", banks=len(result.banks), questions=result.total,
                           types=_counts(result.types()))))
    console.print(t("list.footer"))
    return "".join(line.rstrip() + "\n" for line in console.export_text().splitlines())


def to_json(result: Listing) -> dict[str, Any]:
    """The listing as plain data (`attnquiz list --format json`)."""
    return {
        "banks": [{"id": bank.id, "title": bank.title, "questions": bank.questions} for bank in result.banks],
        "topics": [{"id": topic.id, "name": topic.name, "banks": list(topic.banks),
                    "questions": sum(topic.types.values()), "types": topic.types,
                    "question_ids": [line.id for line in topic.questions]} for topic in result.topics],
        "tags": result.tags,
        "questions": [{"id": line.id, "bank": line.bank, "topic": topic.id, "type": line.type,
                       "difficulty": line.difficulty, "tags": list(line.tags)}
                      for topic in result.topics for line in topic.questions],
    }


def _counts(types: dict[str, int]) -> str:
    return t("list.sep").join(t("list.type_count", count=count, type=t(f"type.{qtype}")) for qtype, count in types.items())
