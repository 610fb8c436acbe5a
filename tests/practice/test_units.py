"""Units in numeric answers (quiz.practice.units through marking.read_number): converted exactly,
or refused whatever the number, never silently dropped."""

from __future__ import annotations

import pytest

from quiz.practice import units
from quiz.practice.marking import read_number


@pytest.mark.parametrize(
    ("text", "unit", "value"),
    [("0.5 MiB", ["KiB"], 512), ("512KiB", ["KiB"], 512), ("2048 MiB", ["GiB"], 2), ("1.5e3 KiB", ["MiB"], 1500 / 1024),
     ("2*32*128 bytes", ["KiB"], 8), ("4096 bits", ["KiB"], 0.5), ("0.02 s", ["毫秒", "ms"], 20),
     ("20毫秒", ["ms"], 20), ("5 µs", ["ms"], 0.005), ("128 thousand", ["tokens"], 128_000),
     ("7 billion parameters", ["million parameters"], 7000), ("67 百万参数", ["M（百万）参数", "million parameters"], 67),
     ("2.4 trillion", ["× 10^12 weights"], 2.4), ("64 heads", ["query heads"], 64), ("3x", ["times"], 3),
     ("6711万", [], 67_110_000), ("1 TiB", ["GiB"], 1024), ("4 B", ["bytes"], 4)],
    ids=["mib-to-kib", "own-unit", "mib-to-gib", "exponent-with-unit", "expression-with-unit", "bits",
         "seconds-to-ms", "chinese-ms", "micro-sign", "thousand", "billion-in-millions", "chinese-million",
         "power-of-ten-unit", "unknown-word-ignored", "x-for-times", "chinese-scale", "tib", "capital-b-bytes"],
)
def test_a_known_unit_is_converted_exactly(text: str, unit: list[str], value: float) -> None:
    assert read_number(text, unit) == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize(
    ("text", "unit", "key", "typed"),
    [("512 KB", ["KiB"], "prompt.unit_decimal", "KB"), ("0.5 megabytes", ["MiB"], "prompt.unit_decimal", "megabytes"),
     ("50 GB", ["GiB"], "prompt.unit_decimal", "GB"), ("128K", ["tokens"], "prompt.unit_scale_letter", "K"),
     ("1M", ["tokens"], "prompt.unit_scale_letter", "M"), ("7B", ["million parameters"], "prompt.unit_scale_letter", "B"),
     ("2 GiB", ["tokens"], "prompt.unit_other", "GiB"), ("3 ms", ["KiB"], "prompt.unit_other", "ms"),
     ("2 GiB", [], "prompt.unit_other", "GiB"), ("512 K", ["KiB"], "prompt.unit_other", "K")],
    ids=["kb-on-kib", "megabytes-on-mib", "gb-on-gib", "bare-k", "bare-m", "bare-b-count", "size-on-count",
         "time-on-size", "unit-without-question-unit", "bare-k-on-size"],
)
def test_an_ambiguous_or_foreign_unit_is_refused(text: str, unit: list[str], key: str, typed: str) -> None:
    assert read_number(text, unit) == units.Refusal(key, typed)


def test_a_refusal_does_not_depend_on_the_number() -> None:
    """A refusal only for right (or only for wrong) numbers would give the answer away."""
    assert {read_number(f"{n} KB", ["KiB"]) for n in (500, 512, 524.288, 1)} == {units.Refusal("prompt.unit_decimal", "KB")}


def test_a_decimal_unit_converts_on_a_question_asked_in_one() -> None:
    assert read_number("1.5 MB", ["KB"]) == pytest.approx(1500)


def test_question_units_are_read_from_their_first_recognised_form() -> None:
    assert units.target(["毫秒", "ms"]) == units.Unit("seconds", units.Fraction(1, 1000))
    assert units.target(["M（百万）参数", "million parameters"]) == units.Unit("count", units.Fraction(10 ** 6))
    assert units.target(["个 token", "tokens"]) == units.Unit("count", units.Fraction(1))
