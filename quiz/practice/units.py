"""Units in numeric answers: a unit the learner types is converted to the question's, or refused.

A numeric question may declare a `unit` (free text such as ``KiB``, ``ms``, ``tokens`` or
``million parameters``). ``target`` reads what that unit measures: a size in bytes, a time
in seconds, or a count (with its scale: ``million parameters`` counts millions). ``convert``
turns a number the learner typed with a unit into the question's unit, or says why it cannot:

- sizes: B, KiB, MiB, GiB, TiB (powers of 1024) convert exactly; KB, MB, GB, TB (powers of
  1000, SI) convert to a question asked in those, and are refused on a question asked in
  bytes or KiB..TiB, since many people write KB for KiB and either reading would be a guess;
- times: ns, µs (us), ms, s convert exactly;
- counts: thousand, million, billion, trillion (and 万, 亿, read before this) convert;
  a bare K, M, B, G or T is refused (128K tokens is 128,000 to some and 131,072 to others);
- a size, time or scale on a question that measures something else is refused;
- any other word (``64 heads``) is not a unit this module knows, and is left to the caller.

Whether a refusal happens never depends on whether the number is right (a refusal that
appeared only for right answers would give the answer away). The table is small on purpose:
a units library (pint) knows no Chinese unit names and would still leave these policies to us.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

Dimension = Literal["bytes", "seconds", "count"]


@dataclass(frozen=True)
class Unit:
    """One unit: what it measures and its size in the base unit (byte, second, one)."""

    dimension: Dimension
    factor: Fraction
    decimal: bool = False
    """A decimal (SI) multiple of the byte: KB, MB, GB, TB."""


_K = Fraction(1000)
_KI = Fraction(1024)
_BINARY = {"kib": _KI, "mib": _KI ** 2, "gib": _KI ** 3, "tib": _KI ** 4}
_DECIMAL = {"kb": _K, "mb": _K ** 2, "gb": _K ** 3, "tb": _K ** 4}
_NAMES: dict[str, Unit] = {
    **{name: Unit("bytes", Fraction(1)) for name in ("b", "byte", "bytes", "字节", "个字节")},
    **{name: Unit("bytes", Fraction(1, 8)) for name in ("bit", "bits", "比特")},
    **{name: Unit("bytes", factor) for name, factor in _BINARY.items()},
    **{f"{prefix}bibyte{s}": Unit("bytes", factor) for prefix, factor in
       (("ki", _KI), ("me", _KI ** 2), ("gi", _KI ** 3), ("te", _KI ** 4)) for s in ("", "s")},
    **{name: Unit("bytes", factor, decimal=True) for name, factor in _DECIMAL.items()},
    **{f"{prefix}byte{s}": Unit("bytes", factor, decimal=True) for prefix, factor in
       (("kilo", _K), ("mega", _K ** 2), ("giga", _K ** 3), ("tera", _K ** 4)) for s in ("", "s")},
    **{name: Unit("seconds", Fraction(1)) for name in ("s", "sec", "secs", "second", "seconds", "秒")},
    **{name: Unit("seconds", 1 / _K) for name in ("ms", "msec", "millisecond", "milliseconds", "毫秒")},
    **{name: Unit("seconds", 1 / _K ** 2) for name in ("us", "μs", "microsecond", "microseconds", "微秒")},
    **{name: Unit("seconds", 1 / _K ** 3) for name in ("ns", "nanosecond", "nanoseconds", "纳秒")},
    **{name: Unit("count", _K) for name in ("thousand", "thousands", "千")},
    **{name: Unit("count", _K ** 2) for name in ("million", "millions", "百万")},
    **{name: Unit("count", _K ** 3) for name in ("billion", "billions", "十亿")},
    **{name: Unit("count", _K ** 4) for name in ("trillion", "trillions")},
}
_AMBIGUOUS_SCALES = ("k", "m", "b", "g", "t")  # a bare letter after a count: 1000 or 1024? million or mega?
_POWER_OF_TEN = re.compile(r"^[×x*]?\s*10\s*\^\s*(\d+)\b")  # a unit such as "× 10^12 weights"
_FIRST_WORD = re.compile(r"^[^\W\d_]+")


def lookup(word: str) -> Unit | None:
    """The unit `word` names (case does not matter, but b is bytes and B a billion: see `convert`)."""
    return _NAMES.get(word.casefold())


def leading_unit(words: str) -> str | None:
    """The unit-like word `words` starts with (the longest known name, for Chinese run together
    with what follows: 毫秒以内 is 毫秒), or None."""
    match = _FIRST_WORD.match(words.strip())
    if match is None:
        return None
    word = match.group()
    if not word.isascii():  # Latin words are whole (bits is not b + its); CJK runs into the next word
        word = next((word[:n] for n in range(len(word), 0, -1) if lookup(word[:n]) is not None), word)
    return word


def target(unit_texts: list[str]) -> Unit:
    """What a question's unit measures, read from its texts (its languages' forms, the current one
    first): the first that starts with a known unit, a scale word or a power of ten (the Chinese
    "M（百万）参数" starts with none, its English "million parameters" does); else a count of one."""
    for text in unit_texts:
        text = text.strip()
        power = _POWER_OF_TEN.match(text)
        if power:
            return Unit("count", Fraction(10) ** min(int(power.group(1)), 30))
        word = _FIRST_WORD.match(text)
        unit = lookup(word.group()) if word else None
        if unit is not None:
            return unit
    return Unit("count", Fraction(1))


@dataclass(frozen=True)
class Refusal:
    """Why a typed unit cannot be read in the question's unit: an i18n key and its fields."""

    key: str
    typed: str


def convert(value: float, word: str, question: Unit) -> float | Refusal | None:
    """`value` typed with the unit `word`, in the question's unit; a Refusal; or None when `word`
    is not a unit (the caller reads the number alone)."""
    if word.casefold() in _AMBIGUOUS_SCALES and not (question.dimension == "bytes" and word.casefold() == "b"):
        return Refusal("prompt.unit_scale_letter" if question.dimension == "count" else "prompt.unit_other", word)
    unit = lookup(word)
    if unit is None:
        return None
    if unit.dimension != question.dimension:
        return Refusal("prompt.unit_other", word)
    if unit.decimal and not question.decimal:  # KB on a question in KiB: 1000 or 1024 meant?
        return Refusal("prompt.unit_decimal", word)
    return value * float(unit.factor / question.factor)
