"""Exit statuses and the one domain error every user-facing failure becomes."""

from __future__ import annotations

import enum

import click


class ExitStatus(enum.IntEnum):
    """Process exit codes, documented in the README."""

    OK = 0
    FAILURE = 1  # validation errors, failed checks
    USAGE = 2  # bad arguments, unreadable input, a solution that cannot be loaded
    INTERRUPTED = 130  # Ctrl-C or end of input during the quiz


class AttnquizError(click.ClickException):
    """A problem the user can fix; printed as one line, never a traceback."""

    def __init__(self, message: str, exit_code: ExitStatus = ExitStatus.USAGE) -> None:
        super().__init__(message)
        self.exit_code = int(exit_code)

    def show(self, file=None) -> None:  # noqa: ANN001 - click's signature
        from quiz.i18n import t

        click.echo(t("error.prefix", message=self.format_message()), err=True, file=file)
