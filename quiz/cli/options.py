"""Options shared by several commands, defined once so their names and help agree."""

from __future__ import annotations

import click

from quiz.i18n import LANGUAGES

lang_option = click.option(
    "--lang", type=click.Choice(LANGUAGES), help="Interface language (else ATTNQUIZ_LANG, else the locale).",
)
bank_option = click.option(
    "--bank", "banks", multiple=True, metavar="PATH",
    help="Extra bank file or folder (repeatable); ATTNQUIZ_BANKS adds more.",
)
