"""Quiz commands: start, review, stats, reset.

The commands only wire the quiz flow together: banks (quiz.bank.loader) → session plan and
run (quiz.practice.session) → prompts (quiz.practice.prompts) → store (quiz.practice.store) → summary
(quiz.practice.summary). Heavy modules are imported inside the functions.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import click

from quiz.cli import complete
from quiz.cli.options import bank_index, bank_option, lang_option, run_context, settings
from quiz.errors import AttnquizError, ExitStatus

if TYPE_CHECKING:
    from quiz.bank import models
    from quiz.practice.store import Store

DEFAULT_COUNT = 10
PLAIN_MODE_HELP = """
\b
Plain mode (--plain, or when standard input or output is not a terminal) asks
numbered plain-text questions and reads answers line by line, for scripts and
screen readers:
  single choice      a number, such as 2
  multiple choice    numbers separated by commas, such as 1,3 (empty: none)
  true or false      y or n
  short, numeric     one line (numeric: a number or expression such as 2*32*128)
  open               several lines, ended by an empty line or a single '.'
  self-rating        1 again, 2 hard, 3 good, 4 easy
  a hint             ? instead of an answer, when the question has one (rated Hard at best)
End of input, like Ctrl-C, ends the quiz with the summary (exit status 130).
Setting NO_COLOR turns colours off.
"""


@dataclass(frozen=True)
class QuizOptions:
    mode: str = "practice"
    topics: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    difficulties: tuple[int, ...] = ()
    questions: tuple[str, ...] = ()
    count: int | None = None
    banks: tuple[str, ...] = ()
    builtin: bool = True
    seed: int | None = None
    plain: bool = False
    time_limit: float | None = None
    relearn: bool = True
    pause: bool | None = None  # None: the settings decide (ATTNQUIZ_PAUSE, the settings file, else pause)


def _common_options(command):  # noqa: ANN001, ANN202 - a click decorator
    options = [
        click.option("--topic", "topics", multiple=True, metavar="ID", shell_complete=complete.topics,
                     help="Only this topic (repeatable)."),
        click.option("--tag", "tags", multiple=True, metavar="ID", shell_complete=complete.tags,
                     help="Only questions with this tag (repeatable)."),
        click.option("--question", "questions", multiple=True, metavar="ID", shell_complete=complete.questions,
                     help="Only this question (repeatable), asked in the order given: a fixed selection for scripts."),
        click.option("--difficulty", "difficulties", multiple=True, type=click.IntRange(1, 3),
                     help="Only this difficulty, 1 to 3 (repeatable)."),
        click.option("-n", "--count", type=click.IntRange(min=1),
                     help=f"Number of questions (default {DEFAULT_COUNT}; review: everything due)."),
        lang_option,
        bank_option,
        click.option("--builtin/--no-builtin", default=True,
                     help="Include the built-in banks (default) or use only --bank and ATTNQUIZ_BANKS."),
        click.option("--seed", type=int, help="Make the question order and choice shuffling reproducible."),
        click.option("--plain", is_flag=True, help="Numbered plain-text prompts (see below)."),
        click.option("--relearn/--no-relearn", default=True,
                     help="Ask a question answered wrongly again later in the session (default)."),
        click.option("--pause/--no-pause", default=None,
                     help="Wait for Enter after the feedback before the next question (default, or the `pause` "
                          "setting; not in plain mode)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.command(epilog=PLAIN_MODE_HELP)
@click.option("--mode", type=click.Choice(["practice", "exam", "review"]), default="practice", show_default=True,
              help="practice: feedback after each answer; exam: feedback at the end; review: only what is due.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), metavar="MINUTES",
              help="Exam time limit in minutes.")
@_common_options
def start(**options: object) -> None:
    """Start the interactive quiz (practice, exam or review)."""
    raise SystemExit(run_quiz(QuizOptions(**options)))  # type: ignore[arg-type]


@click.command(epilog=PLAIN_MODE_HELP)
@_common_options
def review(**options: object) -> None:
    """Review the questions that are due (short for `attnquiz start --mode review`)."""
    raise SystemExit(run_quiz(QuizOptions(mode="review", **options)))  # type: ignore[arg-type]


def run_quiz(options: QuizOptions) -> ExitStatus:
    """Plan, ask, save and summarise one session; the exit status (130 when interrupted)."""
    from quiz.practice import code, feedback, prompts, render, session, summary
    from quiz.bank.roots import extra_bank_paths
    from quiz.i18n import t
    from quiz.practice.scheduler import Scheduler, utcnow

    loaded = settings(plain=options.plain or None, pause=options.pause)
    lang = loaded.lang
    if options.time_limit is not None and options.mode != "exam":
        raise AttnquizError(t("start.time_limit_mode"))
    questions = _load_questions(options.banks, options.builtin)
    filters = session.Filters(frozenset(options.topics), frozenset(options.tags), frozenset(options.difficulties),
                              options.questions)
    plain = loaded.settings.plain or not prompts.is_interactive()
    scheduler = Scheduler.from_settings(loaded.settings)
    console = render.make_console(plain)
    count = options.count or (None if options.mode == "review" else DEFAULT_COUNT)
    with open_store() as store:
        history = store.history()
        new_limit = (_new_left(store, loaded.settings.new_per_day, {bank.id for bank, _ in questions})
                     if options.mode == "practice" else None)
        items = session.plan(questions, history, filters, options.mode, count, options.seed, utcnow(),  # type: ignore[arg-type]
                             new_limit=new_limit)
        wanted = len(session.plan(questions, history, filters, options.mode, count, options.seed,  # type: ignore[arg-type]
                                  utcnow())) if new_limit is not None else len(items)
        if new_limit == 0 and wanted > len(items):
            render.line(console, t("start.new_limit", limit=loaded.settings.new_per_day))
        elif items and wanted > len(items):  # the day's allowance cut the session short: say so first
            render.line(console, t("start.new_limit_cut", planned=len(items), wanted=wanted, left=new_limit,
                                   limit=loaded.settings.new_per_day), "yellow")
        if not items:
            next_due = session.next_due(questions, history, filters)  # of these questions, not of every bank's
            render.line(console, t("session.nothing_due", next=summary.next_review_line(next_due, utcnow())))
            return ExitStatus.OK
        mode_name = t(f"mode.{options.mode}")  # mode.practice, mode.exam, mode.review
        details = t("quiz.banner_minutes", minutes=render.number(options.time_limit)) if options.time_limit else ""
        details += t("quiz.banner_exam") if options.mode == "exam" else ""
        render.line(console, t("quiz.banner", mode=mode_name, count=len(items), details=details), "bold")
        session_id = store.start_session(options.mode, lang, utcnow())
        ui = prompts.make_ui(plain, console, lang, code.CodeCheck(banks=tuple(extra_bank_paths(options.banks)), store=store),
                             pause=loaded.settings.pause, exam=options.mode == "exam")
        outcome = session.run(items, options.mode, ui, lambda r: store.record(r, options.mode, session_id),  # type: ignore[arg-type]
                              history, lang=lang, time_limit=options.time_limit * 60 if options.time_limit else None,
                              relearn=options.relearn, schedule=scheduler.review)
        store.end_session(session_id, utcnow(), outcome.interrupted)
        result = summary.summarize(outcome, store.next_due(), lang)
    summary.render_summary(console, result, utcnow(), plain)
    if options.mode == "exam" and not outcome.interrupted:
        feedback.walkthrough(console, outcome.mistakes, lang, plain)
    return ExitStatus.INTERRUPTED if outcome.interrupted else ExitStatus.OK


def _new_left(store: Store, per_day: int, banks: set[str]) -> int:
    """How many new questions today's allowance still has for the session's `banks` (days are local calendar
    days): the allowance counts the new questions of the banks a session draws from, so a bank of one's own,
    tried alone (--no-builtin), is not held back by the built-in questions met today."""
    from datetime import datetime

    midnight = datetime.now().astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
    return max(0, per_day - store.new_since(midnight, banks))


def _load_questions(banks: tuple[str, ...], builtin: bool) -> list[tuple[models.Bank, models.AnyQuestion]]:
    from quiz.bank.loader import load_catalog
    from quiz.check.catalog import exercise_names
    from quiz.i18n import t

    catalog = load_catalog(banks, known_exercises=exercise_names(), include_builtin=builtin)
    for problem in catalog.errors:
        click.echo(str(problem), err=True)
    broken = len({problem.path for problem in catalog.errors})
    if not catalog.banks:  # (not "add one with --bank" to someone who just did, and every one was broken)
        raise AttnquizError(t("start.all_banks_broken", count=broken) if broken else t("start.no_banks"))
    if broken:
        click.echo(t("start.banks_skipped", count=broken), err=True)
    return catalog.questions()


def open_store() -> Store:
    """The progress database, opened (and migrated); a note on stderr if a damaged one was moved aside."""
    import sqlite3

    from quiz.i18n import t
    from quiz.paths import data_path
    from quiz.practice.store import Store

    path = data_path("database")
    try:
        store = Store(path)
    except (OSError, sqlite3.Error) as exc:
        raise AttnquizError(t("store.cannot_open", path=path, reason=getattr(exc, "strerror", None) or exc)) from None
    if store.moved_aside:
        key = "store.moved_newer" if store.problem == "newer" else "store.moved_corrupt"
        click.echo(t(key, path=store.path, moved=store.moved_aside), err=True)
    return store


@click.command()
@lang_option
@bank_option
@click.option("--builtin/--no-builtin", default=True, help="Include the built-in banks (for topic names).")
@click.option("--plain", is_flag=True, default=None,
              help="Text only: tables and figures as lines, no charts (also when output is not a terminal).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="Tables and charts, or every figure as JSON for scripts.")
@click.option("--questions", "every_question", is_flag=True,
              help="List every reviewed question with its chance of recall now (not only the five lowest).")
def stats(banks: tuple[str, ...], builtin: bool, plain: bool | None, fmt: str,
          every_question: bool) -> None:
    """Show your progress per topic, streak, weakest questions, recall now, a review heatmap and what is due."""
    from quiz.practice import exercises as exercise_progress
    from quiz.practice import progress
    from quiz.practice.scheduler import Scheduler, utcnow

    loaded = settings(banks=banks, plain=plain)
    language = loaded.lang
    index = bank_index(banks, include_builtin=builtin)  # cached: no YAML, no models while the banks are unchanged
    names, prompts = index.topic_names(language), index.prompts(language)
    now = utcnow()
    scheduler = Scheduler.from_settings(loaded.settings)
    with open_store() as store:
        per_day = store.answers_per_day()
        result = store.stats(now, answers_per_day=per_day)
        cards = store.topic_cards()
        figures = progress.figures(per_day, cards, scheduler.retrievability, now)
        known_exercises = store.exercise_progress()
    exercise_order = list(index.exercises)
    new: dict[str, int] = {}
    for bank in index.banks:  # the loaded banks' questions never answered: no card yet
        for question in bank.questions:
            if (bank.id, question.id) not in cards:
                new[question.topic] = new.get(question.topic, 0) + 1
    name_of = lambda topic: names.get(topic, topic)  # noqa: E731
    if fmt == "json":
        import json

        data = progress.to_json(result, figures, name_of, loaded.settings.desired_retention)
        data["new"] = dict(sorted(new.items()))  # per topic, the loaded banks' questions never answered
        data["exercises"] = exercise_progress.to_json(exercise_order, known_exercises)
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    from quiz.practice import charts, render, summary

    text_only = loaded.settings.plain or not sys.stdout.isatty()
    console = render.make_console(plain=text_only)
    prompt_of = lambda bank_id, question_id: prompts.get((bank_id, question_id))  # noqa: E731
    summary.render_stats(console, result, now, text_only, name_of, prompt_of, new)
    if result.topics:
        charts.render(console, result, figures, loaded.settings.desired_retention, text_only, name_of, prompt_of,
                      every_question)
    exercise_progress.render_summary(console, exercise_progress.tally(exercise_order, known_exercises))


@click.command()
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--restore", is_flag=False, flag_value="", default=None, metavar="[BACKUP]",
              help="Put back a backup that reset kept (a file, or its name in the backups folder; "
                   "with several and none named, lists them). Your current progress is backed up first.")
@lang_option
def reset(yes: bool, restore: str | None) -> None:
    """Delete your progress, keeping a backup (asks first unless --yes); --restore puts a backup back."""
    from quiz.practice import store
    from quiz.i18n import t
    from quiz.paths import data_path
    from quiz.practice.scheduler import utcnow

    path = data_path("database")
    if restore is not None:
        restore_backup(restore, yes)
        return
    if not path.exists():
        click.echo(t("reset.nothing", path=path))
        return
    if not yes and not click.confirm(t("reset.confirm", path=path), default=False):  # Ctrl-C: nothing deleted
        click.echo(t("reset.cancelled"))
        return
    backup = store.reset(path, data_path("backups"), utcnow())
    click.echo(t("reset.done", backup=backup))
    click.echo(t("reset.undo"))


def restore_backup(name: str, yes: bool) -> None:
    """`reset --restore [BACKUP]`: the chosen backup (the only one, or the one named) becomes the progress
    database, after the current database is itself backed up; several and none named: they are listed."""
    import sqlite3
    from pathlib import Path

    from quiz.i18n import t
    from quiz.paths import data_path
    from quiz.practice import store
    from quiz.practice.scheduler import utcnow

    folder, path = data_path("backups"), data_path("database")
    kept = store.backups(folder)
    if name:
        named = Path(name).expanduser()
        chosen = named if named.is_file() else folder / name
        if not chosen.is_file():
            raise AttnquizError(t("restore.unknown", name=name, folder=folder,
                                  known=", ".join(b.path.name for b in kept) or "-"))
    elif not kept:
        raise AttnquizError(t("restore.none", folder=folder))
    elif len(kept) > 1:
        click.echo(t("restore.several", count=len(kept), folder=folder))
        for number, found in enumerate(kept, 1):
            answers = t("restore.answers", count=found.answers) if found.answers is not None else t("restore.damaged")
            click.echo(f"  {number}) {found.path.name}  {when_written(found.written)}  {answers}"
                       + (t("restore.last", when=when_written(found.last_answer)) if found.last_answer else ""))
        click.echo(t("restore.name_one", example=kept[0].path.name))
        raise SystemExit(ExitStatus.USAGE)
    else:
        chosen = kept[0].path
    if not yes and not click.confirm(t("restore.confirm", backup=chosen, path=path), default=False):
        click.echo(t("restore.cancelled"))
        return
    try:
        current = store.restore(chosen, path, folder, utcnow())
    except store.StoreProblem as problem:
        raise AttnquizError(t(f"restore.refused_{problem.reason}", backup=chosen)) from None
    except (OSError, sqlite3.Error) as exc:
        raise AttnquizError(t("restore.failed", backup=chosen, reason=getattr(exc, "strerror", None) or exc)) from None
    click.echo(t("restore.done", backup=chosen))
    if current is not None:
        click.echo(t("restore.kept_current", backup=current))


def when_written(moment: datetime) -> str:
    """A moment as local date and time, to the minute."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")
