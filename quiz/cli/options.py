"""Options shared by several commands, defined once so their names and help agree."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from quiz.i18n import LANGUAGES

if TYPE_CHECKING:
    from quiz.bank.index import Index
    from quiz.config import Config
    from quiz.context import RunContext


def _set_language(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    """A command's own --lang: the run context, with its language changed (see quiz.context)."""
    if value:
        from quiz.context import RunContext

        run = ctx.find_object(RunContext) or RunContext.resolve()
        ctx.obj = run.with_language(value).activate()


lang_option = click.option(
    "--lang", type=click.Choice(LANGUAGES), expose_value=False, is_eager=True, callback=_set_language,
    help="Interface language (else ATTNQUIZ_LANG, else the locale).",
)


def existing_banks(ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    """--bank's paths, which must exist: a mistyped path is a usage error, not a silent run on other banks."""
    from pathlib import Path

    from quiz.errors import AttnquizError
    from quiz.i18n import t

    missing = next((path for path in value if not Path(path).expanduser().exists()), None)
    if missing is not None and not ctx.resilient_parsing:  # (shell completion parses half-typed lines)
        raise AttnquizError(t("bank.option_missing", path=missing))
    return value


bank_option = click.option(
    "--bank", "banks", multiple=True, metavar="PATH", type=click.Path(),  # the shell completes a path
    callback=existing_banks,
    help="Extra bank file or folder (repeatable); ATTNQUIZ_BANKS adds more.",
)


def run_context() -> RunContext:
    """The run context of the command being run (built by the root group)."""
    from quiz.context import RunContext

    ctx = click.get_current_context(silent=True)
    found = ctx.find_object(RunContext) if ctx is not None else None
    return found or RunContext.resolve().activate()


def settings(**flags: object) -> Config:
    """The settings of the command being run: the run context's, with the command's own flags on top."""
    return run_context().settings.with_flags(**flags)


def bank_index(banks: tuple[str, ...] = (), include_builtin: bool = True) -> Index:
    """What `stats` and completion need to know about the banks (quiz.bank.index: cached between runs);
    the checker's exercise list is read only when the banks must be loaded again."""
    from quiz.bank.index import load_index
    from quiz.paths import data_path

    def known_exercises() -> tuple[str, ...]:
        from quiz.check.catalog import exercise_names

        return exercise_names()

    return load_index(banks, known_exercises=known_exercises, known_from=[data_path("exercises")],
                      include_builtin=include_builtin)
