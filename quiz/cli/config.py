"""`attnquiz config`: the effective settings and where each comes from; `config set` / `config unset`."""

from __future__ import annotations

import click

from quiz.cli.options import lang_option


@click.group(invoke_without_command=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="A table, or JSON for scripts.")
@lang_option
@click.pass_context
def config(ctx: click.Context, fmt: str) -> None:
    """Show every setting, its value and where it comes from (flag, environment, file, default).

    \b
    The settings file is TOML (its path is printed first; ATTNQUIZ_CONFIG chooses another).
    Change it with `attnquiz config set KEY VALUE`, which keeps your comments, or in an editor.
    Each KEY can also be set for one run by the environment variable ATTNQUIZ_<KEY>.
    """
    if ctx.invoked_subcommand is not None:
        return
    import json

    from quiz import config as settings
    from quiz.cli.options import settings as current

    loaded = current()
    if fmt == "json":
        values = {key: settings.to_toml(key, getattr(loaded.settings, key)) for key in settings.KEYS}
        click.echo(json.dumps({"path": str(loaded.path), "exists": loaded.path.exists(), "settings": values,
                               "sources": dict(loaded.sources)}, ensure_ascii=False, indent=2))
        return
    _show(loaded)


def _show(loaded: object) -> None:
    from rich import box
    from rich.table import Table

    from quiz import config as settings
    from quiz.i18n import t
    from quiz.practice import render

    assert isinstance(loaded, settings.Config)
    state = "" if loaded.path.exists() else t("config.file_missing")
    console = render.make_console(plain=True)
    render.line(console, t("config.file", path=loaded.path, state=state))
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for header in ("config.column_key", "config.column_value", "config.column_source", "config.column_about"):
        table.add_column(render.escape(t(header)), overflow="fold")
    for key in settings.KEYS:
        table.add_row(*map(render.escape, [key, settings.shown(getattr(loaded.settings, key)),
                                           _source(loaded.sources[key]), t(f"config.about.{key}")]))
    console.print(table)


def _source(source: str) -> str:
    from quiz.i18n import t

    def one(part: str) -> str:
        kind, _, name = part.partition(" ")
        return t(f"config.source.{kind}", name=name)  # config.source.default, .file, .locale, .env, .flag

    return " + ".join(one(part) for part in source.split(" + "))


@config.command("set")
@click.argument("key")
@click.argument("value")
def set_(key: str, value: str) -> None:
    """Set KEY to VALUE in the settings file (created if needed; your comments are kept).

    \b
    VALUE is read as TOML when it can be (0.85, true, ["1m", "10m"]), else as text;
    a list setting also takes comma-separated text: learning_steps 1m,10m,1h.
    """
    from quiz import config as settings
    from quiz.i18n import t

    path = settings.config_path()
    written = settings.set_value(path, key, value)
    click.echo(t("config.set_done", key=key, value=settings.shown(written), path=path))
    loaded = settings.load(path=path)  # read again: the file has just changed
    if loaded.sources[key] not in ("file",) and "file" not in loaded.sources[key].split(" + "):
        click.echo(t("config.overridden", key=key, source=loaded.sources[key]), err=True)


@config.command()
@click.argument("key")
def unset(key: str) -> None:
    """Remove KEY from the settings file, so the environment or the default applies."""
    from quiz import config as settings
    from quiz.i18n import t

    path = settings.config_path()
    settings.unset_value(path, key)
    click.echo(t("config.unset_done", key=key, path=path))
