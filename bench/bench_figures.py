"""CPU seconds per complete check with and without the reference figures a class run shares, from one run.

`attnquiz grade` measures the trusted reference's figures once (quiz/check/figures.py) and gives
them to every check, which then starts no trusted child. This bench checks the same solutions in
this process, in turns, without figures (each check measures the reference itself, as a learner's
does) and with figures measured once here, and prints per kind of check:

- CPU seconds: this process's (the checker's own work: references, comparisons) plus every
  sandbox's (read from its cgroup, every process of it, just before it closes; without cgroups the
  harness's own clock); the check process's Python start-up is not in it (bench_grade counts it);
- wall seconds, sandbox start-ups (trusted ones apart), and whether the verdicts are the same;
- the reported speedups with shared figures of the reference cache and of bench_check's slower
  real cache, next to in-process measurements (bench_check's in_process_speedup; goal 0.75-1.33
  for both, as for a check that measures the reference itself).

Medians of --runs; quote the ratios, not the absolute times.

Usage: python bench/bench_figures.py [--runs 5]
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as grade sets for its checks (quiz/grade/runner.py)
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
TRUSTED = "reference_solution.py"  # the trusted child's private copy of references.py (quiz/check/runner.py)


@contextmanager
def counted() -> Any:
    """Sandbox start-ups by file name, and CPU seconds of every sandbox as it closes."""
    from quiz.check.sandbox import Sandbox

    seen: dict[str, Any] = {"starts": [], "cpu": 0.0}
    start, close = Sandbox.start, Sandbox.close

    def counted_start(self: Sandbox) -> None:
        seen["starts"].append(self.source.name)
        start(self)

    def counted_close(self: Sandbox) -> None:
        seen["cpu"] += self.cpu_seconds() or 0.0
        close(self)

    Sandbox.start, Sandbox.close = counted_start, counted_close
    try:
        yield seen
    finally:
        Sandbox.start, Sandbox.close = start, close


def one_check(path: Path, figures: Any) -> dict[str, Any]:
    from quiz.check.runner import CheckOptions, run_check

    with counted() as seen:
        cpu = time.process_time()
        result = run_check(path, CheckOptions(seed=1, figures=figures))
        own = time.process_time() - cpu
    speed = next((v.speed for v in result.tests if v.test == "speed"), None)
    return {"cpu": own + seen["cpu"], "wall": result.seconds, "starts": len(seen["starts"]),
            "trusted": seen["starts"].count(TRUSTED), "verdict": [(v.test, v.status.value) for v in result.tests],
            "score": result.score, "speed": speed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from quiz.check import references
    from quiz.check.figures import measure

    with tempfile.TemporaryDirectory() as folder:
        complete = Path(folder) / "complete.py"
        complete.write_text((REPO / "solutions" / "attention.py").read_text(encoding="utf-8") + "\n\n"
                            + (REPO / "solutions" / "serving.py").read_text(encoding="utf-8"), encoding="utf-8")
        solutions = {"core (attention.py)": REPO / "solutions" / "attention.py",
                     "complete (attention.py + serving.py)": complete}
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        with counted() as seen:
            cpu = time.process_time()
            figures = measure(seed=1)
            cost = time.process_time() - cpu + seen["cpu"]
        print(f"measuring the figures once: {figures.seconds:.2f} s wall, {cost:.2f} s CPU; chunk {figures.chunk}, "
              f"isolation {figures.isolation}, limits {figures.limits}")
        cached: list[float] = []
        for label, path in solutions.items():
            found: dict[bool, list[dict[str, Any]]] = {False: [], True: []}
            for run in range(args.runs):
                for shared in (False, True) if run % 2 == 0 else (True, False):
                    found[shared].append(one_check(path, figures if shared else None))
            print(f"{label}, medians of {args.runs}:")
            for shared in (False, True):
                rows = found[shared]
                print(f"  {'shared figures' if shared else 'own reference '}: "
                      f"{statistics.median(r['cpu'] for r in rows):.2f} s CPU, "
                      f"{statistics.median(r['wall'] for r in rows):.2f} s wall, "
                      f"{statistics.median(r['starts'] for r in rows):.0f} sandbox start-ups "
                      f"({statistics.median(r['trusted'] for r in rows):.0f} trusted), score "
                      f"{statistics.median(r['score'] for r in rows):g}")
            own, shared_cpu = (statistics.median(r["cpu"] for r in found[k]) for k in (False, True))
            same = {str(r["verdict"]) for r in found[False] + found[True]}
            print(f"  CPU with shared / without: {shared_cpu / own:.2f}x; verdicts "
                  f"{'the same in every run' if len(same) == 1 else 'DIFFER'}")
            cached += [r["speed"].cache_speedup for r in found[True] if r["speed"] is not None]
        import bench_check  # noqa: E402 - next to this script

        reference_in = bench_check.in_process_speedup(references)
        reported = figures.naive_run().total(figures.naive.cpu is not None) / statistics.median(
            run.total(figures.naive.cpu is not None) for run in figures.cache_runs())
        print(f"reference cache with shared figures: reported {statistics.median(cached):.1f}x "
              f"(the figures alone {reported:.1f}x), in-process {reference_in:.1f}x, reported / in-process "
              f"{statistics.median(cached) / reference_in:.2f} (goal 0.75-1.33)")
        slower = [one_check(bench_check.SLOWER_CACHE, figures)["speed"] for _ in range(args.runs)]
        slower_in = bench_check.in_process_speedup(bench_check._load(bench_check.SLOWER_CACHE))
        user = statistics.median(speed.user_speedup for speed in slower if speed is not None)
        print(f"slower real cache ({bench_check.SLOWER_CACHE.relative_to(REPO)}) with shared figures: reported "
              f"{user:.1f}x, in-process {slower_in:.1f}x, reported / in-process {user / slower_in:.2f} (goal 0.75-1.33)")


if __name__ == "__main__":
    main()
