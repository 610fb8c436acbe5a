"""quiz.cache on real files: a stored value is used only while every file it came from is unchanged."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from quiz import cache
from quiz.paths import data_path


class Builder:
    """A build that counts its calls and reads its sources, as a real one does."""

    def __init__(self, *sources: Path, also_read: tuple[Path, ...] = (), keep: bool = True) -> None:
        self.sources, self.also_read, self.keep, self.calls = sources, also_read, keep, 0

    def __call__(self) -> cache.Built:
        self.calls += 1
        texts = [p.read_text(encoding="utf-8") if p.exists() else None for p in self.sources + self.also_read]
        return cache.Built({"texts": texts, "tuple": (1, 2)}, self.also_read, self.keep)


def entry(name: str) -> Path:
    return data_path("cache") / f"{name}.json"


def test_a_second_call_uses_the_stored_value_as_the_build_gave_it(tmp_path: Path) -> None:
    source = tmp_path / "bank.yaml"
    source.write_text("one", encoding="utf-8")
    build = Builder(source)
    first = cache.cached("x", [source], build)
    second = cache.cached("x", [source], build)
    assert first == second == {"texts": ["one"], "tuple": [1, 2]}  # JSON's types both times
    assert build.calls == 1 and entry("x").is_file()


def test_an_edit_that_keeps_size_and_modification_time_is_seen(tmp_path: Path) -> None:
    source = tmp_path / "bank.yaml"
    source.write_text("one", encoding="utf-8")
    build = Builder(source)
    cache.cached("x", [source], build)
    stamp = source.stat()
    source.write_text("two", encoding="utf-8")
    os.utime(source, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert (source.stat().st_size, source.stat().st_mtime_ns) == (stamp.st_size, stamp.st_mtime_ns)
    assert cache.cached("x", [source], build) == {"texts": ["two"], "tuple": [1, 2]}
    assert build.calls == 2


def test_a_file_appearing_or_disappearing_is_a_change(tmp_path: Path) -> None:
    present, absent = tmp_path / "a.yaml", tmp_path / "b.yaml"
    present.write_text("a", encoding="utf-8")
    build = Builder(present, absent)
    assert cache.cached("x", [present, absent], build)["texts"] == ["a", None]
    absent.write_text("b", encoding="utf-8")
    assert cache.cached("x", [present, absent], build)["texts"] == ["a", "b"]
    present.unlink()
    assert cache.cached("x", [present, absent], build)["texts"] == [None, "b"]
    assert build.calls == 3


def test_a_file_the_build_found_is_checked_too(tmp_path: Path) -> None:
    source, reference = tmp_path / "bank.yaml", tmp_path / "reference.py"
    source.write_text("bank", encoding="utf-8")
    reference.write_text("def f(): ...", encoding="utf-8")
    build = Builder(source, also_read=(reference,))
    cache.cached("x", [source], build)
    cache.cached("x", [source], build)
    assert build.calls == 1
    reference.unlink()
    assert cache.cached("x", [source], build)["texts"] == ["bank", None]
    assert build.calls == 2


def test_a_different_list_of_sources_is_a_miss(tmp_path: Path) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("a", encoding="utf-8")
    second.write_text("b", encoding="utf-8")
    build = Builder(first, second)
    cache.cached("x", [first, second], build)
    cache.cached("x", [second, first], build)  # the order decides which bank comes first
    cache.cached("x", [first], build)
    assert build.calls == 3


def test_a_build_that_says_not_to_keep_is_never_stored(tmp_path: Path) -> None:
    source = tmp_path / "broken.yaml"
    source.write_text("broken", encoding="utf-8")
    build = Builder(source, keep=False)
    cache.cached("x", [source], build)
    cache.cached("x", [source], build)
    assert build.calls == 2 and not entry("x").exists()


@pytest.mark.parametrize("damage", [
    lambda text: text[: len(text) // 2],
    lambda text: "[]",
    lambda text: text.replace('"version": "', '"version": "0.0.0-'),
    lambda text: json.dumps({**json.loads(text), "sources": 7}),
    lambda text: json.dumps({k: v for k, v in json.loads(text).items() if k != "value"}),
], ids=["cut", "not-an-object", "other-version", "bad-sources", "no-value"])
def test_a_damaged_or_foreign_entry_is_rebuilt_without_a_word(tmp_path: Path, damage) -> None:  # noqa: ANN001
    source = tmp_path / "bank.yaml"
    source.write_text("one", encoding="utf-8")
    build = Builder(source)
    cache.cached("x", [source], build)
    entry("x").write_text(damage(entry("x").read_text(encoding="utf-8")), encoding="utf-8")
    assert cache.cached("x", [source], build) == {"texts": ["one"], "tuple": [1, 2]}
    assert build.calls == 2
    assert cache.cached("x", [source], build) == {"texts": ["one"], "tuple": [1, 2]}
    assert build.calls == 2  # stored again, good again


def test_a_cache_folder_that_cannot_be_written_only_costs_a_build(tmp_path: Path) -> None:
    source = tmp_path / "bank.yaml"
    source.write_text("one", encoding="utf-8")
    data_path("cache").parent.mkdir(parents=True, exist_ok=True)
    data_path("cache").write_text("a file where the folder should be", encoding="utf-8")
    build = Builder(source)
    assert cache.cached("x", [source], build) == cache.cached("x", [source], build) == {"texts": ["one"],
                                                                                           "tuple": [1, 2]}
    assert build.calls == 2
    assert list(data_path("cache").parent.glob("*.tmp")) == []


def test_a_source_edited_during_the_build_is_not_stored(tmp_path: Path) -> None:
    source = tmp_path / "bank.yaml"
    source.write_text("before", encoding="utf-8")

    def build() -> cache.Built:
        value = source.read_text(encoding="utf-8")
        source.write_text("after", encoding="utf-8")  # the user saves while the build runs
        return cache.Built(value)

    assert cache.cached("x", [source], build) == "before"
    assert not entry("x").exists()
