"""Grading one answer per question type: pure functions, no I/O.

Single and multiple choice are exact (multiple choice also reports which right
choices were picked, which were missed and which wrong ones were picked, with a
partial score). Short answers match the accepted answers of the current language
after normalisation, a typo forgiven (quiz.practice.normalize). Numeric answers are a number or a small
arithmetic expression (``2*32*8*128*2``, ``2^17``, ``1.5e3``), optionally followed by
the unit, and are right within the question's tolerance; Chinese numerals of scale are
understood (``6711万``, ``1.5亿``, ``2亿5000万``). Open answers are marked by which key
points their text covers (``mark_key_points``); whether they count as right is the
learner's own rating. Code answers are right when the check passed.

A key point written with ``match`` is ticked when, in the answer's language, every group
of alternatives is found (any one alternative per group) once the ``exclude`` phrases have
been removed from the answer. A key point written with ``keywords`` is ticked by any one
keyword of any language (the current language's first; people mix languages).
"""

from __future__ import annotations

import ast
import math
import operator
import re
import unicodedata
from dataclasses import dataclass

from quiz.bank import models
from quiz.practice import units
from quiz.practice.normalize import blank_out, find_keyword, match_answer, words

_MAX_EXPONENT = 64
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.Pow: operator.pow}
# An expression, then words without digits ("0.5 MiB", "1.5e3 KiB", "2*32*128 bytes", "64 heads").
_NUMBER_THEN_WORDS = re.compile(r"^(?P<number>.*?[\d)])\s*(?P<words>[^\W\d_][^\d]*)$")


@dataclass(frozen=True)
class Grade:
    """The marking of one answer. Choice indices are positions in the bank's `choices`."""

    correct: bool
    score: float
    picked: tuple[int, ...] = ()
    missed: tuple[int, ...] = ()
    wrong_picks: tuple[int, ...] = ()
    covered: tuple[bool, ...] = ()
    value: float | None = None
    points: tuple[PointMatch, ...] = ()
    """For an open answer: how each key point was (or was not) matched."""
    typo_of: str | None = None
    """For a short answer accepted with a typo: the accepted answer it was taken for."""


@dataclass(frozen=True)
class PointMatch:
    """One key point against one answer: ticked or not, and why."""

    ticked: bool
    matched: tuple[str, ...] = ()
    """The answer's words that matched, one per group that was found."""
    missing: tuple[tuple[str, ...], ...] = ()
    """The groups (their alternatives) that were not found."""


def grade_single(question: models.SingleQuestion, index: int) -> Grade:
    right = question.choices[index].correct
    return Grade(correct=right, score=float(right), picked=(index,),
                 wrong_picks=() if right else (index,),
                 missed=() if right else tuple(i for i, c in enumerate(question.choices) if c.correct))


def grade_multiple(question: models.MultipleQuestion, indices: frozenset[int]) -> Grade:
    right = {i for i, choice in enumerate(question.choices) if choice.correct}
    hits, wrong = indices & right, indices - right
    score = max(0.0, (len(hits) - len(wrong)) / len(right))
    return Grade(correct=indices == right, score=score, picked=tuple(sorted(indices)),
                 missed=tuple(sorted(right - indices)), wrong_picks=tuple(sorted(wrong)))


def grade_truefalse(question: models.TrueFalseQuestion, value: bool) -> Grade:
    right = value == question.answer
    return Grade(correct=right, score=float(right))


def grade_short(question: models.ShortQuestion, text: str, lang: str) -> Grade:
    """Right when `text` matches an accepted answer of `lang`, also with a typo (quiz.practice.normalize)."""
    found = match_answer(text, list(models.localize(question.answers, lang)))
    return Grade(correct=found is not None, score=float(found is not None),
                 typo_of=found.accepted if found is not None and found.typo else None)


def grade_numeric(question: models.NumericQuestion, text: str, lang: str) -> Grade:
    """A refused unit is never marked here: the prompt asks again (the value is None if it comes anyway)."""
    read = read_number(text, unit_forms(question, lang))
    value = read if isinstance(read, float) else None
    right = value is not None and abs(value - question.answer) <= question.tolerance * (1 + 1e-9) + 1e-12
    return Grade(correct=right, score=float(right), value=value)


def unit_forms(question: models.NumericQuestion, lang: str) -> list[str]:
    """The question's unit in the current language, then in its other languages (none without a unit)."""
    if question.unit is None:
        return []
    own = models.localize(question.unit, lang)
    others = question.unit.values() if isinstance(question.unit, dict) else []
    return [own, *(form for form in others if form != own)]


def grade_open(question: models.OpenQuestion, text: str, lang: str) -> Grade:
    """Key points covered by `text`; `correct` is decided later by the rating (see session)."""
    points = mark_key_points(question, text, lang)
    covered = tuple(p.ticked for p in points)
    return Grade(correct=all(covered), score=sum(covered) / len(covered), covered=covered, points=points)


