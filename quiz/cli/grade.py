"""The grade command: check a whole class's submissions (the logic is in quiz.grade)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from quiz.check import ISOLATION, ISOLATION_CHOICES
from quiz.cli import complete
from quiz.cli.options import existing_banks, lang_option


@click.command()
@click.argument("submissions", type=click.Path(path_type=Path))
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Folder for gradebook.csv, feedback/NAME.md, results.csv, totals.csv, results.json "
                   "(created; re-running resumes).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Submissions checked at once (default: the number of cores).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
              help="Per-exercise time limit, as for `attnquiz check`.")
@click.option("--submission-timeout", type=click.FloatRange(min=0, min_open=True), default=600.0,
              show_default=True, metavar="SECONDS", help="Wall-clock limit for one whole submission.")
@click.option("--exercise", "exercises", multiple=True, metavar="NAME", shell_complete=complete.exercises,
              help="Check only this exercise (repeatable).")
@click.option("--bank", "banks", multiple=True, metavar="PATH", type=click.Path(),
              callback=existing_banks, help="Bank defining extra exercises (repeatable).")
@click.option("--seed", type=int, default=None, help="Same random inputs for every student.")
@click.option("--file", "filename", default="solution.py", show_default=True, metavar="NAME",
              help="The file to check inside a student's folder.")
@click.option("--isolation", type=click.Choice(ISOLATION_CHOICES), default=ISOLATION,
              show_default=True, help="Sandbox boundary for every check; strict refuses to grade without bubblewrap.")
@click.option("--similarity", is_flag=True,
              help="Also compare the submissions (similarity.csv, similarity.html; needs attnquiz[similarity]).")
@lang_option
def grade(submissions: Path, out: Path, jobs: int | None, timeout: float | None, submission_timeout: float,
          exercises: tuple[str, ...], banks: tuple[str, ...], seed: int | None, filename: str,
          isolation: str, similarity: bool) -> None:
    """Check a folder of submissions (one NAME.py or NAME/ per student) and write the grades to CSV and JSON.

    A submission is a NAME.py file, or a NAME/ folder holding the --file (solution.py) or a single
    .py file, with any helper modules it imports. Other entries (notes.txt, README.md, .DS_Store,
    hidden files) are not students: they are listed as ignored and do not change the exit status.
    Exit status: 0 when every submission got a grade (a file that cannot be loaded scores 0), 1
    when some could not be graded (a bad submission or a checker error), 2 for a usage error.
    """
    from quiz.grade import grade_class
    from quiz.grade.records import Settings
    from quiz.grade.summary import render_summary
    from quiz.i18n import t

    settings = Settings(exercises=exercises, timeout=timeout, seed=seed, banks=banks,
                        submission_timeout=submission_timeout, isolation=isolation)
    display = _Display()
    try:
        run = grade_class(submissions, out, settings, jobs=jobs, filename=filename,
                          on_start=display.start, on_record=display.record, similarity=similarity,
                          on_warning=display.warn)
    finally:
        display.close()
    if run.untrusted:
        click.echo(t("grade.untrusted", count=run.untrusted), err=True)
    click.echo(t("grade.summary_run", graded=run.graded, resumed=run.resumed))
    if run.interrupted and len(run.records) < run.total:  # the figures below are of part of the class
        click.echo(t("grade.interrupted_partial", done=len(run.records), total=run.total,
                     left=run.total - len(run.records)), err=True)
    click.echo(render_summary(run.summary, out, run.ignored), nl=False)
    weak = sorted({record.isolation for record in run.records if record.isolation not in ("", "strict")})
    if weak:  # the instructor-facing warning: these grades were computed below the full boundary
        click.echo(t("grade.isolation_warning", levels=", ".join(weak)), err=True)
    if run.closest is not None:
        click.echo(t("similarity.summary", a=run.closest.student_a, b=run.closest.student_b,
                     percent=f"{100 * run.closest.similarity:.0f}", path=out / "similarity.html"))
    if run.interrupted:
        raise KeyboardInterrupt  # the results so far are written and summarised; the root command ends the run
    raise SystemExit(run.exit_status)


class _Display:
    """A progress bar on a terminal; one line per submission otherwise (logs, CI)."""

    def __init__(self) -> None:
        self.total = 0
        self.done = 0
        self.progress: Any = None
        self.task: Any = None

    def start(self, total: int) -> None:
        self.total = total
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            from quiz.i18n import t

            self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                     TimeElapsedColumn(), TextColumn("{task.fields[student]}"),
                                     console=Console(stderr=True), transient=True)
            self.task = self.progress.add_task(t("grade.progress"), total=total, student="")
            self.progress.start()

    def record(self, record: Any, resumed: bool) -> None:
        from quiz.i18n import t

        self.done += 1
        if record.status == "rejected":
            self._print(t("grade.rejected", source=record.source, problem=record.message))
        elif self.progress is None:
            if record.status == "checked":
                result = t("grade.line_score", score=record.score, max_score=record.max_score)
            else:
                result = t("grade.line_status", status=t(f"grade.status.{record.status}"), message=record.message)
            if resumed:
                result = t("grade.line_resumed", result=result)
            self._print(t("grade.line", done=self.done, total=self.total, student=record.student, result=result))
        if self.progress is not None:
            self.progress.update(self.task, advance=1, student=record.student)

    def warn(self, line: str) -> None:
        self._print(line)

    def _print(self, line: str) -> None:
        if self.progress is not None:
            self.progress.console.print(line, markup=False, highlight=False)
        else:
            click.echo(line, err=True)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None
