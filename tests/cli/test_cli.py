"""The command line as a whole: help, lazy imports, list and schema."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from quiz.cli import COMMANDS, cli
from tests.conftest import REPO, subprocess_env

GALLERY = REPO / "tests" / "banks_gallery"


@pytest.mark.parametrize("name", sorted(COMMANDS), ids=sorted(COMMANDS))
def test_every_command_has_help_and_is_in_readme(name: str) -> None:
    command = cli.get_command(None, name)  # type: ignore[arg-type]
    if command is None:
        pytest.skip(f"{name} is not implemented in this checkout")
    assert command.help and command.help.strip().splitlines()[0].endswith(".")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"`attnquiz {name}\b", readme), f"README does not mention `attnquiz {name}`"
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0 and "Usage: " in result.output


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


def test_list_shows_banks_topics_and_type_counts() -> None:
    result = CliRunner().invoke(cli, ["list", "--bank", str(GALLERY / "valid_minimal.yaml")])
    assert result.exit_code == 0, result.output
    assert "A valid bank  [gallery-valid]" in result.output
    header = next(line for line in result.output.splitlines() if line.startswith("topic"))
    assert header.split() == ["topic", "single", "multiple", "truefalse", "short", "numeric", "open", "code",
                              "total"]
    row = next(line for line in result.output.splitlines() if line.startswith("basics"))
    assert row.split() == ["basics", "1", "1"]


def test_list_reports_a_broken_extra_bank_and_fails() -> None:
    result = CliRunner().invoke(cli, ["list", "--bank", str(GALLERY / "unknown_key.yaml")])
    assert result.exit_code == 1
    assert "unknown key 'promt'; did you mean 'prompt'?" in result.output


def test_list_in_chinese() -> None:
    result = CliRunner().invoke(cli, ["list", "--bank", str(GALLERY / "valid_minimal.yaml")],
                                env={"ATTNQUIZ_LANG": "zh"})
    assert "合法题库  [gallery-valid]" in result.output
    assert result.output.splitlines()[-1].startswith("共 ")


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
