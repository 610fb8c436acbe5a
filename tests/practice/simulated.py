"""A learner's history made up for tests and benchmarks: real answers recorded through the real store."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from quiz.bank import models
from quiz.practice import marking
from quiz.practice.scheduler import Rating, default_scheduler
from quiz.practice.session import Answer, Item, Result
from quiz.practice.store import Store


def fill(store: Store, questions: list[tuple[models.Bank, models.AnyQuestion]], reviews: int, end: datetime,
         days: int = 180, seed: int = 7, per_session: int = 20) -> None:
    """Record `reviews` answers spread over the `days` before `end`, about 80% right."""
    rng = random.Random(seed)
    scheduler = default_scheduler()
    cards: dict[tuple[str, str], object] = {}
    start = end - timedelta(days=days)
    step = (end - start) / max(1, reviews)
    session_id = None
    for n in range(reviews):
        at = start + step * n
        if n % per_session == 0:
            session_id = store.start_session("practice", "en", at)
        bank, question = rng.choice(questions)
        correct = rng.random() < 0.8
        rating = rng.choice([Rating.GOOD, Rating.EASY, Rating.HARD]) if correct else Rating.AGAIN
        card = scheduler.review(cards.get((bank.id, question.id)), rating, at)  # type: ignore[arg-type]
        cards[(bank.id, question.id)] = card
        item = Item(bank, question, (), "new")
        grade = marking.Grade(correct, float(correct))  # type: ignore[call-arg]
        store.record(Result(item, Answer(f"answer {n}"), grade, correct, rating, rng.uniform(3, 90), at, card),
                     "practice", session_id)
