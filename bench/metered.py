"""Where a check's time goes, for the benches: sandbox start-ups and round trips, counted and timed.

The product keeps no meter: ``metered()`` patches ``quiz.check.sandbox.Sandbox`` in the bench's own
process while it is open (every sandbox of a check runs from this process, so every start-up and
request is seen) and restores it afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def metered() -> Iterator[dict[str, float]]:
    """Counts, filled while open: starts and start_seconds (child launches, restarts included),
    calls and call_seconds (requests to any child: calls, steps, put, len)."""
    from quiz.check.sandbox import Sandbox

    counts = {"starts": 0, "start_seconds": 0.0, "calls": 0, "call_seconds": 0.0}
    start, request = Sandbox.start, Sandbox._request

    def timed_start(self: Sandbox) -> None:
        began = time.perf_counter()
        try:
            start(self)
        finally:
            counts["starts"] += 1
            counts["start_seconds"] += time.perf_counter() - began

    def timed_request(self: Sandbox, *args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return request(self, *args, **kwargs)
        finally:
            counts["calls"] += 1
            counts["call_seconds"] += time.perf_counter() - began

    Sandbox.start, Sandbox._request = timed_start, timed_request
    try:
        yield counts
    finally:
        Sandbox.start, Sandbox._request = start, request
