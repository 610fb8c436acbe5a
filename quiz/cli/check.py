"""Commands of the checker: `attnquiz check` and `attnquiz new`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from quiz.check import CALL_TIMEOUT, ISOLATION, ISOLATION_CHOICES
from quiz.cli import complete
from quiz.cli.options import existing_banks, lang_option, run_context
from quiz.errors import AttnquizError, ExitStatus

if TYPE_CHECKING:
    from collections.abc import Callable

    from quiz.check.figures import ReferenceFigures
    from quiz.check.registry import Registry
    from quiz.check.runner import CheckOptions
    from quiz.check.verdicts import CheckResult

bank_option = click.option("--bank", "banks", multiple=True, metavar="PATH", type=click.Path(),
                           callback=existing_banks,
                           help="A bank whose code questions name or define the exercises (repeatable).")


def _figures(_ctx: click.Context, _param: click.Parameter, value: str | None) -> ReferenceFigures | None:
    """--reference-figures: validated JSON (quiz.check.figures); whether they match this check is run_check's call."""
    if value is None:
        return None
    from pydantic import ValidationError

    from quiz.check.figures import ReferenceFigures

    try:
        return ReferenceFigures.model_validate_json(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(the whole value)"
        raise click.BadParameter(f"not reference figures: {where}: {first['msg']}") from None


@click.command()
@click.argument("solution", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--exercise", "names", multiple=True, metavar="NAME", shell_complete=complete.exercises,
              help="Check only this exercise (repeatable); default: every exercise.")
@click.option("--seed", type=click.IntRange(min=0), help="Repeat the random inputs of an earlier run.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=CALL_TIMEOUT, show_default=True,
              help="Seconds one call of your code may take.")
@click.option("--format", "output_format", type=click.Choice(["table", "json", "gradescope", "classroom"]),
              default="table", show_default=True,
              help="table for people, json (docs/checker.md), gradescope (results.json), classroom (GitHub Classroom).")
@click.option("--min-score", type=click.FloatRange(min=0), default=None, metavar="POINTS",
              help="With --format classroom: the points that pass (default: full marks).")
@click.option("--isolation", type=click.Choice(ISOLATION_CHOICES), default=ISOLATION,
              show_default=True,
              help="Sandbox boundary: auto takes the strongest available, strict refuses to run without bubblewrap.")
@click.option("--watch", is_flag=True,
              help="Check again every time the file is saved; keys: h hint, c check now, q quit.")
@click.option("--require-all", is_flag=True,
              help="Fail unless every exercise is attempted (gradescope and classroom output always do).")
@click.option("--record/--no-record", default=True,
              help="Save each exercise's result in your progress (default; see `attnquiz exercises`).")
@click.option("--single-file", is_flag=True,
              help="Do not load the helper modules the file imports from its folder (they are loaded by default).")
@click.option("--reference-figures", "figures", metavar="JSON", hidden=True, callback=_figures,
              help="The trusted reference's figures measured once for a class run (attnquiz grade passes them).")
@bank_option
@lang_option
def check(solution: Path, names: tuple[str, ...], seed: int | None, timeout: float, output_format: str,
          isolation: str, min_score: float | None, watch: bool, require_all: bool, record: bool, single_file: bool,
          figures: ReferenceFigures | None, banks: tuple[str, ...]) -> None:
    """Check your NumPy attention and KV-cache code in a sandbox against hidden reference tests."""
    from quiz.check.registry import for_banks
    from quiz.check.runner import CheckOptions

    options = CheckOptions(seed=seed, timeout=timeout, exercises=names, isolation=isolation,
                           require_all=require_all or output_format in ("gradescope", "classroom"),
                           helpers=not single_file, figures=figures)
    registry = for_banks(banks)  # built once: the built-in exercises and the banks'
    registry.select(names or registry.named)  # a usage error stops here, not on every save
    if watch:
        raise SystemExit(watch_check(solution, options, registry, output_format, record, min_score, banks))
    raise SystemExit(check_and_print(solution, options, registry, output_format, record, min_score, banks))


def watch_check(solution: Path, options: CheckOptions, registry: Registry, output_format: str,
                record: bool, min_score: float | None = None, banks: tuple[str, ...] = ()) -> ExitStatus:
    """--watch: check on every save; in a terminal h shows a hint for the exercise the last check stopped at,
    c checks now, q quits with the last check's status."""
    from quiz.check.watch import TerminalKeys, watch
    from quiz.cli.learn import show_hint
    from quiz.i18n import t
    from quiz.practice.exercises import hint_target

    results: list[CheckResult] = []
    selection = [exercise.id for exercise in registry.select(options.exercises or registry.named)]

    def hint() -> None:
        target = hint_target(results[-1] if results else None, selection)
        if target is None:
            click.echo(t("watch.no_hint_needed"))
            return
        try:
            show_hint(registry, target, more="watch.more_hints")
        except AttnquizError as problem:  # no hints, a store that cannot be opened: say so, keep watching
            problem.show()

    with TerminalKeys() as keys:
        status = watch(solution, lambda: check_and_print(solution, options, registry, output_format, record,
                                                         min_score, banks, results.append),
                       hint=hint, keys=keys.wait if keys.active else None)
    return status if status is not None else ExitStatus.OK


def check_and_print(solution: Path, options: CheckOptions, registry: Registry, output_format: str = "table",
                    record: bool = False, min_score: float | None = None, banks: tuple[str, ...] = (),
                    seen: Callable[[CheckResult], None] | None = None) -> ExitStatus:
    """One check: run it, print the report in `output_format`, return the exit status (also used by --watch,
    which passes `seen` to keep each result)."""
    from quiz.check.report import render_json, render_table, to_report
    from quiz.check.runner import run_check
    from quiz.i18n import t

    result = run_check(solution, options, registry)
    if seen is not None:
        seen(result)
    if record and not result.interrupted and result.load_error is None:
        from quiz.cli.practice import open_store
        from quiz.practice.scheduler import utcnow

        try:
            with open_store() as store:
                store.record_check(result, utcnow())
        except AttnquizError as problem:  # an unwritable home never stops a check
            click.echo(t("check.not_recorded", reason=str(problem)), err=True)
    if output_format == "json":
        click.echo(to_report(result).dump())
    elif output_format in ("gradescope", "classroom"):
        from quiz.grade.platforms import render_for

        data, status = render_for(output_format, to_report(result).model_dump(mode="json"), registry,
                                  solution=solution, banks=banks, exercises=options.exercises, min_score=min_score,
                                  timeout=None if options.timeout == CALL_TIMEOUT else options.timeout)
        click.echo(render_json(data))
        return status
    elif result.load_error is not None:
        click.echo(t("error.prefix", message=t("check.load_failed", message=result.load_error.message)), err=True)
        if result.load_error.detail:
            click.echo(result.load_error.detail.rstrip("\n"), err=True)
    else:
        run = run_context()
        click.echo(render_table(result, width=run.width, color=run.color), nl=False)
    if result.interrupted:  # the tests that finished are shown; the root command ends the run with this line
        from quiz.check.report import interrupted_text

        raise KeyboardInterrupt(interrupted_text(result))
    return result.exit_status


@click.command()
@click.argument("names", nargs=-1, metavar="[EXERCISE]...", shell_complete=complete.exercises)
@click.option("-o", "--output", default="solution.py", show_default=True, metavar="PATH",
              help="Where to write the starter file ('-' prints it).")
@click.option("--force", is_flag=True, help="Overwrite the file if it exists.")
@click.option("--exercise", "exercise_names", multiple=True, metavar="NAME", shell_complete=complete.exercises,
              help="Write only this exercise (repeatable; the same as naming it).")
@bank_option
@lang_option
def new(names: tuple[str, ...], output: str, force: bool, exercise_names: tuple[str, ...],
        banks: tuple[str, ...]) -> None:
    """Write a starter solution file with every function to implement."""
    from quiz.check.registry import for_banks
    from quiz.check.starter import check_command, starter_text
    from quiz.i18n import t

    registry = for_banks(banks)
    names = (*names, *exercise_names)
    chosen = [exercise.spec for exercise in registry.select(names or registry.named)]
    if output == "-":
        click.echo(starter_text(chosen, check=check_command("solution.py", banks, names), banks=banks), nl=False)
        return
    path = Path(output)
    command = check_command(str(path), banks, names)
    if path.exists() and not force:
        raise AttnquizError(t("new.exists", path=path))
    from quiz import files

    try:
        files.write_text(path, starter_text(chosen, path.name, check_command(path.name, banks, names), banks))
    except OSError as exc:
        raise AttnquizError(t("new.cannot_write", path=path, reason=files.os_reason(exc, path))) from None
    click.echo(t("new.written", path=path, count=len(chosen), command=command))
    raise SystemExit(ExitStatus.OK)
