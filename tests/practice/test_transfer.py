"""Progress files and the review log (quiz.practice.transfer), through real SQLite stores."""

from __future__ import annotations

import csv
import json
from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from quiz.check.catalog import exercise_names
from quiz.errors import AttnquizError
from quiz.practice import transfer
from quiz.practice.scheduler import default_scheduler
from quiz.practice.store import Store
from tests.practice.simulated import fill

NOW = datetime(2026, 11, 30, 18, 0, tzinfo=timezone.utc)
FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "quiz" / "basics.yaml"


@pytest.fixture(scope="module")
def questions() -> list:
    from quiz.bank.loader import load_paths

    return load_paths([FIXTURE], known_exercises=exercise_names()).questions()


def filled(path: Path, questions: list, reviews: int = 120, end: datetime = NOW, seed: int = 7) -> Path:
    with Store(path) as store:
        fill(store, questions, reviews, end, days=40, seed=seed)
    return path


def snapshot(path: Path) -> tuple:
    with Store(path) as store:
        stats = store.stats(NOW)
        answers = store.conn.execute("SELECT bank_id, question_id, topic, qtype, mode, answered_at, response,"
                                     " correct, score, rating, seconds FROM answers"
                                     " ORDER BY answered_at, question_id, response").fetchall()
        return asdict(stats), store.cards(), answers, store.history()


def test_import_into_a_fresh_home_gives_identical_progress(tmp_path: Path, questions: list) -> None:
    source = filled(tmp_path / "a.sqlite3", questions)
    with Store(source) as store:
        exported = transfer.export_progress(store, tmp_path / "progress.json", NOW)
    assert (exported.answers, exported.sessions) == (120, 6) and exported.cards == len(questions)
    with Store(tmp_path / "b.sqlite3") as fresh:
        merged = transfer.import_progress(fresh, tmp_path / "progress.json")
    assert (merged.answers, merged.cards, merged.sessions) == (120, len(questions), 6)
    assert snapshot(tmp_path / "b.sqlite3") == snapshot(source)


def test_importing_twice_changes_nothing(tmp_path: Path, questions: list) -> None:
    source = filled(tmp_path / "a.sqlite3", questions)
    with Store(source) as store:
        transfer.export_progress(store, tmp_path / "p.json", NOW)
    with Store(tmp_path / "b.sqlite3") as target:
        transfer.import_progress(target, tmp_path / "p.json")
    before = snapshot(tmp_path / "b.sqlite3")
    with Store(tmp_path / "b.sqlite3") as target:
        again = transfer.import_progress(target, tmp_path / "p.json")
        assert (again.answers, again.cards, again.sessions) == (0, 0, 0)
    assert snapshot(tmp_path / "b.sqlite3") == before
    with Store(source) as store:  # and importing a store's own export into it
        own = transfer.import_progress(store, tmp_path / "p.json")
        assert (own.answers, own.cards, own.sessions) == (0, 0, 0)


def test_merging_two_machines_keeps_every_review_and_the_newer_cards(tmp_path: Path, questions: list) -> None:
    laptop = filled(tmp_path / "laptop.sqlite3", questions, 60, end=NOW - timedelta(days=20), seed=1)
    desktop = filled(tmp_path / "desktop.sqlite3", questions, 50, end=NOW, seed=2)
    with Store(laptop) as store:
        transfer.export_progress(store, tmp_path / "laptop.json", NOW)
        laptop_cards = store.cards()
    with Store(desktop) as store:
        desktop_cards = store.cards()
        merged = transfer.import_progress(store, tmp_path / "laptop.json")
        assert merged.answers == 60
        assert store.conn.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == 110
        cards = store.cards()
    for key, card in cards.items():
        candidates = [c for c in (laptop_cards.get(key), desktop_cards.get(key)) if c is not None]
        assert card == max(candidates, key=lambda c: c.last_review)
    # the other way round gives the same answers and cards
    with Store(desktop) as store:
        transfer.export_progress(store, tmp_path / "desktop.json", NOW)
    with Store(laptop) as store:
        transfer.import_progress(store, tmp_path / "desktop.json")
    assert snapshot(laptop)[1:3] == snapshot(desktop)[1:3]


