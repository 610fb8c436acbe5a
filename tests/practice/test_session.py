"""The quiz session (quiz.practice.session): order, filters, modes, time limit and Ctrl-C, with a scripted UI."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from quiz.bank import models
from quiz.practice import session
from quiz.bank.loader import load_paths
from quiz.check.catalog import exercise_names
from quiz.errors import AttnquizError
from quiz.practice.marking import Grade
from quiz.practice.scheduler import Rating, review
from quiz.practice.session import Answer, Filters, History, Item, Result
from tests.conftest import REPO

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)
FIXTURES = REPO / "tests" / "fixtures" / "quiz"
RIGHT = {"fx-scale": 0, "fx-shrink": frozenset({0, 1}), "fx-rows": True, "fx-complexity": "O(n^2)",
         "fx-bytes": "131072", "fx-mask": "future tokens; training matches generation", "fx-softmax-code": True}
WRONG = {"fx-scale": 1, "fx-shrink": frozenset({2}), "fx-rows": False, "fx-complexity": "O(n)", "fx-bytes": "7",
         "fx-mask": "no idea", "fx-softmax-code": False}


@pytest.fixture(scope="module")
def questions() -> list[tuple[models.Bank, models.AnyQuestion]]:
    return load_paths([FIXTURES / "basics.yaml"], known_exercises=exercise_names()).questions()


class Clock:
    """A fake monotonic clock; the scripted UI moves it on as it answers."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class ScriptedUI:
    """Answers from a script: a value per question id, or a callable that may raise."""

    def __init__(self, answers: dict[str, object], clock: Clock | None = None, seconds: float = 5.0,
                 rating: Rating = Rating.GOOD) -> None:
        self.answers, self.clock, self.seconds, self.rating = answers, clock, seconds, rating
        self.asked: list[str] = []
        self.rated: list[tuple[str, Grade]] = []
        self.feedback_for: list[str] = []

    def ask(self, item: Item, position: int, total: int, deadline: float | None) -> Answer | None:
        self.asked.append(item.question.id)
        if self.clock:
            self.clock.now += self.seconds
        value = self.answers[item.question.id]
        if callable(value):
            value = value()
        return None if value is None else Answer(value)  # type: ignore[arg-type]

    def rate(self, item: Item, text: str, grade: Grade) -> Rating:
        self.rated.append((item.question.id, grade))
        return self.rating

    def feedback(self, result: Result) -> None:
        self.feedback_for.append(result.item.question.id)


def _run(items: list[Item], ui: ScriptedUI, mode: session.Mode = "practice", clock: Clock | None = None,
         **kwargs: object) -> tuple[session.Outcome, list[Result]]:
    recorded: list[Result] = []
    outcome = session.run(items, mode, ui, recorded.append, {}, lang="en", clock=clock or Clock(),
                          now=lambda: NOW, **kwargs)  # type: ignore[arg-type]
    return outcome, recorded


def _history(questions: list[tuple[models.Bank, models.AnyQuestion]], **known: History) -> dict[session.Key, History]:
    bank = questions[0][0]
    return {(bank.id, qid.replace("_", "-")): value for qid, value in known.items()}


def test_order_is_due_then_weak_then_new_then_seen(questions: list) -> None:
    due_early = review(None, Rating.AGAIN, NOW - timedelta(days=2))
    due_late = review(None, Rating.AGAIN, NOW - timedelta(hours=1))
    later = review(None, Rating.EASY, NOW)
    history = _history(questions, fx_bytes=History(due_late, 1, 0, False), fx_rows=History(due_early, 1, 0, False),
                       fx_scale=History(later, 2, 1, False), fx_shrink=History(later, 1, 1, True),
                       fx_mask=History(later, 5, 3, True))
    items = session.plan(questions, history, Filters(), "practice", None, 7, NOW)
    assert [(i.question.id, i.group) for i in items][:2] == [("fx-rows", "due"), ("fx-bytes", "due")]
    assert [(i.question.id, i.group) for i in items][2:4] == [("fx-scale", "weak"), ("fx-mask", "weak")]
    assert {i.question.id for i in items[4:6]} == {"fx-complexity", "fx-softmax-code"}
    assert {i.group for i in items[4:6]} == {"new"}
    assert [(i.question.id, i.group) for i in items][6:] == [("fx-shrink", "seen")]


