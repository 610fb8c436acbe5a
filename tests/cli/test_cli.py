"""The command line as a whole: help, lazy imports, list and schema."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import click
import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from quiz.cli import COMMANDS, cli
from quiz.errors import ExitStatus
from tests.conftest import REPO, subprocess_env

FIXTURE_BANK = REPO / "tests" / "fixtures" / "quiz" / "basics.yaml"
GALLERY = REPO / "tests" / "banks_gallery"


@pytest.mark.parametrize("name", sorted(COMMANDS), ids=sorted(COMMANDS))
def test_every_command_has_help_and_is_in_readme(name: str) -> None:
    command = cli.get_command(None, name)  # type: ignore[arg-type]
    assert command is not None and command.help and command.help.strip().splitlines()[0].endswith(".")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"`attnquiz {name}\b", readme), f"README does not mention `attnquiz {name}`"
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0 and "Usage: " in result.output


def test_the_root_help_lists_every_command_with_its_own_help_without_importing_it() -> None:
    from quiz.cli import SHORT_HELP

    assert list(SHORT_HELP) == list(COMMANDS)
    for name in COMMANDS:
        command = cli.get_command(None, name)  # type: ignore[arg-type]
        assert command is not None
        assert command.get_short_help_str(200) == click.Command(name, help=SHORT_HELP[name]).get_short_help_str(200)
    code = ("import sys; from quiz.cli import cli\n"
            "try: cli(['--help'], prog_name='attnquiz')\n"
            "except SystemExit: pass\n"
            "print('LOADED=' + ','.join(sorted(m for m in sys.modules if m.startswith('quiz.cli.'))))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=subprocess_env(),
                         check=True).stdout.splitlines()
    assert out[-1] == "LOADED=quiz.cli.options"
    for name in COMMANDS:
        assert any(line.split()[:1] == [name] for line in out), name


@pytest.mark.parametrize("argv", [["--help"], ["list"]], ids=["help", "list"])
def test_light_commands_import_neither_numpy_nor_questionary(argv: list[str]) -> None:
    code = (
        "import sys; from quiz.cli import cli\n"
        f"try: cli({argv!r}, prog_name='attnquiz')\n"
        "except SystemExit: pass\n"
        "heavy = sorted(m for m in ('numpy', 'questionary', 'prompt_toolkit') if m in sys.modules)\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=subprocess_env(),
                         check=True).stdout
    assert out.strip().splitlines()[-1] == "HEAVY="


def test_python_dash_m_quiz_runs() -> None:
    result = subprocess.run([sys.executable, "-m", "quiz", "--version"], capture_output=True, text=True,
                            env=subprocess_env(), check=True)
    assert result.stdout.strip() == "attnquiz, version 0.1.0"


LISTED_FIXTURE = """\
Banks (--bank PATH adds your own):
  [fixture-basics]  Fixture basics  7

Topics (attnquiz start --topic ID):
topic id   name       questions
attention  Attention          5
kvcache    KV cache           2

Tags (attnquiz start --tag ID), with how many questions carry each:
  code 1   pty 3   scaling 1

