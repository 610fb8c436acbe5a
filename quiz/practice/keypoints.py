"""`attnquiz keypoints`: which key points of an open question an answer ticks, and why.

Instructors use it to tune a question's keywords: it marks one answer exactly as the quiz
and `attnquiz validate` do (quiz.practice.marking.mark_key_points) and reports, per point,
whether it was ticked, the answer's words that matched, and the groups that were missing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from quiz.bank import models
from quiz.practice.marking import PointMatch, mark_key_points


@dataclass(frozen=True)
class PointReport:
    text: str
    match: PointMatch


@dataclass(frozen=True)
class KeyPointReport:
    question: str
    lang: str
    points: tuple[PointReport, ...]

    @property
    def ticked(self) -> int:
        return sum(p.match.ticked for p in self.points)

    @property
    def total(self) -> int:
        return len(self.points)

    def as_json(self) -> str:
        points = [{"text": p.text, "ticked": p.match.ticked, "matched": list(p.match.matched)} for p in self.points]
        return json.dumps({"question": self.question, "lang": self.lang, "points": points, "ticked": self.ticked,
                           "total": self.total}, ensure_ascii=False, indent=2)

    def as_text(self) -> str:
        from quiz.i18n import t

        lines = [t("keypoints.header", id=self.question, lang=self.lang, ticked=self.ticked, total=self.total)]
        for n, point in enumerate(self.points, 1):
            mark = "x" if point.match.ticked else " "
            why = [t("keypoints.matched", words=", ".join(f"'{w}'" for w in point.match.matched))] \
                if point.match.matched else []
            why += [t("keypoints.missing", group=" | ".join(group)) for group in point.match.missing]
            lines.append(f"  [{mark}] {n}. {point.text}")
            lines += [f"        {reason}" for reason in why]
        return "\n".join(lines) + "\n"


def key_point_report(question: models.OpenQuestion, answer: str, lang: str) -> KeyPointReport:
    """Mark `answer` (written in `lang`) against the key points of `question`."""
    marks = mark_key_points(question, answer, lang)
    points = tuple(PointReport(models.localize(p.point, lang), m) for p, m in zip(question.key_points, marks))
    return KeyPointReport(question.id, lang, points)
