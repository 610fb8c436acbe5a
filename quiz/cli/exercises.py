"""`attnquiz exercises`: the code exercises the checker knows."""

from __future__ import annotations

import click

from quiz.cli.options import bank_option, lang_option, run_context


@click.command()
@bank_option
@lang_option
def exercises(banks: tuple[str, ...]) -> None:
    """List every code exercise with its difficulty, points and the functions to write."""
    from quiz.check.listing import exercise_rows, render_exercises
    from quiz.check.registry import for_banks

    click.echo(render_exercises(exercise_rows(for_banks(banks), run_context().lang)), nl=False)
