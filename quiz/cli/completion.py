"""`attnquiz completion bash|zsh|fish`: click's shell completion script (the value hooks: quiz.cli.complete)."""

from __future__ import annotations

import click

from quiz.cli.options import lang_option

SHELLS = ("bash", "zsh", "fish")


@click.command()
@click.argument("shell", type=click.Choice(SHELLS))
@lang_option
def completion(shell: str) -> None:
    """Print the shell completion script for bash, zsh or fish (the README says how to enable it).

    \b
    bash:  eval "$(attnquiz completion bash)"   (in ~/.bashrc)
    zsh:   eval "$(attnquiz completion zsh)"    (in ~/.zshrc)
    fish:  attnquiz completion fish > ~/.config/fish/completions/attnquiz.fish
    """
    from click.shell_completion import get_completion_class

    from quiz.cli import cli

    completer = get_completion_class(shell)
    assert completer is not None, shell
    click.echo(completer(cli, {}, "attnquiz", "_ATTNQUIZ_COMPLETE").source())
