"""The charts of `attnquiz stats`, rendered to text and compared exactly (no colour: NO_COLOR's view)."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

import pytest

from quiz.practice import charts
from quiz.practice.progress import Figures, heatmap_levels

TODAY = date(2026, 12, 2)  # a Wednesday: the last week is cut after today
FIGURES = Figures(
    TODAY,
    {TODAY: 8, TODAY - timedelta(days=1): 2, date(2026, 11, 2): 4},
    tuple([3, 0, 1] + [0] * 4 + [6] + [0] * 22),
    (),
)


def shown(renderable: object, **console: object) -> str:
    from rich.console import Console

    out = StringIO()
    Console(file=out, width=100, color_system=None, **console).print(renderable)  # type: ignore[arg-type]
    return out.getvalue()


def test_heatmap_one_cell_per_day_with_levels_in_the_glyphs() -> None:
    dots = "· " * 21
    assert shown(charts.heatmap(FIGURES)) == (
        "Reviews in the last 26 weeks: 14 on 3 days\n"
        "    Jun   Jul     Aug       Sep     Oct     Nov       Dec\n"
        f"Mon {dots}▒ · · · ·\n"
        f"    {dots}· · · · ░\n"
        f"Wed {dots}· · · · █\n"
        f"    {dots}· · · ·\n"
        f"Fri {dots}· · · ·\n"
        f"    {dots}· · · ·\n"
        f"Sun {dots}· · · ·\n"
        "    less · ░ ▒ ▓ █ more (busiest day: 8)\n")


def test_heatmap_in_chinese_keeps_its_columns() -> None:
    from quiz.i18n import bind_language

    bind_language("zh")
    lines = shown(charts.heatmap(FIGURES)).splitlines()
    assert lines[1] == "     6月   7月     8月       9月     10月    11月      12月"
    assert lines[2].startswith("周一 · · ")
    assert lines[3].startswith("     · · ")


def test_heatmap_colours_are_dropped_under_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    monkeypatch.setenv("NO_COLOR", "1")
    out = StringIO()
    Console(file=out, width=100, force_terminal=True, color_system="truecolor").print(charts.heatmap(FIGURES))
    assert "\x1b[38" not in out.getvalue() and "█" in out.getvalue()
    monkeypatch.delenv("NO_COLOR")
    out = StringIO()
    Console(file=out, width=100, force_terminal=True, color_system="truecolor").print(charts.heatmap(FIGURES))
    assert "\x1b[38" in out.getvalue()


@pytest.mark.parametrize(("counts", "expected"), [
    ([8, 2, 4], [4, 1, 2]),
    ([50] * 6, [4] * 6),  # a steady pace is one colour, the busiest one
    ([3] * 9 + [400], [1] * 9 + [4]),  # one marathon day does not hide that the others were alike
    ([10, 20, 30, 40, 50, 60, 70, 80, 400], [1, 1, 1, 2, 2, 3, 3, 4, 4]),  # ... nor pales them all
    ([0, 5], [0, 4]),
    ([], []),
], ids=["few", "steady", "marathon-over-alike-days", "marathon-over-varied-days", "empty-day", "none"])
def test_levels_rank_each_day_among_the_days_with_reviews(counts: list[int], expected: list[int]) -> None:
    days = {TODAY - timedelta(days=i): n for i, n in enumerate(counts)}
    levels = heatmap_levels(days)
    assert [levels.get(day, 0) for day in days] == expected


def test_forecast_columns_for_thirty_days() -> None:
    assert shown(charts.forecast(FIGURES)) == (
        "Due in the next 30 days: 10 questions, 3 today (overdue included)\n"
        "6 │       █\n"
        "  │       █\n"
        "  │       █\n"
        "  │█      █\n"
        "  │█      █\n"
        "  │█ █    █\n"
        "  └──────────────────────────────\n"
        "   today  +7     +14    +21\n")


def test_forecast_with_nothing_due() -> None:
    empty = Figures(TODAY, {}, (0,) * 30, ())
    assert shown(charts.forecast(empty)).splitlines()[1:3] == ["0 │", "  │"]


def test_accuracy_bars_are_the_share_right() -> None:
    assert shown(charts.accuracy_bars([("Attention", 9, 10), ("KV cache", 1, 3), ("Masks", 4, 4)])) == (
        "Accuracy per topic\n"
        "Attention █████████████████████▋   90% (9/10)\n"
        "KV cache  ████████                 33% (1/3)\n"
        "Masks     ████████████████████████ 100% (4/4)\n")


def test_plain_lines_say_the_same_figures_in_words() -> None:
    assert charts.plain_lines(FIGURES) == [
        "Reviews in the last 26 weeks: 14 on 3 days",
        "Busiest day: 2026-12-02, 8 reviews",
        "  2026-11: 4 reviews on 1 day",
        "  2026-12: 10 reviews on 2 days",
        "Due in the next 30 days: 10 questions, 3 today (overdue included)",
        "  2026-12-02: 3 due",
        "  2026-12-04: 1 due",
        "  2026-12-09: 6 due",
    ]
