"""`attnquiz stats` as a user runs it: the charts in a real terminal, the text lines and `--format json`
give the same figures."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone

import pexpect

from quiz.i18n import t
from tests.conftest import ATTNQUIZ, REPO, subprocess_env

BASICS = REPO / "tests" / "fixtures" / "quiz"
GLYPHS = "·░▒▓█"


def _history() -> None:
    """Slow weeks, busier ones, busier still, then a marathon three days ago: the heatmap has every level."""
    from quiz.bank.loader import load_paths
    from quiz.check.catalog import exercise_names
    from quiz.paths import data_path
    from quiz.practice.store import Store
    from tests.practice.simulated import fill

    questions = load_paths([BASICS], known_exercises=exercise_names()).questions()
    now = datetime.now(timezone.utc)
    with Store(data_path("database")) as store:
        fill(store, questions, 60, now - timedelta(days=40), days=30, seed=1)
        fill(store, questions, 120, now - timedelta(days=20), days=20, seed=2)
        fill(store, questions, 200, now - timedelta(days=5), days=15, seed=3)
        fill(store, questions, 90, now - timedelta(days=3), days=1, seed=4)


def _json() -> dict:
    done = subprocess.run([*ATTNQUIZ, "stats", "--no-builtin", "--bank", str(BASICS), "--format", "json"],
                          capture_output=True, text=True, env=subprocess_env(), timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_charts_in_a_terminal_show_the_json_figures() -> None:
    _history()
    data = _json()
    child = pexpect.spawn(sys.executable, ["-m", "quiz", "stats", "--no-builtin", "--bank", str(BASICS)],
                          env=subprocess_env(NO_COLOR="1", TERM="xterm-256color"), encoding="utf-8", timeout=60,
                          dimensions=(80, 120))
    child.expect(pexpect.EOF)
    screen = re.sub(r"\x1b\[[0-9;]*m|\r", "", child.before)
    assert "\x1b" not in screen  # NO_COLOR: not a colour, not even bold
    lines = screen.splitlines()
    top = next(i for i, line in enumerate(lines) if line.startswith("Reviews in the last 26 weeks"))
    grid = lines[top + 2: top + 9]
    assert [line[:4] for line in grid[::2]] == ["Mon ", "Wed ", "Fri ", "Sun "]
    cells = Counter(ch for line in grid for ch in line[4:] if ch in GLYPHS)
    levels = Counter(data["reviews_per_day"]["levels"].values())
    assert {GLYPHS.index(glyph): n for glyph, n in cells.items() if glyph != "·"} == dict(levels)
    assert set(levels) == {1, 2, 3, 4}
    days = data["reviews_per_day"]["days"]
    assert sum(cells.values()) == (datetime.fromisoformat(data["reviews_per_day"]["to"])
                                   - datetime.fromisoformat(data["reviews_per_day"]["from"])).days + 1
    assert lines[top] == t("charts.heatmap_title", _lang="en", weeks=26, reviews=sum(days.values()), days=len(days))
    assert lines[top + 9].endswith(t("charts.more", _lang="en", most=max(days.values())))
    due = sum(day["due"] for day in data["forecast"])
    assert t("charts.forecast_title", _lang="en", days=30, total=due, today=data["forecast"][0]["due"]) in screen
    for topic in data["topics"]:
        bar = next(line for line in lines[lines.index("Accuracy per topic"):] if line.startswith(topic["name"]))
        right, answers = topic["correct"], topic["answers"]
        assert bar.endswith(f"{round(100 * right / answers)}% ({right}/{answers})")


def test_the_text_lines_give_the_json_figures() -> None:
    _history()
    data = _json()
    done = subprocess.run([*ATTNQUIZ, "stats", "--no-builtin", "--bank", str(BASICS), "--plain"],
                          capture_output=True, text=True, env=subprocess_env(), timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    days = data["reviews_per_day"]["days"]
    busiest = max(days.items(), key=lambda item: (item[1], item[0]))
    assert t("charts.heatmap_title", _lang="en", weeks=26, reviews=sum(days.values()), days=len(days)) in lines
    assert t("charts.busiest", _lang="en", day=busiest[0], reviews=busiest[1]) in lines
    months: Counter[str] = Counter()
    for day, n in days.items():
        months[day[:7]] += n
    assert [line for line in lines if re.match(r"  \d{4}-\d\d: ", line)] == [
        t("charts.month_line", _lang="en", month=month, reviews=n, days=sum(d.startswith(month) for d in days))
        for month, n in sorted(months.items())]
    assert [line for line in lines if re.fullmatch(r"  \d{4}-\d\d-\d\d: \d+ due", line)] == [
        t("charts.due_line", _lang="en", day=day["date"], due=day["due"]) for day in data["forecast"] if day["due"]]
    assert "█" not in done.stdout
