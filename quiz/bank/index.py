"""What the quick commands need to know about the banks, kept in the cache between runs.

`attnquiz stats` and shell completion only name things: bank ids, topic names, question
prompts, tags and exercises. ``load_index`` gives exactly that for every bank that validates,
the same banks ``loader.load_catalog`` keeps, from quiz.cache while nothing it was derived from
has changed: the bank files found (a file added, removed or edited is seen by its content),
the checker's exercise list, the reference files of exercises the banks define, and the code
that validates banks. Otherwise it loads the catalog (YAML and the typed models: most of the
time of a `stats` run) and stores the index. A catalog with any error is never stored: the
next run validates again, so a broken bank is never hidden behind a cache.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quiz import cache
from quiz.bank.roots import bank_roots, find_bank_files
from quiz.i18n import localize

_VALIDATING_CODE = ("index.py", "roots.py", "loader.py", "models.py", "source.py", "exercises.py")
"""This package's modules whose change can change what validates (an edited checkout is seen too)."""


@dataclass(frozen=True)
class QuestionInfo:
    id: str
    type: str
    topic: str
    tags: tuple[str, ...]
    prompt: Any  # as in the bank: one text, or a mapping of language to text
    exercise: str | None  # a code question's exercise id


@dataclass(frozen=True)
class BankInfo:
    id: str
    topics: dict[str, Any]  # topic id -> its name as in the bank
    questions: tuple[QuestionInfo, ...]


@dataclass(frozen=True)
class Index:
    banks: tuple[BankInfo, ...]
    exercises: tuple[str, ...] = ()
    """Every exercise id: the checker's, then those the banks define, in the order `attnquiz exercises` lists them."""

    def topic_names(self, lang: str) -> dict[str, str]:
        """Topic id -> its name in `lang` (a later bank naming the same topic wins, as everywhere)."""
        return {topic: localize(name, lang) for bank in self.banks for topic, name in bank.topics.items()}

    def prompts(self, lang: str) -> dict[tuple[str, str], str]:
        """(bank id, question id) -> the question's prompt in `lang`."""
        return {(bank.id, q.id): localize(q.prompt, lang) for bank in self.banks for q in bank.questions}

    def questions(self) -> list[QuestionInfo]:
        return [question for bank in self.banks for question in bank.questions]


def load_index(extra: Sequence[str] = (), *, known_exercises: Callable[[], Collection[str]],
               known_from: Sequence[Path], include_builtin: bool = True) -> Index:
    """The index of the banks ``load_catalog(extra, include_builtin=...)`` would keep.

    `known_exercises` gives the checker's exercise ids (called only when the banks must be loaded);
    `known_from` are the files it reads them from, which the cached index depends on."""
    roots = bank_roots(extra, include_builtin)
    files, _ = find_bank_files(roots)
    code = [Path(__file__).resolve().parent / name for name in _VALIDATING_CODE]
    name = "banks-" + hashlib.blake2b("\0".join(roots).encode(), digest_size=8).hexdigest()
    return _from_json(cache.cached(name, [*files, *known_from, *code], lambda: _build(roots, known_exercises())))


def _build(roots: list[str], known: Collection[str]) -> cache.Built:
    """The index as JSON data, with the reference files it depends on; kept only when the catalog has
    no error."""
    from quiz.bank import exercises, models
    from quiz.bank.loader import load_paths

    catalog = load_paths(roots, known_exercises=known)
    banks = [{
        "id": bank.id,
        "topics": dict(bank.topics),
        "questions": [{"id": q.id, "type": q.type, "topic": q.topic, "tags": list(q.tags), "prompt": q.prompt,
                       "exercise": q.exercise_id if isinstance(q, models.CodeQuestion) else None}
                      for q in bank.questions],
    } for bank in catalog.banks]
    defined = exercises.definitions(catalog)
    order = list(dict.fromkeys([*known, *defined]))
    return cache.Built({"banks": banks, "exercises": order}, [exercise.reference for exercise in defined.values()],
                       keep=not catalog.errors)


def _from_json(data: dict[str, Any]) -> Index:
    return Index(tuple(
        BankInfo(bank["id"], bank["topics"], tuple(
            QuestionInfo(q["id"], q["type"], q["topic"], tuple(q["tags"]), q["prompt"], q["exercise"])
            for q in bank["questions"]))
        for bank in data["banks"]), tuple(data["exercises"]))
