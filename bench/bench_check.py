"""Figures of `attnquiz check`, all from one run: quote the ratios, not the absolute times.

- a yardstick: 1,500 float32 256x256 matmuls on one thread, timed here;
- the full check of solutions/attention.py (every exercise, speed and memory tests included), its
  speed test's share, and full check / yardstick (goal: under 3.5x);
- the speedup the checker reports next to the same solution measured in this process, for the
  reference cache and for a slower but real cache: the KV cache of Sebastian Raschka's "LLMs from
  scratch" (tests/third_party_gallery/rasbt_fixed_decode.py, its origin in the header), which
  concatenates its history on every step and converts its 1024 x 1024 mask to bool on every step,
  several times the reference's time per step and no recomputation of the prefix; goal, reported /
  in-process within 0.75-1.33 for both. In-process times are CPU times (BLAS on one thread, as in
  the sandbox), after one untimed pass of each, as the checker warms its children up;
- the cost of the serving exercises (issue 16): a complete solution of all sixteen exercises
  (solutions/attention.py and solutions/serving.py in one file) against the eight core exercises of
  solutions/attention.py, checked in turns. Goal: sixteen under 1.6x eight.

Usage: python bench/bench_check.py [--runs 3]
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy: the yardstick is single-threaded
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from metered import metered  # noqa: E402 - bench/metered.py, next to this script

REPO = Path(__file__).resolve().parent.parent
SLOWER_CACHE = REPO / "tests" / "third_party_gallery" / "rasbt_fixed_decode.py"


def yardstick() -> float:
    import numpy as np

    a = np.random.default_rng(0).standard_normal((256, 256)).astype(np.float32)
    start = time.perf_counter()
    for _ in range(1500):
        a @ a
    return time.perf_counter() - start


def in_process_speedup(module, steps: int = 256, runs: int = 5) -> float:
    """Recomputing / cached CPU time of `module`'s decode_step and KVCache over `steps` tokens, in this
    process: medians of `runs` interleaved runs, after one untimed run of each."""
    import numpy as np

    from quiz.check import references as ref
    from quiz.check.speed import D_MODEL, DTYPE, N_HEADS

    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, steps, D_MODEL)).astype(DTYPE)
    weights = [(rng.standard_normal((D_MODEL, D_MODEL)) / D_MODEL ** 0.5).astype(DTYPE) for _ in range(4)]

    def cached() -> float:
        cache = module.KVCache()
        start = time.process_time()
        for t in range(steps):
            module.decode_step(x[:, t:t + 1], cache, *weights, N_HEADS)
        return time.process_time() - start

    def naive() -> float:
        start = time.process_time()
        for t in range(steps):
            ref.recompute_last(x[:, :t + 1], *weights, N_HEADS)
        return time.process_time() - start

    cached(), naive()
    times = [(cached(), naive()) for _ in range(runs)]
    return statistics.median(n for _, n in times) / statistics.median(c for c, _ in times)


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
    arguments = parser.parse_args()
    from quiz.check import references
    from quiz.check.registry import builtin
    from quiz.check.runner import CheckOptions, run_check

    core = tuple(exercise.id for exercise in builtin())[:8]
    stick = yardstick()
    with metered() as meter:
        full = run_check(REPO / "solutions" / "attention.py", CheckOptions(seed=1, exercises=core))
    timed = next(v for v in full.tests if v.test == "speed")
    memory = next(v for v in full.tests if v.test == "memory")
    slower = run_check(SLOWER_CACHE, CheckOptions(seed=1, exercises=("decode_step",)))
    slower_timed = next(v for v in slower.tests if v.test == "speed")
    reference_in = in_process_speedup(references)
    slower_in = in_process_speedup(_load(SLOWER_CACHE))
    print(f"yardstick (1,500 float32 256x256 matmuls, 1 thread): {stick:.2f} s")
    print(f"full check of solutions/attention.py (the 8 core exercises): {full.seconds:.2f} s, score {full.score:g}/{full.max_score:g}; "
          f"speed test {timed.seconds:.2f} s ({timed.seconds / full.seconds:.0%} of it)")
    print(f"  where it went: memory test {memory.seconds:.2f} s ({memory.seconds / full.seconds:.0%}); "
          f"{meter['starts']:.0f} sandbox start-ups {meter['start_seconds']:.2f} s; "
          f"{meter['calls']:.0f} round trips {meter['call_seconds']:.2f} s (the solution's and the references' work included)")
    print(f"full check / yardstick: {full.seconds / stick:.2f}x (goal: under 3.5x)")
    figures = timed.speed
    if figures is not None:
        print(f"speed test: chunk {figures.chunk} steps, empty round trip {figures.overhead_us:.0f} us "
              f"({figures.overhead_share:.0%} of a request), judged on {'CPU' if figures.cpu else 'wall'} time")
        ratio = figures.cache_speedup / reference_in
        print(f"reference cache: reported {figures.cache_speedup:.1f}x, in-process {reference_in:.1f}x, "
              f"reported / in-process {ratio:.2f} (goal 0.75-1.33)")
        print(f"solutions/attention.py: reported {figures.user_speedup:.1f}x")
    if slower_timed.speed is not None:
        reported = slower_timed.speed.user_speedup
        print(f"slower real cache ({SLOWER_CACHE.relative_to(REPO)}): reported {reported:.1f}x, in-process {slower_in:.1f}x, "
              f"reported / in-process {reported / slower_in:.2f} (goal 0.75-1.33); verdict {slower_timed.status.value}")
    sixteen_vs_eight(arguments.runs)


if __name__ == "__main__":
    main()
