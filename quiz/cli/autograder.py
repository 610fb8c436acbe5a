"""`attnquiz autograder gradescope|classroom`: deploy a course's grading to a platform (logic in quiz.grade)."""

from __future__ import annotations

from pathlib import Path

import click

from quiz.cli.options import lang_option

_bank = click.option("--bank", "banks", multiple=True, metavar="PATH",
                     help="A course bank (file or folder) whose exercises are graded; shipped with its reference files.")
_exercise = click.option("--exercise", "exercises", multiple=True, metavar="NAME",
                         help="Grade only this exercise (repeatable); default: the banks' exercises, else all.")
_timeout = click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
                        help="Seconds one call of the student's code may take (as for `attnquiz check`).")
_file = click.option("--file", "solution_file", default="solution.py", show_default=True, metavar="NAME",
                     help="The file students submit.")
_wheel = click.option("--wheel", type=click.Path(dir_okay=False, path_type=Path), default=None,
                      help="The attnquiz wheel to ship (default: built from this source checkout).")


@click.group()
@lang_option
def autograder() -> None:
    """Write a course's autograder for Gradescope (a zip) or GitHub Classroom (a workflow)."""


@autograder.command()
@_bank
@_exercise
@_timeout
@click.option("--visibility", type=click.Choice(["hidden", "after_due_date", "after_published", "visible"]),
              default="after_due_date", show_default=True,
              help="When students see the tests of the banks' own exercises (built-in ones are always visible).")
@click.option("--isolation", type=click.Choice(["auto", "strict"]), default="auto", show_default=True,
              help="strict: refuse to grade (score 0, with the reason) where the server cannot run bubblewrap's full "
                   "sandbox; auto: grade at the strongest level there (each result's extra_data.isolation says which).")
@_file
@_wheel
@click.option("-o", "--output", "out", required=True, type=click.Path(path_type=Path), help="The zip to write.")
@lang_option
def gradescope(banks: tuple[str, ...], exercises: tuple[str, ...], timeout: float | None, visibility: str,
               isolation: str, solution_file: str, wheel: Path | None, out: Path) -> None:
    """Build the autograder zip a Gradescope programming assignment takes."""
    from quiz.grade.gradescope import build_gradescope_zip
    from quiz.i18n import t

    built = build_gradescope_zip(out, banks=banks, exercises=exercises, timeout=timeout, visibility=visibility,
                                 solution_file=solution_file, wheel=wheel, isolation=isolation)
    click.echo(t("autograde.built_zip", path=built.path, exercises=built.exercises, max_score=f"{built.max_score:g}",
                 hidden=built.hidden, visibility=visibility))
    click.echo(t(f"autograde.built_isolation.{isolation}"))


@autograder.command()
@_bank
@_exercise
@_timeout
@click.option("--min-score", type=click.FloatRange(min=0), default=None, metavar="POINTS",
              help="Points the job needs to pass (default: full marks).")
@_file
@_wheel
@click.option("-o", "--output", "out", type=click.Path(path_type=Path), show_default=True,
              default=Path(".github/workflows/classroom.yml"), help="The workflow file to write.")
@lang_option
def classroom(banks: tuple[str, ...], exercises: tuple[str, ...], timeout: float | None, min_score: float | None,
              solution_file: str, wheel: Path | None, out: Path) -> None:
    """Write the GitHub Classroom workflow that checks each push and reports points."""
    from quiz.grade.classroom import ASSETS, write_classroom_workflow
    from quiz.i18n import t

    written = write_classroom_workflow(out, banks=banks, exercises=exercises, timeout=timeout, min_score=min_score,
                                       solution_file=solution_file, wheel=wheel)
    click.echo(t("autograde.built_workflow", path=written.path, assets=ASSETS, min_score=f"{written.min_score:g}",
                 max_score=f"{written.max_score:g}"))
    if banks:
        click.echo(t("autograde.bank_visible"))
