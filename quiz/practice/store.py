"""Progress in a SQLite database (standard library sqlite3), never lost and never overwritten.

Every answer is written and committed the moment it is given (one transaction: the
answer row and the question's card), in WAL mode, so Ctrl-C, a closed terminal or
``kill -9`` lose at most the question on screen. History is keyed by (bank id, question
id): rewording a question keeps its history.

The schema version is ``PRAGMA user_version``; ``MIGRATIONS[n]`` takes a database from
version n to n + 1, each in its own transaction. A file that is not a readable SQLite
database, or one written by a newer attnquiz (a higher version than this code knows),
is renamed aside (``progress.sqlite3.corrupt-<time>`` or ``.newer-<time>``, with its
-wal and -shm files) and a fresh database is started; ``Store.moved_aside`` says where.

Times are stored as ISO 8601 text in UTC; the scheduler's cards have their own columns
(see quiz.practice.scheduler), never fsrs's own serialised form.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from typing import TYPE_CHECKING

from quiz.practice.scheduler import CardState

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping, Sequence

    from quiz.check.verdicts import CheckResult
    from quiz.practice.session import History, Key, Result

_SIDECARS = ("-wal", "-shm")
WEAKEST = 5


_V1 = (
    """CREATE TABLE answers (
        id INTEGER PRIMARY KEY,
        bank_id TEXT NOT NULL,
        question_id TEXT NOT NULL,
        topic TEXT NOT NULL,
        qtype TEXT NOT NULL,
        mode TEXT NOT NULL,
        answered_at TEXT NOT NULL,
        response TEXT NOT NULL,
        correct INTEGER NOT NULL,
        score REAL NOT NULL,
        rating INTEGER NOT NULL,
        seconds REAL NOT NULL
    )""",
    """CREATE TABLE cards (
        bank_id TEXT NOT NULL,
        question_id TEXT NOT NULL,
        topic TEXT NOT NULL,
        state TEXT NOT NULL,
        step INTEGER,
        stability REAL,
        difficulty REAL,
        due TEXT NOT NULL,
        last_review TEXT,
        reps INTEGER NOT NULL,
        lapses INTEGER NOT NULL,
        PRIMARY KEY (bank_id, question_id)
    )""",
)
_V2 = (  # sessions (mode, language, start, end, interrupted), linked from answers; indexes
    """CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        mode TEXT NOT NULL,
        lang TEXT NOT NULL,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        interrupted INTEGER NOT NULL DEFAULT 0
    )""",
    "ALTER TABLE answers ADD COLUMN session_id INTEGER REFERENCES sessions(id)",
    "CREATE INDEX answers_by_question ON answers (bank_id, question_id)",
    "CREATE INDEX cards_by_due ON cards (due)",
)
_V3 = (  # exercise progress: every check's result per exercise, and hints read, give-ups, solutions shown
    """CREATE TABLE exercise_checks (
        id INTEGER PRIMARY KEY,
        exercise TEXT NOT NULL,
        solution TEXT NOT NULL,
        status TEXT NOT NULL,
        score REAL NOT NULL,
        max_score REAL NOT NULL,
        speedup REAL,
        seconds REAL NOT NULL,
        checked_at TEXT NOT NULL
    )""",
    "CREATE INDEX exercise_checks_by_exercise ON exercise_checks (exercise)",
    """CREATE TABLE exercise_events (
        id INTEGER PRIMARY KEY,
        exercise TEXT NOT NULL,
        kind TEXT NOT NULL,
        level INTEGER,
        at TEXT NOT NULL
    )""",
)
MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2, _V3)
"""MIGRATIONS[n] takes the schema from version n to n + 1."""
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> None:
    """Apply the migrations from the database's version up to `target`, one transaction each."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    for number in range(version, target):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in MIGRATIONS[number]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds") if moment else None


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _stamp(now: datetime) -> str:
    return now.astimezone(timezone.utc).strftime("%Y%m%d-%H%M%S")


def _free_name(path: Path) -> Path:
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return candidate


def _move_aside(path: Path, reason: str, now: datetime) -> Path:
    target = _free_name(path.with_name(f"{path.name}.{reason}-{_stamp(now)}"))
    path.rename(target)
    for suffix in _SIDECARS:
        sidecar = path.with_name(path.name + suffix)
        if sidecar.exists():
            sidecar.rename(target.with_name(target.name + suffix))
    return target


