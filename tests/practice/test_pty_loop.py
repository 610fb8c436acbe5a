"""The learner's loop in a real pseudo-terminal (pexpect): long choices wrapped at 80 and 40 columns,
a hint taken, relearning bringing a missed question back, Ctrl-C at the pause and at the self-rating,
the exam clock counting down while a prompt waits."""

from __future__ import annotations

import re
import sqlite3
import sys
from pathlib import Path

import pexpect
import pytest

from tests.conftest import REPO, subprocess_env

LOOP = REPO / "tests" / "fixtures" / "loop"
BASICS = REPO / "tests" / "fixtures" / "quiz"
DOWN, ESC, CTRL_C = "\x1b[B", "\x1b", "\x03"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][AB012]|\r")
LONG = ("PE(pos, 2i) = sin(pos / 10000^(2i/d_model)), PE(pos, 2i+1) = cos(pos / 10000^(2i/d_model)), "
        "added to the token embeddings before the first layer")


def _spawn(home: Path, *args: str, bank: Path = LOOP, columns: int = 100) -> pexpect.spawn:
    env = subprocess_env(ATTNQUIZ_HOME=str(home), TERM="xterm-256color", PROMPT_TOOLKIT_NO_CPR="1", NO_COLOR="1")
    return pexpect.spawn(sys.executable, ["-m", "quiz", "start", "--no-builtin", "--bank", str(bank), *args],
                         env=env, encoding="utf-8", timeout=30, dimensions=(40, columns))


def _rows(home: Path) -> list[tuple[str, str, int, int]]:
    conn = sqlite3.connect(home / "progress.sqlite3")
    try:
        return conn.execute("SELECT question_id, response, correct, rating FROM answers ORDER BY id").fetchall()
    finally:
        conn.close()


def _right_is_second() -> bool:
    """Whether, with --seed 1, the right choice of lp-sinusoid is shown second (the plan the command makes)."""
    from datetime import datetime, timezone

    from quiz.bank.loader import load_paths
    from quiz.check.catalog import exercise_names
    from quiz.practice import session

    item, = session.plan(load_paths([LOOP], known_exercises=exercise_names()).questions(), {}, session.Filters(tags=frozenset({"long"})), "practice",
                         None, 1, datetime.now(timezone.utc))
    return item.question.choices[item.choice_order[1]].correct


def _open_answer(child: pexpect.spawn, text: str, editor: str = "submit with Esc then Enter") -> None:
    """Type an open answer in the editor once it is on screen, and submit it (Esc, Enter)."""
    child.expect(editor)
    child.send(text)
    child.send(ESC)
    child.send("\r")


def _ended(child: pexpect.spawn, status: int) -> str:
    """Wait for the program to end with `status`; what it printed since the last match."""
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == status, child.before
    return child.before


def _words(text: str) -> str:
    """A pattern for `text` however the terminal wrapped it."""
    return r"\s+".join(re.escape(word) for word in text.split())


def _screen_words(text: str) -> list[str]:
    return ANSI.sub("", text).split()


