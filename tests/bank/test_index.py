"""quiz.bank.index: the cached view of the banks holds what the catalog keeps, and never outlives an edit;
`attnquiz stats` gives the same text and JSON with the cache as without it."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from quiz.bank import loader
from quiz.bank.index import Index, load_index
from quiz.bank.loader import load_catalog
from quiz.check.catalog import EXERCISES_FILE, exercise_names
from quiz.i18n import localize
from quiz.paths import data_path
from tests.conftest import ATTNQUIZ, REPO, subprocess_env

COURSE = REPO / "examples" / "course"
BASICS = REPO / "tests" / "fixtures" / "quiz" / "basics.yaml"


def index(*banks: str, builtin: bool = True) -> Index:
    return load_index(banks, known_exercises=exercise_names, known_from=[EXERCISES_FILE], include_builtin=builtin)


def catalog_view(*banks: str, builtin: bool = True) -> list[tuple]:
    """What the index should say, taken from the catalog itself."""
    catalog = load_catalog(banks, known_exercises=exercise_names(), include_builtin=builtin)
    return [(bank.id, dict(bank.topics), [(q.id, q.type, q.topic, tuple(q.tags), q.prompt,
                                           q.exercise_id if q.type == "code" else None) for q in bank.questions])
            for bank in catalog.banks]


def index_view(found: Index) -> list[tuple]:
    return [(bank.id, bank.topics, [(q.id, q.type, q.topic, q.tags, q.prompt, q.exercise) for q in bank.questions])
            for bank in found.banks]


def no_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the banks were loaded again")

    monkeypatch.setattr(loader, "load_paths", refuse)


def test_the_index_holds_what_the_catalog_keeps_and_a_second_run_loads_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    course = shutil.copytree(COURSE, tmp_path / "course")
    expected = catalog_view(str(course))
    assert any(q[5] == "rms_norm" or q[1] == "code" for bank in expected for q in bank[2])
    assert index_view(index(str(course))) == expected
    assert len(list(data_path("cache").glob("banks-*.json"))) == 1
    bank, question = next((b, q) for b in load_catalog(known_exercises=exercise_names()).banks for q in b.questions)
    no_loading(monkeypatch)
    warm = index(str(course))
    assert index_view(warm) == expected
    assert warm.topic_names("zh")["week2"] == "第二周"
    assert warm.prompts("zh")[(bank.id, question.id)] == localize(question.prompt, "zh")


def test_an_edited_added_or_removed_bank_file_is_seen(tmp_path: Path) -> None:
    folder = tmp_path / "banks"
    folder.mkdir()
    bank = folder / "basics.yaml"
    shutil.copy(BASICS, bank)
    assert [b.id for b in index(str(folder), builtin=False).banks] == ["fixture-basics"]
    bank.write_text(bank.read_text(encoding="utf-8").replace("{en: Attention, zh: 注意力}",
                                                             "{en: Attention heads, zh: 注意力头}"), encoding="utf-8")
    assert index(str(folder), builtin=False).topic_names("en")["attention"] == "Attention heads"
    other = folder / "sub" / "other.yaml"
    other.parent.mkdir()
    other.write_text(BASICS.read_text(encoding="utf-8").replace("id: fixture-basics", "id: fixture-other")
                     .replace("id: fx-", "id: other-"), encoding="utf-8")
    assert [b.id for b in index(str(folder), builtin=False).banks] == ["fixture-basics", "fixture-other"]
    assert index_view(index(str(folder), builtin=False)) == catalog_view(str(folder), builtin=False)
    bank.unlink()
    assert [b.id for b in index(str(folder), builtin=False).banks] == ["fixture-other"]


def test_a_reference_file_removed_after_caching_drops_the_bank_that_needs_it(tmp_path: Path) -> None:
    course = shutil.copytree(COURSE, tmp_path / "course")
    assert "my-course-week2" in [b.id for b in index(str(course), builtin=False).banks]
    (course / "course_reference.py").unlink()  # the bank file itself is unchanged
    assert catalog_view(str(course), builtin=False) == []
    assert index(str(course), builtin=False).banks == ()


def test_a_catalog_with_a_broken_bank_is_never_stored(tmp_path: Path) -> None:
    folder = tmp_path / "banks"
    folder.mkdir()
    shutil.copy(BASICS, folder / "basics.yaml")
    (folder / "broken.yaml").write_text("format_version: 1\nid: broken\nquestions: []\n", encoding="utf-8")
    found = index(str(folder), builtin=False)
    assert [b.id for b in found.banks] == ["fixture-basics"]
    assert index_view(found) == catalog_view(str(folder), builtin=False)
    assert list(data_path("cache").glob("banks-*.json")) == []


def stats(folder: Path, *args: str) -> str:
    done = subprocess.run([*ATTNQUIZ, "stats", "--no-builtin", "--bank", str(folder), *args], capture_output=True,
                          text=True, env=subprocess_env(NO_COLOR="1"), timeout=120)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return done.stdout


def test_stats_text_and_json_are_the_same_with_and_without_the_cache_before_and_after_an_edit(
        tmp_path: Path) -> None:
    from quiz.bank.loader import load_paths
    from quiz.practice.store import Store
    from tests.practice.simulated import fill

    folder = tmp_path / "banks"
    folder.mkdir()
    bank = folder / "basics.yaml"
    shutil.copy(BASICS, bank)
    questions = load_paths([folder], known_exercises=exercise_names()).questions()
    with Store(data_path("database")) as store:  # long ago: the figures barely move from one run to the next
        fill(store, questions, 300, datetime.now(timezone.utc) - timedelta(days=900), days=60)
    views = [(), ("--format", "json"), ("--lang", "zh"), ("--questions",)]

    def every_view() -> list[str]:
        return [stats(folder, *view) for view in views]

    def without_cache() -> list[str]:
        shutil.rmtree(data_path("cache"), ignore_errors=True)
        return every_view()

    cold = without_cache()
    assert list(data_path("cache").glob("banks-*.json"))
    assert every_view() == cold  # warm
    assert "Attention" in cold[0] and json.loads(cold[1])["topics"][0]["name"] == "Attention"
    text = bank.read_text(encoding="utf-8")
    edited = text.replace("{en: Attention, zh: 注意力}", "{en: Attention heads, zh: 注意力头}").replace(
        '"What are the attention logits divided by?"', '"What are the logits scaled by?"')
    assert edited.count("Attention heads") == 1 and "scaled by" in edited
    bank.write_text(edited, encoding="utf-8")
    after = every_view()  # the cache from before the edit is still there
    assert after == without_cache()
    assert after != cold
    assert "Attention heads" in after[0] and "注意力头" in after[2]
    assert {t["name"] for t in json.loads(after[1])["topics"]} >= {"Attention heads"}
    assert "What are the logits scaled by?" in after[3] and "divided by" not in after[3]


def test_stats_reads_no_bank_and_imports_neither_pydantic_nor_yaml_once_the_cache_is_warm(tmp_path: Path) -> None:
    probe = ("import runpy, sys\nsys.argv = ['attnquiz', *sys.argv[1:]]\n"
             "try:\n    runpy.run_module('quiz', run_name='__main__')\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in ('pydantic', 'yaml', 'numpy', 'questionary', 'quiz.bank.models', 'rich')"
             " if m in sys.modules), file=sys.stderr)\n")

    def loaded(*args: str) -> list[str]:
        done = subprocess.run([ATTNQUIZ[0], "-c", probe, "stats", *args], capture_output=True, text=True,
                              env=subprocess_env(), timeout=120)
        return json.loads(done.stderr.strip().splitlines()[-1].replace("'", '"'))

    assert "pydantic" in loaded("--format", "json")  # the first run loads and validates the banks
    assert loaded("--format", "json") == []
    assert loaded() == ["rich"]  # tables are drawn with rich
