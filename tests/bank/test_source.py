"""The safe YAML reader: plain data, positions of every node, and the problems it refuses."""

from __future__ import annotations

import pytest

from quiz.bank.source import Mark, YamlReadError, parse


def test_positions_of_values_and_keys() -> None:
    doc = parse("a: 1\nb:\n  - x\n  - {c: true}\n")
    assert doc.data == {"a": 1, "b": ["x", {"c": True}]}
    assert doc.value_marks[("b", 1, "c")] == Mark(4, 9)
    assert doc.key_marks[("b",)] == Mark(2, 1)
    assert doc.mark_for(("b", 1, "missing")) == Mark(4, 5)


def test_dates_stay_text_and_numbers_are_typed() -> None:
    assert parse("d: 2024-01-01\nn: 1e-3\ni: 7\nz: null\n").data == {"d": "2024-01-01", "n": 0.001, "i": 7, "z": None}


@pytest.mark.parametrize(
    ("text", "key", "mark"),
    [
        ("a: 1\na: 2\n", "yaml.duplicate_key", Mark(2, 1)),
        ("a: !!python/name:os.system x\n", "yaml.tag", Mark(1, 4)),
        ("a: !custom 1\n", "yaml.tag", Mark(1, 4)),
        ("base: &b {x: 1}\nc:\n  <<: *b\n", "yaml.merge", Mark(3, 3)),
    ],
    ids=["duplicate", "python-tag", "local-tag", "merge-key"],
)
def test_refused_constructs_are_problems(text: str, key: str, mark: Mark) -> None:
    problems = parse(text).problems
    assert [(p.key, p.mark) for p in problems] == [(key, mark)]


@pytest.mark.parametrize(
    ("text", "key", "mark"),
    [("", "yaml.empty", Mark(1, 1)), ("a:\n\tb: 1\n", "yaml.tab", Mark(2, 1)), ("a: [1\n", "yaml.syntax", Mark(2, 1))],
    ids=["empty", "tab", "syntax"],
)
def test_unreadable_yaml_raises_with_position(text: str, key: str, mark: Mark) -> None:
    with pytest.raises(YamlReadError) as info:
        parse(text)
    assert (info.value.problem.key, info.value.problem.mark) == (key, mark)
