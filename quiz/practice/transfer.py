"""Progress that moves: a JSON progress file out of one store and into another, and the review log as CSV.

A progress file (``attnquiz export progress``) holds every session, answer and card, keyed by
bank id + question id, and every code-exercise check and event (hint read, give-up, solution
shown), keyed by exercise id, with times exactly as stored. Format version 1 had no exercise
records; its files still import (as having none). ``import progress`` merges one into the
store (quiz.practice.store ``Store.merge``): an answer already there (same question, same
time) is never added twice, a card replaces the store's own only when it was reviewed later,
an exercise check or event is added unless the store holds the same record already (the store
keeps every one, so a newer record is never lost), so importing the same file twice changes
nothing, and importing into a fresh home gives the same stats and exercise progress as where it
came from. The whole file is checked before anything is written, and
the merge is one transaction: a bad file changes nothing.

The review log (``export reviews``) has the columns of the FSRS optimizer's review-log schema:
card_id (an integer from bank id + question id), review_time (milliseconds since the epoch),
review_rating (1 to 4), review_state (0 new, 1 learning, 2 review, 3 relearning, before the
review) and review_duration (milliseconds); then bank_id and question_id, for people.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PlainSerializer, ValidationError

from quiz.errors import AttnquizError
from quiz.i18n import t

if TYPE_CHECKING:
    from quiz.practice.scheduler import Scheduler
    from quiz.practice.store import Merged, Store

FORMAT = "attnquiz-progress"
VERSION = 2
REVIEW_COLUMNS = ("card_id", "review_time", "review_rating", "review_state", "review_duration", "bank_id",
                  "question_id")
STATE_CODES = {"learning": 1, "review": 2, "relearning": 3}


def _stored_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


Time = Annotated[AwareDatetime, PlainSerializer(_stored_time, return_type=str)]
Identifier = Annotated[str, Field(min_length=1, max_length=200)]


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class SessionRow(_Row):
    mode: Literal["practice", "exam", "review"]
    lang: str
    started_at: Time
    ended_at: Time | None
    interrupted: Annotated[int, Field(ge=0, le=1)]


class AnswerRow(_Row):
    bank_id: Identifier
    question_id: Identifier
    topic: str
    qtype: str
    mode: Literal["practice", "exam", "review"]
    answered_at: Time
    response: Any
    correct: Annotated[int, Field(ge=0, le=1)]
    score: Annotated[float, Field(ge=0, le=1)]
    rating: Annotated[int, Field(ge=1, le=4)]
    seconds: Annotated[float, Field(ge=0)]
    session: Time | None = None


class CardRow(_Row):
    bank_id: Identifier
    question_id: Identifier
    topic: str
    state: Literal["learning", "review", "relearning"]
    step: Annotated[int, Field(ge=0)] | None
    stability: Annotated[float, Field(gt=0)] | None
    difficulty: Annotated[float, Field(ge=1, le=10)] | None
    due: Time
    last_review: Time | None
    reps: Annotated[int, Field(ge=0)]
    lapses: Annotated[int, Field(ge=0)]


class CheckRow(_Row):
    exercise: Identifier
    solution: str
    status: Literal["passed", "failing"]
    score: Annotated[float, Field(ge=0)]
    max_score: Annotated[float, Field(ge=0)]
    speedup: Annotated[float, Field(ge=0)] | None
    seconds: Annotated[float, Field(ge=0)]
    checked_at: Time


class EventRow(_Row):
    exercise: Identifier
    kind: Literal["hint", "gave_up", "solution"]
    level: Annotated[int, Field(ge=1)] | None
    at: Time


class ProgressFileV1(_Row):
    """Format 1: sessions, answers and cards only."""

    format: Literal["attnquiz-progress"]
    version: Literal[1]
    exported_at: Time
    sessions: list[SessionRow]
    answers: list[AnswerRow]
    cards: list[CardRow]


class ProgressFile(_Row):
    format: Literal["attnquiz-progress"]
    version: Literal[2]
    exported_at: Time
    sessions: list[SessionRow]
    answers: list[AnswerRow]
    cards: list[CardRow]
    exercise_checks: list[CheckRow]
    exercise_events: list[EventRow]


def _check_writable(path: Path, force: bool, example: str) -> None:
    if path.is_dir():
        raise AttnquizError(t("export.is_folder", path=path, example=path / example))
    if path.exists() and not force:
        raise AttnquizError(t("export.exists", path=path))


def write_text(path: Path, text: str, force: bool, example: str) -> None:
    """Write `text` to `path` through a temporary file beside it: all of it, or nothing. `example`: a file
    name to suggest when `path` is a folder."""
    from quiz import files

    _check_writable(path, force, example)
    try:
        files.write_text(path, text, newline="")
    except OSError as exc:
        raise AttnquizError(t("export.cannot_write", path=path, reason=files.os_reason(exc, path))) from None


def progress_json(store: Store, now: datetime) -> str:
    data = store.dump()
    for answer in data["answers"]:
        answer["response"] = json.loads(answer["response"])  # type: ignore[arg-type]
    document = {"format": FORMAT, "version": VERSION, "exported_at": _stored_time(now), **data}
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


@dataclass(frozen=True)
class Exported:
    path: Path
    sessions: int
    answers: int
    cards: int
    checks: int
    events: int


def export_progress(store: Store, path: Path, now: datetime, force: bool = False) -> Exported:
    text = progress_json(store, now)
    write_text(path, text, force, "attnquiz-progress.json")
    data = json.loads(text)
    return Exported(path, len(data["sessions"]), len(data["answers"]), len(data["cards"]),
                    len(data["exercise_checks"]), len(data["exercise_events"]))


def _location(loc: tuple[Any, ...]) -> str:
    shown = ""
    for part in loc:
        shown += f"[{part}]" if isinstance(part, int) else (f".{part}" if shown else str(part))
    return shown


def read_progress(path: Path) -> ProgressFile:
    """The progress file at `path`, checked whole; one line naming what is wrong otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:  # bytes that are not text: not anything `export progress` writes
        raise AttnquizError(t("import.foreign", path=path)) from None
    except OSError as exc:
        raise AttnquizError(t("import.unreadable", path=path, reason=exc.strerror or exc)) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AttnquizError(t("import.not_json", path=path, line=exc.lineno, column=exc.colno, reason=exc.msg)) \
            from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise AttnquizError(t("import.foreign", path=path))
    if isinstance(data.get("version"), int) and data["version"] > VERSION:
        raise AttnquizError(t("import.newer", path=path, version=data["version"], supported=VERSION))
    try:
        if data.get("version") == 1:
            old = ProgressFileV1.model_validate_json(text)
            return ProgressFile.model_construct(**{**dict(old), "version": VERSION}, exercise_checks=[],
                                                exercise_events=[])
        return ProgressFile.model_validate_json(text)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise AttnquizError(t("import.bad_field", path=path, where=_location(error["loc"]), reason=error["msg"],
                              more=exc.error_count() - 1)) from None