@pytest.mark.parametrize("columns", [80, 40])
def test_a_long_choice_is_wrapped_never_cut_then_a_hint_then_relearning(tmp_path: Path, columns: int) -> None:
    child = _spawn(tmp_path, "--tag", "long", "--seed", "1", columns=columns)
    child.expect("A hint is available")
    child.expect(r"Show a hint \(rated Hard at best\)")
    menu = child.before
    words = _screen_words(menu)
    start = words.index("PE(pos,")
    assert words[start:start + len(LONG.split())] == LONG.split()  # every word, in order: nothing cut
    lines = [line for line in ANSI.sub("", menu).splitlines() if line.strip()]
    assert all(len(line) <= columns for line in lines)
    assert any(line.startswith("   ") and "10000^" in line for line in lines)  # a hanging indent
    # the hint is the last entry: take it, then pick the wrong choice
    child.send(DOWN + DOWN + "\r")
    child.expect("Hint: Even dimensions use")
    child.expect("first layer")  # the menu is drawn again
    wrong_first = _right_is_second()
    child.send(("" if wrong_first else DOWN) + "\r")
    child.expect("Wrong")
    child.expect("✗ Wrong · Press")  # the verdict again at the pause, even if the feedback scrolled it off
    child.send("\r")
    child.expect("Question 2/2")
    child.expect("again: missed earlier")
    child.expect("first layer")
    child.send(("" if not wrong_first else DOWN) + "\r")  # now the right one
    child.expect("Right")
    child.expect("✓ Right · Press")
    child.send("\r")
    child.expect("Score: 0 of 1 right")
    child.expect(r"Relearned: 1 of 1 missed question\s+answered right\s+later in the session")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    rows = _rows(tmp_path)
    assert [(r[0], r[2]) for r in rows] == [("lp-sinusoid", 0), ("lp-sinusoid", 1)]
    assert [r[3] for r in rows] == [1, 4]  # Again, then right at once without a hint: Easy


def test_typing_a_question_mark_shows_the_hint_and_ctrl_c_at_the_pause_keeps_the_answer(tmp_path: Path) -> None:
    child = _spawn(tmp_path, "--tag", "relearn", "--seed", "2")
    child.expect("What base does the original sinusoidal encoding use")
    child.expect("type \\? as the answer")
    child.expect("Enter\\)")
    child.send("?\r")
    child.expect("Hint: It has four zeros.")
    child.expect("Enter\\)")
    child.send("10000\r")
    child.expect("Right")
    child.expect("Press any key")
    child.send(CTRL_C)
    child.expect("Stopped early: 1 of 2 answered. Your answers are saved.")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert _rows(tmp_path) == [("lp-base", '"10000"', 1, 2)]


def test_ctrl_c_at_the_self_rating_keeps_the_open_answer(tmp_path: Path) -> None:
    child = _spawn(tmp_path, "--tag", "pty", "--topic", "attention", "--difficulty", "2", "--seed", "3",
                   "--no-relearn", bank=BASICS)
    for _ in range(2):
        index = child.expect(["submit with Esc then Enter", "to move, Enter to choose"])
        if index == 0:
            break
        child.send("\r")
        child.expect("Press any key")
        child.send("\r")
    child.send("no peeking at future tokens")
    child.send(ESC)
    child.send("\r")
    child.expect("How well did you know it")
    child.send(CTRL_C)
    child.expect("Stopped early")
    child.expect(_words("Your last answer is saved, rated Hard by its key points (1 of 2 found): you stopped at its "
                        "self-rating."))
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    open_rows = [row for row in _rows(tmp_path) if row[0] == "fx-mask"]
    assert open_rows == [("fx-mask", '"no peeking at future tokens"', 1, 2)]  # 1 of 2 key points: Hard


def test_ctrl_c_at_the_self_rating_in_chinese_says_the_answer_was_rated_by_its_key_points(tmp_path: Path) -> None:
    child = _spawn(tmp_path, "--question", "fx-mask", "--lang", "zh", bank=BASICS)
    _open_answer(child, "为了让注意力更快", editor="按 Esc 再按回车")  # no key point: rated Again by its key points
    child.expect("你掌握得怎么样")
    child.send(CTRL_C)
    child.expect("最后一道问答题的答案已保存：你在自评时结束了，按要点覆盖（找到 0/2 个）评为“重来”。")
    _ended(child, 130)
    assert _rows(tmp_path) == [("fx-mask", '"为了让注意力更快"', 0, 1)]


def test_a_finished_open_answer_does_not_claim_it_was_rated_for_you(tmp_path: Path) -> None:
    child = _spawn(tmp_path, "--question", "fx-mask", "--no-pause", bank=BASICS)
    _open_answer(child, "no peeking at future tokens, as in generation")
    child.expect("How well did you know it")
    child.send("\r")  # the pointer starts on Good (2 of 2)
    child.expect("Summary")
    assert "by its key points" not in _ended(child, 0)
    assert _rows(tmp_path) == [("fx-mask", '"no peeking at future tokens, as in generation"', 1, 3)]


