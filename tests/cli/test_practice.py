"""The quiz commands end to end in plain mode, through click's CliRunner (stdin is not a terminal)."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from quiz.practice import session
from quiz.bank.loader import load_paths
from quiz.check.catalog import exercise_names
from quiz.cli import cli
from quiz.errors import ExitStatus
from quiz.paths import data_path
from tests.conftest import REPO

FIXTURES = REPO / "tests" / "fixtures" / "quiz"
BANK = ["--no-builtin", "--bank", str(FIXTURES / "basics.yaml")]
RIGHT_TEXT = {"fx-rows": "y", "fx-complexity": "O(n²)", "fx-bytes": "2*32*8*128*2",
              "fx-mask": "no future tokens\nmatches generation\n.", }
WRONG_TEXT = {"fx-rows": "n", "fx-complexity": "O(n)", "fx-bytes": "1000", "fx-mask": "no idea\n"}


def _planned(seed: int, mode: session.Mode = "practice", count: int = 10, **filters: frozenset) -> list[session.Item]:
    """The order the command will use: the same plan, from the same seed, over a fresh history."""
    return session.plan(load_paths([FIXTURES / "basics.yaml"], known_exercises=exercise_names()).questions(), {},
                        session.Filters(**filters), mode, count, seed, datetime.now(timezone.utc))


def _typed(item: session.Item, right: bool, mode: session.Mode = "practice") -> str:
    """What a person types in plain mode to answer `item` rightly or wrongly (and rate open answers)."""
    q = item.question
    if q.type == "code":
        return "2"  # skip: these tests do not run the checker (see test_code_question_runs_the_real_checker)
    if q.type in ("single", "multiple"):
        wanted = [i for i, c in enumerate(q.choices) if c.correct == right]
        shown = [str(item.choice_order.index(i) + 1) for i in wanted]
        return ",".join(shown) if q.type == "multiple" else shown[0]
    if q.type == "open":
        rating = "" if mode == "exam" else "\n3" if right else "\n1"
        return (RIGHT_TEXT if right else WRONG_TEXT)[q.id] + rating
    return (RIGHT_TEXT if right else WRONG_TEXT)[q.id]


def _answerable(items: list[session.Item]) -> list[str]:
    """The ids of the questions that leave an answer in the database (code questions are skipped)."""
    return [item.question.id for item in items if item.question.type != "code"]


def _start(args: list[str], typed: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["start", *BANK, *args], input=typed, env=env)


def _answers() -> list[tuple[str, str, int]]:
    conn = sqlite3.connect(data_path("database"))
    try:
        return conn.execute("SELECT question_id, response, correct FROM answers ORDER BY id").fetchall()
    finally:
        conn.close()


def test_a_full_practice_session_in_plain_mode() -> None:
    items = _planned(seed=5)
    answered = _answerable(items)
    result = _start(["--seed", "5"], "".join(_typed(item, True) + "\n" for item in items))
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.count("✓ Right") == len(answered) - 1 and "You rated it: Good: I knew it" in out
    assert f"Practice · {len(items)} questions · Ctrl-C stops (your answers are saved)" in out
    assert f"Score: {len(answered)} of {len(answered)} right (100%)" in out
    assert [row[0] for row in _answers()] == answered
    assert all(row[2] == 1 for row in _answers())


def test_wrong_answers_show_why_and_are_saved_as_wrong() -> None:
    items = _planned(seed=2, topics=frozenset({"kvcache"}))
    result = _start(["--seed", "2", "--topic", "kvcache", "--no-relearn"], "".join(_typed(i, False) + "\n" for i in items))
    assert result.exit_code == 0, result.output
    assert "Right answer: 131072 bytes (± 0)" in result.output
    assert "✗ wrong  More query heads (your pick)" in result.output and "Queries are not cached." in result.output
    assert "Score: 0 of 2 right (0%)" in result.output
    assert sorted(_answers()) == [("fx-bytes", '"1000"', 0), ("fx-shrink", "[2]", 0)]


def test_end_of_input_mid_quiz_shows_the_summary_and_exits_130() -> None:
    items = _planned(seed=9)
    typed = "".join(_typed(item, True) + "\n" for item in items[:2])
    result = _start(["--seed", "9"], typed)
    assert result.exit_code == 130
    answered = _answerable(items[:2])
    assert f"Stopped early: {len(answered)} of {len(items)} answered. Your answers are saved." in result.output
    assert "Traceback" not in result.output
    assert [row[0] for row in _answers()] == answered


def test_exam_gives_feedback_only_at_the_end() -> None:
    items = _planned(seed=4, mode="exam", count=3)
    typed = "".join(_typed(item, n != 0, "exam") + "\n" for n, item in enumerate(items))
    result = _start(["--seed", "4", "--mode", "exam", "-n", "3"], typed)
    assert result.exit_code == 0, result.output
    assert "Exam · 3 questions · no feedback until the end · Ctrl-C stops" in result.output
    before, after = result.output.split("Summary\n")
    assert "Explanation" not in before and "✓ Right" not in before
    answered = _answerable(items)
    right = len(_answerable(items[1:]))
    assert f"Score: {right} of {len(answered)} right" in after
    assert "Walking through your mistakes:" in after and "Mistake 1/1: " in after


def test_code_question_runs_the_real_checker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    # write the starter file, check it untouched (no attempt), then give up: [check, hint 1/3, give up, skip],
    # say no (Enter) to 'are you sure?', give up again and say yes
    first = _start(["--tag", "code", "--no-relearn"], "1\n1\n3\n\n3\ny\n")
    assert first.exit_code == 0, first.output
    assert first.output.count("Show the worked solution anyway? (It counts as giving up: rated Again.) [y/N]") == 2
    starter = tmp_path / "attnquiz_softmax.py"
    assert f"Wrote {starter}" in first.output and "is still the starter" in first.output
    assert "Given up: the worked solution was shown." in first.output and "def softmax(x, axis=-1):" in first.output
    source = starter.read_text(encoding="utf-8")
    starter.write_text(source.replace("raise NotImplementedError", "e = np.exp(x - x.max(axis=axis, keepdims=True))\n"
                                      "    return e / e.sum(axis=axis, keepdims=True)"), encoding="utf-8")
    second = _start(["--tag", "code"], "1\n")  # the file exists now: check it
    assert second.exit_code == 0, second.output
    assert "The check passed (checks: 1, hints: 0)." in second.output
    assert _answers() == [("fx-softmax-code", "false", 0), ("fx-softmax-code", "true", 1)]


def test_chinese_interface() -> None:
    items = _planned(seed=3, topics=frozenset({"kvcache"}))
    result = _start(["--seed", "3", "--topic", "kvcache", "--lang", "zh"], "".join(_typed(i, True) + "\n" for i in items))
    assert result.exit_code == 0, result.output
    assert "练习 · 共 2 题" in result.output and "✓ 回答正确" in result.output
    assert "得分：答对 2/2（100%）" in result.output and "主题" in result.output and "KV 缓存" in result.output


def test_language_from_the_environment() -> None:
    result = _start(["--topic", "kvcache"], "", env={"ATTNQUIZ_LANG": "zh"})
    assert result.exit_code == 130 and "本次小结" in result.output


def test_review_with_nothing_due() -> None:
    result = CliRunner().invoke(cli, ["review", *BANK])
    assert result.exit_code == 0
    assert result.output.strip() == "Nothing is due for review now. Next review: nothing scheduled yet"


def test_review_asks_what_is_due() -> None:
    (item,) = _planned(seed=1, tags=frozenset({"scaling"}))
    _start(["--seed", "1", "--tag", "scaling"], _typed(item, False) + "\n")
    conn = sqlite3.connect(data_path("database"))
    with conn:
        conn.execute("UPDATE cards SET due = '2000-01-01T00:00:00.000000+00:00'")
    conn.close()
    result = CliRunner().invoke(cli, ["review", *BANK, "--seed", "1"], input=_typed(item, True) + "\n")
    assert result.exit_code == 0, result.output
    assert "Review · 1 question ·" in result.output and "· due for review ·" in result.output
    assert _answers() == [("fx-scale", str(_wrong_index(item)), 0),
                          ("fx-scale", "0", 1)]


def _wrong_index(item: session.Item) -> int:
    return next(i for i, c in enumerate(item.question.choices) if not c.correct)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--topic", "atention"], "Error: unknown topic 'atention' (topics: attention, kvcache)"),
        (["--time-limit", "5"], "Error: --time-limit only applies to --mode exam"),
        (["--difficulty", "3"], "Error: no questions match these filters (see `attnquiz list`)"),
        (["--question", "fx-scal"], "Error: unknown question id 'fx-scal'; did you mean 'fx-scale'? "
                                    "(`attnquiz list --questions` lists them)"),
    ],
    ids=["unknown-topic", "time-limit-without-exam", "no-match", "unknown-question"],
)
def test_usage_errors_are_one_line(args: list[str], message: str) -> None:
    result = _start(args, "")
    assert result.exit_code == 2
    assert result.output.strip() == message


def test_no_banks_at_all() -> None:
    result = CliRunner().invoke(cli, ["start", "--no-builtin"])
    assert result.exit_code == 2 and "no question banks found" in result.output


@pytest.mark.parametrize("command", [["start"], ["review"], ["stats"], ["list"], ["exercises"], ["hint", "softmax"],
                                     ["check", "solution.py"], ["grade", "."], ["keypoints", "mask-why"]],
                         ids=lambda c: c[0])
def test_a_missing_bank_path_is_a_one_line_usage_error(command: list[str], tmp_path: Path) -> None:
    """A mistyped --bank never runs the command on the other banks (F10)."""
    result = CliRunner().invoke(cli, [*command, "--bank", str(tmp_path / "nosuch.yaml")], input="")
    assert result.exit_code == ExitStatus.USAGE
    assert result.output == f"Error: --bank {tmp_path / 'nosuch.yaml'}: no such file or folder\n"


def test_when_every_bank_given_is_broken_the_error_says_so() -> None:
    broken = REPO / "tests" / "banks_gallery" / "unknown_key.yaml"
    result = CliRunner().invoke(cli, ["start", "--no-builtin", "--bank", str(broken)], input="")
    assert result.exit_code == ExitStatus.USAGE
    assert "unknown key 'promt'; did you mean 'prompt'?" in result.stderr
    last = result.stderr.splitlines()[-1]
    assert last == ("Error: no bank left to practise: the only bank file given has errors "
                    "(see above; `attnquiz validate PATH` checks a bank)")
    assert "--bank PATH" not in result.stderr and "left out" not in result.stderr


def test_a_broken_extra_bank_is_reported_and_left_out() -> None:
    broken = REPO / "tests" / "banks_gallery" / "unknown_key.yaml"
    result = _start(["--bank", str(broken), "--topic", "kvcache"], "")
    assert result.exit_code == 130
    assert "unknown key 'promt'; did you mean 'prompt'?" in result.stderr
    assert "1 bank file with errors was left out" in result.stderr


def test_a_corrupt_database_is_moved_aside_with_a_message() -> None:
    path = data_path("database")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not sqlite" * 50)
    result = _start(["--topic", "kvcache"], "")
    assert result.exit_code == 130
    moved = next(path.parent.glob("progress.sqlite3.corrupt-*"))
    assert f"The progress database {path} could not be read; it was moved to {moved}" in result.stderr
    assert moved.read_bytes() == b"not sqlite" * 50


def test_stats_after_some_answers() -> None:
    assert "No answers yet." in CliRunner().invoke(cli, ["stats", *BANK]).output
    items = _planned(seed=6, topics=frozenset({"kvcache"}))
    _start(["--seed", "6", "--topic", "kvcache"], _typed(items[0], False) + "\n" + _typed(items[1], True) + "\n")
    result = CliRunner().invoke(cli, ["stats", *BANK])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if line.startswith("KV cache"))
    assert [cell.strip() for cell in row.split("|")] == ["KV cache", "2", "0", "2", "50%", "0", "1"]
    unseen = next(line for line in result.output.splitlines() if line.startswith("Attention"))
    assert [cell.strip() for cell in unseen.split("|")] == ["Attention", "0", "5", "0", "-", "0", "0"]
    import json

    figures = json.loads(CliRunner().invoke(cli, ["stats", *BANK, "--format", "json"]).output)
    assert figures["new"] == {"attention": 5}
    assert "Current streak: 1 day" in result.output
    assert f"{items[0].question.id}: " in result.output.split("Weakest questions:")[1]


def test_reset_asks_first_and_keeps_a_backup(tmp_path: Path) -> None:
    assert "No progress to delete" in CliRunner().invoke(cli, ["reset"]).output
    _start(["--topic", "kvcache"], "1\n")
    refused = CliRunner().invoke(cli, ["reset"], input="n\n")
    assert refused.exit_code == 0 and "Nothing deleted." in refused.output and data_path("database").exists()
    no_answer = CliRunner().invoke(cli, ["reset"], input="")  # end of input at the question
    assert no_answer.exit_code == ExitStatus.INTERRUPTED and "Aborted!" not in no_answer.output
    assert no_answer.stderr.rstrip().endswith("Interrupted.") and data_path("database").exists()
    done = CliRunner().invoke(cli, ["reset", "--yes"])
    assert done.exit_code == 0 and not data_path("database").exists()
    backup = next(data_path("backups").glob("progress-*.sqlite3"))
    assert f"Progress deleted. Backup: {backup}" in done.output


@pytest.mark.parametrize("command", ["start", "stats"], ids=["start", "stats"])
def test_an_unusable_data_folder_is_one_clear_error(tmp_path: Path, command: str) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be", encoding="utf-8")
    result = CliRunner().invoke(cli, [command, *BANK], input="", env={"ATTNQUIZ_HOME": str(blocker)})
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: cannot open the progress database {blocker / 'progress.sqlite3'}: ")
    assert "set ATTNQUIZ_HOME to a writable folder" in result.stderr and "Traceback" not in result.output


def test_plain_mode_shows_a_hint_for_a_question_mark_and_caps_the_rating() -> None:
    loop = ["--no-builtin", "--bank", str(REPO / "tests" / "fixtures" / "loop"), "--tag", "relearn", "--seed", "2"]
    result = CliRunner().invoke(cli, ["start", *loop, "-n", "1"], input="?\n10000\n")
    assert result.exit_code == 0, result.output
    assert "A hint is available: type ? as the answer." in result.output
    assert "Hint: It has four zeros." in result.output and "✓ Right" in result.output
    conn = sqlite3.connect(data_path("database"))
    try:
        assert conn.execute("SELECT question_id, response, rating FROM answers").fetchall() == [("lp-base", '"10000"', 2)]
    finally:
        conn.close()


def _readme_script() -> str:
    """The scripted session the README prints, exactly as printed."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    lines = [line for line in readme.splitlines() if line.startswith("printf ") and "attnquiz start" in line]
    assert len(lines) == 1, lines
    return lines[0]


