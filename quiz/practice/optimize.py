"""Fitting FSRS's parameters to the learner's own review log (`attnquiz optimize`).

The fitting is done by fsrs-rs, FSRS's reference optimizer, through its Python binding
(``fsrs-rs-python``, the ``optimizer`` extra). Its training items are built the way fsrs-rs
expects: for each question, its reviews in time order as (rating, days since the previous
review) with days counted in local calendar days, and one item for every review after the
first that ends a history with at least one review a day or more after the one before it.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from quiz.errors import AttnquizError, ExitStatus
from quiz.i18n import t

MIN_REVIEWS = 400
"""Fitting needs at least this many reviews that come a day or more after the question's previous one."""
Review = tuple[str, str, datetime, int, float]  # bank id, question id, time, rating, seconds


def binding():  # noqa: ANN201 - the optional fsrs_rs_python module
    """The fsrs-rs binding, or one line saying how to install it."""
    try:
        return importlib.import_module("fsrs_rs_python")
    except ImportError:
        raise AttnquizError(t("optimize.not_installed"), ExitStatus.USAGE) from None


def histories(reviews: Sequence[Review]) -> list[list[tuple[int, int]]]:
    """Each question's reviews as (rating, whole days since its previous review; 0 for the first)."""
    by_question: dict[tuple[str, str], list[tuple[datetime, int]]] = {}
    for bank_id, question_id, moment, rating, _seconds in reviews:
        by_question.setdefault((bank_id, question_id), []).append((moment, rating))
    result = []
    for _key, answers in sorted(by_question.items()):
        answers.sort()
        days = [moment.astimezone().date() for moment, _ in answers]
        result.append([(rating, (day - days[i - 1]).days if i else 0)
                       for i, ((_, rating), day) in enumerate(zip(answers, days))])
    return result


def training_items(reviews: Sequence[Review]) -> list[list[tuple[int, int]]]:
    """The fsrs-rs training items: every prefix of a history that ends a day or more after its previous review
    and holds a review a day or more apart (fsrs-rs's long-term reviews)."""
    items = []
    for history in histories(reviews):
        for end in range(1, len(history)):
            if history[end][1] > 0:
                items.append(history[: end + 1])
    return items


@dataclass(frozen=True)
class Fitted:
    reviews: int
    """The reviews the fit was trained on."""
    before: tuple[float, ...]
    after: tuple[float, ...]
    log_loss: tuple[float, float]
    """Log loss of the review log's outcomes under the parameters before and after (lower is better)."""
    rmse: tuple[float, float]
    """RMSE (bins) of predicted against actual recall, before and after (lower is better)."""


def fit(reviews: Sequence[Review], current: Sequence[float]) -> Fitted:
    """Fit the parameters to `reviews`; raises (one line) without the binding or with too few reviews."""
    rs = binding()
    items = training_items(reviews)
    if len(items) < MIN_REVIEWS:
        raise AttnquizError(t("optimize.too_few", reviews=len(items), needed=MIN_REVIEWS), ExitStatus.FAILURE)
    dataset = [rs.FSRSItem([rs.FSRSReview(rating, delta) for rating, delta in item]) for item in items]
    start = list(current) or list(rs.DEFAULT_PARAMETERS)
    fitted = rs.FSRS(start).compute_parameters(dataset)
    before, after = rs.FSRS(start).evaluate(dataset), rs.FSRS(fitted).evaluate(dataset)
    return Fitted(len(items), tuple(start), tuple(round(p, 4) for p in fitted), (before.log_loss, after.log_loss),
                  (before.rmse_bins, after.rmse_bins))