def test_history_s_last_result_follows_time_not_import_order(tmp_path: Path, questions: list) -> None:
    older = filled(tmp_path / "older.sqlite3", questions, 30, end=NOW - timedelta(days=60), seed=3)
    newer = filled(tmp_path / "newer.sqlite3", questions, 30, end=NOW, seed=4)
    with Store(older) as store:
        transfer.export_progress(store, tmp_path / "older.json", NOW)
    with Store(newer) as store:
        before = {key: h.last_correct for key, h in store.history().items()}
        transfer.import_progress(store, tmp_path / "older.json")
        after = store.history()
    for key, last in before.items():
        assert after[key].last_correct == last


@pytest.mark.parametrize(("content", "expected"), [
    ("{not json", r"p.json:1:2: not a progress file: Expecting property name enclosed in double quotes"),
    ("", r"p.json:1:1: not a progress file: Expecting value"),
    ('{"deck": []}', r"p.json is not an attnquiz progress file"),
    ("[1, 2]", r"p.json is not an attnquiz progress file"),
    ('{"format": "attnquiz-progress", "version": 9}', r"p.json was written by a newer attnquiz \(progress format 9"),
], ids=["broken", "empty", "foreign-object", "foreign-list", "newer"])
def test_a_corrupt_or_foreign_file_is_one_line_and_imports_nothing(tmp_path: Path, questions: list, content: str,
                                                                    expected: str) -> None:
    target = filled(tmp_path / "t.sqlite3", questions, 20)
    before = snapshot(target)
    (tmp_path / "p.json").write_text(content, encoding="utf-8")
    with Store(target) as store, pytest.raises(AttnquizError, match=expected) as caught:
        transfer.import_progress(store, tmp_path / "p.json")
    assert "\n" not in caught.value.format_message()
    assert snapshot(target) == before


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d["answers"][3].update(rating=7), r"answers\[3\]\.rating: Input should be less than or equal to 4"),
    (lambda d: d["answers"][0].update(answered_at="yesterday"), r"answers\[0\]\.answered_at: Input should be a valid"),
    (lambda d: d["answers"][1].update(answered_at="2026-01-01T10:00:00"), r"answers\[1\]\.answered_at: .*timezone"),
    (lambda d: d["cards"][0].pop("due"), r"cards\[0\]\.due: Field required"),
    (lambda d: d["cards"][2].update(state="mastered"), r"cards\[2\]\.state: Input should be 'learning'"),
    (lambda d: d.update(extra=1), r"p.json: extra: Extra inputs are not permitted"),
], ids=["rating", "time", "naive-time", "missing", "state", "unknown-key"])
def test_a_bad_record_names_its_place_and_imports_nothing(tmp_path: Path, questions: list, change, expected: str) -> None:  # noqa: ANN001
    source = filled(tmp_path / "s.sqlite3", questions, 20)
    with Store(source) as store:
        data = json.loads(transfer.progress_json(store, NOW))
    change(data)
    (tmp_path / "p.json").write_text(json.dumps(data), encoding="utf-8")
    with Store(tmp_path / "fresh.sqlite3") as store, pytest.raises(AttnquizError, match=expected):
        transfer.import_progress(store, tmp_path / "p.json")
    with Store(tmp_path / "fresh.sqlite3") as store:
        assert store.conn.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == 0


def test_export_needs_force_to_replace_a_file_and_reports_an_unwritable_place(tmp_path: Path, questions: list) -> None:
    source = filled(tmp_path / "s.sqlite3", questions, 10)
    (tmp_path / "p.json").write_text("mine", encoding="utf-8")
    with Store(source) as store:
        with pytest.raises(AttnquizError, match=r"p.json already exists: add --force"):
            transfer.export_progress(store, tmp_path / "p.json", NOW)
        assert (tmp_path / "p.json").read_text(encoding="utf-8") == "mine"
        transfer.export_progress(store, tmp_path / "p.json", NOW, force=True)
        with pytest.raises(AttnquizError, match=r"^Cannot write .*nowhere/p.json: No such file or directory$"):
            transfer.export_progress(store, tmp_path / "nowhere" / "p.json", NOW)
    assert json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))["format"] == "attnquiz-progress"
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("s.sqlite3")) == ["p.json"]