1 bank, 7 questions: single choice 1, multiple choice 1, true or false 1, short answer 1, numeric
answer 1, open question 1, code exercise 1
`attnquiz list --questions` lists every question id (what --question takes).
"""


def test_list_shows_topic_ids_tags_and_how_many_questions_each_has() -> None:
    result = CliRunner().invoke(cli, ["list", "--no-builtin", "--bank", str(FIXTURE_BANK)], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    assert result.output == LISTED_FIXTURE


def test_list_questions_gives_the_ids_start_takes() -> None:
    result = CliRunner().invoke(cli, ["list", "--no-builtin", "--bank", str(FIXTURE_BANK), "--questions"])
    lines = result.output.splitlines()
    kv = lines.index("kvcache · KV cache")
    assert [line.split() for line in lines[kv + 1:kv + 4]] == [
        ["question", "id", "type", "difficulty", "bank", "tags"],
        ["fx-shrink", "multiple", "2", "fixture-basics"], ["fx-bytes", "numeric", "2", "fixture-basics"]]
    data = json.loads(CliRunner().invoke(cli, ["list", "--no-builtin", "--bank", str(FIXTURE_BANK),
                                               "--format", "json"]).output)
    assert [(topic["id"], topic["questions"], topic["question_ids"]) for topic in data["topics"]] == [
        ("attention", 5, ["fx-scale", "fx-rows", "fx-complexity", "fx-mask", "fx-softmax-code"]),
        ("kvcache", 2, ["fx-shrink", "fx-bytes"])]
    assert data["tags"] == {"code": 1, "pty": 3, "scaling": 1}
    every = [question["id"] for question in data["questions"]]
    started = CliRunner().invoke(cli, ["start", "--no-builtin", "--bank", str(FIXTURE_BANK), "--question", every[-1],
                                       "--question", every[0]], input="")
    assert "Question 1/2 · KV cache" in started.output  # the ids are what --question takes, asked as given


def test_list_with_the_builtin_banks_names_every_topic_id_the_quiz_accepts() -> None:
    from quiz.bank.loader import load_catalog
    from quiz.check.catalog import exercise_names
    from quiz.practice.session import available_topics

    result = CliRunner().invoke(cli, ["list", "--format", "json"])
    listed = [topic["id"] for topic in json.loads(result.output)["topics"]]
    assert listed == available_topics(load_catalog(known_exercises=exercise_names()).questions())
    text = CliRunner().invoke(cli, ["list"]).output
    assert all(any(line.startswith(f"{topic} ") for line in text.splitlines()) for topic in listed)


def test_list_reports_a_broken_extra_bank_and_fails() -> None:
    result = CliRunner().invoke(cli, ["list", "--bank", str(GALLERY / "unknown_key.yaml")])
    assert result.exit_code == 1
    assert "unknown key 'promt'; did you mean 'prompt'?" in result.output


def test_list_in_chinese() -> None:
    result = CliRunner().invoke(cli, ["list", "--bank", str(GALLERY / "valid_minimal.yaml")],
                                env={"ATTNQUIZ_LANG": "zh", "COLUMNS": "160"})
    lines = result.output.splitlines()
    assert any(line.split() == ["[gallery-valid]", "合法题库", "1"] for line in lines), result.output
    assert "主题（attnquiz start --topic ID）：" in lines
    assert lines[-2].startswith("共 12 个题库，") and "判断题 " in lines[-2], lines[-3:]


def test_schema_is_json_schema_that_accepts_valid_banks_and_rejects_typos() -> None:
    result = CliRunner().invoke(cli, ["schema"])
    schema = json.loads(result.output)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    bank = yaml.safe_load((GALLERY / "valid_minimal.yaml").read_text(encoding="utf-8"))
    assert list(validator.iter_errors(bank)) == []
    bank["questions"][0]["promt"] = bank["questions"][0].pop("prompt")
    assert list(validator.iter_errors(bank)) != []


def test_builtin_banks_validate_against_the_schema() -> None:
    validator = jsonschema.Draft202012Validator(json.loads(CliRunner().invoke(cli, ["schema"]).output))
    for path in sorted((REPO / "questions").glob("*.yaml")):
        bank = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert [e.message for e in validator.iter_errors(bank)] == [], path.name


def test_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["strat"])
    assert result.exit_code == 2 and "No such command 'strat'" in result.output


def _interrupt(*_args: object, **_kwargs: object) -> None:
    raise KeyboardInterrupt


# command line -> the function it calls first that does real work (patched to be "interrupted" there)
INTERRUPTED_AT = {
    "start": (["start", "--plain"], "quiz.bank.loader", "load_catalog"),
    "review": (["review", "--plain"], "quiz.bank.loader", "load_catalog"),
    "stats": (["stats"], "quiz.bank.index", "load_index"),
    "check": (["check", "solution.py"], "quiz.check.runner", "run_check"),
    "new": (["new", "-o", "-"], "quiz.check.starter", "starter_text"),
    "grade": (["grade", "class", "--out", "out"], "quiz.grade", "grade_class"),
    "list": (["list"], "quiz.bank.loader", "load_catalog"),
    "validate": (["validate", "questions"], "quiz.bank.loader", "load_paths"),
    "schema": (["schema"], "quiz.bank.models", "json_schema"),
}


@pytest.mark.parametrize("name", sorted(INTERRUPTED_AT), ids=sorted(INTERRUPTED_AT))
def test_ctrl_c_ends_every_command_with_interrupted_and_130(name: str, monkeypatch: pytest.MonkeyPatch,
                                                             tmp_path: Path) -> None:
    import importlib

    argv, module, function = INTERRUPTED_AT[name]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "class").mkdir()
    monkeypatch.setattr(importlib.import_module(module), function, _interrupt)
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == ExitStatus.INTERRUPTED == 130, result.output
    assert result.stderr.strip().splitlines()[-1] == "Interrupted."
    assert "Aborted!" not in result.output and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_end_of_input_at_a_question_is_an_interrupt_too(tmp_path: Path) -> None:
    from quiz.paths import data_path

    data_path("database").parent.mkdir(parents=True, exist_ok=True)
    data_path("database").write_bytes(b"")
    result = CliRunner().invoke(cli, ["reset"], input="")  # reset asks first; the input ends at once
    assert result.exit_code == 130 and result.stderr.strip().splitlines()[-1] == "Interrupted."
    assert data_path("database").exists()  # nothing deleted


def test_every_command_takes_lang_and_the_language_reaches_its_messages(tmp_path: Path) -> None:
    runner = CliRunner()
    for name in sorted(COMMANDS):
        assert runner.invoke(cli, [name, "--lang", "zh", "--help"]).exit_code == 0, name
    listed = runner.invoke(cli, ["list", "--lang", "zh", "--bank", str(GALLERY / "valid_minimal.yaml")])
    assert ["[gallery-valid]", "合法题库", "1"] in [line.split() for line in listed.output.splitlines()]
    validated = runner.invoke(cli, ["validate", "--lang", "zh", str(GALLERY / "no_questions.yaml")])
    assert validated.exit_code == 1 and "题库中没有题目" in validated.output
    graded = runner.invoke(cli, ["grade", "--lang", "zh", str(tmp_path / "missing"), "--out", str(tmp_path / "o")])
    assert graded.exit_code == 2 and graded.stderr.startswith("错误")
    rooted = runner.invoke(cli, ["--lang", "zh", "validate", str(GALLERY / "no_questions.yaml")])
    assert "题库中没有题目" in rooted.output
    # a command's own --lang wins over the root's, and neither outlives the run
    both = runner.invoke(cli, ["--lang", "zh", "validate", "--lang", "en", str(GALLERY / "no_questions.yaml")])
    assert "the bank has no questions" in both.output
    after = runner.invoke(cli, ["validate", str(GALLERY / "no_questions.yaml")])
    assert "the bank has no questions" in after.output
