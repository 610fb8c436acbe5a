"""The prompts (quiz.practice.prompts): questionary driven through prompt_toolkit pipes, and the plain reader."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from quiz.practice import render
from quiz.bank.loader import load_paths
from quiz.check.catalog import exercise_names
from quiz.practice.code import CodeCheck
from quiz.practice.marking import grade_open
from quiz.i18n import bind_language
from quiz.practice.prompts import PlainUI, QuestionaryUI
from quiz.practice.scheduler import Rating
from quiz.practice.session import Answer, Item, TimeUp
from tests.conftest import REPO

FIXTURES = REPO / "tests" / "fixtures" / "quiz"
DOWN, ENTER, SPACE, ESC, CTRL_C = "\x1b[B", "\r", " ", "\x1b", "\x03"


@pytest.fixture(scope="module")
def items() -> dict[str, Item]:
    pairs = load_paths([FIXTURES / "basics.yaml"], known_exercises=exercise_names()).questions()
    return {q.id: Item(bank, q, (2, 0, 1) if q.type in ("single", "multiple") else (), "new") for bank, q in pairs}


def _ask(item: Item, keys: str, lang: str = "en", code: CodeCheck | None = None) -> tuple[Answer | None, str]:
    bind_language(lang)
    shown = io.StringIO()
    with create_pipe_input() as pipe:
        pipe.send_text(keys)
        ui = QuestionaryUI(render.make_console(True, shown, 80), lang, code, input=pipe, output=DummyOutput())
        answer = ui.ask(item, 1, 7, None)
    return answer, shown.getvalue()


@pytest.mark.parametrize(
    ("qid", "keys", "expected"),
    [
        ("fx-scale", ENTER, 2),
        ("fx-scale", DOWN + ENTER, 0),
        ("fx-shrink", DOWN + SPACE + DOWN + SPACE + ENTER, frozenset({0, 1})),
        ("fx-shrink", ENTER, frozenset()),
        ("fx-rows", "n" + ENTER, False),
        ("fx-rows", ENTER, True),
        ("fx-complexity", "O(n^2)" + ENTER, "O(n^2)"),
        ("fx-bytes", "lots" + ENTER + "\x7f" * 4 + "2^17" + ENTER, "2^17"),
        ("fx-mask", "future tokens" + ENTER + "second line" + ESC + ENTER, "future tokens\nsecond line"),
    ],
    ids=["select-first-shown", "select-with-arrow", "checkbox-two", "checkbox-none", "truefalse-n-key",
         "truefalse-enter", "short", "numeric-rejects-text-then-accepts", "open-multiline-esc-enter"],
)
def test_questionary_answers_map_to_bank_choices(items: dict[str, Item], qid: str, keys: str, expected: object) -> None:
    answer, shown = _ask(items[qid], keys)
    assert answer == Answer(expected)  # type: ignore[arg-type]
    assert shown.splitlines()[1].startswith("Question 1/7 · ")


def test_ctrl_c_reaches_the_caller(items: dict[str, Item]) -> None:
    with pytest.raises(KeyboardInterrupt):
        _ask(items["fx-scale"], DOWN + CTRL_C)


def test_the_exam_timer_ends_the_prompt_on_screen(items: dict[str, Item]) -> None:
    with create_pipe_input() as pipe:
        ui = QuestionaryUI(render.make_console(True, io.StringIO(), 80), "en", input=pipe, output=DummyOutput())
        started = time.monotonic()
        with pytest.raises(TimeUp):
            ui.ask(items["fx-complexity"], 1, 1, started + 0.3)
    assert time.monotonic() - started < 5


def test_self_rating_shows_reference_and_ticks_covered_points(items: dict[str, Item]) -> None:
    item = items["fx-mask"]
    grade = grade_open(item.question, "it sees the future", "en")  # type: ignore[arg-type]
    shown = io.StringIO()
    with create_pipe_input() as pipe:
        pipe.send_text(ENTER + DOWN + ENTER)  # the pointer starts on the rating the coverage suggests
        ui = QuestionaryUI(render.make_console(True, shown, 80), "en", input=pipe, output=DummyOutput())
        assert ui.rate(item, "it sees the future", grade) is Rating.HARD
        assert ui.rate(item, "it sees the future", grade) is Rating.GOOD
    assert shown.getvalue().splitlines()[-4:] == [  # (the second rating's display)
        "So position i only sees positions up to i; training then matches generation.",
        "Key points (1 of 2 found in your answer):",
        "  [x] no peeking at future tokens",
        "  [ ] training matches generation",
    ]


SOFTMAX = "import numpy as np\n\ndef softmax(x, axis=-1):\n    e = np.exp(x - x.max(axis=axis, keepdims=True))\n" \
          "    return e / e.sum(axis=axis, keepdims=True)\n"


NO_SHIFT = "import numpy as np\n\ndef softmax(x, axis=-1):\n    e = np.exp(x)\n" \
           "    return e / e.sum(axis=axis, keepdims=True)\n"


def test_the_code_loop_with_the_real_checker(items: dict[str, Item], tmp_path: Path) -> None:
    from quiz.practice.store import Store

    store = Store(tmp_path / "progress.sqlite3")
    check = CodeCheck(tmp_path, store=store)
    starter = tmp_path / "attnquiz_softmax.py"
    # write the starter, check it untouched (no attempt), then skip: [check, hint 1/3, give up, skip]
    answer, shown = _ask(items["fx-softmax-code"], ENTER + ENTER + DOWN * 3 + ENTER, code=check)
    assert answer is None
    assert f"Wrote {starter}" in shown and "is still the starter" in shown and "costs no attempt" in shown
    assert "def softmax(x, axis=-1):" in starter.read_text(encoding="utf-8")
    # a wrong file: check, then give up but say no (Enter) to 'are you sure?', and skip
    starter.write_text(NO_SHIFT, encoding="utf-8")
    answer, shown = _ask(items["fx-softmax-code"], ENTER + DOWN * 3 + ENTER + ENTER + DOWN * 4 + ENTER, code=check)
    assert answer is None and "The worked solution:" not in shown
    assert not store.exercise_progress()["softmax"].gave_up
    # check (attempt 1), check unchanged (no attempt), hint 1, details, give up with a yes
    keys = ENTER + ENTER + DOWN + ENTER + DOWN + DOWN + ENTER + DOWN * 3 + ENTER + "y"
    answer, shown = _ask(items["fx-softmax-code"], keys, code=check)
    assert answer is not None and answer.value is False and answer.gave_up and answer.attempts == 1
    assert answer.hints == 1 and answer.check is not None and not answer.check.passed
    assert "Check 1: " in shown and "likely mistake: exp without subtracting the max" in shown
    assert "has not changed since the last check" in shown
    assert "Hint 1/3: exp of a large logit overflows" in shown
    assert "Score " in shown  # the full report, as `attnquiz check` prints it
    assert "The worked solution:" in shown and "shifted = x - np.max(x, axis=axis, keepdims=True)" in shown
    # fixed: passes on the first check of this question
    starter.write_text(SOFTMAX, encoding="utf-8")
    answer, shown = _ask(items["fx-softmax-code"], ENTER, code=check)
    assert answer is not None and answer.value is True and answer.attempts == 1 and answer.hints == 0
    assert answer.check.score == answer.check.max_score == 10 and "Check 1: 10/10 points" in shown
    progress = store.exercise_progress()["softmax"]
    assert progress.status == "passed" and progress.checks == 3 and progress.best_score == 10
    assert progress.hints_read == 1 and progress.gave_up
    store.close()


def _plain(item: Item, typed: str, monkeypatch: pytest.MonkeyPatch, lang: str = "en") -> tuple[Answer | None, str]:
    bind_language(lang)
    monkeypatch.setattr("sys.stdin", io.StringIO(typed))
    shown = io.StringIO()
    answer = PlainUI(render.make_console(True, shown, 80), lang).ask(item, 2, 7, None)
    return answer, shown.getvalue()


@pytest.mark.parametrize(
    ("qid", "typed", "expected", "complaints"),
    [
        ("fx-scale", "2\n", 0, 0),
        ("fx-scale", "0\nfour\n3\n", 1, 2),
        ("fx-shrink", "1, 3\n", frozenset({2, 1}), 0),
        ("fx-shrink", "1，2\n", frozenset({2, 0}), 0),
        ("fx-shrink", "\n", frozenset(), 0),
        ("fx-shrink", "5\n2\n", frozenset({0}), 1),
        ("fx-rows", "maybe\nN\n", False, 1),
        ("fx-complexity", "O(n^2)\n", "O(n^2)", 0),
        ("fx-bytes", "many\n131,072 bytes\n", "131,072 bytes", 1),
        ("fx-mask", "line one\nline two\n.\n", "line one\nline two", 0),
        ("fx-mask", "only line\n\n", "only line", 0),
    ],
    ids=["choice", "choice-retries", "several", "several-full-width-comma", "none", "several-retry", "truefalse",
         "short", "numeric-retry", "open-dot", "open-empty-line"],
)
def test_plain_prompts(items: dict[str, Item], monkeypatch: pytest.MonkeyPatch, qid: str, typed: str,
                       expected: object, complaints: int) -> None:
    answer, shown = _plain(items[qid], typed, monkeypatch)
    assert answer == Answer(expected)  # type: ignore[arg-type]
    assert sum(line.startswith("Please type") for line in shown.splitlines()) == complaints


def test_plain_choices_are_numbered_in_display_order(items: dict[str, Item], monkeypatch: pytest.MonkeyPatch) -> None:
    _, shown = _plain(items["fx-scale"], "1\n", monkeypatch)
    assert shown.splitlines() == [
        "",
        "Question 2/7 · Attention · difficulty 2 · new · single choice",
        "What are the attention logits divided by?",
        "  1) the sequence length",
        "  2) sqrt(d_k)",
        "  3) d_k",
        "Answer (a number from 1 to 3): 1",
    ]


def test_plain_prompts_in_chinese(items: dict[str, Item], monkeypatch: pytest.MonkeyPatch) -> None:
    answer, shown = _plain(items["fx-rows"], "对\n", monkeypatch, lang="zh")
    assert answer == Answer(True)
    assert shown.splitlines()[1:] == ["第 2/7 题 · 注意力 · 难度 1 · 新题 · 判断题", "注意力权重的每一行之和为 1。",
                                      "答案（y = 正确，n = 错误）：对"]


def test_plain_end_of_input_is_eof(items: dict[str, Item], monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(EOFError):
        _plain(items["fx-scale"], "7\n", monkeypatch)