def _unreadable(path: Path) -> bool:
    """Whether the file at `path` exists and is not a sound SQLite database.

    The file is opened immutable (no locks, no journal or WAL files touched), so checking
    a damaged file can never change it or its -wal file.
    """
    if not path.exists():
        return False
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?immutable=1", uri=True)
        try:
            check = conn.execute("PRAGMA quick_check").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return True
    return not check or check[0] != "ok"


def _encode(value: object) -> str:
    return json.dumps(sorted(value) if isinstance(value, frozenset) else value, ensure_ascii=False)


SESSION_FIELDS = ("mode", "lang", "started_at", "ended_at", "interrupted")
ANSWER_FIELDS = ("bank_id", "question_id", "topic", "qtype", "mode", "answered_at", "response", "correct", "score",
                 "rating", "seconds")
CARD_FIELDS = ("bank_id", "question_id", "topic", "state", "step", "stability", "difficulty", "due", "last_review",
               "reps", "lapses")
CHECK_FIELDS = ("exercise", "solution", "status", "score", "max_score", "speedup", "seconds", "checked_at")
EVENT_FIELDS = ("exercise", "kind", "level", "at")


@dataclass
class Merged:
    """What a merge added: sessions, answers, cards that were new or newer, exercise checks and events."""

    sessions: int = 0
    answers: int = 0
    cards: int = 0
    checks: int = 0
    events: int = 0


@dataclass(frozen=True)
class TopicStats:
    topic: str
    questions: int
    answers: int
    correct: int
    due_now: int
    due_week: int  # due later in the next 7 days (not counting those due now)

    @property
    def accuracy(self) -> float:
        return self.correct / self.answers if self.answers else 0.0


@dataclass(frozen=True)
class WeakQuestion:
    bank_id: str
    question_id: str
    topic: str
    answers: int
    correct: int


@dataclass(frozen=True)
class ExerciseProgress:
    """What the store knows about one code exercise."""

    exercise: str
    status: str  # "not_started", "failing" or "passed" (passed once is passed)
    best_score: float = 0.0
    max_score: float = 0.0
    best_speedup: float | None = None
    checks: int = 0
    last_checked: datetime | None = None
    hints_read: int = 0  # the highest hint level read
    gave_up: bool = False


EXERCISE_EVENTS = ("hint", "gave_up", "solution")


@dataclass(frozen=True)
class Stats:
    topics: list[TopicStats] = field(default_factory=list)
    streak: int = 0
    weakest: list[WeakQuestion] = field(default_factory=list)
    next_due: datetime | None = None


