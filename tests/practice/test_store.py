"""The progress database (quiz.practice.store): real SQLite files, migrations, corrupt and newer files, stats, reset."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from quiz.bank.loader import load_paths
from quiz.check.catalog import exercise_names
from quiz.practice import marking as grading
from quiz.practice import store
from quiz.practice.scheduler import Rating, review
from quiz.practice.session import Answer, History, Item, Result
from quiz.practice.store import Store
from tests.conftest import REPO, subprocess_env

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)
FIXTURES = REPO / "tests" / "fixtures" / "quiz"


@pytest.fixture(scope="module")
def items() -> dict[str, Item]:
    pairs = load_paths([FIXTURES / "basics.yaml"], known_exercises=exercise_names()).questions()
    return {q.id: Item(bank, q, (0, 1, 2) if q.type in ("single", "multiple") else (), "new") for bank, q in pairs}


def _result(item: Item, value: object, correct: bool, at: datetime = NOW, card_from: object = None) -> Result:
    rating = Rating.GOOD if correct else Rating.AGAIN
    card = review(card_from, rating, at)  # type: ignore[arg-type]
    return Result(item, Answer(value), grading.Grade(correct, float(correct)), correct, rating, 12.5, at, card)  # type: ignore[arg-type]


def test_an_answer_is_committed_before_record_returns(tmp_path: Path, items: dict[str, Item]) -> None:
    path = tmp_path / "progress.sqlite3"
    with Store(path) as db:
        session_id = db.start_session("practice", "en", NOW)
        db.record(_result(items["fx-shrink"], frozenset({1, 0}), True), "practice", session_id)
        other = sqlite3.connect(path)  # a second connection sees it at once
        rows = other.execute("SELECT bank_id, question_id, topic, qtype, mode, response, correct, score, rating,"
                             " seconds, session_id FROM answers").fetchall()
        other.close()
    assert rows == [("fixture-basics", "fx-shrink", "kvcache", "multiple", "practice", "[0, 1]", 1, 1.0, 3, 12.5,
                     session_id)]


def test_cards_and_history_round_trip(tmp_path: Path, items: dict[str, Item]) -> None:
    first = _result(items["fx-rows"], False, False)
    second = _result(items["fx-rows"], True, True, NOW + timedelta(minutes=2), first.card)
    with Store(tmp_path / "p.sqlite3") as db:
        db.record(first, "practice")
        db.record(second, "practice")
        db.record(_result(items["fx-complexity"], "O(n^2)", True), "exam")
    with Store(tmp_path / "p.sqlite3") as db:
        history = db.history()
        assert db.cards()[("fixture-basics", "fx-rows")] == second.card
        assert db.next_due() == min(second.card.due, history[("fixture-basics", "fx-complexity")].card.due)
    assert history[("fixture-basics", "fx-rows")] == History(second.card, 2, 1, True)
    assert history[("fixture-basics", "fx-complexity")].answers == 1


def test_history_survives_rewording_a_question(tmp_path: Path, items: dict[str, Item]) -> None:
    with Store(tmp_path / "p.sqlite3") as db:
        db.record(_result(items["fx-rows"], True, True), "practice")
    reworded = items["fx-rows"].question.model_copy(update={"prompt": {"en": "Rows sum to one.", "zh": "每行和为 1。"}})
    item = Item(items["fx-rows"].bank, reworded, (), "new")
    with Store(tmp_path / "p.sqlite3") as db:
        assert db.history()[item.key].answers == 1


def test_kill_9_loses_nothing_already_answered(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite3"
    script = f"""
import os, signal
from datetime import datetime, timezone
from quiz.bank.loader import load_paths
from quiz.check.catalog import exercise_names
from quiz.practice import marking as grading
from quiz.practice import store
from quiz.practice.session import Filters, plan, run, Answer
from quiz.practice.store import Store
questions = load_paths([{str(FIXTURES / 'basics.yaml')!r}], known_exercises=exercise_names()).questions()
items = plan(questions, {{}}, Filters(topics=frozenset({{'attention'}}), difficulties=frozenset({{1}})),
             'practice', None, 1, datetime.now(timezone.utc))
