"""The attnquiz command line: one root group that loads each command module lazily.

Command modules import only click at the top, so `attnquiz --help` stays fast; each
command parses its options, calls one function of the flow it belongs to, and prints.
"""

from __future__ import annotations

import importlib

import click

from quiz import __version__

# command name -> "module:attribute"; the module is imported only when needed.
COMMANDS = {
    "start": "quiz.cli.practice:start",
    "review": "quiz.cli.practice:review",
    "stats": "quiz.cli.practice:stats",
    "reset": "quiz.cli.practice:reset",
    "check": "quiz.cli.check:check",
    "new": "quiz.cli.check:new",
    "grade": "quiz.cli.grade:grade",
    "list": "quiz.cli.bank:list_banks",
    "validate": "quiz.cli.bank:validate",
    "schema": "quiz.cli.bank:schema",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use (click's documented pattern)."""

    def __init__(self, *args, lazy_subcommands: dict[str, str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_subcommands = lazy_subcommands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.lazy_subcommands) + sorted(super().list_commands(ctx))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.lazy_subcommands:
            return super().get_command(ctx, cmd_name)
        module_name, attribute = self.lazy_subcommands[cmd_name].split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:  # a command whose module has not been written yet
                return None
            raise
        command = getattr(module, attribute)
        assert isinstance(command, click.Command), f"{module_name}:{attribute} is not a click command"
        return command


@click.group(cls=LazyGroup, lazy_subcommands=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="attnquiz")
def cli() -> None:
    """Practise Transformer attention and KV-cache interview questions, and check your own NumPy code."""
    from quiz.i18n import catalogue

    # Load the interface strings (and PyYAML) before any command starts its work: a Ctrl-C that
    # lands inside a first, lazy `import yaml` leaves a half-imported module behind, and the
    # "Interrupted." message that follows then fails to load.
    catalogue()


def main() -> None:
    cli(prog_name="attnquiz")
