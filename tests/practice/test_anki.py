"""Anki export: the .apkg is a zip holding an SQLite collection; open it and read the notes back."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path

import pytest

from quiz.check.catalog import exercise_names
from quiz.errors import AttnquizError
from quiz.practice import anki

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "quiz" / "basics.yaml"


def load(*paths: Path) -> list:
    from quiz.bank.loader import load_paths

    catalog = load_paths(paths, known_exercises=exercise_names())
    assert not catalog.errors, catalog.errors
    return catalog.banks


def builtin_banks() -> list:
    from quiz.bank.loader import load_catalog

    return load_catalog(known_exercises=exercise_names()).banks


def collection(apkg: Path, tmp_path: Path) -> sqlite3.Connection:
    with zipfile.ZipFile(apkg) as archive:
        assert sorted(archive.namelist()) == ["collection.anki2", "media"]
        assert json.loads(archive.read("media")) == {}
        archive.extract("collection.anki2", tmp_path / "unpacked")
    return sqlite3.connect(tmp_path / "unpacked" / "collection.anki2")


def notes(conn: sqlite3.Connection) -> dict[str, tuple[str, list[str], list[str]]]:
    """guid -> (note type name, fields, tags)."""
    models = json.loads(conn.execute("SELECT models FROM col").fetchone()[0])
    names = {int(mid): model["name"] for mid, model in models.items()}
    return {guid: (names[mid], flds.split("\x1f"), tags.split())
            for guid, mid, flds, tags in conn.execute("SELECT guid, mid, flds, tags FROM notes")}


def field(conn: sqlite3.Connection, guid: str, name: str) -> str:
    models = json.loads(conn.execute("SELECT models FROM col").fetchone()[0])
    mid, flds = conn.execute("SELECT mid, flds FROM notes WHERE guid = ?", (guid,)).fetchone()
    order = [f["name"] for f in models[str(mid)]["flds"]]
    return flds.split("\x1f")[order.index(name)]


def test_every_builtin_question_is_one_note_in_its_bank_s_deck(tmp_path: Path) -> None:
    banks = builtin_banks()
    result = anki.export(banks, tmp_path / "all.apkg", "en")
    conn = collection(tmp_path / "all.apkg", tmp_path)
    expected = {anki.note_guid(bank.id, q.id) for bank in banks for q in bank.questions}
    assert set(notes(conn)) == expected and result.notes == len(expected) >= 110
    decks = {deck["name"] for deck in json.loads(conn.execute("SELECT decks FROM col").fetchone()[0]).values()}
    for bank in banks:
        title = bank.title["en"] if isinstance(bank.title, dict) else bank.title
        assert f"attnquiz::{title}" in decks
    # each built-in bank has one topic: its cards sit in the bank's deck, with no sub-deck of the same subject
    assert all(len({q.topic for q in bank.questions}) == 1 for bank in banks)
    assert result.decks == len(banks) and not [name for name in decks if name.count("::") > 1]
    by_id = {int(i): d["name"] for i, d in json.loads(conn.execute("SELECT decks FROM col").fetchone()[0]).items()}
    rows = conn.execute("SELECT n.tags, c.did FROM cards c JOIN notes n ON n.id = c.nid").fetchall()
    assert len(rows) == len(expected)
    for tags, did in rows:
        bank_tag = next(tag for tag in tags.split() if tag.startswith("attnquiz::"))
        bank = next(b for b in banks if f"attnquiz::{b.id}" == bank_tag)
        assert by_id[did] == f"attnquiz::{bank.title['en'] if isinstance(bank.title, dict) else bank.title}"


def _card_decks(conn: sqlite3.Connection) -> dict[str, str]:
    """guid -> the name of the deck its card is in."""
    names = {int(i): d["name"] for i, d in json.loads(conn.execute("SELECT decks FROM col").fetchone()[0]).items()}
    return {guid: names[did] for guid, did in conn.execute("SELECT n.guid, c.did FROM cards c JOIN notes n"
                                                           " ON n.id = c.nid")}


def test_a_sub_deck_per_topic_only_when_a_bank_has_several_and_guids_do_not_move(tmp_path: Path) -> None:
    two = anki.export(load(FIXTURE), tmp_path / "two.apkg", "en")
    placed = _card_decks(collection(tmp_path / "two.apkg", tmp_path / "a"))
    assert placed[anki.note_guid("fixture-basics", "fx-scale")] == "attnquiz::Fixture basics::Attention"
    assert placed[anki.note_guid("fixture-basics", "fx-shrink")] == "attnquiz::Fixture basics::KV cache"
    assert two.decks == 3
    text = FIXTURE.read_text(encoding="utf-8")
    one = tmp_path / "one" / "bank.yaml"
    one.parent.mkdir()
    one.write_text(text.replace("topic: kvcache", "topic: attention"), encoding="utf-8")
    single = anki.export(load(one), tmp_path / "one.apkg", "en")
    flat = _card_decks(collection(tmp_path / "one.apkg", tmp_path / "b"))
    assert set(flat.values()) == {"attnquiz::Fixture basics"} and single.decks == 1
    assert set(flat) == set(placed)  # the same notes: a deck change never changes a GUID
    named = tmp_path / "named" / "bank.yaml"  # two topics, one named as the bank: its notes sit in the bank's deck
    named.parent.mkdir()
    named.write_text(text.replace("kvcache: {en: KV cache,", "kvcache: {en: fixture Basics,"), encoding="utf-8")
    anki.export(load(named), tmp_path / "named.apkg", "en")
    mixed = _card_decks(collection(tmp_path / "named.apkg", tmp_path / "c"))
    assert mixed[anki.note_guid("fixture-basics", "fx-shrink")] == "attnquiz::Fixture basics"
    assert mixed[anki.note_guid("fixture-basics", "fx-scale")] == "attnquiz::Fixture basics::Attention"


def test_note_types_fields_and_tags_of_each_kind(tmp_path: Path) -> None:
    anki.export(load(FIXTURE), tmp_path / "fx.apkg", "en")
    conn = collection(tmp_path / "fx.apkg", tmp_path)
    found = notes(conn)
    kinds = {anki.note_guid("fixture-basics", qid): kind for qid, kind in [
        ("fx-scale", "choice"), ("fx-shrink", "choice"), ("fx-rows", "choice"), ("fx-complexity", "answer"),
        ("fx-bytes", "answer"), ("fx-mask", "open"), ("fx-softmax-code", "code")]}
    assert {guid: found[guid][0] for guid in kinds} == {guid: f"attnquiz {kind}" for guid, kind in kinds.items()}
    scale = anki.note_guid("fixture-basics", "fx-scale")
    assert field(conn, scale, "Prompt") == "<p>What are the attention logits divided by?</p>"
    assert field(conn, scale, "Choices") == (
        '<ol class="choices" type="A"><li>sqrt(d_k)</li><li>d_k</li><li>the sequence length</li></ol>')
    assert field(conn, scale, "Answer").startswith(
        '<ul class="choices"><li class="right">✓ A. sqrt(d_k) — It keeps the logits\' variance at 1.</li>')
    assert field(conn, scale, "Explanation") == "<p><code>q·k</code> has variance <code>d_k</code>.</p>"
    assert field(conn, scale, "Source") == "Vaswani et al. 2017, section 3.2.1"
    assert found[scale][2] == ["scaling", "pty", "attnquiz::fixture-basics", "topic::attention", "difficulty::2",
                               "type::single"]
    assert field(conn, anki.note_guid("fixture-basics", "fx-bytes"), "Answer") == "Right answer: 131072 bytes (± 0)"
    assert field(conn, anki.note_guid("fixture-basics", "fx-rows"), "Answer") == '<div class="right">✓ True</div>'
    code = field(conn, anki.note_guid("fixture-basics", "fx-softmax-code"), "Check")
    assert "attnquiz check --exercise softmax solution.py" in code
    assert field(conn, anki.note_guid("fixture-basics", "fx-mask"), "Key points").startswith("<ol><li>")


def test_languages(tmp_path: Path) -> None:
    banks = load(FIXTURE)
    guid = anki.note_guid("fixture-basics", "fx-scale")
    anki.export(banks, tmp_path / "zh.apkg", "zh")
    assert field(collection(tmp_path / "zh.apkg", tmp_path / "a"), guid, "Prompt") == "<p>注意力 logits 要除以什么？</p>"
    anki.export(banks, tmp_path / "both.apkg", "both")
    conn = collection(tmp_path / "both.apkg", tmp_path / "b")
    assert field(conn, guid, "Prompt") == (
        '<p>What are the attention logits divided by?</p><hr class="lang"><p>注意力 logits 要除以什么？</p>')
    assert field(conn, guid, "Kind") == "single choice / 单选题"
    decks = {d["name"] for d in json.loads(conn.execute("SELECT decks FROM col").fetchone()[0]).values()}
    assert {"attnquiz::Fixture basics::Attention", "attnquiz::Fixture basics::KV cache"} <= decks


def test_guids_are_stable_when_the_bank_is_edited(tmp_path: Path) -> None:
    bank = tmp_path / "bank.yaml"
    text = FIXTURE.read_text(encoding="utf-8")
    bank.write_text(text, encoding="utf-8")
    anki.export(load(bank), tmp_path / "one.apkg", "en")
    bank.write_text(text.replace("What are the attention logits divided by?", "What divides the logits?"),
                    encoding="utf-8")
    anki.export(load(bank), tmp_path / "two.apkg", "en", force=True)
    first = notes(collection(tmp_path / "one.apkg", tmp_path / "1"))
    second = notes(collection(tmp_path / "two.apkg", tmp_path / "2"))
    assert set(first) == set(second)
    guid = anki.note_guid("fixture-basics", "fx-scale")
    assert first[guid][1][0] != second[guid][1][0] == "<p>What divides the logits?</p>"
    models_one = json.loads(collection(tmp_path / "one.apkg", tmp_path / "3").execute("SELECT models FROM col")
                            .fetchone()[0])
    assert {m["name"]: int(mid) for mid, m in models_one.items()} == {
        f"attnquiz {kind}": anki.stable_id("attnquiz", "note-type", kind) for kind in ("choice", "answer", "open",
                                                                                      "code")}


def test_raw_html_in_a_bank_is_shown_as_text(tmp_path: Path) -> None:
    bank = tmp_path / "bank.yaml"
    bank.write_text(FIXTURE.read_text(encoding="utf-8").replace(
        "What are the attention logits divided by?", "Is <script>alert(1)</script> **bold**?"), encoding="utf-8")
    anki.export(load(bank), tmp_path / "x.apkg", "en")
    prompt = field(collection(tmp_path / "x.apkg", tmp_path), anki.note_guid("fixture-basics", "fx-scale"), "Prompt")
    assert prompt == "<p>Is &lt;script&gt;alert(1)&lt;/script&gt; <strong>bold</strong>?</p>"


def test_an_existing_file_needs_force_and_is_kept_otherwise(tmp_path: Path) -> None:
    target = tmp_path / "deck.apkg"
    target.write_bytes(b"my own deck")
    with pytest.raises(AttnquizError, match=r"deck.apkg already exists: add --force to replace it"):
        anki.export(load(FIXTURE), target, "en")
    assert target.read_bytes() == b"my own deck"
    anki.export(load(FIXTURE), target, "en", force=True)
    assert zipfile.is_zipfile(target)


def test_an_unwritable_place_is_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(AttnquizError, match=r"^Cannot write .*file/deck.apkg: Not a directory$"):
        anki.export(load(FIXTURE), blocker / "deck.apkg", "en")
    with pytest.raises(AttnquizError, match=r"^Cannot write .*missing/deck.apkg: No such file or directory$"):
        anki.export(load(FIXTURE), tmp_path / "missing" / "deck.apkg", "en")
    with pytest.raises(AttnquizError, match=r"is a folder: give a file name"):
        anki.export(load(FIXTURE), tmp_path, "en", force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]
