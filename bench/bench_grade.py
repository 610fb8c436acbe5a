"""How fast `attnquiz grade` gets through a class, with 1 job and with 2 jobs.

Two classes, each graded into fresh output folders once per --jobs value, printing
submissions per second and the ratio between the job counts:

- complete: --students copies of solutions/attention.py and solutions/serving.py in one file
  (all sixteen built-in exercises solved), checked on every built-in exercise, as a real
  assignment would be (the KV-cache speed test, the flash-attention memory test and the serving
  exercises' cost and memory tests included). Goal: at least 1.5 complete solutions per second
  with 2 jobs.
- core: copies of solutions/attention.py alone (the eight core exercises solved, the serving
  eight not attempted), checked on every built-in exercise: the class the goal was first set
  for, when there were eight exercises.
- mixed: a mix of correct ones, wrong ones (each with a classic mistake), ones that crash (at
  import, or by killing their own process) and ones that hang, checked on three quick
  exercises with a short --timeout (so the hanging ones cost about that timeout each).

Every figure is measured in this one run; quote ratios, not absolute times.

A cost breakdown of one check comes first (start-up, an empty check, a full check).

    python bench/bench_grade.py [--students 200] [--timeout 1] [--jobs 1 2] [--classes complete core mixed] [--no-profile]
                                [--launchers forkserver subprocess]
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GOAL = 1.5  # complete solutions per second with 2 jobs
EXERCISES = ("softmax", "causal_mask", "scaled_dot_product_attention")

CORRECT = '''
import numpy as np

def softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)

def causal_mask(lq, lk=None):
    lk = lq if lk is None else lk
    return np.arange(lk)[None, :] <= np.arange(lq)[:, None] + (lk - lq)

def scaled_dot_product_attention(q, k, v, mask=None):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1]).astype(q.dtype)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    top = np.max(scores, axis=-1, keepdims=True)
    e = np.exp(scores - np.where(np.isfinite(top), top, 0))
    total = np.sum(e, axis=-1, keepdims=True)
    return (e / np.where(total > 0, total, 1)) @ v
'''

# (name, text to replace in CORRECT, replacement): each a mistake the checker diagnoses or fails
WRONG = [
    ("no_scale", "/ np.sqrt(q.shape[-1]).astype(q.dtype)", ""),
    ("mask_inverted", "np.where(mask, scores", "np.where(~mask, scores"),
    ("no_max_shift", "np.exp(x - np.max(x, axis=axis, keepdims=True))", "np.exp(x)"),
    ("strict_mask", "<= np.arange(lq)", "< np.arange(lq)"),
]

CRASHING = [
    ("import_error", "raise RuntimeError('broken at import')\n"),
    ("exits", "import os\n\ndef softmax(x, axis=-1):\n    os._exit(0)\n"),
    ("syntax", "def softmax(x axis=-1):\n    return x\n"),
]

HANGING = "def softmax(x, axis=-1):\n    while True:\n        pass\n"


def make_class(folder: Path, students: int) -> Counter[str]:
    """Write `students` submissions: 50% correct, 25% wrong, 15% crashing, 10% hanging."""
    kinds: Counter[str] = Counter()
    for i in range(students):
        slot = i % 20
        if slot < 10:
            kind, text = "correct", CORRECT
        elif slot < 15:
            _, old, new = WRONG[i % len(WRONG)]
            kind, text = "wrong", CORRECT.replace(old, new)
        elif slot < 18:
            _, text = CRASHING[i % len(CRASHING)]
            kind = "crashing"
        else:
            kind, text = "hanging", HANGING
        (folder / f"student{i:03d}.py").write_text(text + f"\n# {i}\n", encoding="utf-8")
        kinds[kind] += 1
    return kinds


def make_complete_class(folder: Path, students: int, files: tuple[str, ...]) -> Counter[str]:
    """`students` copies of the worked solutions in `files` (one file each), each a little different so
    none is a resumed result."""
    text = "\n\n".join((REPO / "solutions" / name).read_text(encoding="utf-8") for name in files)
    for i in range(students):
        (folder / f"student{i:03d}.py").write_text(text + f"\n# {i}\n", encoding="utf-8")
    return Counter(complete=students)


WORKED = {"complete": ("attention.py", "serving.py"), "core": ("attention.py",)}


def grade(folder: Path, out: Path, jobs: int, timeout: float | None,
          exercises: tuple[str, ...] = EXERCISES, launcher: str = "forkserver") -> tuple[float, int, float]:
    argv = [sys.executable, "-m", "quiz", "grade", str(folder), "--out", str(out), "--jobs", str(jobs),
            "--seed", "1"]
    if timeout is not None:
        argv += ["--timeout", str(timeout)]
    for name in exercises:
        argv += ["--exercise", name]
    env = {**os.environ, "ATTNQUIZ_HOME": str(out.parent / "home"),  # the grader's journal key stays out of yours
           "ATTNQUIZ_GRADE_LAUNCHER": launcher}
    start, before = time.perf_counter(), machine_cpu()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    seconds, cpu = time.perf_counter() - start, machine_cpu() - before
    if proc.returncode not in (0, 1):
        sys.exit(f"attnquiz grade failed (exit {proc.returncode}):\n{proc.stderr}")
    with open(out / "totals.csv", encoding="utf-8", newline="") as f:
        graded = sum(1 for row in csv.DictReader(f) if row["status"] != "rejected")
    return seconds, graded, cpu


def run_class(name: str, folder: Path, tmp: Path, jobs_list: list[int], timeout: float | None,
              exercises: tuple[str, ...], launchers: list[str]) -> dict[int, float]:
    """Submissions per second by --jobs value, with the first of `launchers` (the others are compared with it)."""
    rates: dict[tuple[str, int], float] = {}
    for jobs in jobs_list:
        for launcher in launchers:
            seconds, graded, cpu = grade(folder, tmp / f"out-{name}-{jobs}-{launcher}", jobs, timeout, exercises,
                                         launcher)
            rates[launcher, jobs] = graded / seconds
            shown = f" [{launcher}]" if len(launchers) > 1 else ""
            print(f"  --jobs {jobs}{shown}: {graded} graded in {seconds:.1f} s = {rates[launcher, jobs]:.2f} "
                  f"submissions/s ({cpu / max(graded, 1):.2f} s of machine CPU per submission)")
    main_launcher, *others = launchers
    first, *rest = jobs_list
    for jobs in rest:
        print(f"  speedup --jobs {jobs} vs --jobs {first}: "
              f"{rates[main_launcher, jobs] / rates[main_launcher, first]:.2f}x")
    for other in others:
        for jobs in jobs_list:
            print(f"  {main_launcher} vs {other}, --jobs {jobs}: "
                  f"{rates[main_launcher, jobs] / rates[other, jobs]:.2f}x")
    return {jobs: rates[main_launcher, jobs] for jobs in jobs_list}


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds the machine spent meanwhile) of one command."""
    start, before = time.perf_counter(), machine_cpu()
    subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    return time.perf_counter() - start, machine_cpu() - before


