"""The real program in a pseudo-terminal (pexpect): arrow keys, an open answer, Ctrl-C, colours."""

from __future__ import annotations

import io
import re
import sqlite3
import sys
from datetime import datetime, timezone
from pathlib import Path

import pexpect
import pytest

from quiz.practice import session
from quiz.bank.loader import load_paths
from quiz.check.catalog import exercise_names
from tests.conftest import REPO, subprocess_env

FIXTURES = REPO / "tests" / "fixtures" / "quiz"
DOWN, ESC, CTRL_C, CTRL_D = "\x1b[B", "\x1b", "\x03", "\x04"
COLOUR = re.compile(r"\x1b\[[0-9;]*(?:3[0-7]|38;[25];[0-9;]+)m")


def _spawn(home: Path, *args: str, **env: str) -> pexpect.spawn:
    """attnquiz start in a pseudo-terminal. pexpect does not answer prompt_toolkit's cursor-position
    requests (a real terminal does), so they are turned off instead of waited for."""
    env = subprocess_env(ATTNQUIZ_HOME=str(home), TERM="xterm-256color", PROMPT_TOOLKIT_NO_CPR="1", **env)
    return pexpect.spawn(sys.executable, ["-m", "quiz", "start", "--no-builtin", "--bank", str(FIXTURES), *args],
                         env=env, encoding="utf-8", timeout=20, dimensions=(40, 120))


def _planned(seed: int, tag: str) -> list[session.Item]:
    questions = load_paths([FIXTURES], known_exercises=exercise_names()).questions()
    return session.plan(questions, {}, session.Filters(tags=frozenset({tag})), "practice", None, seed,
                        datetime.now(timezone.utc))


def _rows(home: Path) -> list[tuple[str, str, int, int]]:
    conn = sqlite3.connect(home / "progress.sqlite3")
    try:
        return conn.execute("SELECT question_id, response, correct, rating FROM answers ORDER BY id").fetchall()
    finally:
        conn.close()


def _next(child: pexpect.spawn) -> None:
    """The feedback stays on screen until a key is pressed."""
    child.expect("Press any key for the next question")
    child.send("\r")


def _answer(child: pexpect.spawn, item: session.Item) -> tuple[str, str, int, int]:
    """Answer one question with the keys a person would press; the row it must leave in the database."""
    q = item.question
    if q.type == "single":
        child.expect("to move, Enter to choose")
        child.send(DOWN)
        child.send("\r")
        picked = item.choice_order[1]
        right = q.choices[picked].correct  # type: ignore[union-attr]
        child.expect("Right" if right else "Wrong")
        _next(child)
        return (q.id, str(picked), int(right), 4 if right else 1)  # right within seconds: Easy
    if q.type == "truefalse":
        child.expect(r"y/n, then Enter")
        child.send("n")
        child.send("\r")
        child.expect("Right answer: True")
        _next(child)
        return (q.id, "false", 0, 1)
    assert q.type == "open"
    child.expect("submit with Esc then Enter")
    child.send("It must not see future tokens.\r")
    child.send("其次，训练与推理一致")
    child.send(ESC)
    child.send("\r")
    child.expect(r"Key points \(2 of 2 found in your answer\)")
    child.expect("How well did you know it")
    child.send("\r")  # both key points covered: the pointer starts on Good
    child.expect("You rated it: Good")
    _next(child)
    return (q.id, '"It must not see future tokens.\\n其次，训练与推理一致"', 1, 3)


@pytest.mark.parametrize("seed", [21, 9, 6], ids=["open-truefalse-then-ctrl-c", "single-open-then-ctrl-c", "truefalse-single-then-ctrl-c-in-editor"])
def test_arrow_keys_open_answer_then_ctrl_c_saves_exactly_what_was_answered(tmp_path: Path, seed: int) -> None:
    items = _planned(seed, tag="pty")
    assert len(items) == 3
    child = _spawn(tmp_path, "--tag", "pty", "--seed", str(seed), "--no-relearn")
    expected = []
    for position, item in enumerate(items[:2], start=1):
        child.expect(f"Question {position}/3")
        expected.append(_answer(child, item))
    child.expect("Question 3/3")
    child.expect(r"\(")  # the prompt is on screen
    child.send(DOWN if items[2].question.type in ("single", "truefalse") else "half an answer")
    child.send(CTRL_C)
    child.expect("Stopped early: 2 of 3 answered. Your answers are saved.")
    child.expect("Next review")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert "Traceback" not in child.before
    assert _rows(tmp_path) == expected


def test_a_chinese_session_then_ctrl_c_in_an_exam(tmp_path: Path) -> None:
    child = _spawn(tmp_path, "--topic", "attention", "--difficulty", "1", "--tag", "pty", "--lang", "zh")
    child.expect("第 1/1 题")
    child.expect("↑/↓ 或 y/n")
    child.send("y")
    child.send("\r")
    child.expect("✓ 回答正确")
    child.expect("按任意键进入下一题")
    child.send("\r")
    child.expect("得分：答对 1/1（100%）")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    child = _spawn(tmp_path, "--tag", "scaling", "--topic", "attention", "--mode", "exam", "--lang", "zh")
    child.expect("你的答案")
    child.send(CTRL_C)
    child.expect("提前结束：共 1 题，答了 0 题。答案已保存。")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert [row[0] for row in _rows(tmp_path)] == ["fx-rows"]


def test_ctrl_d_in_a_text_prompt_ends_like_ctrl_c(tmp_path: Path) -> None:
    child = _spawn(tmp_path, "--topic", "kvcache", "--seed", "1", "-n", "2")
    child.expect("Question 1/2 · KV cache · difficulty 2 · new · numeric answer")
    child.expect("Enter")
    child.send(CTRL_D)
    child.expect("Stopped early: 0 of 2 answered")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130


@pytest.mark.parametrize(("no_color", "coloured"), [(None, True), ("1", False)], ids=["colour", "no-color"])
def test_no_color_is_honoured(tmp_path: Path, no_color: str | None, coloured: bool) -> None:
    env = {"NO_COLOR": no_color} if no_color else {}
    child = _spawn(tmp_path, "--tag", "scaling", "--topic", "attention", "--no-relearn", **env)
    child.logfile_read = io.StringIO()
    child.expect("to move, Enter to choose")
    child.send("\r")
    _next(child)
    child.expect(pexpect.EOF)
    child.close()
    transcript = child.logfile_read.getvalue()
    assert "Next review" in transcript
    assert bool(COLOUR.search(transcript)) is coloured