def _screen(transcript: str, columns: int = 100) -> list[str]:
    """What a terminal shows after `transcript` (pyte emulates one)."""
    import pyte

    screen = pyte.Screen(columns, 40)
    pyte.Stream(screen).feed(transcript)
    return [line.rstrip() for line in screen.display]


def test_the_exam_clock_counts_down_while_the_prompt_waits(tmp_path: Path) -> None:
    child = _spawn(tmp_path, "--mode", "exam", "--time-limit", "1")
    child.expect(r"Your answer \(0:(\d\d) left\)")
    transcript = child.before + child.after
    first = int(child.match.group(1))
    with pytest.raises(pexpect.TIMEOUT):
        child.expect("never printed", timeout=3)
    transcript += child.before
    shown = [line for line in _screen(transcript) if "Your answer" in line]
    assert len(shown) == 1
    now = int(re.search(r"\(0:(\d\d) left\)", shown[0]).group(1))  # type: ignore[union-attr]
    assert first - 5 <= now < first  # redrawn, a few seconds later
    assert not any("A hint is available" in line for line in _screen(transcript))  # no hints in an exam
    child.send(CTRL_C)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130


def test_a_built_in_numeric_question_offers_its_hint_and_reads_a_unit_the_learner_types(tmp_path: Path) -> None:
    """The shipped content: the hint is offered and shown on '?', an ambiguous unit is refused
    and asked again, an equal size in another unit is right (rated Hard at best after the hint)."""
    env = subprocess_env(ATTNQUIZ_HOME=str(tmp_path), TERM="xterm-256color", PROMPT_TOOLKIT_NO_CPR="1", NO_COLOR="1")
    child = pexpect.spawn(sys.executable, ["-m", "quiz", "start", "--question", "kv-llama2-7b-per-token", "--no-pause"],
                          env=env, encoding="utf-8", timeout=30, dimensions=(40, 100))
    child.expect("How many KiB of KV cache does ONE token")
    child.expect("A hint is available: type \\? as the answer.")  # no 'Show a hint' entry: it is typed
    child.expect("Enter\\)")
    child.send("?\r")
    child.expect("Hint: Per token: K and V, in every layer")
    child.expect("Enter\\)")
    child.send("512 KB\r")
    child.expect("KB is ambiguous")
    child.send("\x15")  # Ctrl-U: clear the line, then type it again in another unit
    child.send("0.5 MiB\r")
    child.expect("Right")
    child.expect("read as 512 KiB")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert _rows(tmp_path) == [("kv-llama2-7b-per-token", '"0.5 MiB"', 1, 2)]


UP = "\x1b[A"


def test_give_up_in_the_code_loop_asks_first_and_ctrl_c_at_its_repeat_is_not_stopped_early(tmp_path: Path) -> None:
    """Up from the default wraps to Skip, not Give up; Give up asks 'are you sure?' as `attnquiz solution`
    does (Enter is no); after a yes, Ctrl-C at the relearning repeat says what was left: the repeat."""
    work = tmp_path / "work"
    work.mkdir()
    env = subprocess_env(ATTNQUIZ_HOME=str(tmp_path / "home"), TERM="xterm-256color", PROMPT_TOOLKIT_NO_CPR="1",
                         NO_COLOR="1")
    child = pexpect.spawn(sys.executable, ["-m", "quiz", "start", "--no-builtin", "--bank", str(BASICS / "basics.yaml"),
                                           "--question", "fx-softmax-code", "--no-pause"],
                          env=env, encoding="utf-8", timeout=30, dimensions=(40, 100), cwd=str(work))
    child.expect("Write a starter file")
    child.send("\r")
    child.expect("Wrote ")
    child.expect("Skip this question")
    entries = [line.strip(" »") for line in ANSI.sub("", child.before).splitlines() if line.strip()]
    assert entries[-1].startswith("Give up")  # then Skip: Up from the default wraps to Skip, not to Give up
    child.send(UP + UP + "\r")  # Up wraps to Skip, Up again: Give up
    child.expect(r"Your check has not passed 'softmax' yet. Show the worked solution anyway\?")
    child.expect(r"\(y/N\)")
    child.send("\r")  # Enter: no
    child.expect("What now")
    child.expect("Skip this question")
    child.send(UP + UP + "\r")
    child.expect(r"\(y/N\)")
    child.send("y")
    child.expect("The worked solution:")
    child.expect("again: missed earlier")
    child.expect("Skip this question")
    child.send(CTRL_C)
    child.expect(r"Stopped at the repeats: the 1 planned question answered; 1 missed question not repeated yet\.")
    child.expect(pexpect.EOF)
    child.close()
    assert "Stopped early" not in ANSI.sub("", child.before)
    assert child.exitstatus == 130
    assert _rows(tmp_path / "home") == [("fx-softmax-code", "false", 0, 1)]


