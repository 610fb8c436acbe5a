"""Text normalisation for matching answers: short answers and open-answer keywords.

``normalize`` folds what a person should not be marked wrong for: letter case,
full-width and half-width forms (NFKC: ``ＳＯＦＴＭＡＸ`` is ``softmax``; a superscript ``n²`` is ``n^2``),
white space and punctuation (``multi-head`` = ``multi head`` = ``multihead``).
A decimal point between digits is kept (``0.5`` is not ``05``); a thousands comma
between digits is dropped (``1,024`` = ``1024``). Symbols such as ``^ + × =`` are kept:
they carry meaning in formulas.

``contains_keyword`` decides whether an open answer mentions a keyword. Latin keywords
must start at a word start (``kv`` does not match inside ``bkv``, ``future`` matches
``futures``); keywords with CJK characters match anywhere, since Chinese has no spaces
between words.
"""

from __future__ import annotations

import re
import unicodedata

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_DIGIT_COMMA = re.compile(r"(?<=\d),(?=\d{3}\b)")
_DIGIT_POINT = re.compile(r"(?<=\d)\.(?=\d)")
_SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_SUPERSCRIPT = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹]+")
_KEEP_POINT = "\x00"  # stands in for a decimal point while punctuation is removed
_WORD_START = r"(?<![a-z0-9\u00c0-\u024f])"  # not inside a Latin word (CJK may touch it)


def _fold(text: str) -> str:
    """Superscripts as powers, NFKC, case-folded, thousands commas dropped, decimal points protected."""
    text = _SUPERSCRIPT.sub(lambda m: "^" + m.group().translate(_SUPERSCRIPT_DIGITS), text)
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _DIGIT_COMMA.sub("", text)
    return _DIGIT_POINT.sub(_KEEP_POINT, text)


def _is_punctuation(char: str) -> bool:
    return unicodedata.category(char).startswith("P")


def words(text: str) -> str:
    """Folded text with punctuation turned into spaces and runs of space collapsed."""
    folded = "".join(" " if _is_punctuation(c) else c for c in _fold(text))
    return " ".join(folded.split()).replace(_KEEP_POINT, ".")


def normalize(text: str) -> str:
    """The form two answers are compared in: no case, width, spaces or punctuation differences."""
    return words(text).replace(" ", "")


def matches_any(answer: str, accepted: list[str]) -> bool:
    """Whether `answer` equals one of `accepted` after normalisation (an empty answer never does)."""
    given = normalize(answer)
    return bool(given) and any(given == normalize(option) for option in accepted)


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def contains_keyword(answer: str, keyword: str) -> bool:
    """Whether the open answer `answer` mentions `keyword` (see the module docstring)."""
    key_words = words(keyword)
    if not key_words:
        return False
    if has_cjk(key_words):
        return normalize(keyword) in normalize(answer)
    text = words(answer)
    if re.search(_WORD_START + re.escape(key_words), text):
        return True
    # "multi-head" also matches "multihead": compare without the spaces, at a word start.
    compact = key_words.replace(" ", "")
    return compact != key_words and re.search(_WORD_START + re.escape(compact), text) is not None
