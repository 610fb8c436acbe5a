"""`attnquiz hint`, `attnquiz solution` and the exercise progress `attnquiz check` saves, on a real store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from quiz.cli import cli
from quiz.paths import data_path
from quiz.practice.store import Store
from tests.conftest import REPO

COURSE = REPO / "examples" / "course" / "course.yaml"
SOFTMAX = "import numpy as np\n\ndef softmax(x, axis=-1):\n    e = np.exp(x - x.max(axis=axis, keepdims=True))\n" \
          "    return e / e.sum(axis=axis, keepdims=True)\n"


def _run(*args: str, typed: str | None = None, env: dict[str, str] | None = None):  # noqa: ANN202 - click's Result
    return CliRunner().invoke(cli, list(args), input=typed, env=env)


def _progress() -> dict:
    with Store(data_path("database")) as store:
        return store.exercise_progress()


def test_hints_come_one_level_at_a_time_and_are_remembered() -> None:
    first = _run("hint", "softmax")
    assert first.exit_code == 0 and first.output.startswith("Hint 1 of 3 for softmax:\nexp of a large logit")
    assert "Run `attnquiz hint softmax` again for the next level." in first.output
    assert _run("hint", "softmax").output.startswith("Hint 2 of 3")
    assert _run("hint", "softmax").output.startswith("Hint 3 of 3")
    last = _run("hint", "softmax")
    assert last.output.startswith("Hint 3 of 3") and "again for the next level" not in last.output
    assert " ".join(last.output.split()).endswith(
        "That was the last hint (3 levels in all). Still stuck? `attnquiz solution softmax` shows the worked "
        "solution (before your check passes, that counts as giving up).")
    assert _run("hint", "softmax", "--level", "1").output.startswith("Hint 1 of 3")
    assert _progress()["softmax"].hints_read == 3
    chinese = _run("hint", "causal_mask", "--lang", "zh")
    assert chinese.output.startswith("causal_mask 的提示（第 1/3 级）：\n查询 i 的绝对位置")


def test_hint_without_a_name_is_for_the_exercise_the_last_check_did_not_pass(tmp_path: Path) -> None:
    fresh = _run("hint")
    assert fresh.exit_code == 0, fresh.output
    assert fresh.output.startswith("softmax: the next exercise to do (name another: `attnquiz hint EXERCISE`).\n"
                                   "Hint 1 of 3 for softmax:\n")
    wrong = tmp_path / "wrong.py"
    wrong.write_text(SOFTMAX + "\ndef causal_mask(n):\n    return np.ones((n, n), dtype=bool)\n", encoding="utf-8")
    assert _run("check", "--seed", "1", "--exercise", "softmax", "--exercise", "causal_mask", str(wrong)).exit_code == 1
    stopped = _run("hint", "--lang", "zh")
    assert stopped.output.startswith("causal_mask：你上次的检查没有通过它（看别的练习：`attnquiz hint EXERCISE`）。\n"
                                     "causal_mask 的提示（第 1/3 级）：")
    last = _run("hint", "--bank", str(COURSE), "rms_norm", "--level", "2")
    assert " ".join(last.output.split()).endswith(
        "That was the last hint (2 levels in all). This exercise comes from a bank: its reference is the "
        "instructor's and is not shown.")
    with Store(data_path("database")) as store:  # every exercise passed: nothing to guess
        from quiz.check.registry import builtin

        store.conn.executemany("INSERT INTO exercise_checks (exercise, solution, status, score, max_score, seconds,"
                               " checked_at) VALUES (?, 's.py', 'passed', 1, 1, 0, '2030-01-01T00:00:00+00:00')",
                               [(exercise.id,) for exercise in builtin()])
    done = _run("hint")
    assert done.exit_code == 2 and done.output == (
        "Error: every exercise has passed: name the one you want a hint for (`attnquiz hint EXERCISE`; "
        "`attnquiz exercises` lists them)\n")


def test_bad_hint_requests_are_one_line_each() -> None:
    past = _run("hint", "softmax", "--level", "4")
    assert past.exit_code == 2 and past.output == (
        "Error: exercise 'softmax' has 3 hint levels; there is no level 4 (use --level 1 to 3)\n")
    unknown = _run("hint", "softmx")
    assert unknown.exit_code == 2 and "unknown exercise 'softmx'; did you mean 'softmax'?" in unknown.output
    bank = _run("hint", "--bank", str(COURSE), "rms_norm")
    assert bank.exit_code == 0 and "RMSNorm only rescales" in bank.output
    suggested = f"attnquiz hint rms_norm --bank {COURSE}"  # the --bank repeated: without it rms_norm is unknown
    assert f"Still stuck? Run `{suggested}` again for the next level." in bank.output
    following = _run(*suggested.split()[1:])
    assert following.exit_code == 0 and following.output.startswith("Hint 2 of 2 for rms_norm:")


def test_a_solution_before_a_pass_asks_and_a_yes_records_a_give_up() -> None:
    declined = _run("solution", "softmax", "--bank", str(COURSE), typed="n\n")
    assert declined.exit_code == 0 and "def softmax" not in declined.output
    assert f"Not shown. `attnquiz hint softmax --bank {COURSE}` gives a hint instead." in declined.output
    assert "softmax" not in _progress()
    shown = _run("solution", "softmax", typed="y\n")
    assert shown.exit_code == 0 and "def softmax(x, axis=-1):" in shown.output
    assert "# 1. softmax" in shown.output and "def causal_mask" not in shown.output  # one exercise, its comment
    assert _progress()["softmax"].gave_up


def test_a_solution_after_a_pass_is_shown_without_asking(tmp_path: Path) -> None:
    solution = tmp_path / "solution.py"
    solution.write_text(SOFTMAX, encoding="utf-8")
    checked = _run("check", "--exercise", "softmax", "--seed", "1", str(solution))
    assert checked.exit_code == 0, checked.output
    progress = _progress()["softmax"]
    assert progress.status == "passed" and progress.best_score == progress.max_score == 10 and progress.checks == 1
    last = _run("hint", "softmax", "--level", "3", "--lang", "zh")
    assert "".join(last.output.split()).endswith(
        "这是最后一级提示（共3级）。你的检查已经通过这道练习：`attnquizsolutionsoftmax`显示参考解答。")
    shown = _run("solution", "softmax")
    assert shown.exit_code == 0 and "Show the worked solution anyway" not in shown.output
    assert "def softmax(x, axis=-1):" in shown.output and not _progress()["softmax"].gave_up


def test_a_bank_exercises_reference_is_never_shown() -> None:
    refused = _run("solution", "--bank", str(COURSE), "rms_norm", "--yes")
    assert refused.exit_code == 2
    assert refused.output == ("Error: 'rms_norm' is an exercise from a bank: its reference is the instructor's "
                              "and is never shown\n")


def test_check_records_per_exercise_unless_told_not_to(tmp_path: Path) -> None:
    solution = tmp_path / "solution.py"
    solution.write_text(SOFTMAX.replace("x - x.max(axis=axis, keepdims=True)", "x"), encoding="utf-8")
    assert _run("check", "--no-record", "--seed", "1", str(solution)).exit_code == 1
    assert not data_path("database").exists() or _progress() == {}
    assert _run("check", "--seed", "1", str(solution)).exit_code == 1
    progress = _progress()
    assert list(progress) == ["softmax"]  # only what the file attempts; the rest is not started
    assert progress["softmax"].status == "failing" and 0 < progress["softmax"].best_score < 10


def _table_rows(output: str) -> dict[str, list[str]]:
    """`attnquiz exercises`' rows by exercise id (the indented lines): difficulty, status..., best, speedup."""
    return {line.split()[0]: line.split()[1:] for line in output.splitlines() if line.startswith("  ")}


