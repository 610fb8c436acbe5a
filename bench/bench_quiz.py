"""Quiz speed: answer → next prompt, and loading a large bank.

1. The real program in a pseudo-terminal (pexpect): the time from pressing Enter on an
   answer to the next question's prompt being on screen (grading, scheduling, the SQLite
   commit, the feedback and the next prompt), in practice mode (with feedback) and in
   exam mode. Goal: median under 100 ms.
2. The same step in-process, split into its parts (grade + schedule, record, render).
3. Loading and validating a generated bank of 5,000 questions (every type, English and
   Chinese), next to a bare ``yaml.load`` of the same file. Goal: under 2 s.

Usage: python bench/bench_quiz.py [--answers 30] [--questions 5000]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

_TYPES = ("single", "multiple", "truefalse", "short", "numeric", "open")


def _question(n: int, qtype: str) -> dict:
    base = {"id": f"gen-{n}", "type": qtype, "topic": f"topic{n % 7}", "tags": [f"tag{n % 5}"],
            "difficulty": 1 + n % 3, "prompt": {"en": f"Generated question {n}: what is the attention scale?",
                                               "zh": f"第 {n} 题：注意力缩放因子是什么？"},
            "explanation": {"en": f"Because `q·k` has variance `d_k` ({n}).", "zh": f"因为 `q·k` 的方差是 `d_k`（{n}）。"}}
    if qtype in ("single", "multiple"):
        base["choices"] = [{"text": {"en": f"choice {c}", "zh": f"选项 {c}"}, "correct": c == 0 or (qtype == "multiple"
                                                                                            and c == 1),
                            "explanation": {"en": f"why {c}", "zh": f"原因 {c}"}} for c in range(4)]
    elif qtype == "truefalse":
        base["answer"] = n % 2 == 0
    elif qtype == "short":
        base["answers"] = {"en": ["sqrt(d_k)", "√d_k"], "zh": ["根号 d_k", "sqrt(d_k)"]}
    elif qtype == "numeric":
        base.update(answer=131072, tolerance=0, unit={"en": "bytes", "zh": "字节"})
    else:
        base["reference"] = {"en": "Dividing keeps the variance at one.", "zh": "除以根号 d 使方差为 1。"}
        base["key_points"] = [{"point": {"en": "variance", "zh": "方差"},
                               "keywords": {"en": ["variance"], "zh": ["方差"]}}]
    return base


def generate_bank(path: Path, count: int, types: tuple[str, ...] = _TYPES) -> Path:
    bank = {"format_version": 1, "id": f"generated-{count}", "title": {"en": "Generated", "zh": "生成的题库"},
            "languages": ["en", "zh"], "topics": {f"topic{i}": {"en": f"Topic {i}", "zh": f"主题 {i}"} for i in range(7)},
            "questions": [_question(n, types[n % len(types)]) for n in range(count)]}
    path.write_text(yaml.safe_dump(bank, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _ms(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]
    return f"median {statistics.median(values) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms   (n={len(values)})"


def pty_latency(bank: Path, home: Path, mode: str, answers: int) -> list[float]:
    import pexpect

    env = {**os.environ, "ATTNQUIZ_HOME": str(home), "TERM": "xterm-256color", "PROMPT_TOOLKIT_NO_CPR": "1"}
    child = pexpect.spawn(sys.executable, ["-m", "quiz", "start", "--no-builtin", "--bank", str(bank), "--mode", mode,
                                           "-n", str(answers + 1), "--seed", "1"],
                          env=env, encoding="utf-8", timeout=30, dimensions=(50, 120))
    child.delaybeforesend = None  # pexpect sleeps 50 ms before each send by default
    child.expect("Enter to choose")
    samples = []
    for n in range(2, answers + 2):
        started = time.perf_counter()
        child.send("\r")
        child.expect(f"Question {n}/")
        child.expect("Enter to choose")
        samples.append(time.perf_counter() - started)
    child.sendcontrol("c")
    child.expect(pexpect.EOF)
    child.close()
    return samples


def in_process(bank: Path, home: Path, answers: int) -> dict[str, list[float]]:
    os.environ["ATTNQUIZ_HOME"] = str(home)
    from quiz.practice import feedback, render, scheduler, session
    from quiz.bank.loader import load_paths
    from quiz.check.catalog import exercise_names
    from quiz.practice.store import Store

    questions = load_paths([bank], known_exercises=exercise_names()).questions()
    items = session.plan(questions, {}, session.Filters(), "practice", answers, 1, scheduler.utcnow())
    console = render.make_console(False, io.StringIO(), 100)
    parts: dict[str, list[float]] = {"grade + schedule": [], "record (SQLite commit)": [], "render feedback": []}
    with Store(home / "bench.sqlite3") as db:
        for item in items:
            t0 = time.perf_counter()
            grade = session.grade(item, session.Answer(item.choice_order[0]), "en")
            rating = scheduler.objective_rating(grade.correct, grade.score, 5.0)
            now = datetime.now(timezone.utc)
            result = session.Result(item, session.Answer(item.choice_order[0]), grade, grade.correct, rating, 5.0, now,
                                    scheduler.review(None, rating, now))
            t1 = time.perf_counter()
            db.record(result, "practice")
            t2 = time.perf_counter()
            feedback.feedback(console, result, "en", plain=False)
            t3 = time.perf_counter()
            parts["grade + schedule"].append(t1 - t0)
            parts["record (SQLite commit)"].append(t2 - t1)
            parts["render feedback"].append(t3 - t2)
    return parts


def load_times(bank: Path, runs: int) -> dict[str, list[float]]:
    """load_paths (read, parse with positions, validate) next to bare PyYAML on the same text."""
    from quiz.bank.loader import load_paths
    from quiz.check.catalog import exercise_names

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    text = bank.read_text(encoding="utf-8")
    times: dict[str, list[float]] = {"load_paths (validated)": [], "bare yaml.load": [], "bare yaml.compose": []}
    for _ in range(runs):
        t0 = time.perf_counter()
        yaml.load(text, Loader=loader)
        t1 = time.perf_counter()
        yaml.compose(text, Loader=loader)
        t2 = time.perf_counter()
        catalog = load_paths([bank], known_exercises=exercise_names())
        t3 = time.perf_counter()
        assert not catalog.errors, catalog.errors[:3]
        times["bare yaml.load"].append(t1 - t0)
        times["bare yaml.compose"].append(t2 - t1)
        times["load_paths (validated)"].append(t3 - t2)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=30)
    parser.add_argument("--questions", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        small = generate_bank(folder / "choices.yaml", args.answers + 5, types=("single",))
        print("answer -> next prompt, real program in a pseudo-terminal:")
        practice = pty_latency(small, folder / "home-practice", "practice", args.answers)
        exam = pty_latency(small, folder / "home-exam", "exam", args.answers)
        print(f"  practice (with feedback)  {_ms(practice)}")
        print(f"  exam (no feedback)        {_ms(exam)}")
        print("the same step in-process, by part:")
        for name, values in in_process(small, folder / "home-parts", args.answers).items():
            print(f"  {name:<24}  {_ms(values)}")
        big = generate_bank(folder / "big.yaml", args.questions)
        times = load_times(big, args.runs)
        full = times["load_paths (validated)"]
        print(f"load + validate {args.questions} questions ({big.stat().st_size / 1e6:.1f} MB, median of {args.runs}):")
        for name, values in times.items():
            ratio = statistics.median(full) / statistics.median(values)
            print(f"  {name:<24}  {statistics.median(values):5.2f} s   (load_paths = {ratio:.2f}x this)")
        worst = statistics.median(practice) * 1000
        print(f"goal: answer -> next prompt under 100 ms -> {'met' if worst < 100 else 'NOT met'} ({worst:.0f} ms); "
              f"5,000-question bank under 2 s -> {'met' if statistics.median(full) < 2 else 'NOT met'} "
              f"({statistics.median(full):.2f} s)")


if __name__ == "__main__":
    main()