def test_the_review_log_has_the_optimizer_s_columns(tmp_path: Path, questions: list) -> None:
    source = filled(tmp_path / "s.sqlite3", questions, 40)
    with Store(source) as store:
        rows = transfer.review_log(store, default_scheduler())
        reviews = store.reviews()
    table = list(csv.DictReader(transfer.reviews_csv(rows).splitlines()))
    assert list(table[0]) == ["card_id", "review_time", "review_rating", "review_state", "review_duration", "bank_id",
                              "question_id"]
    assert len(table) == 40
    firsts: set[str] = set()
    for row, (bank_id, question_id, moment, rating, seconds) in zip(table, reviews):
        assert int(row["card_id"]) == transfer.card_id(bank_id, question_id)
        assert int(row["review_time"]) == round(moment.timestamp() * 1000)
        assert (int(row["review_rating"]), int(row["review_duration"])) == (rating, round(seconds * 1000))
        assert (row["review_state"] == "0") == (row["card_id"] not in firsts)
        firsts.add(row["card_id"])
    assert {row["review_state"] for row in table} <= {"0", "1", "2", "3"} and "2" in {r["review_state"] for r in table}
    assert [int(r["review_time"]) for r in table] == sorted(int(r["review_time"]) for r in table)


def test_exercise_events_merge_from_two_machines_once_each(tmp_path: Path, questions: list) -> None:
    laptop, desktop = tmp_path / "laptop.sqlite3", tmp_path / "desktop.sqlite3"
    with Store(laptop) as store:
        store.record_event("softmax", "hint", NOW - timedelta(days=2), 1)
        store.record_event("softmax", "hint", NOW - timedelta(days=2, minutes=-5), 2)
        store.record_event("causal_mask", "gave_up", NOW - timedelta(days=1))
        transfer.export_progress(store, tmp_path / "laptop.json", NOW)
    with Store(desktop) as store:
        store.record_event("softmax", "hint", NOW, 3)  # newer, on the other machine: kept
        first = transfer.import_progress(store, tmp_path / "laptop.json")
        again = transfer.import_progress(store, tmp_path / "laptop.json")
        assert (first.events, again.events) == (3, 0)
        progress = store.exercise_progress()
        assert store.conn.execute("SELECT COUNT(*) FROM exercise_events").fetchone()[0] == 4
    assert progress["softmax"].hints_read == 3 and progress["causal_mask"].gave_up
    data = json.loads((tmp_path / "laptop.json").read_text(encoding="utf-8"))
    assert data["version"] == 2 and data["exercise_checks"] == []
    assert [(e["exercise"], e["kind"], e["level"]) for e in data["exercise_events"]] == [
        ("softmax", "hint", 1), ("softmax", "hint", 2), ("causal_mask", "gave_up", None)]


def test_a_version_1_file_still_imports(tmp_path: Path, questions: list) -> None:
    source = filled(tmp_path / "s.sqlite3", questions, 20)
    with Store(source) as store:
        data = json.loads(transfer.progress_json(store, NOW))
    del data["exercise_checks"], data["exercise_events"]
    (tmp_path / "v1.json").write_text(json.dumps({**data, "version": 1}), encoding="utf-8")
    with Store(tmp_path / "fresh.sqlite3") as store:
        merged = transfer.import_progress(store, tmp_path / "v1.json")
        assert (merged.answers, merged.checks, merged.events) == (20, 0, 0)
    assert snapshot(tmp_path / "fresh.sqlite3") == snapshot(source)
    (tmp_path / "v2.json").write_text(json.dumps(data), encoding="utf-8")  # version 2 without them: refused
    with Store(tmp_path / "other.sqlite3") as store, pytest.raises(AttnquizError, match=r"exercise_checks: Field required"):
        transfer.import_progress(store, tmp_path / "v2.json")


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d["exercise_events"][0].update(kind="peeked"), r"exercise_events\[0\]\.kind: Input should be 'hint'"),
    (lambda d: d["exercise_events"][0].update(at="2026-01-01T10:00:00"), r"exercise_events\[0\]\.at: .*timezone"),
    (lambda d: d["exercise_events"][0].update(exercise=""), r"exercise_events\[0\]\.exercise: String should have"),
], ids=["kind", "naive-time", "empty-id"])
def test_a_bad_exercise_record_names_its_place_and_imports_nothing(tmp_path: Path, change, expected: str) -> None:  # noqa: ANN001
    with Store(tmp_path / "s.sqlite3") as store:
        store.record_event("softmax", "hint", NOW, 1)
        data = json.loads(transfer.progress_json(store, NOW))
    change(data)
    (tmp_path / "p.json").write_text(json.dumps(data), encoding="utf-8")
    with Store(tmp_path / "fresh.sqlite3") as store:
        with pytest.raises(AttnquizError, match=expected):
            transfer.import_progress(store, tmp_path / "p.json")
        assert store.exercise_progress() == {}
