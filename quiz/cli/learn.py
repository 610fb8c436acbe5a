"""Commands of the learner's loop around the checker: `attnquiz hint` and `attnquiz solution`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from quiz.cli import complete
from quiz.cli.options import bank_option, lang_option, run_context
from quiz.errors import AttnquizError

if TYPE_CHECKING:
    from quiz.check.registry import Registry


@click.command()
@click.argument("exercise", required=False, shell_complete=complete.exercises)
@click.option("--level", type=click.IntRange(min=1), metavar="N",
              help="Show this level (default: the next one you have not read).")
@bank_option
@lang_option
def hint(exercise: str | None, level: int | None, banks: tuple[str, ...]) -> None:
    """Show a hint for a code exercise, one level at a time (no EXERCISE: the one your last check stopped at)."""
    from quiz.check.registry import for_banks

    registry = for_banks(banks)
    if exercise is None:
        exercise = current_exercise(registry, banks)
    show_hint(registry, exercise, level, banks=banks)


def current_exercise(registry: Registry, banks: tuple[str, ...] = ()) -> str:
    """The exercise `attnquiz hint` means without a name, as rustlings' hint does: the first the last
    recorded check did not pass, else what `attnquiz exercises` says is next; says which on a line first."""
    from quiz.check.listing import exercise_rows
    from quiz.check.starter import command
    from quiz.cli.practice import open_store
    from quiz.i18n import t
    from quiz.practice import exercises as progress

    run = run_context()
    order = [row.id for row in exercise_rows(registry, run.lang)]
    with open_store() as store:
        last = [name for name, status in store.last_check() if status != "passed" and name in registry]
        known = store.exercise_progress()
    chosen, why = (last[0], "hint.chosen_last_check") if last else (progress.next_exercise(order, known), "hint.chosen_next")
    if chosen is None:
        raise AttnquizError(t("hint.all_passed", command=command("hint", "EXERCISE", banks=banks)))
    click.echo(t(why, exercise=chosen, command=command("hint", "EXERCISE", banks=banks)))
    return chosen


def show_hint(registry: Registry, exercise: str, level: int | None = None, more: str = "hint.more",
              banks: tuple[str, ...] = ()) -> None:
    """Print one hint level of `exercise` (the next unread one by default) and remember it was read;
    `more` is the line saying how to get the next level (`attnquiz hint`, with the `banks` given, or h in
    watch mode)."""
    from quiz.check.registry import builtin
    from quiz.check.starter import command
    from quiz.cli.practice import open_store
    from quiz.i18n import t
    from quiz.practice import exercises as progress
    from quiz.practice.scheduler import utcnow

    spec = registry.select((exercise,))[0].spec
    if not spec.hints:
        raise AttnquizError(t("hint.none", exercise=exercise))
    with open_store() as store:
        read = store.exercise_progress().get(exercise)
        chosen = progress.next_hint_level(len(spec.hints), read.hints_read if read else 0, level)
        if chosen is None:
            raise AttnquizError(t("hint.past_last", exercise=exercise, level=level, count=len(spec.hints)))
        store.record_event(exercise, "hint", utcnow(), chosen)
    from quiz.practice.render import wrap

    run = run_context()
    click.echo(t("hint.header", level=chosen, count=len(spec.hints), exercise=exercise))
    click.echo(wrap(spec.hints[chosen - 1](run.lang), run.width, 0))
    if chosen < len(spec.hints):
        click.echo(t(more, command=command("hint", exercise, banks=banks)))
    elif exercise in builtin():  # the last level: what is left is the worked solution
        key = "hint.last_passed" if read is not None and read.status == "passed" else "hint.last"
        click.echo(wrap(t(key, count=len(spec.hints), command=command("solution", exercise, banks=banks)),
                        run.width, 0))
    else:
        click.echo(wrap(t("hint.last_hidden", count=len(spec.hints)), run.width, 0))


@click.command()
@click.argument("exercise", shell_complete=complete.exercises)
@click.option("--yes", is_flag=True, help="Show it without asking, even before your check has passed (a give-up).")
@bank_option
@lang_option
def solution(exercise: str, yes: bool, banks: tuple[str, ...]) -> None:
    """Show the worked solution of an exercise once your check has passed it (before that, asks first)."""
    from quiz.check.registry import builtin, for_banks
    from quiz.check.starter import command
    from quiz.cli.practice import open_store
    from quiz.i18n import t
    from quiz.practice import exercises as progress
    from quiz.practice.scheduler import utcnow

    for_banks(banks).select((exercise,))  # an unknown exercise is a usage error
    if exercise not in builtin():
        raise AttnquizError(t("solution.hidden", exercise=exercise))
    spec = builtin()[exercise].spec
    code = progress.worked_solution(spec)
    with open_store() as store:
        known = store.exercise_progress().get(exercise)
        if not (known and known.status == "passed") and not yes:
            if not click.confirm(t("solution.confirm", exercise=exercise), default=False):
                click.echo(t("solution.not_shown", command=command("hint", exercise, banks=banks)))
                return
        if not (known and known.status == "passed"):
            store.record_event(exercise, "gave_up", utcnow())
        store.record_event(exercise, "solution", utcnow())
    progress.show_solution(code, run_context().color)