def test_exercises_shows_status_best_score_speedup_and_what_is_next(tmp_path: Path) -> None:
    fresh = _run("exercises", env={"COLUMNS": "80"})
    assert fresh.exit_code == 0, fresh.output
    rows = _table_rows(fresh.output)
    assert len(rows) == 16 and rows["softmax"] == ["easy", "not", "started", "-/10", "-"]
    assert fresh.output.splitlines()[0].split() == ["exercise", "difficulty", "status", "best", "speedup"]
    assert "attention-basics" in fresh.output.splitlines()[1]  # grouped under the topic id --topic takes
    assert "0 of 16 passed, 0 failing, 16 not started.\nNext: softmax (`attnquiz new --exercise softmax" \
        in fresh.output
    wrong = tmp_path / "wrong.py"
    wrong.write_text(SOFTMAX.replace("x - x.max(axis=axis, keepdims=True)", "x"), encoding="utf-8")
    assert _run("check", "--seed", "1", str(wrong)).exit_code == 1
    failing = _run("exercises", env={"COLUMNS": "80"})
    best = _progress()["softmax"].best_score
    assert _table_rows(failing.output)["softmax"] == ["easy", "failing", f"{best:g}/10", "-"]
    assert f"Next: finish softmax (best {best:g}/10 so far; `attnquiz hint softmax` if stuck)." in failing.output
    worked = REPO / "solutions" / "attention.py"
    assert _run("check", "--seed", "1", "--exercise", "softmax", "--exercise", "decode_step",
                str(worked)).exit_code == 0
    done = _run("exercises", env={"COLUMNS": "80"})
    rows = _table_rows(done.output)
    speedup = _progress()["decode_step"].best_speedup
    assert rows["softmax"] == ["easy", "passed", "10/10", "-"]
    assert rows["decode_step"] == ["medium", "passed", "15/15", f"{speedup:.1f}x"] and speedup > 1
    assert "2 of 16 passed, 0 failing, 14 not started.\nNext: causal_mask" in done.output
    stats = _run("stats", "--plain")
    assert "Code exercises (attnquiz exercises lists them):\n2 of 16 passed, 0 failing, 14 not started.\n" \
           "Next: causal_mask" in stats.output
    figures = json.loads(_run("stats", "--format", "json").output)["exercises"]
    assert (figures["passed"], figures["not_started"], figures["next"]) == (2, 14, "causal_mask")
    chinese = _run("exercises", "--lang", "zh", env={"COLUMNS": "120"})
    assert "已通过" in chinese.output and "下一步：causal_mask" in chinese.output and "数值稳定的 softmax" in chinese.output


