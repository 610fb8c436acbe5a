"""`attnquiz config`, `config set` and `config unset` as a user runs them (a real process)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ATTNQUIZ, subprocess_env


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ATTNQUIZ, *args], capture_output=True, text=True, env=subprocess_env(**env), timeout=60)


def settings_file() -> Path:
    return Path(os.environ["ATTNQUIZ_CONFIG"])


def test_config_shows_each_setting_with_its_source() -> None:
    settings_file().write_text("# mine\nnew_per_day = 5\n", encoding="utf-8")
    shown = run("config", "--format", "json", ATTNQUIZ_MAXIMUM_INTERVAL="60")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert data["path"] == str(settings_file()) and data["exists"] is True
    assert data["settings"]["new_per_day"] == 5 and data["sources"]["new_per_day"] == "file"
    assert data["settings"]["maximum_interval"] == 60
    assert data["sources"]["maximum_interval"] == "env ATTNQUIZ_MAXIMUM_INTERVAL"
    assert data["settings"]["desired_retention"] == 0.9 and data["sources"]["desired_retention"] == "default"
    table = run("config").stdout
    assert f"Settings file: {settings_file()}" in table
    assert any(line.split()[:3] == ["new_per_day", "5", "file"] for line in table.splitlines())
    zh = run("config", "--lang", "zh").stdout
    assert any(line.split()[:3] == ["lang", "zh", "参数"] for line in zh.splitlines())


def test_set_then_show_keeps_comments() -> None:
    settings_file().write_text("# my retention\ndesired_retention = 0.8  # lower\n", encoding="utf-8")
    done = run("config", "set", "desired_retention", "0.92")
    assert done.returncode == 0 and done.stdout.strip() == f"desired_retention = 0.92 (in {settings_file()})"
    assert settings_file().read_text(encoding="utf-8") == "# my retention\ndesired_retention = 0.92  # lower\n"
    assert run("config", "unset", "desired_retention").returncode == 0
    assert "desired_retention" not in settings_file().read_text(encoding="utf-8")


def test_set_warns_when_the_environment_overrides_the_file() -> None:
    done = run("config", "set", "new_per_day", "4", ATTNQUIZ_NEW_PER_DAY="9")
    assert done.returncode == 0
    assert done.stderr.strip() == "Note: env ATTNQUIZ_NEW_PER_DAY overrides the file for new_per_day."


def test_bad_input_is_one_line_with_exit_status_2_and_nothing_written() -> None:
    settings_file().write_text("new_per_day = 5\n", encoding="utf-8")
    typo = run("config", "set", "desired_retenton", "0.8")
    assert (typo.returncode, typo.stderr) == (2, "Error: Unknown setting 'desired_retenton' (did you mean "
                                                 "'desired_retention'?)\n")
    bad = run("config", "set", "maximum_interval", "forever")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "nothing was written" in bad.stderr
    assert settings_file().read_text(encoding="utf-8") == "new_per_day = 5\n"


def test_a_broken_file_stops_every_command_with_path_and_line() -> None:
    settings_file().write_text("lang = 'en'\nnew_per_dya = 5\n", encoding="utf-8")
    for args in (["config"], ["stats"]):
        result = run(*args)
        assert result.returncode == 2, args
        assert result.stderr == (f"Error: {settings_file()}:2: unknown setting 'new_per_dya' (did you mean "
                                 "'new_per_day'?)\n"), args


def test_stats_json_has_the_figures_and_the_settings_retention() -> None:
    from datetime import datetime, timezone

    from quiz.bank.loader import load_catalog
    from quiz.check.catalog import exercise_names
    from quiz.paths import data_path
    from quiz.practice.store import Store
    from tests.practice.simulated import fill

    with Store(data_path("database")) as store:
        fill(store, load_catalog(known_exercises=exercise_names()).questions(), 300, datetime.now(timezone.utc), days=60)
    settings_file().write_text("desired_retention = 0.8\n", encoding="utf-8")
    result = run("stats", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["desired_retention"] == 0.8
    assert sum(t["answers"] for t in data["topics"]) == 300
    assert sum(data["reviews_per_day"]["days"].values()) <= 300 and len(data["forecast"]) == 30
    assert all(0 <= q["retrievability"] <= 1 for q in data["questions"]) and data["questions"]
    recalls = [q["retrievability"] for q in data["questions"]]
    assert recalls == sorted(recalls)
    assert data["predicted_retention"] == round(sum(recalls) / len(recalls), 4) or abs(
        data["predicted_retention"] - sum(recalls) / len(recalls)) < 1e-3
    plain = run("stats", "--questions").stdout
    assert "Predicted recall now:" in plain and "Reviews in the last 26 weeks: " in plain
    assert "█" not in plain  # no charts in text mode
    assert len([line for line in plain.splitlines() if "%" in line and "|" in line]) >= len(data["questions"])


def test_practice_uses_the_new_question_limit_and_the_learning_steps() -> None:
    import sqlite3
    from datetime import datetime, timedelta, timezone

    from click.testing import CliRunner

    from quiz.bank.loader import load_paths
    from quiz.check.catalog import exercise_names
    from quiz.cli import cli
    from quiz.paths import data_path
    from quiz.practice import session
    from quiz.practice.store import Store
    from tests.cli.test_practice import BANK, FIXTURES, _typed
    from tests.practice.simulated import fill

    settings_file().write_text('new_per_day = 1\nlearning_steps = ["2h", "1d"]\n', encoding="utf-8")
    questions = load_paths([FIXTURES / "basics.yaml"], known_exercises=exercise_names()).questions()
    filters = session.Filters(tags=frozenset({"pty"}))
    items = session.plan(questions, {}, filters, "practice", 10, 1, datetime.now(timezone.utc), new_limit=1)
    assert [item.group for item in items] == ["new"]
    first = CliRunner().invoke(cli, ["start", *BANK, "--seed", "1", "--tag", "pty"],
                               input=_typed(items[0], right=False) + "\n")
    assert "Practice · 1 question ·" in first.output, first.output
    assert first.output.splitlines()[0] == ("1 of 3 questions: new questions are limited to 1 a day (the new_per_day "
                                           "setting; 1 left today). For more: `attnquiz config set new_per_day N`, "
                                           "or ATTNQUIZ_NEW_PER_DAY=N for one run.")
    conn = sqlite3.connect(data_path("database"))
    try:
        due, last = conn.execute("SELECT due, last_review FROM cards").fetchone()
    finally:
        conn.close()
    assert datetime.fromisoformat(due) - datetime.fromisoformat(last) == timedelta(hours=2)  # the first step
    again = CliRunner().invoke(cli, ["start", *BANK, "--seed", "1", "--tag", "pty"], input="")
    assert "Today's 1 new question is done (the new_per_day setting, counted over the banks" in again.output
    with Store(data_path("database")) as store:  # yesterday's new questions do not count against today
        fill(store, questions, 3, datetime.now(timezone.utc) - timedelta(days=2), days=1)
    settings_file().write_text("new_per_day = 3\n", encoding="utf-8")
    third = CliRunner().invoke(cli, ["start", *BANK, "--tag", "pty"], input="")
    assert "new_per_day setting" not in third.output


def test_the_file_s_language_reaches_every_command_below_the_environment_and_flags() -> None:
    from tests.conftest import REPO

    broken = str(REPO / "tests" / "banks_gallery" / "no_questions.yaml")
    settings_file().write_text('lang = "zh"\n', encoding="utf-8")
    assert "题库中没有题目" in run("validate", broken).stdout
    assert "the bank has no questions" in run("validate", broken, ATTNQUIZ_LANG="en").stdout
    assert "the bank has no questions" in run("validate", "--lang", "en", broken, ATTNQUIZ_LANG="zh").stdout
    assert run("config", "--format", "json", ATTNQUIZ_LANG="en").stdout.count('"lang": "env ATTNQUIZ_LANG"') == 1


@pytest.mark.parametrize(("file", "env", "flag", "pauses"), [
    (None, None, None, True),
    ("false", None, None, False),
    ("false", "true", None, True),
    ("false", "true", "--no-pause", False),
    ("true", "false", "--pause", True),
], ids=["default", "file", "env-over-file", "flag-over-env", "pause-flag-over-env"])
def test_pause_comes_from_flag_env_file_default_in_a_real_terminal(file: str | None, env: str | None,
                                                                   flag: str | None, pauses: bool) -> None:
    import sys

    import pexpect

    from tests.conftest import REPO

    if file is not None:
        settings_file().write_text(f"pause = {file}\n", encoding="utf-8")
    extra = {"TERM": "xterm-256color", "PROMPT_TOOLKIT_NO_CPR": "1", "NO_COLOR": "1"}
    if env is not None:
        extra["ATTNQUIZ_PAUSE"] = env
    args = ["-m", "quiz", "start", "--no-builtin", "--bank", str(REPO / "tests" / "fixtures" / "loop"),
            "--tag", "relearn", "--seed", "2", *([flag] if flag else [])]
    child = pexpect.spawn(sys.executable, args, env=subprocess_env(**extra), encoding="utf-8", timeout=30,
                          dimensions=(40, 100))
    child.expect("What base does the original sinusoidal encoding use")
    child.expect("Enter\\)")
    child.send("10000\r")
    child.expect("Right")
    seen = child.expect(["Press any key for the next question", "Question 2/2"])
    assert seen == (0 if pauses else 1)
    child.sendcontrol("c")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130


def test_the_day_s_new_question_allowance_counts_the_session_s_banks_so_a_new_bank_can_be_tried(
        tmp_path: Path) -> None:
    """An author at the limit with the built-in (here: fixture) questions tries a bank of their own alone:
    it is asked; the exhausted banks say so with how to lift it, and their next review is their own."""
    from click.testing import CliRunner

    from quiz.cli import cli
    from tests.cli.test_practice import BANK

    settings_file().write_text('new_per_day = 1\nlearning_steps = ["2h"]\n', encoding="utf-8")
    first = CliRunner().invoke(cli, ["start", *BANK, "--question", "fx-rows"], input="y\n")
    assert first.exit_code == 0 and "Score: 1 of 1 right" in first.output, first.output
    mine = tmp_path / "mine.yaml"
    mine.write_text("format_version: 1\nid: authors-bank\ntitle: Mine\nlanguages: [en]\ntopics: {masks: Masks}\nquestions:\n"
                    "  - id: my-rows\n    type: truefalse\n    topic: masks\n    difficulty: 1\n"
                    "    prompt: A causal mask hides the future.\n    answer: true\n    explanation: Position i sees up to i.\n", encoding="utf-8")
    tried = CliRunner().invoke(cli, ["start", "--no-builtin", "--bank", str(mine)], input="y\n")
    assert tried.exit_code == 0, tried.output
    assert "new_per_day" not in tried.output and "Practice · 1 question" in tried.output
    assert "Score: 1 of 1 right" in tried.output
    held = CliRunner().invoke(cli, ["start", *BANK, "--topic", "kvcache", "--lang", "zh"], input="")
    assert held.exit_code == 0, held.output
    assert held.output.splitlines()[0] == (
        "今天的 1 道新题已经做完（new_per_day 设置，按本次所用的题库计算）；明天再来，或用 "
        "`attnquiz config set new_per_day N` 调整，或只对这一次设置 ATTNQUIZ_NEW_PER_DAY=N。")
    # the next review of these questions (none answered yet), not fx-rows' in another topic:
    assert held.output.splitlines()[1] == "现在没有到期要复习的题目。下次复习：暂无安排"
    again = CliRunner().invoke(cli, ["start", *BANK, "--topic", "kvcache"], input="")
    assert again.output.splitlines()[0] == (
        "Today's 1 new question is done (the new_per_day setting, counted over the banks of this session); more "
        "tomorrow, `attnquiz config set new_per_day N`, or ATTNQUIZ_NEW_PER_DAY=N for one run.")
    assert again.output.splitlines()[1] == "Nothing is due for review now. Next review: nothing scheduled yet"
    again_all = CliRunner().invoke(cli, ["start", *BANK, "--question", "fx-rows", "--mode", "review"], input="")
    assert again_all.output.splitlines()[0].startswith("Nothing is due for review now. Next review: in 8 days")
    lifted = CliRunner().invoke(cli, ["start", *BANK, "--topic", "kvcache", "-n", "1"], input="",
                                env={"ATTNQUIZ_NEW_PER_DAY": "5"})
    assert "Practice · 1 question" in lifted.output and "new_per_day" not in lifted.output