def machine_cpu() -> float:
    """CPU seconds the whole machine has been busy (/proc/stat). A sandbox's processes are not all waited
    for by their parents (a PID namespace's, a killed cgroup's), so getrusage(RUSAGE_CHILDREN) misses
    them; the machine's own count does not, but it also counts whatever else runs: use a quiet machine."""
    with open("/proc/stat", encoding="ascii") as f:
        fields = [int(n) for n in f.readline().split()[1:]]
    busy = sum(fields) - fields[3] - fields[4]  # everything but idle and iowait
    return busy / os.sysconf("SC_CLK_TCK")


def profile_one(tmp: Path, rounds: int = 3) -> None:
    """Where one complete check's cost goes: the check process's start-up, a sandbox that runs no
    test (an empty file), the whole check. Medians of `rounds`."""
    env = {**os.environ, "ATTNQUIZ_HOME": str(tmp / "home"),
           **{var: "1" for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}}  # as grade's
    empty = tmp / "empty.py"
    everything = tmp / "sixteen.py"
    make_complete_class(tmp, 1, WORKED["complete"])
    (tmp / "student000.py").rename(everything)
    empty.write_text("", encoding="utf-8")
    check = [sys.executable, "-m", "quiz", "check", "--no-record", "--format", "json", "--seed", "1"]
    parts = [("interpreter + attnquiz import (--version)", [sys.executable, "-m", "quiz", "--version"]),
             ("check of an empty file (start-up, sandbox, no test)", [*check, str(empty)]),
             ("full check of solutions/attention.py (8 exercises solved)",
              [*check, str(REPO / "solutions" / "attention.py")]),
             ("full check of attention.py + serving.py (16 solved)", [*check, str(everything)])]
    print(f"one check, medians of {rounds}:")
    for label, argv in parts:
        runs = sorted(timed(argv, env) for _ in range(rounds))
        wall, cpu = runs[len(runs) // 2]
        print(f"  {label}: {wall:.2f} s wall, {cpu:.2f} s CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=1.0, help="--timeout of the mixed class")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--classes", nargs="+", choices=["complete", "core", "mixed"],
                        default=["complete", "core", "mixed"])
    parser.add_argument("--no-profile", action="store_true", help="skip the cost breakdown of one check")
    parser.add_argument("--launchers", nargs="+", choices=["forkserver", "subprocess"], default=["forkserver"],
                        help="how grade starts its checks (ATTNQUIZ_GRADE_LAUNCHER); the first one is judged")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (CPU figures are the machine's)")
    with tempfile.TemporaryDirectory(prefix="attnquiz-bench-") as tmp:
        if not args.no_profile:
            profile_one(Path(tmp))
        for name in args.classes:
            folder = Path(tmp) / name
            folder.mkdir()
            if name in WORKED:
                kinds = make_complete_class(folder, args.students, WORKED[name])
                print(f"{name} class of {args.students} ({' + '.join(WORKED[name])}), checked on every built-in "
                      "exercise, default --timeout:")
                rates = run_class(name, folder, Path(tmp), args.jobs, None, (), args.launchers)
                if 2 in rates:
                    verdict = "meets" if rates[2] >= GOAL else "misses"
                    print(f"  goal: {GOAL} solutions/s with 2 jobs: {verdict} it ({rates[2]:.2f})")
            else:
                kinds = make_class(folder, args.students)
                print(f"mixed class of {args.students} (" + ", ".join(f"{n} {kind}" for kind, n in
                                                             sorted(kinds.items())) +
                      f"), exercises {', '.join(EXERCISES)}, --timeout {args.timeout:g}:")
                run_class(name, folder, Path(tmp), args.jobs, args.timeout, EXERCISES, args.launchers)


if __name__ == "__main__":
    main()
