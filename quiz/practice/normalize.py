"""Text normalisation for matching answers: short answers and open-answer keywords.

``normalize`` folds what a person should not be marked wrong for: letter case,
full-width and half-width forms (NFKC: ``ＳＯＦＴＭＡＸ`` is ``softmax``; a superscript ``n²`` is ``n^2``),
white space and punctuation (``multi-head`` = ``multi head`` = ``multihead``).
A decimal point between digits is kept (``0.5`` is not ``05``); a thousands comma
between digits is dropped (``1,024`` = ``1024``). Symbols such as ``^ + × =`` are kept:
they carry meaning in formulas.

Short answers (``match_answer``) also fold notation: a power sign after a letter is optional
(``O(n^2)`` = ``o(n2)`` = ``O(n²)`` = ``n**2``; ``2^10`` keeps its sign, it is not ``210``), and
forgive typos, measured with RapidFuzz's optimal string alignment distance (a swap of two
neighbouring letters is one typo): one in an answer of under TYPO_LONG letters, two in a longer
one, and only inside a word of at least TYPO_MIN_WORD letters, never its first letter, never in a
digit or symbol (``prefil`` and ``perfill`` are ``prefill``; ``prefix``, ``q_proj`` for ``o_proj``,
``top-p`` for ``top-k``, ``O(n^3)`` are not). Text with Chinese characters must match exactly
(after Traditional-to-Simplified folding): one character changed is another word (``编码`` is
not ``解码``).

``find_keyword`` decides whether (and where) an open answer mentions a keyword. Latin
keywords must start at a word start (``kv`` does not match inside ``bkv``); a keyword of
four letters or more may be a stem (``future`` matches ``futures``, ``saturat`` matches
``saturates``), a shorter one must be a whole word (``inf`` does not match ``inference``).
Keywords with CJK characters match anywhere, since Chinese has no spaces between words.
Traditional Chinese is folded to Simplified first (OpenCC's ``t2s``), in the answer and in
the keyword alike, so ``鍵值緩存`` matches ``键值缓存``.

``blank_out`` removes the places an exclusion matches, so that a keyword inside an excluded
phrase does not count (key points' ``exclude``, see quiz.practice.marking).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_DIGIT_COMMA = re.compile(r"(?<=\d),(?=\d{3}\b)")
_DIGIT_POINT = re.compile(r"(?<=\d)\.(?=\d)")
_SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_SUPERSCRIPT = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹]+")
_KEEP_POINT = "\x00"  # stands in for a decimal point while punctuation is removed
_KEEP_UNDERSCORE = "\x02"  # and for an underscore inside a name
_INNER_UNDERSCORE = re.compile(r"(?<=[a-z0-9])_(?=[a-z0-9])")
_WORD_START = r"(?<![a-z0-9\u00c0-\u024f])"  # not inside a Latin word (CJK may touch it)
_WORD_END = r"(?![a-z0-9\u00c0-\u024f])"


_POWER_AFTER_LETTER = re.compile(r"(?<=[^\W\d_])\^")
_LETTER = re.compile(r"[^\W\d_]")
TYPO_MIN_WORD = 5
"""A word needs this many letters before a typo in it is forgiven (o_proj is not q_proj, top-k is not top-p)."""
TYPO_LONG = 10
"""An answer of this many letters (without spaces) forgives two typos; a shorter one, one."""
_BLANK = "\x01"  # stands where an excluded phrase was: neither a letter nor CJK, so no match spans it
_STEM_MIN = 4  # Latin keywords at least this long may match the start of a longer word


@functools.lru_cache(maxsize=1)
def _to_simplified() -> Callable[[str], str]:
    import opencc

    return opencc.OpenCC("t2s").convert


def simplified(text: str) -> str:
    """Traditional Chinese characters folded to Simplified (text without CJK is returned as is)."""
    return _to_simplified()(text) if has_cjk(text) else text


def _fold(text: str) -> str:
    """Superscripts as powers, NFKC, case-folded, Simplified Chinese, thousands commas dropped, decimal points protected."""
    text = _SUPERSCRIPT.sub(lambda m: "^" + m.group().translate(_SUPERSCRIPT_DIGITS), text)
    text = simplified(unicodedata.normalize("NFKC", text)).casefold()
    text = _DIGIT_COMMA.sub("", text)
    return _DIGIT_POINT.sub(_KEEP_POINT, text)


def _is_punctuation(char: str) -> bool:
    return unicodedata.category(char).startswith("P")


def words(text: str) -> str:
    """Folded text with punctuation turned into spaces and runs of space collapsed.

    An underscore inside a name stays (``d_k``, ``head_dim``): keywords such as ``d_k`` are
    then three characters, not two, and still match ``dk`` (see ``keyword_pattern``).
    """
    folded = _INNER_UNDERSCORE.sub(_KEEP_UNDERSCORE, _fold(text))
    folded = "".join(" " if _is_punctuation(c) else c for c in folded)
    return " ".join(folded.split()).replace(_KEEP_POINT, ".").replace(_KEEP_UNDERSCORE, "_")


def _answer_words(text: str) -> list[str]:
    """The words of a short answer as compared: `words` split at spaces and underscores, and a power
    sign after a letter dropped (n^2 is n2; 2^10 keeps it)."""
    return [word for word in re.split(r"[ _]", _POWER_AFTER_LETTER.sub("", words(text.replace("**", "^")))) if word]


def normalize(text: str) -> str:
    """The form two answers are compared in: no case, width, spaces or punctuation differences,
    and a power after a letter written with or without ^."""
    return "".join(_answer_words(text))


@dataclass(frozen=True)
class Match:
    """Which accepted answer a short answer matched, and whether only with a typo."""

    accepted: str
    typo: bool = False


def match_answer(answer: str, accepted: list[str]) -> Match | None:
    """The accepted answer `answer` equals after normalisation, else the closest it is a typo of
    (see the module docstring), else None (an empty answer never matches)."""
    given = normalize(answer)
    if not given:
        return None
    for option in accepted:
        if given == normalize(option):
            return Match(option)
    typos = [(distance, option) for option in accepted if (distance := _typos(given, option)) is not None]
    return Match(min(typos, key=lambda found: found[0])[1], typo=True) if typos else None


def matches_any(answer: str, accepted: list[str]) -> bool:
    """Whether `answer` matches one of `accepted` (`match_answer`)."""
    return match_answer(answer, accepted) is not None


def _typos(given: str, option: str) -> int | None:
    """How many typos make `given` (normalised) the accepted answer `option`, when they are forgiven."""
    from rapidfuzz.distance import OSA, Levenshtein

    parts = _answer_words(option)
    target = "".join(parts)
    if has_cjk(given) or has_cjk(target) or _LETTER.sub("", given) != _LETTER.sub("", target):
        return None  # Chinese, or a digit or symbol differs: only an exact match counts
    allowed = 1 if len(target) < TYPO_LONG else 2
    distance = OSA.distance(given, target, score_cutoff=allowed)
    if not 0 < distance <= allowed:
        return None
    starts = [0]
    for part in parts:
        starts.append(starts[-1] + len(part))

    def forgiven(at: int, first_letter_ok: bool) -> bool:  # a typo at the accepted answer's letter `at`
        word = next(i for i in range(len(parts)) if at < starts[i + 1])
        return len(parts[word]) >= TYPO_MIN_WORD and (first_letter_ok or at != starts[word])

    for edit in Levenshtein.editops(given, target):
        if edit.tag == "delete":  # a letter too many, typed after the accepted answer's letter dest_pos - 1
            if edit.dest_pos == 0 or not forgiven(edit.dest_pos - 1, first_letter_ok=True):
                return None
        elif not forgiven(edit.dest_pos, first_letter_ok=False):  # a letter missing or changed
            return None
    return distance


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


@functools.lru_cache(maxsize=4096)
def keyword_pattern(keyword: str) -> re.Pattern[str] | None:
    """The regex that finds `keyword` in an answer's `words` form (None for an empty keyword)."""
    key_words = words(keyword)
    if not key_words:
        return None
    if has_cjk(key_words):  # Chinese: anywhere, with or without a space between the characters
        return re.compile(" ?".join(re.escape(c) for c in key_words.replace(" ", "")))
    end = "" if len(key_words.replace(" ", "")) >= _STEM_MIN else _WORD_END
    compact = key_words.replace(" ", "").replace("_", "")
    # "multi-head" also matches "multihead": the keyword without its spaces, at a word start.
    forms = [re.escape(key_words)] + ([re.escape(compact)] if compact != key_words else [])
    return re.compile(_WORD_START + "(?:" + "|".join(forms) + ")" + end)


def find_keyword(text: str, keyword: str) -> str | None:
    """The part of `text` (already in `words` form) that matches `keyword`, or None."""
    pattern = keyword_pattern(keyword)
    match = pattern.search(text) if pattern is not None else None
    return match.group() if match else None


def blank_out(text: str, phrases: list[str]) -> str:
    """`text` (in `words` form) with every place a phrase matches replaced by a separator."""
    for phrase in phrases:
        pattern = keyword_pattern(phrase)
        if pattern is not None:
            text = pattern.sub(f" {_BLANK} ", text)
    return text


def contains_keyword(answer: str, keyword: str) -> bool:
    """Whether the open answer `answer` mentions `keyword` (see the module docstring)."""
    return find_keyword(words(answer), keyword) is not None
