"""Grading per question type (quiz.practice.marking), on questions from a real fixture bank."""

from __future__ import annotations

from typing import Any

import pytest

from quiz.practice import marking as grading
from quiz.bank import models
from quiz.bank.loader import load_paths
from quiz.check.catalog import exercise_names
from tests.conftest import REPO

FIXTURES = REPO / "tests" / "fixtures" / "quiz"


@pytest.fixture(scope="module")
def questions() -> dict[str, models.AnyQuestion]:
    catalog = load_paths([FIXTURES / "basics.yaml"], known_exercises=exercise_names())
    assert not catalog.problems
    return {question.id: question for _, question in catalog.questions()}


def _question(kind: type[models.BaseModel], **fields: Any) -> Any:
    base = {"id": "q", "topic": "t", "difficulty": 1, "prompt": "p", "explanation": "e"}
    return kind.model_validate({**base, **fields})


def test_single_right_and_wrong(questions: dict[str, models.AnyQuestion]) -> None:
    q = questions["fx-scale"]
    assert grading.grade_single(q, 0) == grading.Grade(correct=True, score=1.0, picked=(0,))
    assert grading.grade_single(q, 2) == grading.Grade(correct=False, score=0.0, picked=(2,), missed=(0,),
                                                       wrong_picks=(2,))


@pytest.mark.parametrize(
    ("picked", "correct", "score", "missed", "wrong"),
    [
        ({0, 1}, True, 1.0, (), ()),
        ({0}, False, 0.5, (1,), ()),
        ({0, 2}, False, 0.0, (1,), (2,)),
        ({0, 1, 2}, False, 0.5, (), (2,)),
        (set(), False, 0.0, (0, 1), ()),
    ],
    ids=["exact", "one-missed", "one-right-one-wrong", "all-ticked", "none"],
)
def test_multiple_partial_credit(questions: dict[str, models.AnyQuestion], picked: set[int], correct: bool,
                                 score: float, missed: tuple[int, ...], wrong: tuple[int, ...]) -> None:
    grade = grading.grade_multiple(questions["fx-shrink"], frozenset(picked))
    assert (grade.correct, grade.score, grade.missed, grade.wrong_picks) == (correct, score, missed, wrong)
    assert grade.picked == tuple(sorted(picked))


def test_truefalse(questions: dict[str, models.AnyQuestion]) -> None:
    assert grading.grade_truefalse(questions["fx-rows"], True).correct
    assert not grading.grade_truefalse(questions["fx-rows"], False).correct


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [("o(n²)", "en", True), ("N^2", "zh", True), ("O(n)", "en", False), ("", "en", False)],
    ids=["normalised", "same-list-for-every-language", "wrong", "empty"],
)
def test_short_answers(questions: dict[str, models.AnyQuestion], text: str, lang: str, expected: bool) -> None:
    assert grading.grade_short(questions["fx-complexity"], text, lang).correct is expected


def test_short_answers_use_the_current_language() -> None:
    q = _question(models.ShortQuestion, type="short", answers={"en": ["key-value cache"], "zh": ["键值缓存"]})
    assert grading.grade_short(q, "Key value cache", "en").correct
    assert grading.grade_short(q, "键值缓存", "zh").correct
    assert not grading.grade_short(q, "键值缓存", "en").correct


@pytest.mark.parametrize(
    ("text", "correct", "value"),
    [
        ("131072", True, 131072.0),
        ("131,072 bytes", True, 131072.0),
        ("131072 字节", True, 131072.0),
        ("2*32*8*128*2", True, 131072.0),
        ("2^17", True, 131072.0),
        ("1.31072e5", True, 131072.0),
        ("１３１０７２", True, 131072.0),
        ("131073", False, 131073.0),
        ("lots", False, None),
        ("", False, None),
    ],
    ids=["plain", "commas-and-unit", "chinese-unit", "expression", "power", "exponent", "full-width", "off-by-one",
         "not-a-number", "empty"],
)
def test_numeric(questions: dict[str, models.AnyQuestion], text: str, correct: bool, value: float | None) -> None:
    grade = grading.grade_numeric(questions["fx-bytes"], text, "zh")
    assert (grade.correct, grade.value) == (correct, value)


def test_numeric_tolerance_is_inclusive() -> None:
    q = _question(models.NumericQuestion, type="numeric", answer=0.1, tolerance=0.01)
    assert grading.grade_numeric(q, "0.11", "en").correct
    assert grading.grade_numeric(q, "0.09", "en").correct
    assert not grading.grade_numeric(q, "0.111", "en").correct


@pytest.mark.parametrize(
    "text",
    ["__import__('os').system('true')", "9**9**9", "2**100000", "1/0", "[1, 2]", "x + 1", "1e999"],
    ids=["call", "nested-power", "huge-power", "divide-by-zero", "list", "name", "overflow"],
)
def test_parse_number_refuses_anything_but_small_arithmetic(text: str) -> None:
    assert grading.parse_number(text) is None


@pytest.mark.parametrize(
    ("text", "lang", "covered"),
    [
        ("It would see future tokens.", "en", (True, False)),
        ("Training must match autoregressive generation; no future leaks.", "en", (True, True)),
        ("防止看到未来的 token，保证训练和推理一致", "zh", (True, True)),
        ("防止看到后面的词", "zh", (True, False)),
        ("训练时不能偷看 future", "zh", (True, False)),
        ("", "en", (False, False)),
    ],
    ids=["one-point", "both-points", "chinese-both", "chinese-synonym", "english-keyword-in-chinese-answer",
         "empty"],
)
def test_open_key_points(questions: dict[str, models.AnyQuestion], text: str, lang: str,
                         covered: tuple[bool, ...]) -> None:
    grade = grading.grade_open(questions["fx-mask"], text, lang)
    assert grade.covered == covered
    assert grade.score == sum(covered) / 2


def test_code() -> None:
    assert grading.grade_code(True) == grading.Grade(correct=True, score=1.0)
    assert grading.grade_code(False) == grading.Grade(correct=False, score=0.0)