class Store:
    """The progress database. Open with ``Store(path)``; close with ``close()`` or a with-block."""

    def __init__(self, path: Path, now: datetime | None = None) -> None:
        self.path = path
        self.moved_aside: Path | None = None
        self.problem: str | None = "corrupt" if _unreadable(path) else None
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path, isolation_level=None, timeout=10)
        if not self.problem and self.conn.execute("PRAGMA user_version").fetchone()[0] > SCHEMA_VERSION:
            self.problem = "newer"
        if self.problem:
            self.conn.close()
            self.moved_aside = _move_aside(path, self.problem, now or datetime.now(timezone.utc))
            self.conn = sqlite3.connect(path, isolation_level=None, timeout=10)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        migrate(self.conn)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    def start_session(self, mode: str, lang: str, started_at: datetime) -> int:
        cursor = self.conn.execute("INSERT INTO sessions (mode, lang, started_at) VALUES (?, ?, ?)",
                                   (mode, lang, _iso(started_at)))
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def end_session(self, session_id: int, ended_at: datetime, interrupted: bool) -> None:
        self.conn.execute("UPDATE sessions SET ended_at = ?, interrupted = ? WHERE id = ?",
                          (_iso(ended_at), int(interrupted), session_id))

    def record(self, result: Result, mode: str, session_id: int | None = None) -> None:
        """Save one answer and the question's new card, committed before returning."""
        bank_id, question_id = result.item.key
        question, card = result.item.question, result.card
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self.conn.execute(
                "INSERT INTO answers (bank_id, question_id, topic, qtype, mode, answered_at, response, correct,"
                " score, rating, seconds, session_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (bank_id, question_id, question.topic, question.type, mode, _iso(result.answered_at),
                 _encode(result.answer.value), int(result.correct), result.grade.score, int(result.rating),
                 round(result.seconds, 3), session_id))
            self.conn.execute(
                "INSERT INTO cards (bank_id, question_id, topic, state, step, stability, difficulty, due,"
                " last_review, reps, lapses) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (bank_id, question_id) DO UPDATE SET topic = excluded.topic,"
                " state = excluded.state, step = excluded.step, stability = excluded.stability,"
                " difficulty = excluded.difficulty, due = excluded.due, last_review = excluded.last_review,"
                " reps = excluded.reps, lapses = excluded.lapses",
                (bank_id, question_id, question.topic, card.state, card.step, card.stability, card.difficulty,
                 _iso(card.due), _iso(card.last_review), card.reps, card.lapses))
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    def record_check(self, result: CheckResult, now: datetime) -> None:
        """Save, per exercise the check attempted, its status, score, measured speedup and time."""
        from quiz.check.verdicts import Status, exercise_status

        rows = []
        for exercise in result.exercise_names():
            verdicts = result.for_exercise(exercise)
            if not any(verdict.status.attempted for verdict in verdicts):
                continue  # not started: nothing to remember
            speeds = [verdict.speed.user_speedup for verdict in verdicts if verdict.speed is not None]
            status = "passed" if exercise_status(verdicts) is Status.PASSED else "failing"
            rows.append((exercise, str(Path(result.solution).absolute()), status, sum(v.points for v in verdicts),
                         sum(v.max_points for v in verdicts), max(speeds) if speeds else None,
                         round(sum(v.seconds for v in verdicts), 3), _iso(now)))
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.executemany(
                "INSERT INTO exercise_checks (exercise, solution, status, score, max_score, speedup, seconds,"
                " checked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def record_event(self, exercise: str, kind: str, now: datetime, level: int | None = None) -> None:
        """Save a hint read (with its level), a give-up or a worked solution shown."""
        assert kind in EXERCISE_EVENTS, kind
        self.conn.execute("INSERT INTO exercise_events (exercise, kind, level, at) VALUES (?, ?, ?, ?)",
                          (exercise, kind, level, _iso(now)))

    def work_files(self, exercise: str) -> list[tuple[Path, datetime]]:
        """The files checks of `exercise` ran on (absolute paths; older stores may hold relative ones, left
        out), each with the time of its last check, most recent first."""
        rows = self.conn.execute("SELECT solution, MAX(checked_at) FROM exercise_checks WHERE exercise = ?"
                                 " GROUP BY solution ORDER BY MAX(checked_at) DESC", (exercise,))
        return [(Path(r[0]), _time(r[1])) for r in rows if Path(r[0]).is_absolute()]  # type: ignore[misc]

    def last_check(self) -> list[tuple[str, str]]:
        """(exercise, status) of each exercise the most recent recorded check attempted, in its order."""
        return [(r[0], r[1]) for r in self.conn.execute(
            "SELECT exercise, status FROM exercise_checks WHERE checked_at = (SELECT MAX(checked_at)"
            " FROM exercise_checks) ORDER BY id")]

    def exercise_progress(self) -> dict[str, ExerciseProgress]:
        """Every exercise with a check or an event: its status, best score and speedup, hints, give-ups."""
        found: dict[str, ExerciseProgress] = {}
        for exercise, passed, best, total, speedup, checks, last in self.conn.execute(
                "SELECT exercise, MAX(status = 'passed'), MAX(score), MAX(max_score), MAX(speedup), COUNT(*),"
                " MAX(checked_at) FROM exercise_checks GROUP BY exercise"):
            found[exercise] = ExerciseProgress(exercise, "passed" if passed else "failing", best, total, speedup,
                                               checks, _time(last))
        for exercise, hints, gave_up in self.conn.execute(
                "SELECT exercise, MAX(CASE WHEN kind = 'hint' THEN level END), MAX(kind = 'gave_up')"
                " FROM exercise_events GROUP BY exercise"):
            known = found.get(exercise, ExerciseProgress(exercise, "not_started"))
            found[exercise] = replace(known, hints_read=hints or 0, gave_up=bool(gave_up))
        return found

    def cards(self) -> dict[Key, CardState]:
        rows = self.conn.execute("SELECT bank_id, question_id, state, step, stability, difficulty, due,"
                                 " last_review, reps, lapses FROM cards")
        return {(r[0], r[1]): CardState(r[2], r[3], r[4], r[5], _time(r[6]), _time(r[7]), r[8], r[9])  # type: ignore[arg-type]
                for r in rows}

    def history(self) -> dict[Key, History]:
        """Every question with a card or an answer: its card, answer count, right count, last result."""
        from quiz.practice.session import History  # the quiz's module: `stats` and exports need none of it

        cards = self.cards()
        rows = self.conn.execute(
            "SELECT bank_id, question_id, COUNT(*), SUM(correct),"
            " (SELECT correct FROM answers last WHERE last.bank_id = a.bank_id"
            "  AND last.question_id = a.question_id ORDER BY answered_at DESC, id DESC LIMIT 1)"
            " FROM answers a GROUP BY bank_id, question_id")
        known = {(r[0], r[1]): History(cards.get((r[0], r[1])), r[2], r[3], bool(r[4])) for r in rows}
        for key, card in cards.items():
            known.setdefault(key, History(card))
        return known

    def next_due(self) -> datetime | None:
        row = self.conn.execute("SELECT MIN(due) FROM cards").fetchone()
        return _time(row[0])

    def topic_cards(self) -> dict[Key, tuple[str, CardState]]:
        """Every card with its question's topic."""
        topics = dict(((r[0], r[1]), r[2]) for r in self.conn.execute("SELECT bank_id, question_id, topic FROM cards"))
        return {key: (topics[key], card) for key, card in self.cards().items()}

    def answers_per_day(self) -> dict[date, int]:
        """How many answers were given on each local calendar day. SQLite's 'localtime' asks the C library,
        as Python's astimezone() does, so a day here is the day the rest of attnquiz shows."""
        return {date.fromisoformat(day): count for day, count in self.conn.execute(
            "SELECT date(answered_at, 'localtime'), COUNT(*) FROM answers GROUP BY 1")}

    def new_since(self, start: datetime, banks: Collection[str] | None = None) -> int:
        """How many questions (of the banks with these ids, or of any) were answered for the first time at or
        after `start`."""
        chosen = "" if banks is None else f" WHERE bank_id IN ({', '.join('?' * len(banks))})"
        row = self.conn.execute(f"SELECT COUNT(*) FROM (SELECT MIN(answered_at) AS first FROM answers{chosen}"
                                " GROUP BY bank_id, question_id) WHERE first >= ?",
                                (*(banks or ()), _iso(start))).fetchone()
        return int(row[0])

    def reviews(self) -> list[tuple[str, str, datetime, int, float]]:
        """(bank id, question id, time, rating, seconds) of every answer, in time order."""
        return [(r[0], r[1], _time(r[2]), r[3], r[4]) for r in self.conn.execute(  # type: ignore[misc]
            "SELECT bank_id, question_id, answered_at, rating, seconds FROM answers ORDER BY answered_at, id")]

    def dump(self) -> dict[str, list[dict[str, object]]]:
        """Every session, answer, card, exercise check and exercise event as plain rows (times as stored),
        for a progress file."""
        def rows(sql: str) -> list[dict[str, object]]:
            cursor = self.conn.execute(sql)
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row)) for row in cursor]

        return {
            "sessions": rows(f"SELECT {', '.join(SESSION_FIELDS)} FROM sessions ORDER BY started_at, id"),
            "answers": rows(f"SELECT {', '.join('a.' + f for f in ANSWER_FIELDS)}, s.started_at AS session"
                            " FROM answers a LEFT JOIN sessions s ON s.id = a.session_id ORDER BY a.answered_at, a.id"),
            "cards": rows(f"SELECT {', '.join(CARD_FIELDS)} FROM cards ORDER BY bank_id, question_id"),
            "exercise_checks": rows(f"SELECT {', '.join(CHECK_FIELDS)} FROM exercise_checks ORDER BY checked_at, id"),
            "exercise_events": rows(f"SELECT {', '.join(EVENT_FIELDS)} FROM exercise_events ORDER BY at, id"),
        }

    def merge(self, sessions: list[dict[str, object]], answers: list[dict[str, object]],
              cards: list[dict[str, object]], checks: Sequence[Mapping[str, object]] = (),
              events: Sequence[Mapping[str, object]] = ()) -> Merged:
        """Add what the store lacks, in one transaction: sessions (by start), answers (by question and
        time: never twice), each card unless the store's own was reviewed at the same time or later, and
        exercise checks and events (whole rows: never twice; the store keeps every one, so none is lost)."""
        added = Merged()
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            ids = {row[0]: row[1] for row in self.conn.execute("SELECT started_at, id FROM sessions")}
            for session in sessions:
                if session["started_at"] not in ids:
                    cursor = self.conn.execute(
                        f"INSERT INTO sessions ({', '.join(SESSION_FIELDS)}) VALUES ({', '.join('?' * len(SESSION_FIELDS))})",
                        [session[f] for f in SESSION_FIELDS])
                    ids[session["started_at"]] = cursor.lastrowid
                    added.sessions += 1
            known = set(self.conn.execute("SELECT bank_id, question_id, answered_at FROM answers"))
            for answer in answers:
                key = (answer["bank_id"], answer["question_id"], answer["answered_at"])
                if key in known:
                    continue
                known.add(key)
                self.conn.execute(
                    f"INSERT INTO answers ({', '.join(ANSWER_FIELDS)}, session_id)"
                    f" VALUES ({', '.join('?' * len(ANSWER_FIELDS))}, ?)",
                    [*(answer[f] for f in ANSWER_FIELDS), ids.get(answer.get("session"))])  # type: ignore[arg-type]
                added.answers += 1
            reviewed = {(r[0], r[1]): r[2] for r in self.conn.execute("SELECT bank_id, question_id, last_review FROM cards")}
            for card in cards:
                key = (card["bank_id"], card["question_id"])
                if key in reviewed and (reviewed[key] or "") >= (card["last_review"] or ""):  # type: ignore[operator]
                    continue
                self.conn.execute(
                    f"INSERT OR REPLACE INTO cards ({', '.join(CARD_FIELDS)}) VALUES ({', '.join('?' * len(CARD_FIELDS))})",
                    [card[f] for f in CARD_FIELDS])
                added.cards += 1
            added.checks = self._add_missing("exercise_checks", CHECK_FIELDS, checks)
            added.events = self._add_missing("exercise_events", EVENT_FIELDS, events)
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return added

    def _add_missing(self, table: str, fields: tuple[str, ...], rows: Sequence[Mapping[str, object]]) -> int:
        """Insert each row of `rows` that `table` does not hold already (all of `fields` equal); how many."""
        columns = ", ".join(fields)
        known = set(self.conn.execute(f"SELECT {columns} FROM {table}"))
        added = 0
        for row in rows:
            values = tuple(row[f] for f in fields)
            if values in known:
                continue
            known.add(values)
            self.conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * len(fields))})", values)
            added += 1
        return added

    def stats(self, now: datetime, today: date | None = None,
              answers_per_day: Mapping[date, int] | None = None) -> Stats:
        """Per-topic counts, the current streak of days with answers, and the weakest questions.
        `answers_per_day`: what ``answers_per_day()`` gives, when the caller has read it already."""
        week = _iso(now + timedelta(days=7))
        per_topic = self.conn.execute(  # per question first: cheaper than COUNT(DISTINCT) over every answer
            "SELECT topic, COUNT(*), SUM(n), SUM(r) FROM (SELECT topic, bank_id, question_id, COUNT(*) AS n,"
            " SUM(correct) AS r FROM answers GROUP BY topic, bank_id, question_id) GROUP BY topic").fetchall()
        due = {row[0]: row[1:] for row in self.conn.execute(
            "SELECT topic, SUM(due <= ?), SUM(due > ? AND due <= ?) FROM cards GROUP BY topic",
            (_iso(now), _iso(now), week))}
        topics = [TopicStats(topic, questions, answers, correct, *due.get(topic, (0, 0)))
                  for topic, questions, answers, correct in per_topic]
        weakest = [WeakQuestion(*row) for row in self.conn.execute(  # answers counted per question, then the card
            "SELECT a.bank_id, a.question_id, a.topic, a.n, a.r FROM (SELECT bank_id, question_id, topic,"
            " COUNT(*) AS n, SUM(correct) AS r FROM answers GROUP BY bank_id, question_id) a"
            " LEFT JOIN cards c ON c.bank_id = a.bank_id AND c.question_id = a.question_id WHERE a.r < a.n"
            " ORDER BY 1.0 * a.r / a.n, c.lapses DESC, a.n DESC, c.stability LIMIT ?", (WEAKEST,))]
        days = set(self.answers_per_day() if answers_per_day is None else answers_per_day)
        return Stats(sorted(topics, key=lambda s: s.topic), streak(days, today or now.astimezone().date()),
                     weakest, self.next_due())


