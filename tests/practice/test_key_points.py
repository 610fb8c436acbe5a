"""Key points tested like code (quiz.practice.marking.mark_key_points): groups, exclusions, languages."""

from __future__ import annotations

import pytest

from quiz.bank import models
from quiz.practice.marking import mark_key_points, parse_number
from quiz.practice.normalize import contains_keyword, simplified


def _open(*points: dict) -> models.OpenQuestion:
    return models.OpenQuestion.model_validate({
        "id": "q", "type": "open", "topic": "t", "difficulty": 1, "prompt": "p", "explanation": "e",
        "reference": "r", "key_points": list(points)})


BANDWIDTH = {"point": "decode is bandwidth-bound", "match": {
    "en": {"all": [["decode", "decoding"], ["bandwidth", "memory-bound"]], "exclude": ["not bandwidth"]},
    "zh": {"all": [["decode", "解码"], ["带宽", "访存受限"]], "exclude": ["不是带宽"]}}}
SELF = {"point": "a token attends to itself", "match": {
    "en": {"all": [["itself", "self"]], "exclude": ["self-attention"]}, "zh": {"all": [["自己"]]}}}


@pytest.mark.parametrize(
    ("text", "lang", "ticked", "matched"),
    [
        ("Decoding is limited by memory bandwidth.", "en", True, ("decoding", "bandwidth")),
        ("Decode is compute-heavy.", "en", False, ("decode",)),
        ("It is bandwidth that matters, in prefill.", "en", False, ("bandwidth",)),
        ("Decode: it is not bandwidth, it is the softmax.", "en", False, ("decode",)),
        ("解码阶段受限于显存带宽", "zh", True, ("解码", "带宽")),
        ("解碼階段受限於顯存頻寬和帶寬", "zh", True, ("解码", "带宽")),
        ("decode 不是带宽的问题", "zh", False, ("decode",)),
    ],
    ids=["both-groups", "one-group-missing", "other-group-missing", "excluded-denial", "chinese",
         "traditional-folded", "chinese-exclusion"],
)
def test_all_groups_must_be_found(text: str, lang: str, ticked: bool, matched: tuple[str, ...]) -> None:
    (result,) = mark_key_points(_open(BANDWIDTH), text, lang)
    assert (result.ticked, result.matched) == (ticked, matched)


def test_missing_groups_are_reported_with_their_alternatives() -> None:
    (result,) = mark_key_points(_open(BANDWIDTH), "decode", "en")
    assert result.missing == (("bandwidth", "memory-bound"),)


def test_exclusion_stops_a_keyword_inside_a_longer_phrase() -> None:
    question = _open(SELF)
    assert not mark_key_points(question, "Self-attention looks at every token.", "en")[0].ticked
    assert mark_key_points(question, "Each token scores itself highest.", "en")[0].ticked


def test_only_the_answers_language_rule_is_used() -> None:
    question = _open(BANDWIDTH)
    assert not mark_key_points(question, "decoding is bandwidth-bound", "zh")[0].ticked  # zh rule: 带宽
    assert mark_key_points(question, "decode 受限于带宽", "zh")[0].ticked  # English terms written into zh


def test_simple_keywords_form_still_ticks_on_any_keyword_of_any_language() -> None:
    question = _open({"point": "future", "keywords": {"en": ["future"], "zh": ["未来"]}})
    assert mark_key_points(question, "看不到 future", "zh")[0].ticked


@pytest.mark.parametrize(
    ("answer", "keyword", "expected"),
    [
        ("inference is cheap", "-inf", False),
        ("scores set to -inf", "-inf", True),
        ("scores set to −inf", "-inf", True),
        ("the softmax saturates", "saturat", True),
        ("kvs and values", "kv", False),
        ("use head_dim 128", "head_dim", True),
        ("divide by sqrt(dk)", "d_k", True),
        ("鍵值緩存", "键值缓存", True),
    ],
    ids=["short-keyword-whole-word", "minus-inf", "unicode-minus-inf", "long-keyword-is-a-stem",
         "short-keyword-not-a-prefix", "underscore-kept", "underscore-optional-in-answer", "traditional"],
)
def test_keyword_boundaries(answer: str, keyword: str, expected: bool) -> None:
    assert contains_keyword(answer, keyword) is expected


def test_traditional_chinese_is_folded_and_other_text_untouched() -> None:
    assert simplified("記憶體頻寬與緩存") == "记忆体频宽与缓存"
    assert simplified("KV cache, d_k") == "KV cache, d_k"


@pytest.mark.parametrize(
    ("text", "value"),
    [("6711万", 67_110_000), ("1.5亿", 150_000_000), ("2亿5000万", 250_000_000), ("13万1072", 131_072),
     ("6711萬", 67_110_000), ("20万 * 2", 400_000), ("6711 万参数", 67_110_000)],
    ids=["wan", "yi-decimal", "yi-and-wan", "wan-and-units", "traditional-wan", "in-an-expression", "with-unit"],
)
def test_chinese_scale_numerals(text: str, value: float) -> None:
    assert parse_number(text) == pytest.approx(value)
