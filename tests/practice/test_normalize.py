"""Answer normalisation and keyword matching (quiz.practice.normalize)."""

from __future__ import annotations

import pytest

from quiz.practice.normalize import contains_keyword, matches_any, normalize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Softmax", "softmax"),
        ("ＳＯＦＴＭＡＸ", "softmax"),
        ("  multi-head   attention ", "multiheadattention"),
        ("O(n²)", "on^2"),
        ("O(N^2)", "on^2"),
        ("1,024", "1024"),
        ("0.5", "0.5"),
        ("键值缓存。", "键值缓存"),
        ("（键值）缓存", "键值缓存"),
        ("“KV cache”!", "kvcache"),
        ("...", ""),
    ],
    ids=["case", "full-width", "spaces-and-hyphen", "superscript", "caret", "thousands-comma", "decimal-point",
         "chinese-full-stop", "full-width-brackets", "quotes", "only-punctuation"],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("answer", "accepted", "expected"),
    [
        ("o(n^2)", ["O(n²)"], True),
        ("Ｏ（ｎ^2）", ["O(n^2)"], True),
        ("O(n)", ["O(n^2)"], False),
        ("", ["O(n^2)"], False),
        ("  ", [" "], False),
        ("键值 缓存", ["键值缓存"], True),
    ],
    ids=["superscript-vs-caret", "full-width-answer", "different", "empty-never-matches", "blank-vs-blank",
         "chinese-with-space"],
)
def test_matches_any(answer: str, accepted: list[str], expected: bool) -> None:
    assert matches_any(answer, accepted) is expected


@pytest.mark.parametrize(
    ("answer", "keyword", "expected"),
    [
        ("It must not see future tokens", "future", True),
        ("No FUTURES", "future", True),
        ("bkv lookups", "kv", False),
        ("使用kv缓存", "kv", True),
        ("防止模型看到未来的信息", "未来", True),
        ("防止模型看到后面的信息", "未来", False),
        ("multihead attention", "multi-head", True),
        ("multi head attention", "multihead", False),
        ("训练与推理一致", "推理", True),
        ("ｆｕｔｕｒｅ", "future", True),
        ("anything", "。", False),
    ],
    ids=["word", "prefix-and-case", "not-inside-a-word", "latin-next-to-cjk", "cjk-substring", "cjk-absent",
         "hyphen-in-keyword", "spaces-not-invented", "cjk-two-chars", "full-width-answer", "empty-keyword"],
)
def test_contains_keyword(answer: str, keyword: str, expected: bool) -> None:
    assert contains_keyword(answer, keyword) is expected
