"""The reports (quiz.practice.summary): the end-of-session summary and stats, rendered and compared exactly."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest

from quiz.practice import render, summary
from quiz.bank.loader import load_paths
from quiz.check.catalog import exercise_names
from quiz.i18n import bind_language
from quiz.practice.scheduler import Rating, review
from quiz.practice.session import Answer, Item, Outcome, Result
from quiz.practice.store import Stats, TopicStats, WeakQuestion
from tests.conftest import REPO

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def items() -> dict[str, Item]:
    pairs = load_paths([REPO / "tests" / "fixtures" / "quiz" / "basics.yaml"], known_exercises=exercise_names()).questions()
    return {q.id: Item(bank, q, (), "new") for bank, q in pairs}


def _outcome(items: dict[str, Item], right: dict[str, bool], **flags: bool) -> Outcome:
    from quiz.practice.marking import Grade

    results = [Result(items[qid], Answer(True), Grade(ok, float(ok)), ok, Rating.GOOD, 4.0, NOW,
                      review(None, Rating.GOOD, NOW)) for qid, ok in right.items()]
    return Outcome("practice", planned=5, results=results, skipped=1, seconds=125.4, **flags)


def _render(result: summary.Summary, lang: str = "en") -> list[str]:
    bind_language(lang)
    out = io.StringIO()
    summary.render_summary(render.make_console(True, out, 80), result, NOW, True)
    return out.getvalue().splitlines()


def test_summary_after_an_interrupted_session(items: dict[str, Item]) -> None:
    outcome = _outcome(items, {"fx-scale": True, "fx-rows": False, "fx-bytes": True}, interrupted=True)
    result = summary.summarize(outcome, NOW + timedelta(minutes=10), "en")
    assert (result.answered, result.correct, result.percent) == (3, 2, 67)
    assert _render(result) == [
        "",
        "Summary",
        "Stopped early: 3 of 5 answered. Your answers are saved.",
        "Score: 2 of 3 right (67%)",
        "topic     | answered | right | accuracy",
        "----------+----------+-------+---------",
        "Attention |        2 |     1 |      50%",
        "KV cache  |        1 |     1 |     100%",
        "Skipped: 1",
        "Time: 2 min 05 s",
        f"Next review: in 10 min ({(NOW + timedelta(minutes=10)).astimezone().strftime('%H:%M')})",
    ]


def test_summary_in_chinese_with_nothing_answered(items: dict[str, Item]) -> None:
    result = summary.summarize(_outcome(items, {}, timed_out=True), None, "zh")
    assert _render(result, "zh")[1:] == ["本次小结", "时间到：共 5 题，答了 0 题。", "没有回答任何题目。", "跳过：1 题",
                                         "用时：2 分 05 秒", "下次复习：暂无安排"]


@pytest.mark.parametrize(
    ("seconds", "en", "zh"),
    [(9.6, "10 s", "10 秒"), (65, "1 min 05 s", "1 分 05 秒"), (3725, "1 h 02 min", "1 小时 02 分")],
    ids=["seconds", "minutes", "hours"],
)
def test_duration(seconds: float, en: str, zh: str) -> None:
    bind_language("en")
    assert summary.duration(seconds) == en
    bind_language("zh")
    assert summary.duration(seconds) == zh


@pytest.mark.parametrize(
    ("delay", "expected"),
    [(timedelta(seconds=-5), "now"), (timedelta(seconds=20), "in 1 min"), (timedelta(hours=5), "in 5 h"),
     (timedelta(days=3), "in 3 days")],
    ids=["overdue", "seconds-away", "hours", "days"],
)
def test_when(delay: timedelta, expected: str) -> None:
    bind_language("en")
    assert summary.when(NOW + delay, NOW).startswith(expected)


def test_stats_tables() -> None:
    bind_language("en")
    stats = Stats([TopicStats("attention", 4, 10, 7, 1, 3), TopicStats("kvcache", 2, 2, 1, 0, 2)], 4,
                  [WeakQuestion("b", "q-gone", "kvcache", 2, 1)], None)
    out = io.StringIO()
    summary.render_stats(render.make_console(True, out, 100), stats, NOW, True,
                         lambda topic: {"attention": "Attention"}.get(topic, topic), lambda bank, qid: None,
                         {"attention": 5, "masks": 3})
    lines = out.getvalue().splitlines()
    assert lines[:6] == [
        "topic      | seen | new | answers | accuracy | due now | next 7 days",
        "-----------+------+-----+---------+----------+---------+------------",
        "Attention  |    4 |   5 |      10 |      70% |       1 |           3",
        "kvcache    |    2 |   0 |       2 |      50% |       0 |           2",
        "masks      |    0 |   3 |       0 |        - |       0 |           0",
        "all topics |    6 |   8 |      12 |      67% |       1 |           5",
    ]
    assert "Current streak: 4 days" in lines
    assert any("q-gone: (no longer in the loaded banks)" in line for line in lines)


def test_stats_with_only_new_questions_says_how_many() -> None:
    bind_language("en")
    out = io.StringIO()
    summary.render_stats(render.make_console(True, out, 100), Stats(), NOW, True, str, lambda bank, qid: None,
                         {"attention": 1, "masks": 3})
    assert out.getvalue().splitlines() == ["No answers yet. Start with `attnquiz start`.",
                                           "4 questions in 2 topics, all new."]


def test_stats_with_no_answers() -> None:
    bind_language("en")
    out = io.StringIO()
    summary.render_stats(render.make_console(True, out, 80), Stats(), NOW, True, str, lambda b, q: None)
    assert out.getvalue() == "No answers yet. Start with `attnquiz start`.\n"