def test_easy_for_an_answer_with_no_key_point_is_asked_about_and_no_goes_back_to_the_rating(tmp_path: Path) -> None:
    child = _spawn(tmp_path, "--question", "fx-mask", "--no-pause", bank=BASICS)
    _open_answer(child, "To make attention faster.")
    child.expect(r"Key points \(0 of 2 found in your answer\)")
    child.expect("How well did you know it")
    child.send(DOWN * 3 + "\r")  # from Again (what 0 of 2 suggests) down to Easy
    child.expect(_words("0 of 2 key points found in your answer. Rate it Easy anyway?"))
    child.expect(r"\(y/N\)")
    child.send("\r")  # Enter: no, back to the menu
    child.expect("How well did you know it")
    child.send(DOWN + "\r")  # Hard: one step above the suggestion, taken as given
    child.expect("You rated it: Hard")
    _ended(child, 0)
    assert _rows(tmp_path) == [("fx-mask", '"To make attention faster."', 1, 2)]


def test_a_doubtful_rating_confirmed_is_kept_in_plain_chinese_and_an_empty_answer_says_so(tmp_path: Path) -> None:
    env = subprocess_env(ATTNQUIZ_HOME=str(tmp_path), NO_COLOR="1")
    child = pexpect.spawn(sys.executable, ["-m", "quiz", "start", "--no-builtin", "--bank", str(BASICS), "--plain",
                                           "--question", "fx-mask", "--lang", "zh"],
                          env=env, encoding="utf-8", timeout=30, dimensions=(40, 100))
    child.expect("以空行或只有一个 '.' 的行结束")
    child.sendline("为了让注意力更快。")
    child.sendline("")
    child.expect("你掌握得怎么样")
    child.expect("：")
    child.sendline("4")
    child.expect(r"你的答案只提到 0/2 个要点。仍然评为“简单”吗？ \[y/N\]")
    child.sendline("y")
    child.expect("你的自评：简单")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    child = pexpect.spawn(sys.executable, ["-m", "quiz", "start", "--no-builtin", "--bank", str(BASICS), "--plain",
                                           "--question", "fx-mask", "--no-relearn"],
                          env=env, encoding="utf-8", timeout=30, dimensions=(40, 100))
    child.expect("finish with an empty line")
    child.sendline("")
    child.expect("How well did you know it")
    child.expect(": ")
    child.sendline("3")
    child.expect(r"Your answer is empty. Rate it Good anyway\? \[y/N\]")
    child.sendline("")
    child.expect("How well did you know it")
    child.expect(": ")
    child.sendline("1")
    child.expect("You rated it: Again")
    child.expect(pexpect.EOF)
    child.close()
    assert [row[3] for row in _rows(tmp_path)] == [4, 1]


