"""Commands about question banks: list, validate, schema, keypoints."""

from __future__ import annotations

import click

from quiz.cli.options import bank_option, lang_option
from quiz.errors import ExitStatus


@click.command("list")
@click.option("--questions", is_flag=True, help="Also list every question id (what --question takes), by topic.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people, json for scripts.")
@click.option("--builtin/--no-builtin", default=True, help="Include the built-in banks (default) or only --bank.")
@bank_option
@lang_option
def list_banks(questions: bool, output_format: str, builtin: bool, banks: tuple[str, ...]) -> None:
    """List the banks, the topic ids and tags the quiz takes, and how many questions each has."""
    import json

    from quiz.bank.listing import listing, render_listing, to_json
    from quiz.bank.loader import load_catalog
    from quiz.check.catalog import exercise_names
    from quiz.cli.options import run_context

    catalog = load_catalog(banks, known_exercises=exercise_names(), include_builtin=builtin)
    for problem in catalog.errors:
        click.echo(str(problem), err=True)
    run = run_context()
    result = listing(catalog, run.lang)
    if output_format == "json":
        click.echo(json.dumps(to_json(result), ensure_ascii=False, indent=2))
    else:
        click.echo(render_listing(result, run.width, questions), nl=False)
    if catalog.errors:
        raise SystemExit(ExitStatus.FAILURE)


@click.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--strict", is_flag=True, help="Also fail on warnings, such as a missing translation.")
@lang_option
def validate(paths: tuple[str, ...], strict: bool) -> None:
    """Check bank files or folders and report every problem as path:line:col: message."""
    from quiz.bank.loader import load_paths
    from quiz.check.catalog import exercise_names
    from quiz.i18n import t

    catalog = load_paths(paths, known_exercises=exercise_names(), authoring=True)
    for problem in catalog.problems:
        click.echo(str(problem))
    failed = bool(catalog.errors) or (strict and bool(catalog.warnings))
    click.echo(t("validate.summary", files=catalog.files, errors=len(catalog.errors),
                 warnings=len(catalog.warnings)))
    if any(problem.unreadable for problem in catalog.problems):  # a missing or unreadable path: usage
        raise SystemExit(ExitStatus.USAGE)
    raise SystemExit(ExitStatus.FAILURE if failed else ExitStatus.OK)


@click.command()
@lang_option
def schema() -> None:
    """Print the JSON Schema of the bank format, for editors' YAML completion."""
    from quiz.bank.models import json_schema

    click.echo(json_schema())


@click.command()
@click.argument("question_id", metavar="QUESTION_ID")
@click.argument("answer", type=click.File("r", encoding="utf-8"), default="-", metavar="[FILE|-]")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              help="Text for people, JSON for scripts.")
@bank_option
@lang_option
def keypoints(question_id: str, answer: click.utils.LazyFile, output_format: str, banks: tuple[str, ...]) -> None:
    """Mark an answer (a file, or standard input) against an open question's key points and say why."""
    import difflib

    from quiz.bank.loader import load_catalog
    from quiz.check.catalog import exercise_names
    from quiz.cli.options import run_context
    from quiz.errors import AttnquizError
    from quiz.i18n import t
    from quiz.practice.keypoints import key_point_report

    questions = {q.id: q for _, q in load_catalog(banks, known_exercises=exercise_names()).questions()}
    question = questions.get(question_id)
    if question is None:
        close = difflib.get_close_matches(question_id, list(questions), n=1)
        hint = t("bank.did_you_mean", suggestion=close[0]) if close else ""
        raise AttnquizError(t("keypoints.unknown_question", id=question_id, hint=hint))
    if question.type != "open":
        raise AttnquizError(t("keypoints.not_open", id=question_id, type=question.type))
    try:
        text = answer.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise AttnquizError(t("keypoints.unreadable", reason=getattr(exc, "strerror", None) or str(exc))) from None
    if not text.strip():
        raise AttnquizError(t("keypoints.empty"))
    report = key_point_report(question, text, run_context().lang)
    click.echo(report.as_json() if output_format == "json" else report.as_text(), nl=output_format == "json")