def streak(days: set[date], today: date) -> int:
    """Consecutive days with answers, ending today (or yesterday, if nothing was answered today yet)."""
    day = today if today in days else today - timedelta(days=1)
    count = 0
    while day in days:
        count += 1
        day -= timedelta(days=1)
    return count


def reset(path: Path, backups: Path, now: datetime) -> Path | None:
    """Copy the database to `backups`, then delete it; the backup's path, or None if there was none."""
    if not path.exists():
        return None
    target = backup(path, backups, now)
    for suffix in ("", *_SIDECARS):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    return target


def backup(path: Path, backups: Path, now: datetime) -> Path:
    """A copy of the database (with what its WAL holds) in `backups`, named by the time; its path."""
    backups.mkdir(parents=True, exist_ok=True)
    target, n = backups / f"progress-{_stamp(now)}.sqlite3", 1
    while target.exists():  # two in the same second: progress-<time>-2.sqlite3, ...
        n += 1
        target = backups / f"progress-{_stamp(now)}-{n}.sqlite3"
    try:
        _copy_database(path, target)
    except sqlite3.DatabaseError:  # not a readable database: keep the bytes as they are
        target.unlink(missing_ok=True)
        target.write_bytes(path.read_bytes())
    return target


@dataclass(frozen=True)
class Backup:
    """A backup `reset` kept: its file, when it was written, and what it holds (None: not readable)."""

    path: Path
    written: datetime
    answers: int | None
    last_answer: datetime | None


