"""Stats and export speed on a long history: 10,000 reviews over every built-in question (110+).

1. Fills a fresh store (a temporary ATTNQUIZ_HOME) with the reviews, recorded through the real
   store over the last 200 days.
2. `attnquiz stats` (text) and `attnquiz stats --format json` as the user runs them (a new
   process each time, so Python's start-up and the bank loading count), next to
   `attnquiz --version` (start-up alone). Goal: stats under 300 ms. Once with the cache of
   banks and interface strings (quiz.cache) warm, as every run after the first finds it, and
   once cold (the cache folder removed before each run: the first run, or after an edit).
3. The same stats work in-process, split into its parts (banks from the warm cache, and loaded
   and validated, store queries, figures with retrievability, rendering).
4. `attnquiz export anki` of every bank (a process), and the export in-process. Goal: under 2 s.

Prints the median of --runs runs of each (the commands of step 2 in turns, one of each per round);
quote ratios from one run (the machine is shared).

Usage: python bench/bench_stats.py [--reviews 10000] [--runs 5]
"""

from __future__ import annotations

import argparse
import compileall
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def median_seconds(action, runs: int) -> float:  # noqa: ANN001
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interleaved(actions: list[Callable[[], object]], runs: int) -> list[float]:
    """The median time of each action, run in turns (one of each per round), so that a change in the
    machine's load falls on all of them alike and their ratios hold."""
    times: list[list[float]] = [[] for _ in actions]
    for _ in range(runs):
        for action, taken in zip(actions, times):
            start = time.perf_counter()
            action()
            taken.append(time.perf_counter() - start)
    return [statistics.median(taken) for taken in times]


def command(*args: str) -> None:
    result = subprocess.run([sys.executable, "-m", "quiz", *args], capture_output=True, text=True, env=os.environ)
    assert result.returncode == 0, result.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviews", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    compileall.compile_dir(REPO / "quiz", quiet=1)  # as pip does at install: no run below compiles a module
    with tempfile.TemporaryDirectory() as home:
        os.environ["ATTNQUIZ_HOME"] = home
        os.environ["ATTNQUIZ_CONFIG"] = str(Path(home) / "config.toml")
        os.environ["ATTNQUIZ_CACHE"] = str(Path(home) / "cache")
        from quiz.bank.loader import load_catalog
        from quiz.check.catalog import exercise_names
        from quiz.paths import data_path
        from quiz.practice.store import Store
        from tests.practice.simulated import fill

        questions = load_catalog(known_exercises=exercise_names()).questions()
        start = time.perf_counter()
        with Store(data_path("database")) as store:
            fill(store, questions, args.reviews, datetime.now(timezone.utc), days=200)
        print(f"filled: {args.reviews} reviews over {len(questions)} questions in {time.perf_counter() - start:.1f} s")

        command("stats")  # the first run fills the cache
        startup, text, as_json, cold = interleaved([
            lambda: command("--version"),
            lambda: command("stats"),
            lambda: command("stats", "--format", "json"),
            lambda: (shutil.rmtree(Path(home) / "cache", ignore_errors=True), command("stats")),  # refills it
        ], args.runs)
        print(f"attnquiz --version          {1000 * startup:7.0f} ms (start-up alone)")
        print(f"attnquiz stats              {1000 * text:7.0f} ms  ({text / startup:.1f}x start-up; goal < 300 ms)")
        print(f"attnquiz stats --format json{1000 * as_json:7.0f} ms  ({as_json / startup:.1f}x start-up)")
        print(f"attnquiz stats, cold cache  {1000 * cold:7.0f} ms  ({cold / text:.1f}x the warm run)")

        parts = in_process(args.runs)
        print("in-process stats: " + ", ".join(f"{name} {1000 * seconds:.0f} ms" for name, seconds in parts.items()))

        target = Path(home) / "all.apkg"
        export = median_seconds(lambda: command("export", "anki", "-o", str(target), "--force"), args.runs)
        from quiz.practice import anki

        banks = load_catalog(known_exercises=exercise_names()).banks
        inside = median_seconds(lambda: anki.export(banks, target, "both", force=True), args.runs)
        notes = sum(len(bank.questions) for bank in banks)
        print(f"attnquiz export anki        {1000 * export:7.0f} ms  ({len(banks)} banks, {notes} notes; goal < 2 s)")
        print(f"anki.export in-process      {1000 * inside:7.0f} ms  (both languages)")


def in_process(runs: int) -> dict[str, float]:
    from rich.console import Console

    from quiz.bank.loader import load_catalog
    from quiz.check.catalog import exercise_names
    from quiz.cli.options import bank_index
    from quiz.config import DEFAULTS
    from quiz.paths import data_path
    from quiz.practice import charts, progress, summary
    from quiz.practice.scheduler import Scheduler, utcnow
    from quiz.practice.store import Store

    now = utcnow()
    scheduler = Scheduler.from_settings(DEFAULTS)
    cached = median_seconds(bank_index, runs)
    banks = median_seconds(lambda: load_catalog(known_exercises=exercise_names()), runs)
    with Store(data_path("database")) as store:
        queries = median_seconds(lambda: (store.stats(now), store.answers_per_day(), store.topic_cards()), runs)
        stats, times, cards = store.stats(now), store.answers_per_day(), store.topic_cards()
    figures = median_seconds(lambda: progress.figures(times, cards, scheduler.retrievability, now), runs)
    result = progress.figures(times, cards, scheduler.retrievability, now)

    def draw() -> None:
        console = Console(file=io.StringIO(), width=120, color_system="truecolor", force_terminal=True)
        summary.render_stats(console, stats, now, False, str, lambda b, q: q)
        charts.render(console, stats, result, 0.9, False, str, lambda b, q: q, False)

    return {"banks from the cache": cached, "banks loaded": banks, "store": queries, "figures": figures,
            "render": median_seconds(draw, runs)}


if __name__ == "__main__":
    main()
