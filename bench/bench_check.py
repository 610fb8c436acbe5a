"""Wall time of a full `attnquiz check` of the worked solutions, and the share spent in sandbox overhead.

For each run: the whole run_check (every exercise, the speed and memory tests included), the
time spent starting children (Python + NumPy + loading the file), and the round trips. The
overhead of a round trip is measured in the same run with a trivial call (an echo of a small
array), so overhead = start-up + calls x one empty round trip; the rest is the work itself
(the solution's, the references', the checks'). Also prints the speedups the KV-cache test
measured. Goal: a full check under 10 s on 2 cores.

Then the cost of the serving exercises (issue 16): a complete solution of all sixteen exercises
(solutions/attention.py and solutions/serving.py in one file) against the eight core exercises of
solutions/attention.py, checked in turns in the same run. Goal: sixteen under 1.6x eight.

Usage: python bench/bench_check.py [--runs 3] [solution.py ...]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def empty_round_trip(samples: int = 300) -> float:
    """Median seconds of one call that does nothing, through a real sandbox."""
    import numpy as np

    from quiz.check.sandbox import Sandbox

    with tempfile.TemporaryDirectory() as folder:
        echo = Path(folder) / "echo.py"
        echo.write_text("def echo(x, *rest):\n    return x\n", encoding="utf-8")
        with Sandbox(echo) as box:
            x = np.zeros((1, 1, 256), dtype=np.float32)
            times = []
            for _ in range(samples):
                start = time.perf_counter()
                box.call("echo", x, 1)
                times.append(time.perf_counter() - start)
    return statistics.median(times)


def sixteen_vs_eight(runs: int) -> None:
    """Median wall time of a full check of the 16-exercise solution over that of the core 8, interleaved."""
    from quiz.check.registry import builtin
    from quiz.check.runner import CheckOptions, run_check

    core = tuple(exercise.id for exercise in builtin())[:8]
    attention = (REPO / "solutions" / "attention.py").read_text(encoding="utf-8")
    serving = (REPO / "solutions" / "serving.py").read_text(encoding="utf-8")
    walls: dict[str, list[float]] = {"8": [], "16": []}
    with tempfile.TemporaryDirectory() as folder:
        complete = Path(folder) / "complete.py"
        complete.write_text(attention + "\n\n" + serving, encoding="utf-8")
        for run in range(runs):
            for kind in ("8", "16") if run % 2 == 0 else ("16", "8"):
                if kind == "8":
                    result = run_check(REPO / "solutions" / "attention.py", CheckOptions(exercises=core))
                else:
                    result = run_check(complete, CheckOptions())
                assert result.score == result.max_score, [(v.test, v.message) for v in result.tests
                                                          if v.points < v.max_points]
                walls[kind].append(result.seconds)
                print(f"{kind:>2} exercises  run {run + 1}: {result.seconds:6.2f} s  "
                      f"{result.score:g}/{result.max_score:g}")
    eight, sixteen = statistics.median(walls["8"]), statistics.median(walls["16"])
    ratio = sixteen / eight
    print(f"sixteen / eight exercises: {sixteen:.2f} s / {eight:.2f} s = {ratio:.2f}x (medians of {runs}) "
          f"-> goal under 1.6x {'met' if ratio < 1.6 else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("solutions", nargs="*", type=Path)
    arguments = parser.parse_args()
    from quiz.check.runner import CheckOptions, run_check

    solutions = arguments.solutions or sorted((REPO / "solutions").glob("*.py"))
    round_trip = empty_round_trip()
    print(f"empty round trip: {round_trip * 1e6:.0f} us (median of 300)")
    header = f"{'solution':<22} {'run':>3} {'wall s':>7} {'start s':>8} {'calls':>6} {'overhead':>9} {'speed s':>8} " \
             f"{'memory s':>8} {'score':>7}  speedup yours / reference cache"
    print(header)
    walls = []
    for solution in solutions:
        for run in range(1, arguments.runs + 1):
            result = run_check(solution, CheckOptions())
            timings = result.timings
            overhead = timings.get("start_seconds", 0.0) + timings.get("calls", 0) * round_trip
            seconds = {v.test: v.seconds for v in result.tests if v.test in ("speed", "memory")}
            speed = next((v.speed for v in result.tests if v.speed is not None), None)
            speedups = f"{speed.user_speedup:.1f}x / {speed.cache_speedup:.1f}x" if speed else "-"
            print(f"{solution.name:<22} {run:>3} {result.seconds:>7.2f} {timings.get('start_seconds', 0):>8.2f} "
                  f"{int(timings.get('calls', 0)):>6} {overhead / result.seconds:>8.0%} "
                  f"{seconds.get('speed', 0):>8.2f} {seconds.get('memory', 0):>8.2f} "
                  f"{result.score:>3g}/{result.max_score:g}  {speedups}")
            walls.append(result.seconds)
    worst = max(walls)
    print(f"goal: a full check under 10 s -> {'met' if worst < 10 else 'NOT met'} "
          f"(median {statistics.median(walls):.2f} s, slowest {worst:.2f} s)")
    sixteen_vs_eight(arguments.runs)


if __name__ == "__main__":
    main()
