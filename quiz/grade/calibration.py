"""The trusted reference's figures for a class run: measured in this process, handed to every check.

Every student's check would time the same trusted references on the same machine (the speed test's
recomputing and reference-cache runs, the memory test's clean baseline). ``Calibration`` measures
them once, before the first submission is checked, in a trusted child of grade's own process at
the run's isolation level (``quiz.check.figures.measure``), and gives each check process their JSON
on its command line (``check_argv``: grade's memory -> argv; never a file, which a sandbox below the
strict level might write). A check uses them only when they match it, else measures the reference
itself. They are measured again as the run goes on, so a long run follows the machine's load:
after every REMEASURE_CHECKS checks, after REMEASURE_SECONDS, and when a check reports an empty
round trip DRIFT times the one measured with the figures (the machine got busier; once DRIFT_AFTER
checks had them).
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from quiz.grade.records import Record, Settings

if TYPE_CHECKING:
    from quiz.check.figures import ReferenceFigures

REMEASURE_CHECKS = 40  # checks started with one measurement before the next
REMEASURE_SECONDS = 300.0  # age of a measurement after which the next check gets a fresh one
DRIFT = 3.0  # a check whose empty round trip is this many times the figures' asks for a fresh measurement ...
DRIFT_AFTER = 4  # ... once this many checks had the current figures (a burst of load does not re-measure every time)


class Calibration:
    """The current figures (their JSON, as check_argv passes it) and when to measure them again."""

    def __init__(self, settings: Settings, every_checks: int = REMEASURE_CHECKS,
                 every_seconds: float = REMEASURE_SECONDS) -> None:
        self.settings = settings
        self.every_checks, self.every_seconds = every_checks, every_seconds
        self.history: list[dict[str, Any]] = []  # one entry per measurement, for results.json
        self._lock = threading.Lock()
        self._text: str | None = None
        self._measured = 0.0  # time.monotonic() of the current figures
        self._given = 0  # checks that got the current figures
        self._drifted = False

    @staticmethod
    def needed(settings: Settings) -> bool:
        """Whether the run checks an exercise whose tests use the figures (quiz.check.figures.USED_BY)."""
        from quiz.check.figures import USED_BY

        return not settings.exercises or bool(USED_BY & set(settings.exercises))

    def measure(self) -> None:
        """Measure now (in this process); a failure leaves no figures: each check then measures its own."""
        from quiz.check import figures
        from quiz.check.isolation import IsolationUnavailable
        from quiz.check.sandbox import SandboxFailure, SolutionLoadError
        from quiz.check.unit import OutOfTime, Wrong

        began = time.monotonic()
        try:
            found: ReferenceFigures | None = figures.measure(self.settings.isolation)
            problem = ""
        except (IsolationUnavailable, SandboxFailure, SolutionLoadError, OutOfTime, Wrong, OSError) as exc:
            found, problem = None, getattr(exc, "message", "") or str(exc) or type(exc).__name__
        with self._lock:
            self._text = None if found is None else found.dump()
            self._measured, self._given, self._drifted = began, 0, False
        self.history.append(summary(found) if found is not None else {"problem": problem})

    def current(self) -> str | None:
        """The figures' JSON for the next check (None: none could be measured), counted as given."""
        with self._lock:
            self._given += 1
            return self._text

    def seen(self, record: Record) -> None:
        """A check finished: note a drift it reports, and measure again when one is due."""
        ratio = (record.reference_figures or {}).get("round_trip_ratio")
        with self._lock:
            if isinstance(ratio, (int, float)) and ratio > DRIFT and self._given >= DRIFT_AFTER:
                self._drifted = True
            due = self._text is not None and (self._drifted or self._given >= self.every_checks
                                              or time.monotonic() - self._measured >= self.every_seconds)
        if due:
            self.measure()


def summary(found: ReferenceFigures) -> dict[str, Any]:
    """What results.json keeps of one measurement: when, at which level, and the totals the checks judged by."""
    naive_cpu = None if found.naive.cpu is None else sum(found.naive.cpu)
    return {"measured_at": found.shown_at, "seconds": round(found.seconds, 3), "isolation": found.isolation,
            "limits": found.limits, "chunk": found.chunk, "seed": found.seed,
            "naive_wall_seconds": round(sum(found.naive.wall), 6),
            "naive_cpu_seconds": None if naive_cpu is None else round(naive_cpu, 6),
            "cache_runs": len(found.cache), "clean_address_space": found.clean_address_space,
            "references_sha256": found.references_sha256, "sha256": found.digest()}
