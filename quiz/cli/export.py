"""`attnquiz export anki|progress|reviews` and `attnquiz import progress`: cards and progress that move."""

from __future__ import annotations

from pathlib import Path

import click

from quiz.cli import complete
from quiz.cli.options import lang_option

_output = click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=True, path_type=Path),
                       help="The file to write.")
_force = click.option("--force", is_flag=True, help="Replace the file if it exists.")


@click.group()
@lang_option
def export() -> None:
    """Export the banks as an Anki deck, or your progress and review log as files."""


@export.command()
@_output
@click.option("--bank", "banks", multiple=True, metavar="ID|PATH", shell_complete=complete.bank_ids,
              help="Only this bank: an id from `attnquiz list`, or a bank file or folder (repeatable; default: "
                   "every bank).")
@click.option("--lang", "card_lang", type=click.Choice(["en", "zh", "both"]), default=None,
              help="Language of the cards (default: the interface language; both: English, then Chinese).")
@_force
def anki(output: Path, banks: tuple[str, ...], card_lang: str | None, force: bool) -> None:
    """Write the banks as an Anki package (.apkg): a deck per bank, a sub-deck per topic when it has several.

    \b
    Each question keeps its note when you import an updated export: notes are matched by
    bank id and question id, so an edited question is updated in Anki, never duplicated.
    """
    from quiz.cli.options import settings
    from quiz.i18n import t
    from quiz.practice import anki as deck

    loaded = settings()  # --lang here is the cards' language, not the interface's
    chosen = _banks(banks)
    result = deck.export(chosen, output, card_lang or loaded.lang, force=force)
    click.echo(t("export.anki_done", path=result.path, notes=result.notes, decks=result.decks, banks=result.banks))


def _banks(wanted: tuple[str, ...]) -> list:  # noqa: ANN202 - quiz.bank.models is imported lazily
    """The banks to export: every bank, or the ones named by id or loaded from a path."""
    from quiz.bank.loader import load_catalog, load_paths
    from quiz.check.catalog import exercise_names
    from quiz.errors import AttnquizError
    from quiz.i18n import t

    catalog = load_catalog(known_exercises=exercise_names())
    _report(catalog)
    if not wanted:
        return catalog.banks
    by_id = {bank.id: bank for bank in catalog.banks}
    chosen = [by_id[name] for name in wanted if name in by_id]
    paths = [name for name in wanted if name not in by_id]
    missing = [name for name in paths if not Path(name).expanduser().exists()]
    if missing:
        raise AttnquizError(t("export.no_banks", banks=", ".join(missing)))
    if paths:
        loaded = load_paths([Path(p).expanduser() for p in paths], known_exercises=exercise_names())
        _report(loaded)
        chosen += [bank for bank in loaded.banks if bank.id not in {b.id for b in chosen}]
    if not chosen:
        raise AttnquizError(t("export.no_banks", banks=", ".join(wanted)))
    return chosen


def _report(catalog: object) -> None:
    for problem in getattr(catalog, "errors"):
        click.echo(str(problem), err=True)


@export.command()
@_output
@_force
@lang_option
def progress(output: Path, force: bool) -> None:
    """Write your progress (every answer, card, session, exercise check, hint read and give-up) to a JSON file
    for `attnquiz import progress`."""
    from quiz.cli.options import settings
    from quiz.cli.practice import open_store
    from quiz.i18n import t
    from quiz.practice import transfer
    from quiz.practice.scheduler import utcnow

    with open_store() as store:
        result = transfer.export_progress(store, output, utcnow(), force=force)
    click.echo(t("export.progress_done", path=result.path, answers=result.answers, cards=result.cards,
                 sessions=result.sessions, checks=result.checks, events=result.events))


@export.command()
@_output
@_force
@lang_option
def reviews(output: Path, force: bool) -> None:
    """Write your review log as CSV in the FSRS optimizer's columns (card_id, review_time, review_rating, ...)."""
    from quiz.cli.options import settings
    from quiz.cli.practice import open_store
    from quiz.i18n import t
    from quiz.practice import transfer
    from quiz.practice.scheduler import Scheduler

    loaded = settings()
    with open_store() as store:
        rows = transfer.review_log(store, Scheduler.from_settings(loaded.settings))
    transfer.write_text(output, transfer.reviews_csv(rows), force, "attnquiz-reviews.csv")
    click.echo(t("export.reviews_done", path=output, reviews=len(rows)))


@click.group("import")
@lang_option
def import_() -> None:
    """Import progress exported by `attnquiz export progress` (on this machine or another)."""


@import_.command("progress")
@click.argument("file", type=click.Path(path_type=Path))
@lang_option
def import_progress(file: Path) -> None:
    """Merge a progress file into yours: new answers and exercise records are added, newer cards kept; running it
    twice changes nothing."""
    from quiz.cli.options import settings
    from quiz.cli.practice import open_store
    from quiz.i18n import t
    from quiz.practice import transfer

    checked = transfer.read_progress(file)  # a bad file is reported before the store is opened
    with open_store() as store:
        merged = transfer.merge(store, checked)
    click.echo(t("import.done", path=file, answers=merged.answers, cards=merged.cards, sessions=merged.sessions,
                 checks=merged.checks, events=merged.events))