def test_a_code_question_met_again_offers_the_file_worked_in_last_time(tmp_path: Path) -> None:
    """First session in one folder: starter written, a wrong softmax checked, Ctrl-C. Later, from another
    folder (in Chinese): the old file is offered first, unchanged it costs no attempt, fixed it passes;
    no fresh starter is written there."""
    first_dir, later_dir = tmp_path / "monday", tmp_path / "later"
    first_dir.mkdir()
    later_dir.mkdir()
    env = subprocess_env(ATTNQUIZ_HOME=str(tmp_path / "home"), TERM="xterm-256color", PROMPT_TOOLKIT_NO_CPR="1",
                         NO_COLOR="1")
    argv = ["-m", "quiz", "start", "--no-builtin", "--bank", str(BASICS / "basics.yaml"), "--question",
            "fx-softmax-code", "--no-pause"]
    child = pexpect.spawn(sys.executable, argv, env=env, encoding="utf-8", timeout=60, dimensions=(40, 120),
                          cwd=str(first_dir))
    child.expect("Write a starter file")
    assert "your file from last time" not in ANSI.sub("", child.before)
    child.send("\r")
    child.expect("Wrote ")
    work = first_dir / "attnquiz_softmax.py"
    source = work.read_text(encoding="utf-8")
    work.write_text(source.replace("raise NotImplementedError", "return np.exp(x)", 1), encoding="utf-8")
    child.expect("Skip this question")
    child.send("\r")  # Check
    child.expect(r"Check 1: \d+/10 points")
    child.expect("Skip this question")
    child.send(CTRL_C)
    child.expect(pexpect.EOF)
    child.close()
    child = pexpect.spawn(sys.executable, [*argv, "--lang", "zh"], env=env, encoding="utf-8", timeout=60,
                          dimensions=(40, 120), cwd=str(later_dir))
    child.expect(re.escape(f"检查 {work}（你上次用的文件）"))
    child.expect("跳过本题")
    child.send("\r")
    child.expect(re.escape(str(work)) + r"\s*" + "自上次检查后没有改动")  # (the path may be wrapped onto its own line)
    child.expect("跳过本题")
    work.write_text(source.replace("raise NotImplementedError",
                                   "e = np.exp(x - x.max(axis=axis, keepdims=True))\n"
                                   "    return e / e.sum(axis=axis, keepdims=True)", 1), encoding="utf-8")
    child.send("\r")  # Check (after editing the old file)
    child.expect("第 1 次检查：10/10 分")
    child.expect("检查通过")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert not (later_dir / "attnquiz_softmax.py").exists()
    assert _rows(tmp_path / "home") == [("fx-softmax-code", "true", 1, 4)]


@pytest.mark.parametrize(("typed", "lang", "verdict", "said"), [
    ("prefil", "en", "✓ Right", "Accepted with a typo: prefill"),
    ("perfill", "zh", "✓ 回答正确", "有拼写错误，但算对：prefill"),
    ("prefix", "en", "✗ Wrong", None),
], ids=["letter-missing-en", "letters-swapped-zh", "another-term-en"])
def test_a_short_answer_with_a_typo_is_right_and_says_so_another_term_is_wrong(
        tmp_path: Path, typed: str, lang: str, verdict: str, said: str | None) -> None:
    """The shipped question kv-prefill-name, in a terminal: the typo is forgiven and named; prefix is not prefill."""
    env = subprocess_env(ATTNQUIZ_HOME=str(tmp_path), TERM="xterm-256color", PROMPT_TOOLKIT_NO_CPR="1", NO_COLOR="1")
    child = pexpect.spawn(sys.executable, ["-m", "quiz", "start", "--question", "kv-prefill-name", "--no-pause",
                                           "--no-relearn", "--lang", lang],
                          env=env, encoding="utf-8", timeout=30, dimensions=(24, 80))
    child.expect("do not know|不会就直接回车")
    child.send(typed + "\r")
    child.expect(verdict)
    shown = ANSI.sub("", _ended(child, 0))
    if said is None:
        assert "typo" not in shown and "Accepted answers: prefill | prefill phase" in shown
    else:
        assert said in shown
    assert _rows(tmp_path) == [("kv-prefill-name", f'"{typed}"', int(said is not None), 4 if said else 1)]
