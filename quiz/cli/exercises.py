"""`attnquiz exercises`: every code exercise, with your status, best score and speedup, and what to do next."""

from __future__ import annotations

import click

from quiz.cli.options import bank_option, lang_option, run_context


@click.command()
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="table for people, json for scripts.")
@bank_option
@lang_option
def exercises(output_format: str, banks: tuple[str, ...]) -> None:
    """List every code exercise with its topic, difficulty, your status, best score and speedup, and what is next."""
    import json

    from quiz.bank.loader import load_catalog
    from quiz.check.catalog import exercise_names
    from quiz.check.listing import exercise_rows
    from quiz.check.registry import for_banks
    from quiz.cli.practice import open_store
    from quiz.practice import exercises as progress
    from quiz.practice.summary import topic_name

    run = run_context()
    rows = exercise_rows(for_banks(banks), run.lang)
    with open_store() as store:
        known = store.exercise_progress()
    if output_format == "json":
        click.echo(json.dumps(progress.to_json([row.id for row in rows], known, {row.id: row for row in rows}),
                              ensure_ascii=False, indent=2))
        return
    catalog = load_catalog(banks, known_exercises=exercise_names())  # for the topics' names
    names = {topic: topic_name(bank, topic, run.lang) for bank in catalog.banks for topic in bank.topics}
    click.echo(progress.render_exercises(rows, known, run.width, lambda topic: names.get(topic, topic), banks),
               nl=False)