def mark_key_points(question: models.OpenQuestion, text: str, lang: str) -> tuple[PointMatch, ...]:
    """Each key point of `question` matched against the answer `text` written in `lang`."""
    answer = words(text)
    return tuple(match_point(point, answer, lang) for point in question.key_points)


def match_point(point: models.KeyPoint, answer: str, lang: str) -> PointMatch:
    """One key point against an answer already in `words` form (quiz.practice.normalize.words)."""
    groups, exclude = point_rule(point, lang)
    text = blank_out(answer, exclude)
    matched: list[str] = []
    missing: list[tuple[str, ...]] = []
    for group in groups:
        found = next((m for m in (find_keyword(text, alt) for alt in group) if m is not None), None)
        if found is None:
            missing.append(tuple(group))
        else:
            matched.append(found)
    return PointMatch(ticked=not missing, matched=tuple(matched), missing=tuple(missing))


def point_rule(point: models.KeyPoint, lang: str) -> tuple[list[list[str]], list[str]]:
    """The groups of alternatives and the exclusions that recognise `point` in `lang`."""
    if point.match is not None:
        rule = point.match.get(lang) or point.match.get("en") or next(iter(point.match.values()))
        return [list(group) for group in rule.all], list(rule.exclude)
    return [_all_keywords(point, lang)], []


def grade_code(passed: bool, share: float | None = None) -> Grade:
    """Right when the check passed; the score is the share of the check's points, when known."""
    return Grade(correct=passed, score=float(passed) if share is None else share)


def _all_keywords(point: models.KeyPoint, lang: str) -> list[str]:
    """The keywords of the current language first, then the others (people mix languages)."""
    keywords = point.keywords or []
    if not isinstance(keywords, dict):
        return list(keywords)
    own = list(models.localize(keywords, lang))
    return own + [k for words in keywords.values() for k in words if k not in own]


def parse_number(text: str, unit: str | None = None) -> float | None:
    """A number or arithmetic expression, optionally followed by `unit` or another word; else None
    (also when a unit is typed that `read_number` refuses)."""
    value = read_number(text, [unit] if unit else [])
    return value if isinstance(value, float) else None


def read_number(text: str, unit_texts: list[str] | tuple[str, ...] = ()) -> float | units.Refusal | None:
    """What the learner typed for a numeric question whose unit has the forms `unit_texts` (the
    current language's first): a number or arithmetic expression, optionally followed by the
    question's unit, by another unit (converted to the question's, or refused: quiz.practice.units),
    or by another word (ignored). None when there is no number."""
    cleaned = unicodedata.normalize("NFKC", text).strip().replace("×", "*").replace("·", "*").replace("−", "-")
    folded_units = [unicodedata.normalize("NFKC", unit).strip() for unit in unit_texts]
    for folded_unit in folded_units:
        if folded_unit and cleaned.casefold().endswith(folded_unit.casefold()):
            cleaned = cleaned[: -len(folded_unit)].strip()
            break
    cleaned = re.sub(r"(?<=\d)[,_ ](?=\d{3}\b)", "", cleaned)  # 131,072 and 131 072
    cleaned = _CHINESE_SCALE.sub(_scaled, cleaned)  # 6711万, 1.5亿, 2亿5000万
    if not cleaned:
        return None
    value: float | units.Refusal | None = _evaluate(cleaned)
    if value is None:
        match = _NUMBER_THEN_WORDS.match(cleaned)
        number = _evaluate(match.group("number")) if match else None
        if match is None or number is None:
            return None
        found = units.leading_unit(match.group("words"))
        value = units.convert(number, found, units.target(folded_units)) if found else None
        value = number if value is None else value
    return value if not isinstance(value, float) or math.isfinite(value) else None


_NUMBER = r"\d+(?:\.\d+)?"
_CHINESE_SCALE = re.compile(
    rf"(?:(?P<yi>{_NUMBER})\s*[亿億])?\s*(?:(?P<wan>{_NUMBER})\s*[万萬])?(?P<rest>(?<=[亿億万萬])\s*\d+)?")


def _scaled(match: re.Match[str]) -> str:
    """A run such as `2亿5000万` or `13万1072` as a plain number (other text is left alone)."""
    if not (match.group("yi") or match.group("wan")):
        return match.group()
    value = float(match.group("yi") or 0) * 1e8 + float(match.group("wan") or 0) * 1e4
    value += float(match.group("rest") or 0)
    return repr(value)


def _evaluate(expression: str) -> float | None:
    try:
        tree = ast.parse(expression.replace("^", "**"), mode="eval")
        return float(_node_value(tree.body))
    except (SyntaxError, ValueError, TypeError, ZeroDivisionError, OverflowError, RecursionError):
        return None


def _node_value(node: ast.AST) -> float:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _node_value(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _node_value(node.left), _node_value(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > _MAX_EXPONENT:
            raise ValueError("exponent too large")
        return _BINARY[type(node.op)](left, right)
    raise ValueError("not arithmetic")