def backups(folder: Path) -> list[Backup]:
    """The backups in `folder`, newest first."""
    found = []
    for path in folder.glob("progress-*") if folder.is_dir() else ():
        if not path.is_file() or path.name.endswith(("-wal", "-shm", "-journal")):
            continue
        answers, last = _contents(path)
        found.append(Backup(path, datetime.fromtimestamp(path.stat().st_mtime, timezone.utc), answers, last))
    return sorted(found, key=lambda b: (b.written, b.path.name), reverse=True)


def restore(chosen: Path, path: Path, backups_folder: Path, now: datetime) -> Path | None:
    """Make the backup `chosen` the database at `path`, after backing up the current one (whose backup is
    returned; None when there was none). A backup that is not a sound attnquiz database, or one written
    by a newer attnquiz, is refused with a StoreProblem before anything changes."""
    if _unreadable(chosen) or _contents(chosen)[0] is None:
        raise StoreProblem("corrupt")
    if _version(chosen) > SCHEMA_VERSION:
        raise StoreProblem("newer")
    kept = backup(path, backups_folder, now) if path.exists() else None
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = _free_name(path.with_name(f".{path.name}.restoring"))
    try:
        _copy_database(chosen, staging, read_only=True)
        for suffix in _SIDECARS:
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        staging.replace(path)
    finally:
        staging.unlink(missing_ok=True)
    return kept


class StoreProblem(Exception):
    """A file that cannot be restored: "corrupt" (not a sound attnquiz database) or "newer"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _copy_database(source_path: Path, target: Path, read_only: bool = False) -> None:
    uri = f"{source_path.resolve().as_uri()}?immutable=1" if read_only else str(source_path)  # a backup: never changed
    source, copy = sqlite3.connect(uri, uri=read_only), sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        source.close()
        copy.close()


def _contents(path: Path) -> tuple[int | None, datetime | None]:
    """How many answers a database file holds and the time of the last (opened immutable: never changed)."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?immutable=1", uri=True)
        try:
            count, last = conn.execute("SELECT COUNT(*), MAX(answered_at) FROM answers").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return None, None
    return count, _time(last)


def _version(path: Path) -> int:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?immutable=1", uri=True)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()
