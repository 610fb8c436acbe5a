"""What the quiz prints (quiz.practice.render), rendered to a string and compared exactly."""

from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest

from quiz.practice import feedback, render
from quiz.bank.loader import load_paths
from quiz.check.catalog import exercise_names
from quiz.i18n import bind_language
from quiz.practice.scheduler import Rating, review
from quiz.practice.session import Answer, Item, Result
from tests.conftest import REPO

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def items() -> dict[str, Item]:
    pairs = load_paths([REPO / "tests" / "fixtures" / "quiz" / "basics.yaml"], known_exercises=exercise_names()).questions()
    return {q.id: Item(bank, q, (1, 0, 2) if q.type in ("single", "multiple") else (), "new") for bank, q in pairs}


def _result(item: Item, value: object, lang: str = "en", rating: Rating | None = None) -> Result:
    from quiz.practice.session import grade

    marked = grade(item, Answer(value), lang)  # type: ignore[arg-type]
    rating = rating or (Rating.GOOD if marked.correct else Rating.AGAIN)
    correct = rating != Rating.AGAIN if item.question.type == "open" else marked.correct
    return Result(item, Answer(value), marked, correct, rating, 3.0, NOW, review(None, rating, NOW))  # type: ignore[arg-type]


def _feedback(result: Result, lang: str = "en", plain: bool = True, **kwargs: bool) -> list[str]:
    bind_language(lang)
    out = io.StringIO()
    feedback.feedback(render.make_console(plain, out, 80), result, lang, plain, **kwargs)
    return out.getvalue().splitlines()


def test_single_choice_wrong(items: dict[str, Item]) -> None:
    assert _feedback(_result(items["fx-scale"], 2)) == [
        "",
        "✗ Wrong",
        "The choices:",
        "  ✗ wrong  d_k",
        "      That shrinks the logits too much.",
        "  ✓ right  sqrt(d_k)",
        "      It keeps the logits' variance at 1.",
        "  ✗ wrong  the sequence length (your pick)",
        "      The variance grows with d_k, not the length.",
        "",
        "Explanation",
        "`q·k` has variance `d_k`.",
        "Common mistake: It is not the sequence length.",
        "Source: Vaswani et al. 2017, section 3.2.1",
    ]


def test_multiple_choice_partly_right_in_chinese(items: dict[str, Item]) -> None:
    lines = _feedback(_result(items["fx-shrink"], frozenset({0, 2}), "zh"), "zh")
    assert lines[1:8] == [
        "◐ 部分正确：选对 1/2 个，多选了 1 个错误选项",
        "各选项：",
        "  ✓ 正确  KV 量化（你漏选了）",
        "      每个值的字节更少。",
        "  ✓ 正确  GQA（你选了）",
        "      KV 头更少。",
        "  ✗ 错误  更多的 query 头（你选了）",
    ]


@pytest.mark.parametrize(
    ("value", "line"),
    [("2^17", "Your answer: 2^17 (read as 131072 bytes)"), ("lots", "Your answer: lots (not a number)"),
     ("", "Your answer: (none)")],
    ids=["expression", "not-a-number", "empty"],
)
def test_numeric_answers(items: dict[str, Item], value: str, line: str) -> None:
    lines = _feedback(_result(items["fx-bytes"], value))
    assert lines[2:4] == [line, "Right answer: 131072 bytes (± 0)"]


def test_open_answer_walkthrough_shows_the_reference_and_ticks(items: dict[str, Item]) -> None:
    lines = _feedback(_result(items["fx-mask"], "it would see the future", rating=Rating.HARD), with_reference=True)
    assert lines[1:9] == [
        "You rated it: Hard: partly, with effort",
        "Your answer: it would see the future",
        "",
        "Reference answer",
        "So position i only sees positions up to i; training then matches generation.",
        "Key points (1 of 2 found in your answer):",
        "  [x] no peeking at future tokens",
        "  [ ] training matches generation",
    ]


def test_markdown_is_rendered_outside_plain_mode(items: dict[str, Item]) -> None:
    lines = [line.rstrip() for line in _feedback(_result(items["fx-scale"], 1), plain=False)]
    assert "q·k has variance d_k." in lines and "`q·k` has variance `d_k`." not in lines


def test_texts_are_escaped_not_read_as_markup() -> None:
    out = io.StringIO()
    render.line(render.make_console(False, out, 80), "[bold]literal[/bold] [x]")
    assert out.getvalue() == "[bold]literal[/bold] [x]\n"


def test_question_header(items: dict[str, Item]) -> None:
    bind_language("en")
    out = io.StringIO()
    render.question(render.make_console(True, out, 80), items["fx-bytes"], 3, 9, "en", True, "4:05")
    assert out.getvalue().splitlines()[1:] == [
        "Question 3/9 · KV cache · difficulty 2 · new · numeric answer · 4:05 left",
        "KV cache bytes per token for 32 layers, 8 KV heads, head_dim 128, fp16?",
    ]


@pytest.mark.parametrize(("value", "shown"), [(131072.0, "131072"), (0.125, "0.125"), (1e20, "1e+20")],
                         ids=["whole", "fraction", "huge"])
def test_number(value: float, shown: str) -> None:
    assert render.number(value) == shown



@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("每 token 的 cache（L 为层数）。\n第 i 个头", "每 token 的 cache（L 为层数）。第 i 个头"),
        ("中文、\nLlama-3-8B 用 GQA", "中文、Llama-3-8B 用 GQA"),
        ("English words\nstay apart", "English words\nstay apart"),
        ("中文：\n- 列表项", "中文：\n- 列表项"),
        ("```\n代码\n更多\n```\n段落。\n继续", "```\n代码\n更多\n```\n段落。继续"),
    ],
    ids=["after-full-stop", "before-latin", "english", "list-kept", "code-fence-kept"],
)
def test_join_cjk_lines(text: str, expected: str) -> None:
    assert render.join_cjk_lines(text) == expected
