"""Commands about question banks: list, validate, schema."""

from __future__ import annotations

import click

from quiz.cli.options import bank_option, lang_option
from quiz.errors import ExitStatus


@click.command("list")
@bank_option
@lang_option
def list_banks(banks: tuple[str, ...]) -> None:
    """List the question banks, their topics and question counts per type."""
    from quiz.bank.loader import load_catalog
    from quiz.check.catalog import exercise_names
    from quiz.bank.listing import render_listing

    catalog = load_catalog(banks, known_exercises=exercise_names())
    for problem in catalog.errors:
        click.echo(str(problem), err=True)
    click.echo(render_listing(catalog), nl=False)
    if catalog.errors:
        raise SystemExit(ExitStatus.FAILURE)


@click.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--strict", is_flag=True, help="Also fail on warnings, such as a missing translation.")
@lang_option
def validate(paths: tuple[str, ...], strict: bool) -> None:
    """Check bank files or folders and report every problem as path:line:col: message."""
    from quiz.bank.loader import load_paths
    from quiz.check.catalog import exercise_names
    from quiz.i18n import t

    catalog = load_paths(paths, known_exercises=exercise_names())
    for problem in catalog.problems:
        click.echo(str(problem))
    failed = bool(catalog.errors) or (strict and bool(catalog.warnings))
    click.echo(t("validate.summary", files=catalog.files, errors=len(catalog.errors),
                 warnings=len(catalog.warnings)))
    raise SystemExit(ExitStatus.FAILURE if failed else ExitStatus.OK)


@click.command()
@lang_option
def schema() -> None:
    """Print the JSON Schema of the bank format, for editors' YAML completion."""
    from quiz.bank.models import json_schema

    click.echo(json_schema())