def import_progress(store: Store, path: Path) -> Merged:
    return merge(store, read_progress(path))


def merge(store: Store, progress: ProgressFile) -> Merged:
    """Merge a checked progress file into the store (see the module docstring)."""
    from quiz.practice.store import _encode

    answers = []
    for row in progress.answers:
        answer = row.model_dump()
        answer["response"] = _encode(answer["response"])
        answers.append(answer)
    return store.merge([s.model_dump() for s in progress.sessions], answers, [c.model_dump() for c in progress.cards],
                       [c.model_dump() for c in progress.exercise_checks],
                       [e.model_dump() for e in progress.exercise_events])


def card_id(bank_id: str, question_id: str) -> int:
    """A stable integer per question (the optimizer's card_id): 48 bits of SHA-256 of its key."""
    return int.from_bytes(hashlib.sha256(f"{bank_id}\x00{question_id}".encode()).digest()[:6], "big")


def review_log(store: Store, scheduler: Scheduler) -> list[tuple[Any, ...]]:
    """Every answer as a review-log row; the state before each review comes from replaying the
    question's reviews through the scheduler (the store keeps only the card after the last one)."""
    from quiz.practice.scheduler import Rating

    cards: dict[tuple[str, str], Any] = {}
    rows = []
    for bank_id, question_id, moment, rating, seconds in store.reviews():
        before = cards.get((bank_id, question_id))
        state = 0 if before is None else STATE_CODES[before.state]
        cards[(bank_id, question_id)] = scheduler.review(before, Rating(rating), moment)
        rows.append((card_id(bank_id, question_id), round(moment.timestamp() * 1000), rating, state,
                     round(seconds * 1000), bank_id, question_id))
    return rows


def reviews_csv(rows: list[tuple[Any, ...]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REVIEW_COLUMNS)
    writer.writerows(rows)
    return out.getvalue()