def test_the_readme_scripted_session_works_as_printed() -> None:
    import os
    import subprocess
    import sys

    from tests.conftest import subprocess_env

    bin_dir = Path(sys.executable).parent  # where the installed `attnquiz` script is, as for a reader of the README
    assert (bin_dir / "attnquiz").exists(), f"attnquiz is not installed next to {sys.executable}"
    env = subprocess_env(PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    for run in ("first", "again"):  # the same with progress already saved (the questions are then not new)
        done = subprocess.run(["sh", "-c", _readme_script()], capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, (run, done.stderr)
        asked = [line for line in done.stdout.splitlines() if line.startswith("Question ")]
        assert [line.split(" · ")[0] for line in asked] == ["Question 1/3", "Question 2/3", "Question 3/3"]
        assert [line.split(" · ")[-1] for line in asked] == ["single choice", "multiple choice", "true or false"]
        assert done.stdout.count("✓ Right") == 3, done.stdout
        assert "Score: 3 of 3 right (100%)" in done.stdout


def test_questions_chosen_by_id_are_asked_in_that_order_whatever_their_state() -> None:
    questions = load_paths([FIXTURES / "basics.yaml"], known_exercises=exercise_names()).questions()
    ids = [question.id for _, question in questions][:3][::-1]
    items = session.plan(questions, {}, session.Filters(questions=tuple(ids)), "practice", 10, None,
                         datetime.now(timezone.utc), new_limit=0)
    assert [item.question.id for item in items] == ids


def _answer_count() -> int:
    conn = sqlite3.connect(data_path("database"))
    try:
        return conn.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
    finally:
        conn.close()


def test_reset_restore_puts_the_backup_back_and_keeps_the_progress_it_replaces() -> None:
    nothing = CliRunner().invoke(cli, ["reset", "--restore"])
    assert nothing.exit_code == 2 and nothing.stderr.startswith("Error: there is no backup to restore")
    _start(["--topic", "kvcache"], "1\n")
    answered = _answer_count()
    deleted = CliRunner().invoke(cli, ["reset", "--yes"])
    assert "`attnquiz reset --restore` puts it back" in deleted.output and not data_path("database").exists()
    declined = CliRunner().invoke(cli, ["reset", "--restore"], input="n\n")
    assert declined.exit_code == 0 and "Nothing restored." in declined.output and not data_path("database").exists()
    restored = CliRunner().invoke(cli, ["reset", "--restore"], input="y\n")
    assert restored.exit_code == 0, restored.output
    only = next(data_path("backups").glob("progress-*.sqlite3"))
    assert f"Restored {only}." in restored.output and _answer_count() == answered
    _start(["--question", "fx-rows"], "y\n")  # more progress after the restore
    current = _answer_count()
    assert current > answered
    several = CliRunner().invoke(cli, ["reset", "--restore", "--yes"])  # one backup from reset, none yet of this
    assert several.exit_code == 0 and "The progress it replaced is kept in " in several.output
    assert _answer_count() == answered  # the backup is back ...
    listing = CliRunner().invoke(cli, ["reset", "--restore"])  # ... and two backups are listed, newest first
    assert listing.exit_code == 2
    lines = listing.output.splitlines()
    assert lines[0] == f"2 backups in {data_path('backups')}, newest first:"
    assert lines[1].startswith("  1) progress-") and lines[1].split()[-1] != "answer"
    assert f" {current} answers, last answer " in lines[1] and f" {answered} answer" in lines[2]
    newest = lines[1].split()[1]
    assert lines[3] == f"Name the one to restore, such as: attnquiz reset --restore {newest}"
    back = CliRunner().invoke(cli, ["reset", "--restore", newest, "--yes"])
    assert back.exit_code == 0 and _answer_count() == current  # nothing was lost on the way
    assert len(list(data_path("backups").glob("progress-*.sqlite3"))) == 3


def test_reset_restore_refuses_a_damaged_or_unknown_backup_and_changes_nothing(tmp_path: Path) -> None:
    _start(["--topic", "kvcache"], "1\n")
    before = data_path("database").read_bytes()
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(b"not sqlite" * 100)
    refused = CliRunner().invoke(cli, ["reset", "--restore", str(broken), "--yes"])
    assert refused.exit_code == 2 and refused.stderr == (
        f"Error: {broken} is not a readable attnquiz progress database; nothing was changed\n")
    unknown = CliRunner().invoke(cli, ["reset", "--restore", "progress-1999.sqlite3", "--yes"])
    assert unknown.exit_code == 2 and unknown.stderr.startswith("Error: no backup 'progress-1999.sqlite3'")
    assert data_path("database").read_bytes() == before and not data_path("backups").exists()


@pytest.mark.parametrize(
    ("typed", "refusal"),
    [("0.125 MiB\n", None), ("128 KiB\n", None), ("1048576 bits\n", None),
     ("128 KB\n131072\n", "Answer in bytes, or without a unit: KB is ambiguous"),
     ("128K\n128 KiB\n", "Answer in bytes, or without a unit (K cannot be read as bytes)."),
     ("0.5 ms\n131072 bytes\n", "Answer in bytes, or without a unit (ms cannot be read as bytes).")],
    ids=["mib", "kib", "bits", "decimal-kb-refused", "bare-k-refused", "time-refused"],
)
def test_a_unit_the_learner_types_is_converted_or_refused_never_marked_wrong(typed: str, refusal: str | None) -> None:
    """The question asks for bytes (131072): an equal size in another unit is right, an ambiguous
    or foreign unit is refused and asked again; either way one right answer is recorded (F4)."""
    result = _start(["--question", "fx-bytes", "--no-pause"], typed)
    assert result.exit_code == 0, result.output
    assert "✓ Right" in result.output and "(read as 131072 bytes)" in result.output
    assert (refusal in result.output) if refusal else ("Answer in" not in result.output)
    assert [(q, correct) for q, _, correct in _answers()] == [("fx-bytes", 1)]