def test_exercises_lists_a_banks_own_with_its_questions_topic() -> None:
    table = " ".join(_run("exercises", "--bank", str(COURSE)).output.split())  # (lines joined)
    assert (f"Next: softmax (`attnquiz new --exercise softmax -o softmax.py --bank {COURSE}`, then "
            f"`attnquiz check --exercise softmax --bank {COURSE} softmax.py`)." in table)
    assert f"`attnquiz hint NAME --bank {COURSE}` gives a hint." in table
    listed = json.loads(_run("exercises", "--bank", str(COURSE), "--format", "json").output)
    own = [exercise for exercise in listed["exercises"] if exercise["id"] == "rms_norm"]
    assert len(listed["exercises"]) > 16 and own[0]["status"] == "not_started"
    assert own[0]["topic"] is not None and own[0]["difficulty"] in (1, 2, 3)


def test_every_builtin_exercise_names_a_topic_of_the_builtin_banks() -> None:
    from quiz.bank.loader import load_catalog
    from quiz.check.catalog import exercise_file, exercise_names
    from quiz.practice.session import available_topics

    topics = set(available_topics(load_catalog(known_exercises=exercise_names()).questions()))
    assert {spec.id: spec.topic for spec in exercise_file().exercises if spec.topic not in topics} == {}


@pytest.mark.parametrize("args", [["hint", "softmax"], ["solution", "softmax", "--yes"], ["exercises"]],
                         ids=["hint", "solution", "exercises"])
def test_a_damaged_store_is_one_clear_line_and_nothing_is_lost(args: list[str], tmp_path: Path) -> None:
    path = data_path("database")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not sqlite" * 50)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    moved = next(path.parent.glob("progress.sqlite3.corrupt-*"))
    assert result.stderr.splitlines() == [f"The progress database {path} could not be read; it was moved to {moved} "
                                          "and a new one was started."]
    assert moved.read_bytes() == b"not sqlite" * 50 and "Traceback" not in result.output
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be", encoding="utf-8")
    unusable = CliRunner().invoke(cli, args, env={"ATTNQUIZ_HOME": str(blocker)})
    assert unusable.exit_code == 2 and len(unusable.stderr.splitlines()) == 1
    assert unusable.stderr.startswith(f"Error: cannot open the progress database {blocker / 'progress.sqlite3'}: ")
