"""A quiz session: which questions, in what order, and what happens to each answer.

Pure logic, no I/O: the session talks to the person through a ``UI`` (quiz.practice.prompts in
the program, a scripted one in tests) and hands every graded answer to a ``record``
callback (the store) the moment it is given.

Order: questions due for review first (most overdue first), then weak ones (answered
wrongly last time, or under 80% right), then new ones (shuffled), then the rest
(soonest due first). Review mode asks only what is due. Choices are shuffled; one
``seed`` makes the order and the shuffling reproducible.

Modes: practice shows feedback after each answer; exam shows nothing until the end and
stops at the time limit (an answer given after it is not counted); review is practice
restricted to due questions. Open answers are rated by the learner in practice and
review, and by key-point coverage in exam mode.

Ctrl-C and end of input (KeyboardInterrupt, EOFError) are handled here, in one place:
the session stops and its outcome holds everything answered so far.
"""

from __future__ import annotations

import difflib
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal, Protocol

from quiz.bank import models
from quiz.practice import marking, question_types, scheduler
from quiz.errors import AttnquizError
from quiz.i18n import t
from quiz.practice.question_types import Answer
from quiz.practice.scheduler import CardState, Rating

Mode = Literal["practice", "exam", "review"]
Group = Literal["due", "weak", "new", "seen", "again"]
Key = tuple[str, str]
WEAK_ACCURACY = 0.8
RELEARN_GAP = 3
"""A question answered wrongly comes back after this many others (fewer near the end of the session)."""
RELEARN_TIMES = 3
"""How many times one question comes back in a session at most."""


@dataclass(frozen=True)
class History:
    """What the store knows about one question."""

    card: CardState | None
    answers: int = 0
    correct: int = 0
    last_correct: bool | None = None

    @property
    def weak(self) -> bool:
        return self.answers > 0 and (self.last_correct is False or self.correct / self.answers < WEAK_ACCURACY)


@dataclass(frozen=True)
class Filters:
    """Which questions take part; an empty set means no restriction."""

    topics: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    difficulties: frozenset[int] = frozenset()
    questions: tuple[str, ...] = ()
    """Question ids chosen one by one: only these, asked in this order (a fixed selection for scripts)."""

    def accepts(self, question: models.AnyQuestion) -> bool:
        return ((not self.questions or question.id in self.questions)
                and (not self.topics or question.topic in self.topics)
                and (not self.tags or bool(self.tags & set(question.tags)))
                and (not self.difficulties or question.difficulty in self.difficulties))


@dataclass(frozen=True)
class Item:
    """One question to ask, with its choices in display order (indices into `choices`)."""

    bank: models.Bank
    question: models.AnyQuestion
    choice_order: tuple[int, ...]
    group: Group

    @property
    def key(self) -> Key:
        return (self.bank.id, self.question.id)


class TimeUp(Exception):
    """Raised by a UI when the exam's time limit passes while a question is on screen."""


class UI(Protocol):
    def ask(self, item: Item, position: int, total: int, deadline: float | None) -> Answer | None:
        """The person's answer, or None when they skip the question."""

    def rate(self, item: Item, text: str, grade: marking.Grade) -> Rating:
        """Show the reference answer and covered key points of an open question; return the self-rating."""

    def feedback(self, result: Result) -> None:
        """Show right or wrong, the explanation, and why wrong choices are wrong."""


@dataclass(frozen=True)
class Result:
    item: Item
    answer: Answer
    grade: marking.Grade
    correct: bool
    rating: Rating
    seconds: float
    answered_at: datetime
    card: CardState

    @property
    def relearning(self) -> bool:
        """Whether this was a question asked again after a wrong answer in the same session."""
        return self.item.group == "again"


@dataclass
class Outcome:
    mode: Mode
    planned: int
    results: list[Result] = field(default_factory=list)
    skipped: int = 0
    interrupted: bool = False
    timed_out: bool = False
    seconds: float = 0.0
    repeats_left: int = 0
    """Repeats of missed questions still queued when the session stopped early."""
    rated_for_you: Result | None = None
    """The open answer whose self-rating Ctrl-C interrupted: saved, rated by its key points."""

    @property
    def first_answers(self) -> list[Result]:
        """The first answer to each question (what the score counts), without the relearning ones."""
        return [r for r in self.results if not r.relearning]

    @property
    def mistakes(self) -> list[Result]:
        return [r for r in self.first_answers if not r.correct]

    @property
    def relearned(self) -> tuple[int, int]:
        """(questions missed then answered right later in the session, questions missed)."""
        missed = {r.item.key for r in self.first_answers if not r.correct}
        fixed = {r.item.key for r in self.results if r.relearning and r.correct}
        return len(missed & fixed), len(missed)


