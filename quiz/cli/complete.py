"""Shell completion of option values: --topic, --tag, --exercise, --bank (click's shell_complete hooks).

Each hook is called by click while the shell asks for completions (`attnquiz completion SHELL`
prints the script that asks). Banks are read only then, from the cached index (quiz.bank.index)
while they are unchanged; a broken bank or settings file never breaks completion, it just offers less.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from click.shell_completion import CompletionItem

if TYPE_CHECKING:
    from quiz.bank.index import Index, QuestionInfo


def _index(ctx: click.Context, *, own_banks: bool = True) -> Index | None:
    """The banks this command line names (quiz.bank.index: cached, so a Tab costs little); None if broken."""
    try:
        from quiz.cli.options import bank_index

        params = ctx.params if own_banks else {}
        return bank_index(tuple(params.get("banks") or ()), include_builtin=params.get("builtin", True))
    except Exception:  # noqa: BLE001 - completion offers what it can, never a traceback in the shell
        return None


def _questions(ctx: click.Context) -> list[QuestionInfo]:
    found = _index(ctx)
    return found.questions() if found is not None else []


def _matching(values: set[str], incomplete: str) -> list[CompletionItem]:
    return [CompletionItem(value) for value in sorted(values) if value.startswith(incomplete)]


def topics(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    return _matching({question.topic for question in _questions(ctx)}, incomplete)


def tags(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    return _matching({tag for question in _questions(ctx) for tag in question.tags}, incomplete)


def questions(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    return _matching({question.id for question in _questions(ctx)}, incomplete)


def exercises(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    try:
        from quiz.check.catalog import exercise_names

        names = set(exercise_names())
    except Exception:  # noqa: BLE001
        names = set()
    names |= {q.exercise for q in _questions(ctx) if q.exercise is not None}
    return _matching(names, incomplete)


def banks(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Bank files and folders (the shell completes the path)."""
    return [CompletionItem(incomplete, type="file")]


def bank_ids(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Bank ids (from the built-in and configured banks), then paths."""
    found = _index(ctx, own_banks=False)  # here --bank takes the ids being completed
    ids = {bank.id for bank in found.banks} if found is not None else set()
    return _matching(ids, incomplete) or banks(ctx, param, incomplete)
