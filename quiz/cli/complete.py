"""Shell completion of option values: --topic, --tag, --exercise, --bank (click's shell_complete hooks).

Each hook is called by click while the shell asks for completions (`attnquiz completion SHELL`
prints the script that asks). Banks are loaded only then; a broken bank or settings file never
breaks completion, it just offers less.
"""

from __future__ import annotations

from typing import Any

import click
from click.shell_completion import CompletionItem


def _questions(ctx: click.Context) -> list[Any]:
    try:
        from quiz.bank.loader import load_catalog
        from quiz.check.catalog import exercise_names

        params = ctx.params
        return load_catalog(tuple(params.get("banks") or ()), known_exercises=exercise_names(),
                            include_builtin=params.get("builtin", True)).questions()
    except Exception:  # noqa: BLE001 - completion offers what it can, never a traceback in the shell
        return []


def _matching(values: set[str], incomplete: str) -> list[CompletionItem]:
    return [CompletionItem(value) for value in sorted(values) if value.startswith(incomplete)]


def topics(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    return _matching({question.topic for _, question in _questions(ctx)}, incomplete)


def tags(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    return _matching({tag for _, question in _questions(ctx) for tag in question.tags}, incomplete)


def exercises(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    try:
        from quiz.check.catalog import exercise_names

        names = set(exercise_names())
    except Exception:  # noqa: BLE001
        names = set()
    names |= {q.exercise_id for _, q in _questions(ctx) if q.type == "code"}
    return _matching(names, incomplete)


def banks(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Bank files and folders (the shell completes the path)."""
    return [CompletionItem(incomplete, type="file")]


def bank_ids(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Bank ids (from the built-in and configured banks), then paths."""
    try:
        from quiz.bank.loader import load_catalog
        from quiz.check.catalog import exercise_names

        ids = {bank.id for bank in load_catalog(known_exercises=exercise_names()).banks}
    except Exception:  # noqa: BLE001
        ids = set()
    return _matching(ids, incomplete) or banks(ctx, param, incomplete)