def available_topics(questions: Iterable[tuple[models.Bank, models.AnyQuestion]]) -> list[str]:
    return sorted({question.topic for _, question in questions})


def plan(
    questions: Sequence[tuple[models.Bank, models.AnyQuestion]],
    history: dict[Key, History],
    filters: Filters,
    mode: Mode,
    count: int | None,
    seed: int | None,
    now: datetime,
    new_limit: int | None = None,
) -> list[Item]:
    """The questions to ask, in order (see the module docstring); raises if the filters match none.

    `new_limit` caps the questions never seen before (the day's new-question allowance in practice).
    """
    _check_filters(questions, filters)
    if filters.questions:  # a selection by hand is not held to the day's new-question allowance
        new_limit = None
    rng = random.Random(seed)
    groups: dict[Group, list[tuple[models.Bank, models.AnyQuestion]]] = {"due": [], "weak": [], "new": [], "seen": []}
    for bank, question in questions:
        if filters.accepts(question):
            groups[_group(history.get((bank.id, question.id)), now)].append((bank, question))
    if not any(groups.values()):
        raise AttnquizError(t("session.no_match"))

    def due_at(pair: tuple[models.Bank, models.AnyQuestion]) -> datetime:
        card = history[(pair[0].id, pair[1].id)].card
        assert card is not None
        return card.due

    def accuracy(pair: tuple[models.Bank, models.AnyQuestion]) -> float:
        known = history[(pair[0].id, pair[1].id)]
        return known.correct / known.answers

    groups["due"].sort(key=due_at)
    groups["weak"].sort(key=lambda pair: (accuracy(pair), due_at(pair)))
    rng.shuffle(groups["new"])
    if new_limit is not None:
        del groups["new"][max(0, new_limit):]
    groups["seen"].sort(key=due_at)
    order: tuple[Group, ...] = ("due",) if mode == "review" else ("due", "weak", "new", "seen")
    chosen = [(group, pair) for group in order for pair in groups[group]]
    if filters.questions:  # asked as listed, whatever their state
        chosen.sort(key=lambda entry: filters.questions.index(entry[1][1].id))
    if count is not None:
        chosen = chosen[:count]
    return [Item(bank, question, _shuffled_choices(question, _choice_rng(rng, seed, bank, question)), group)
            for group, (bank, question) in chosen]


def next_due(questions: Sequence[tuple[models.Bank, models.AnyQuestion]], history: dict[Key, History],
             filters: Filters) -> datetime | None:
    """When the first of these questions that `filters` accepts comes due (None: none has a card yet)."""
    dues = [known.card.due for bank, question in questions if filters.accepts(question)
            and (known := history.get((bank.id, question.id))) is not None and known.card is not None]
    return min(dues, default=None)


def _choice_rng(rng: random.Random, seed: int | None, bank: models.Bank, question: models.AnyQuestion) -> random.Random:
    """With a seed, each question's choices get their own stream: the same order in every session."""
    return random.Random(f"{seed}/{bank.id}/{question.id}") if seed is not None else rng


def _check_filters(questions: Sequence[tuple[models.Bank, models.AnyQuestion]], filters: Filters) -> None:
    ids = {question.id for _, question in questions}
    for unknown_id in filters.questions:
        if unknown_id not in ids:
            close = difflib.get_close_matches(unknown_id, sorted(ids), n=1)
            raise AttnquizError(t("session.unknown_question", question=unknown_id,
                                  hint=t("session.did_you_mean", suggestion=close[0]) if close else ""))
    topics = set(available_topics(questions))
    unknown = sorted(filters.topics - topics)
    if unknown:
        raise AttnquizError(t("session.unknown_topic", topic=", ".join(unknown), known=", ".join(sorted(topics))))
    tags = {tag for _, question in questions for tag in question.tags}
    unknown = sorted(filters.tags - tags)
    if unknown:
        raise AttnquizError(t("session.unknown_tag", tag=", ".join(unknown), known=", ".join(sorted(tags))))


