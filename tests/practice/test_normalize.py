"""Answer normalisation and keyword matching (quiz.practice.normalize)."""

from __future__ import annotations

import pytest

from quiz.practice.normalize import Match, contains_keyword, match_answer, matches_any, normalize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Softmax", "softmax"),
        ("ＳＯＦＴＭＡＸ", "softmax"),
        ("  multi-head   attention ", "multiheadattention"),
        ("O(n²)", "on2"),
        ("O(N^2)", "on2"),
        ("n**2", "n2"),
        ("2^10", "2^10"),
        ("2**10", "2^10"),
        ("1,024", "1024"),
        ("0.5", "0.5"),
        ("键值缓存。", "键值缓存"),
        ("（键值）缓存", "键值缓存"),
        ("“KV cache”!", "kvcache"),
        ("...", ""),
    ],
    ids=["case", "full-width", "spaces-and-hyphen", "superscript", "caret", "double-star", "power-of-a-number",
         "double-star-number", "thousands-comma", "decimal-point",
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


NEAR_MISSES = [  # (typed, accepted answers, what it matches: (accepted answer, typo?) or None)
    ("prefil", ["prefill"], ("prefill", True)),
    ("Prefil", ["prefill", "pre-fill"], ("prefill", True)),
    ("perfill", ["prefill"], ("prefill", True)),  # two letters swapped: one typo
    ("prefills", ["prefill"], ("prefill", True)),
    ("alibbi", ["ALiBi"], ("ALiBi", True)),
    ("ALiBI", ["ALiBi"], ("ALiBi", False)),
    ("lineer", ["linear"], ("linear", True)),
    ("quadratik", ["quadratic"], ("quadratic", True)),
    ("casual mask", ["causal mask"], ("causal mask", True)),
    ("ouput projection", ["output projection"], ("output projection", True)),
    ("linear bias", ["Attention with Linear Biases", "linear biases"], ("linear biases", True)),  # 2 in a long one
    ("atention with lnear biases", ["Attention with Linear Biases"], ("Attention with Linear Biases", True)),
    ("o(n2)", ["O(n^2)"], ("O(n^2)", False)),
    ("O(n²)", ["O(n^2)"], ("O(n^2)", False)),
    ("O(n**2)", ["O(n^2)"], ("O(n^2)", False)),
    ("out proj", ["out_proj"], ("out_proj", False)),
    ("prefix", ["prefill"], None),  # a different term: two letters differ in a short word
    ("refill", ["prefill"], None),  # the first letter is never a typo
    ("xprefill", ["prefill"], None),
    ("decoder", ["encoder"], None),
    ("softmin", ["softmax"], None),
    ("q_proj", ["o_proj", "out_proj"], None),  # a one-letter word is exact: the query projection is another thing
    ("k_proj", ["o_proj"], None),
    ("top-p sampling", ["top-k sampling"], None),
    ("toppsampling", ["top-k sampling"], None),
    ("O(n^3)", ["O(n^2)"], None),  # digits are exact
    ("O(n)", ["O(n^2)", "n^2"], None),
    ("O(n log n)", ["O(n^2)"], None),
    ("17", ["16"], None),
    ("float32", ["float16"], None),
    ("FlashAttention-3", ["FlashAttention-2"], None),
    ("2^10", ["210"], None),
    ("sixty", ["sixteen"], None),
    ("MQA", ["GQA"], None),  # short words are exact
    ("lnear", ["linear"], ("linear", True)),
    ("linearr biases", ["linear biases"], ("linear biases", True)),  # a letter too many at the end of a word
    ("topkk sampling", ["top-k sampling"], None),  # ... of a short one
    ("prefilll", ["prefill"], ("prefill", True)),
    ("預填充", ["预填充"], ("预填充", False)),  # Traditional folded to Simplified
    ("预 填 充", ["预填充"], ("预填充", False)),
    ("预填", ["预填充"], None),  # Chinese: one character changed or missing is another word
    ("编码器", ["解码器"], None),
    ("线形偏置", ["线性偏置"], None),
    ("prefil 阶段", ["prefill 阶段"], None),
    ("", ["prefill"], None),
]


@pytest.mark.parametrize(("typed", "accepted", "expected"), NEAR_MISSES,
                         ids=[f"{typed or 'empty'}->{'no' if expected is None else expected[0]}"
                              for typed, _, expected in NEAR_MISSES])
def test_typos_are_forgiven_inside_long_words_and_different_terms_are_not(
        typed: str, accepted: list[str], expected: tuple[str, bool] | None) -> None:
    assert match_answer(typed, accepted) == (Match(*expected) if expected else None)


def test_no_built_in_short_answer_is_a_typo_of_another_question_s() -> None:
    """The threshold against the shipped content: no question's accepted answer would be taken, as a typo,
    for another short question's answer (a learner mixing two terms up is marked wrong)."""
    from tests.conftest import REPO

    from quiz.bank.loader import load_paths
    from quiz.bank.models import localize
    from quiz.check.catalog import exercise_names

    shorts = [q for _, q in load_paths([REPO / "questions"], known_exercises=exercise_names()).questions()
              if q.type == "short"]
    assert len(shorts) >= 5
    for lang in ("en", "zh"):
        for question in shorts:
            own = list(localize(question.answers, lang))
            for other in shorts:
                if other is not question:
                    for typed in localize(other.answers, lang):
                        found = match_answer(typed, own)
                        assert found is None or found.accepted == typed or not found.typo, (
                            question.id, other.id, typed, found)


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
