"""The attnquiz command line: one root group that loads each command module lazily.

Command modules import only click at the top, so `attnquiz --help` stays fast; each
command parses its options, calls one function of the flow it belongs to, and prints.

The root group is also where a run begins and ends, once for every command:
- it resolves the run context (language, colour, width: ``quiz.context``) before any command
  runs and hands it down in click's ``ctx.obj``;
- Ctrl-C and end of input end every command the same way: "Interrupted." on stderr and exit
  status 130, never click's "Aborted!" or a traceback. A command that must keep something
  first (the quiz its summary, `check` the tests already run, `grade` its journal) saves it
  and lets the interrupt go on up to here; one that raises ``KeyboardInterrupt(message)`` has
  that line printed instead of "Interrupted." (`check`: the test it stopped in).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from quiz import __version__
from quiz.cli.options import lang_option
from quiz.errors import ExitStatus

# command name -> "module:attribute"; the module is imported only when the command runs.
COMMANDS = {
    "start": "quiz.cli.practice:start",
    "review": "quiz.cli.practice:review",
    "stats": "quiz.cli.practice:stats",
    "reset": "quiz.cli.practice:reset",
    "check": "quiz.cli.check:check",
    "new": "quiz.cli.check:new",
    "exercises": "quiz.cli.exercises:exercises",
    "hint": "quiz.cli.learn:hint",
    "solution": "quiz.cli.learn:solution",
    "grade": "quiz.cli.grade:grade",
    "autograder": "quiz.cli.autograder:autograder",
    "list": "quiz.cli.bank:list_banks",
    "validate": "quiz.cli.bank:validate",
    "schema": "quiz.cli.bank:schema",
    "keypoints": "quiz.cli.bank:keypoints",
    "config": "quiz.cli.config:config",
    "export": "quiz.cli.export:export",
    "import": "quiz.cli.export:import_",
    "optimize": "quiz.cli.optimize:optimize",
    "completion": "quiz.cli.completion:completion",
}

# command name -> its one-line help, as its docstring starts (a test keeps the two equal): `attnquiz --help`
# lists the commands from here without importing a single command module.
SHORT_HELP = {
    "start": "Start the interactive quiz (practice, exam or review).",
    "review": "Review the questions that are due (short for `attnquiz start --mode review`).",
    "stats": "Show your progress per topic, streak, weakest questions, recall now, a review heatmap and what is due.",
    "reset": "Delete your progress, keeping a backup (asks first unless --yes); --restore puts a backup back.",
    "check": "Check your NumPy attention and KV-cache code in a sandbox against hidden reference tests.",
    "new": "Write a starter solution file with every function to implement.",
    "exercises": "List every code exercise with its topic, difficulty, your status, best score and speedup, and what is next.",
    "hint": "Show a hint for a code exercise, one level at a time (no EXERCISE: the one your last check stopped at).",
    "solution": "Show the worked solution of an exercise once your check has passed it (before that, asks first).",
    "grade": "Check a folder of submissions (one NAME.py or NAME/ per student) and write the grades to CSV and JSON.",
    "autograder": "Write a course's autograder for Gradescope (a zip) or GitHub Classroom (a workflow).",
    "list": "List the banks, the topic ids and tags the quiz takes, and how many questions each has.",
    "validate": "Check bank files or folders and report every problem as path:line:col: message.",
    "schema": "Print the JSON Schema of the bank format, for editors' YAML completion.",
    "keypoints": "Mark an answer (a file, or standard input) against an open question's key points and say why.",
    "config": "Show every setting, its value and where it comes from (flag, environment, file, default).",
    "export": "Export the banks as an Anki deck, or your progress and review log as files.",
    "import": "Import progress exported by `attnquiz export progress` (on this machine or another).",
    "optimize": "Fit the FSRS scheduler's parameters to your reviews and show the change (--save keeps them).",
    "completion": "Print the shell completion script for bash, zsh or fish (the README says how to enable it).",
}


class RootGroup(click.Group):
    """The root: lazy subcommands (click's documented pattern), and the one end of every run."""

    def __init__(self, *args: Any, lazy_subcommands: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_subcommands = lazy_subcommands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.lazy_subcommands) + sorted(super().list_commands(ctx))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.lazy_subcommands:
            return super().get_command(ctx, cmd_name)
        module_name, attribute = self.lazy_subcommands[cmd_name].split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(command, click.Command), f"{module_name}:{attribute} is not a click command"
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [(name, self._short_help(ctx, name, limit)) for name in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def _short_help(self, ctx: click.Context, name: str, limit: int) -> str:
        if name in SHORT_HELP:
            return click.Command(name, help=SHORT_HELP[name]).get_short_help_str(limit)
        command = self.get_command(ctx, name)  # not in the table (a test says so): import it
        return command.get_short_help_str(limit) if command else ""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            status = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except (KeyboardInterrupt, EOFError, click.exceptions.Abort) as stop:
            from quiz.i18n import t

            cause = stop.__cause__ if isinstance(stop, click.exceptions.Abort) else stop  # click wraps it in Abort
            said = str(cause) if isinstance(cause, KeyboardInterrupt) else ""  # a command may say what it stopped
            click.echo(said or t("interrupted"), err=True)
            sys.exit(ExitStatus.INTERRUPTED)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        sys.exit(status if isinstance(status, int) else ExitStatus.OK)


@click.group(cls=RootGroup, lazy_subcommands=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="attnquiz")
@lang_option
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Practise Transformer attention and KV-cache interview questions, and check your own NumPy code."""
    from quiz.context import RunContext
    from quiz.i18n import catalogue

    if ctx.obj is None:  # a --lang given here has built it already
        ctx.obj = RunContext.resolve().activate()
    # Load the interface strings (and PyYAML) before any command starts its work: a Ctrl-C that
    # lands inside a first, lazy `import yaml` leaves a half-imported module behind, and the
    # "Interrupted." message that follows then fails to load.
    catalogue()


def main() -> None:
    cli(prog_name="attnquiz")