def _group(known: History | None, now: datetime) -> Group:
    if known is None or known.card is None:
        return "new"
    if known.card.is_due(now):
        return "due"
    return "weak" if known.weak else "seen"


def _shuffled_choices(question: models.AnyQuestion, rng: random.Random) -> tuple[int, ...]:
    if not question_types.of(question).has_choices:
        return ()
    order = list(range(len(question.choices)))  # type: ignore[union-attr]
    rng.shuffle(order)
    return tuple(order)


def grade(item: Item, answer: Answer, lang: str) -> marking.Grade:
    """Mark `answer` to `item`'s question."""
    return question_types.of(item.question).mark(item.question, answer, lang)


def run(
    items: Sequence[Item],
    mode: Mode,
    ui: UI,
    record: Callable[[Result], None],
    history: dict[Key, History],
    *,
    lang: str,
    time_limit: float | None = None,
    relearn: bool = True,
    clock: Callable[[], float] = time.monotonic,
    now: Callable[[], datetime] = scheduler.utcnow,
    schedule: Callable[[CardState | None, Rating, datetime], CardState] = scheduler.review,
) -> Outcome:
    """Ask every item; grade, schedule and `record` each answer as it comes. Never raises on Ctrl-C.

    With `relearn` (practice and review), a question answered wrongly is asked again after
    RELEARN_GAP others, until it is answered right, RELEARN_TIMES times, or the session ends.
    """
    outcome = Outcome(mode=mode, planned=len(items))
    queue = list(items)
    cards = {key: known.card for key, known in history.items() if known.card is not None}
    again: dict[Key, int] = {}
    started = clock()
    deadline = started + time_limit if time_limit and mode == "exam" else None
    position = done = 0  # done: the queue's entries answered or skipped
    try:
        while position < len(queue):
            item = queue[position]
            position += 1
            if deadline is not None and clock() >= deadline:
                outcome.timed_out = True
                break
            asked = clock()
            answer = ui.ask(item, position, len(queue), deadline)
            seconds = clock() - asked
            if answer is None:
                outcome.skipped += int(item.group != "again")
                done = position
                continue
            if deadline is not None and clock() > deadline:
                outcome.timed_out = True
                break
            stopped: list[BaseException] = []
            result = _result(item, answer, seconds, mode, ui, cards.get(item.key), lang, now(), stopped, schedule)
            record(result)
            outcome.results.append(result)
            done = position
            cards[item.key] = result.card
            if stopped:  # Ctrl-C at the self-rating: the answer is kept, rated by its key points
                outcome.rated_for_you = result
                raise stopped[0]
            if mode != "exam":
                ui.feedback(result)
            if relearn and mode != "exam" and not result.correct and again.get(item.key, 0) < RELEARN_TIMES:
                again[item.key] = again.get(item.key, 0) + 1
                queue.insert(min(position + RELEARN_GAP, len(queue)), replace(item, group="again"))
    except TimeUp:
        outcome.timed_out = True
    except (KeyboardInterrupt, EOFError):
        outcome.interrupted = True
        outcome.repeats_left = sum(entry.group == "again" for entry in queue[done:])
    outcome.seconds = clock() - started
    return outcome


def _result(item: Item, answer: Answer, seconds: float, mode: Mode, ui: UI, card: CardState | None,
            lang: str, answered_at: datetime, stopped: list[BaseException],
            schedule: Callable[[CardState | None, Rating, datetime], CardState]) -> Result:
    marked = grade(item, answer, lang)

    def self_rate() -> Rating | None:
        try:
            return ui.rate(item, str(answer.value), marked)
        except (KeyboardInterrupt, EOFError) as stop:
            stopped.append(stop)
            return None

    rating, correct = question_types.of(item.question).judge(item, answer, marked, seconds, mode, self_rate)
    if answer.hints and rating > Rating.HARD:  # a hint was read: at best Hard
        rating = Rating.HARD
    return Result(item, answer, marked, correct, rating, seconds, answered_at, schedule(card, rating, answered_at))
