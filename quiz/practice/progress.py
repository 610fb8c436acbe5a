"""The figures behind `attnquiz stats`: reviews per day, the due forecast, what memory predicts.

Pure functions over what the store holds (answer times, cards): no I/O. The same figures
feed the charts (quiz.practice.charts), the text tables and ``stats --format json``.
Days are the learner's local calendar days.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from quiz.practice.scheduler import CardState

HEATMAP_WEEKS = 26
"""The review heatmap covers this many weeks, ending with the current one."""
FORECAST_DAYS = 30
"""The due forecast covers today (with everything overdue) and the next 29 days."""

Key = tuple[str, str]


@dataclass(frozen=True)
class QuestionMemory:
    """One reviewed question: its card and the chance of recalling it now."""

    bank_id: str
    question_id: str
    topic: str
    card: CardState
    retrievability: float


@dataclass(frozen=True)
class Figures:
    today: date
    per_day: Mapping[date, int]
    """Reviews on each local day of the heatmap's weeks (days without reviews are left out)."""
    forecast: tuple[int, ...]
    """Questions due on each day from today (overdue ones counted today), FORECAST_DAYS long."""
    questions: tuple[QuestionMemory, ...]
    """Every question with a card, least likely to be recalled first."""

    @property
    def first_day(self) -> date:
        return heatmap_start(self.today)

    @property
    def predicted_retention(self) -> float | None:
        """The share of reviewed questions that memory predicts would be recalled now."""
        if not self.questions:
            return None
        return sum(q.retrievability for q in self.questions) / len(self.questions)

    @property
    def levels(self) -> dict[date, int]:
        """Each heatmap day's level, 1 to 4 (days without reviews, 0, are left out); see heatmap_levels."""
        return heatmap_levels(self.per_day)

    def topic_retention(self) -> dict[str, float]:
        totals: dict[str, list[float]] = {}
        for question in self.questions:
            totals.setdefault(question.topic, []).append(question.retrievability)
        return {topic: sum(values) / len(values) for topic, values in totals.items()}


def heatmap_levels(per_day: Mapping[date, int]) -> dict[date, int]:
    """The level of each day with reviews: 1 plus the number of quartiles of the days with reviews (lower,
    median, upper) it is above, and 4 for the busiest. Against the user's own usual days, not only the
    busiest one: a single marathon day does not turn every other day pale, and a steady pace is one colour."""
    counts = sorted(n for n in per_day.values() if n > 0)
    if not counts:
        return {}
    most = counts[-1]
    cuts = [counts[(len(counts) - 1) * k // 4] for k in (1, 2, 3)]
    return {day: 4 if n == most else 1 + sum(n > cut for cut in cuts) for day, n in per_day.items() if n > 0}


def heatmap_start(today: date) -> date:
    """The Monday that starts the heatmap's first week."""
    return today - timedelta(days=today.weekday() + 7 * (HEATMAP_WEEKS - 1))


def figures(answers_per_day: Mapping[date, int], cards: Mapping[Key, tuple[str, CardState]],
            retrievability: Callable[[CardState, datetime], float], now: datetime) -> Figures:
    """The figures at `now` from the number of answers on each local day and every card (with its topic)."""
    today = now.astimezone().date()
    start = heatmap_start(today)
    per_day = {day: n for day, n in sorted(answers_per_day.items()) if start <= day <= today}
    forecast = [0] * FORECAST_DAYS
    questions = []
    for (bank_id, question_id), (topic, card) in cards.items():
        offset = max(0, (card.due.astimezone().date() - today).days)
        if offset < FORECAST_DAYS:
            forecast[offset] += 1
        if card.last_review is not None:
            questions.append(QuestionMemory(bank_id, question_id, topic, card, retrievability(card, now)))
    questions.sort(key=lambda q: (q.retrievability, q.bank_id, q.question_id))
    return Figures(today, per_day, tuple(forecast), tuple(questions))


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def to_json(stats: Any, result: Figures, names: Callable[[str], str], desired_retention: float) -> dict[str, Any]:
    """Everything `stats` shows, as plain data for `stats --format json` (a quiz.store.Stats + figures)."""
    retention = result.topic_retention()
    return {
        "topics": [{"topic": s.topic, "name": names(s.topic), "questions": s.questions, "answers": s.answers,
                    "correct": s.correct, "accuracy": round(s.accuracy, 4), "due_now": s.due_now,
                    "due_week": s.due_week,
                    "retention": round(retention[s.topic], 4) if s.topic in retention else None}
                   for s in stats.topics],
        "streak": stats.streak,
        "next_due": _time(stats.next_due),
        "desired_retention": desired_retention,
        "predicted_retention": None if result.predicted_retention is None else round(result.predicted_retention, 4),
        "questions": [{"bank": q.bank_id, "question": q.question_id, "topic": q.topic,
                       "retrievability": round(q.retrievability, 4), "state": q.card.state,
                       "stability_days": None if q.card.stability is None else round(q.card.stability, 3),
                       "difficulty": None if q.card.difficulty is None else round(q.card.difficulty, 3),
                       "due": _time(q.card.due), "last_review": _time(q.card.last_review), "reviews": q.card.reps,
                       "lapses": q.card.lapses} for q in result.questions],
        "weakest": [{"bank": w.bank_id, "question": w.question_id, "topic": w.topic, "answers": w.answers,
                     "correct": w.correct} for w in stats.weakest],
        "reviews_per_day": {"from": result.first_day.isoformat(), "to": result.today.isoformat(),
                            "days": {day.isoformat(): n for day, n in result.per_day.items()},
                            "levels": {day.isoformat(): n for day, n in result.levels.items()}},
        "forecast": [{"date": (result.today + timedelta(days=i)).isoformat(), "due": n}
                     for i, n in enumerate(result.forecast)],
    }