db = Store(__import__('pathlib').Path({str(path)!r}))
class UI:
    asked = 0
    def ask(self, item, position, total, deadline):
        self.asked += 1
        if self.asked == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        return Answer({{'truefalse': True, 'short': 'O(n^2)', 'code': False}}[item.question.type])
    def feedback(self, result):
        pass
run(items, 'practice', UI(), lambda r: db.record(r, 'practice'), {{}}, lang='en')
"""
    done = subprocess.run([sys.executable, "-c", script], env=subprocess_env(), capture_output=True, text=True)
    assert done.returncode == -9, done.stderr
    with Store(path) as db:
        assert len(answer_rows(db)) == 1
        assert len(db.cards()) == 1


@pytest.mark.parametrize(
    ("content", "sidecar"),
    [(b"this is not a database at all" * 100, False), (b"SQLite format 3\x00" + b"\xff" * 4000, True)],
    ids=["garbage", "bad-header-with-wal"],
)
def test_a_corrupt_database_is_moved_aside_never_overwritten(tmp_path: Path, content: bytes, sidecar: bool) -> None:
    path = tmp_path / "progress.sqlite3"
    path.write_bytes(content)
    if sidecar:
        path.with_name(path.name + "-wal").write_bytes(b"stale wal")
    with Store(path, now=NOW) as db:
        assert db.problem == "corrupt"
        assert db.moved_aside == tmp_path / "progress.sqlite3.corrupt-20250301-090000"
        assert db.moved_aside.read_bytes() == content
        assert answer_rows(db) == []
    if sidecar:
        assert (tmp_path / "progress.sqlite3.corrupt-20250301-090000-wal").read_bytes() == b"stale wal"
    with Store(path, now=NOW) as again:  # a second corrupt file the same second gets its own name
        assert again.moved_aside is None
    path.write_bytes(content)
    with Store(path, now=NOW) as third:
        assert third.moved_aside == tmp_path / "progress.sqlite3.corrupt-20250301-090000-2"


def test_a_database_from_a_newer_version_is_moved_aside(tmp_path: Path, items: dict[str, Item]) -> None:
    path = tmp_path / "progress.sqlite3"
    with Store(path) as db:
        db.record(_result(items["fx-rows"], True, True), "practice")
        db.conn.execute(f"PRAGMA user_version = {store.SCHEMA_VERSION + 1}")
    with Store(path, now=NOW) as db:
        assert (db.problem, db.moved_aside) == ("newer", tmp_path / "progress.sqlite3.newer-20250301-090000")
        assert answer_rows(db) == []
    moved = sqlite3.connect(tmp_path / "progress.sqlite3.newer-20250301-090000")
    assert moved.execute("SELECT COUNT(*) FROM answers").fetchone() == (1,)
    moved.close()


def test_migration_from_version_1_keeps_the_data(tmp_path: Path, items: dict[str, Item]) -> None:
    path = tmp_path / "progress.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    store.migrate(conn, target=1)
    conn.execute("INSERT INTO answers (bank_id, question_id, topic, qtype, mode, answered_at, response, correct,"
                 " score, rating, seconds) VALUES ('fixture-basics', 'fx-rows', 'attention', 'truefalse', 'practice',"
                 " '2025-02-01T10:00:00.000000+00:00', 'true', 1, 1.0, 3, 4.0)")
    conn.close()
    with Store(path) as db:
        version = db.conn.execute("PRAGMA user_version").fetchone()[0]
        columns = [row[1] for row in db.conn.execute("PRAGMA table_info(answers)")]
        assert answer_rows(db) == [("fixture-basics", "fx-rows", "true", 1)]
        assert db.history()[("fixture-basics", "fx-rows")].answers == 1
        session_id = db.start_session("exam", "zh", NOW)
        db.record(_result(items["fx-rows"], False, False), "exam", session_id)
    assert version == store.SCHEMA_VERSION == 3
    assert columns[-1] == "session_id"


def test_a_failed_migration_leaves_the_old_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conn = sqlite3.connect(tmp_path / "p.sqlite3", isolation_level=None)
    store.migrate(conn, target=1)
    monkeypatch.setattr(store, "MIGRATIONS", (store.MIGRATIONS[0], ("CREATE TABLE extra (x)", "NOT SQL")))
    with pytest.raises(sqlite3.OperationalError):
        store.migrate(conn, target=2)
    assert conn.execute("PRAGMA user_version").fetchone() == (1,)
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'extra'").fetchone() is None
    conn.close()


def test_stats_per_topic_streak_and_weakest(tmp_path: Path, items: dict[str, Item]) -> None:
    with Store(tmp_path / "p.sqlite3") as db:
        for days_ago in (4, 2, 1, 0):
            at = NOW - timedelta(days=days_ago)
            db.record(_result(items["fx-rows"], True, days_ago != 1, at), "practice")
        db.record(_result(items["fx-scale"], 1, False, NOW), "practice")
        db.record(_result(items["fx-bytes"], "131072", True, NOW - timedelta(days=3)), "practice")
        stats = db.stats(NOW + timedelta(minutes=5), today=(NOW).astimezone().date())
    attention, kvcache = stats.topics
    assert (attention.topic, attention.questions, attention.answers, attention.correct) == ("attention", 2, 5, 3)
    assert (attention.due_now, attention.due_week) == (1, 1)  # due now, then due later within 7 days
    assert (kvcache.topic, kvcache.questions, kvcache.answers, kvcache.accuracy) == ("kvcache", 1, 1, 1.0)
    assert stats.streak == 5
    assert [(w.question_id, w.correct, w.answers) for w in stats.weakest] == [("fx-scale", 0, 1), ("fx-rows", 3, 4)]


@pytest.mark.parametrize(
    ("offsets", "expected"),
    [((0, 1, 2), 3), ((1, 2), 2), ((0, 2), 1), ((2, 3), 0), ((), 0)],
    ids=["through-today", "up-to-yesterday", "gap", "broken", "none"],
)
def test_streak(offsets: tuple[int, ...], expected: int) -> None:
    today = date(2025, 3, 1)
    assert store.streak({today - timedelta(days=d) for d in offsets}, today) == expected


def test_reset_keeps_a_backup_and_deletes_the_database(tmp_path: Path, items: dict[str, Item]) -> None:
    path = tmp_path / "progress.sqlite3"
    with Store(path) as db:
        db.record(_result(items["fx-rows"], True, True), "practice")
        backup = store.reset(path, tmp_path / "backups", NOW)
    assert backup == tmp_path / "backups" / "progress-20250301-090000.sqlite3"
    assert not path.exists() and not path.with_name(path.name + "-wal").exists()
    copy = sqlite3.connect(backup)
    assert copy.execute("SELECT question_id, response FROM answers").fetchall() == [("fx-rows", json.dumps(True))]
    copy.close()
    assert store.reset(path, tmp_path / "backups", NOW) is None


def test_reset_of_a_corrupt_file_keeps_its_bytes(tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    path.write_bytes(b"garbage" * 10)
    backup = store.reset(path, tmp_path / "backups", NOW)
    assert backup is not None and backup.read_bytes() == b"garbage" * 10 and not path.exists()



def answer_rows(db: Store) -> list[tuple[str, str, str, int]]:
    """(bank id, question id, response JSON, correct) of every stored answer, read from the file's table."""
    return db.conn.execute("SELECT bank_id, question_id, response, correct FROM answers ORDER BY id").fetchall()


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Kolkata", "UTC"])
def test_answers_per_day_are_the_local_days_python_gives(tmp_path: Path, zone: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite's 'localtime' and Python's astimezone() agree on every answer's day, across a DST change."""
    import time
    from collections import Counter

    from tests.practice.simulated import fill

    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        questions = load_paths([FIXTURES], known_exercises=exercise_names()).questions()
        with Store(tmp_path / "p.sqlite3") as db:
            fill(db, questions, 700, datetime(2026, 11, 12, 4, 30, tzinfo=timezone.utc), days=20)  # DST ends Nov 1
            times = [datetime.fromisoformat(row[0]) for row in db.conn.execute("SELECT answered_at FROM answers")]
            per_day = db.answers_per_day()
        assert per_day == dict(Counter(moment.astimezone().date() for moment in times))
        assert len(per_day) >= 20
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