def test_the_new_question_limit_caps_only_the_new_ones(questions: list) -> None:
    later = review(None, Rating.EASY, NOW)
    history = _history(questions, fx_scale=History(later, 1, 1, True), fx_shrink=History(later, 1, 1, True))
    unlimited = session.plan(questions, history, Filters(), "practice", None, 7, NOW)
    capped = session.plan(questions, history, Filters(), "practice", None, 7, NOW, new_limit=2)
    assert [i.group for i in unlimited].count("new") == 5
    assert [i.group for i in capped] == ["new", "new", "seen", "seen"]
    assert [i.question.id for i in capped][:2] == [i.question.id for i in unlimited][:2]
    assert [i.group for i in session.plan(questions, history, Filters(), "practice", None, 7, NOW, new_limit=0)] \
        == ["seen", "seen"]


def test_review_mode_asks_only_what_is_due(questions: list) -> None:
    due = review(None, Rating.AGAIN, NOW - timedelta(days=1))
    history = _history(questions, fx_rows=History(due, 1, 0, False))
    assert [i.question.id for i in session.plan(questions, history, Filters(), "review", None, 1, NOW)] == ["fx-rows"]
    assert session.plan(questions, {}, Filters(), "review", None, 1, NOW) == []


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(topics=frozenset({"kvcache"})), {"fx-shrink", "fx-bytes"}),
        (Filters(tags=frozenset({"scaling"})), {"fx-scale"}),
        (Filters(difficulties=frozenset({1})), {"fx-rows", "fx-complexity", "fx-softmax-code"}),
        (Filters(topics=frozenset({"attention"}), tags=frozenset({"pty"}), difficulties=frozenset({1})),
         {"fx-rows"}),
    ],
    ids=["topic", "tag", "difficulty", "combined"],
)
def test_filters(questions: list, filters: Filters, expected: set[str]) -> None:
    assert {i.question.id for i in session.plan(questions, {}, filters, "practice", None, 1, NOW)} == expected


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        (Filters(topics=frozenset({"atention"})), "unknown topic 'atention' (topics: attention, kvcache)"),
        (Filters(tags=frozenset({"nope"})), "unknown tag 'nope' (tags: code, pty, scaling)"),
        (Filters(difficulties=frozenset({3})), "no questions match these filters"),
    ],
    ids=["unknown-topic", "unknown-tag", "nothing-matches"],
)
def test_bad_filters_are_one_clear_error(questions: list, filters: Filters, message: str) -> None:
    with pytest.raises(AttnquizError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        session.plan(questions, {}, filters, "practice", None, 1, NOW)


def test_seed_makes_order_and_choice_shuffling_reproducible(questions: list) -> None:
    def shape(seed: int) -> list[tuple[str, tuple[int, ...]]]:
        return [(i.question.id, i.choice_order) for i in session.plan(questions, {}, Filters(), "exam", 5, seed, NOW)]

    assert shape(1) == shape(1)
    assert len(shape(1)) == 5
    assert len({tuple(shape(seed)) for seed in range(8)}) > 1
    orders = {order for seed in range(20) for qid, order in shape(seed) if qid == "fx-scale"}
    assert len(orders) > 1 and all(sorted(order) == [0, 1, 2] for order in orders)


def test_with_a_seed_choice_order_does_not_depend_on_the_rest_of_the_plan(questions: list) -> None:
    def order(filters: Filters, mode: session.Mode) -> tuple[int, ...]:
        items = session.plan(questions, {}, filters, mode, None, 11, NOW)
        return next(i.choice_order for i in items if i.question.id == "fx-scale")

    assert order(Filters(), "practice") == order(Filters(tags=frozenset({"scaling"})), "exam")


def test_practice_grades_records_and_gives_feedback_for_every_answer(questions: list) -> None:
    items = session.plan(questions, {}, Filters(), "practice", None, 3, NOW)
    ui = ScriptedUI(RIGHT)
    outcome, recorded = _run(items, ui)
    assert [r.item.question.id for r in recorded] == ui.asked == ui.feedback_for == [i.question.id for i in items]
    assert all(r.correct for r in outcome.results) and outcome.results == recorded
    assert [r for r in recorded if r.item.question.id == "fx-mask"][0].rating is Rating.GOOD
    assert [qid for qid, _ in ui.rated] == ["fx-mask"]
    assert ui.rated[0][1].covered == (True, True)
    assert not outcome.interrupted and not outcome.timed_out


def test_wrong_answers_are_rated_again_and_come_back_soon(questions: list) -> None:
    items = session.plan(questions, {}, Filters(topics=frozenset({"kvcache"})), "practice", None, 3, NOW)
    outcome, recorded = _run(items, ScriptedUI(WRONG))
    assert not any(r.correct for r in recorded)
    assert {r.rating for r in recorded} == {Rating.AGAIN}
    assert all(r.card.due - NOW == timedelta(minutes=1) for r in recorded)
    assert len(outcome.mistakes) == len(items)


def test_exam_gives_no_feedback_and_rates_open_answers_by_coverage(questions: list) -> None:
    items = session.plan(questions, {}, Filters(topics=frozenset({"attention"})), "exam", None, 3, NOW)
    ui = ScriptedUI({**RIGHT, "fx-mask": "it must not see the future"})
    outcome, recorded = _run(items, ui, mode="exam")
    assert ui.feedback_for == [] and ui.rated == []
    mask = [r for r in recorded if r.item.question.id == "fx-mask"][0]
    assert (mask.rating, mask.correct, mask.grade.covered) == (Rating.HARD, True, (True, False))


def test_exam_stops_at_the_time_limit_and_does_not_count_a_late_answer(questions: list) -> None:
    items = session.plan(questions, {}, Filters(), "exam", None, 3, NOW)
    clock = Clock()
    outcome, recorded = _run(items, ScriptedUI(RIGHT, clock, seconds=40.0), mode="exam", clock=clock,
                             time_limit=100.0)
    assert outcome.timed_out and not outcome.interrupted
    assert len(recorded) == 2 and outcome.planned == len(items)


def test_time_up_from_the_ui_ends_the_exam(questions: list) -> None:
    items = session.plan(questions, {}, Filters(), "exam", None, 3, NOW)

    def time_up() -> None:
        raise session.TimeUp

    answers = {**RIGHT, items[1].question.id: time_up}
    outcome, recorded = _run(items, ScriptedUI(answers), mode="exam", time_limit=600.0)
    assert outcome.timed_out and [r.item.question.id for r in recorded] == [items[0].question.id]


@pytest.mark.parametrize("error", [KeyboardInterrupt, EOFError], ids=["ctrl-c", "end-of-input"])
def test_interrupt_keeps_what_was_answered(questions: list, error: type[BaseException]) -> None:
    items = session.plan(questions, {}, Filters(), "practice", None, 3, NOW)

    def interrupt() -> None:
        raise error

    answers = {**RIGHT, items[2].question.id: interrupt}
    outcome, recorded = _run(items, ScriptedUI(answers))
    assert outcome.interrupted
    assert [r.item.question.id for r in recorded] == [i.question.id for i in items[:2]]
    assert outcome.results == recorded


def test_interrupt_during_self_rating_keeps_the_answer_rated_by_its_key_points(questions: list) -> None:
    items = session.plan(questions, {}, Filters(topics=frozenset({"attention"}), difficulties=frozenset({2})),
                         "practice", None, 3, NOW)
    assert {i.question.id for i in items} == {"fx-mask", "fx-scale"}

    class RatingInterrupted(ScriptedUI):
        def rate(self, item: Item, text: str, grade: Grade) -> Rating:
            raise KeyboardInterrupt

    for answers, rating in ((RIGHT, Rating.GOOD), (WRONG, Rating.AGAIN)):
        outcome, recorded = _run(items, RatingInterrupted(answers))
        assert outcome.interrupted
        assert [r.item.question.id for r in recorded][-1] == "fx-mask"  # nothing is asked after it
        kept = recorded[-1]
        assert kept.answer.value == answers["fx-mask"] and kept.rating is rating and kept.correct is (rating != Rating.AGAIN)
        assert outcome.results == recorded


def test_a_wrong_answer_comes_back_after_three_others_until_it_is_right(questions: list) -> None:
    items = session.plan(questions, {}, Filters(), "practice", None, 3, NOW)
    first = items[0].question.id
    tries = iter([WRONG[first], WRONG[first], RIGHT[first]])
    ui = ScriptedUI({**RIGHT, first: lambda: next(tries)})
    outcome, recorded = _run(items, ui)
    assert ui.asked == [first, *[i.question.id for i in items[1:4]], first, *[i.question.id for i in items[4:7]], first]
    assert [r.relearning for r in recorded if r.item.question.id == first] == [False, True, True]
    assert [r.item.group for r in recorded if r.item.question.id == first][1:] == ["again", "again"]
    assert len(outcome.first_answers) == len(items) and outcome.relearned == (1, 1)
    assert [r.item.question.id for r in outcome.mistakes] == [first]


def test_relearning_carries_the_card_forward_and_stops_after_three_returns(questions: list) -> None:
    items = session.plan(questions, {}, Filters(tags=frozenset({"scaling"})), "practice", None, 3, NOW)
    ui = ScriptedUI(WRONG)
    outcome, recorded = _run(items, ui)
    assert ui.asked == ["fx-scale"] * 4  # asked, then back three times (nothing else to ask in between)
    assert [r.card.reps for r in recorded] == [1, 2, 3, 4]
    assert outcome.relearned == (0, 1)


@pytest.mark.parametrize("mode", ["exam", "practice-without-relearning"])
def test_no_relearning_in_an_exam_or_when_turned_off(questions: list, mode: str) -> None:
    items = session.plan(questions, {}, Filters(tags=frozenset({"scaling"})), "practice", None, 3, NOW)
    ui = ScriptedUI(WRONG)
    if mode == "exam":
        _run(items, ui, "exam")
    else:
        _run(items, ui, relearn=False)
    assert ui.asked == ["fx-scale"]


def test_a_hint_caps_the_rating_at_hard(questions: list) -> None:
    items = session.plan(questions, {}, Filters(tags=frozenset({"scaling"})), "practice", None, 3, NOW)

    class HintedUI(ScriptedUI):
        def ask(self, item: Item, position: int, total: int, deadline: float | None) -> Answer | None:
            answer = super().ask(item, position, total, deadline)
            return Answer(answer.value, hints=1) if answer else None

    _, plain = _run(items, ScriptedUI(RIGHT))
    _, hinted = _run(items, HintedUI(RIGHT))
    assert plain[0].rating is Rating.EASY and hinted[0].rating is Rating.HARD and hinted[0].correct


def test_a_skipped_question_is_not_recorded(questions: list) -> None:
    items = session.plan(questions, {}, Filters(topics=frozenset({"attention"}), difficulties=frozenset({1})),
                         "practice", None, 3, NOW)
    outcome, recorded = _run(items, ScriptedUI({**RIGHT, "fx-softmax-code": None}))
    assert outcome.skipped == 1 and "fx-softmax-code" not in [r.item.question.id for r in recorded]


def test_history_card_is_the_starting_point(questions: list) -> None:
    card = review(None, Rating.EASY, NOW - timedelta(days=30))
    history = _history(questions, fx_rows=History(card, 1, 1, True))
    items = session.plan(questions, history, Filters(), "review", None, 1, NOW)
    recorded: list[Result] = []
    session.run(items, "review", ScriptedUI(RIGHT), recorded.append, history, lang="en", clock=Clock(),
                now=lambda: NOW)
    assert recorded[0].card.reps == card.reps + 1 and recorded[0].card.state == "review"

