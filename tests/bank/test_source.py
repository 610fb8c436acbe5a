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


def _alias_bomb(levels: int) -> str:
    """The "billion laughs": each level an anchored list of nine aliases of the one before."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines + [f"questions: *a{levels - 1}", ""])


def test_an_alias_bomb_is_refused_where_it_explodes() -> None:
    with pytest.raises(YamlReadError) as info:
        parse(_alias_bomb(10))  # 9**10 values from 700 characters
    assert info.value.problem.key == "yaml.alias_bomb"
    assert info.value.problem.mark.line in range(1, 12)  # an anchored value of the file (aliases share its node)


def test_ordinary_aliases_still_work() -> None:
    doc = parse(_alias_bomb(3))  # 729 values from under 10,000: an ordinary use of anchors
    assert len(doc.data["questions"]) == 9 and doc.data["questions"][0][0][0] == "lol"


def test_validate_refuses_an_alias_bomb_in_one_line(tmp_path) -> None:
    from click.testing import CliRunner

    from quiz.cli import cli

    bank = tmp_path / "bomb.yaml"
    bank.write_text("format_version: 1\nid: bomb\ntitle: b\nlanguages: [en]\n" + _alias_bomb(10), encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(bank)])
    assert result.exit_code == 1, result.output
    assert f"{bank}:" in result.output and "alias bomb" in result.output
    assert "Traceback" not in result.output
