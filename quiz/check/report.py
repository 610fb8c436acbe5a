"""A CheckResult as people and machines read it: a table or JSON (quiz/grade renders the platforms' formats from the JSON).

The JSON is the typed model of ``report_model.py`` (docs/checker.md; the schema in
docs/check-report.schema.json is generated from it), versioned by ``schema_version``: fields are
only ever added. Messages, titles and hints are in the interface language of the run.
"""

from __future__ import annotations

import json
import math
from typing import Any

from quiz.check.catalog import ExerciseSpec
from quiz.check.report_model import (
    SCHEMA_VERSION,
    CheckReport,
    Diagnosis,
    Edges,
    ErrorFigures,
    ExerciseReport,
    LoadError,
    MemoryFigures,
    Point,
    ReferenceFiguresUse,
    SpeedFigures,
    StoppedAt,
    VerdictReport,
)
from quiz.check.verdicts import CheckResult, SpeedResult, Status, Verdict, exercise_status
from quiz.i18n import current_language, t

OUTPUT_LINES = 20  # lines of the solution's own output shown under the table
TRACEBACK_LINES = 6

_STYLES = {
    Status.PASSED: "green", Status.FAILED: "red", Status.ERROR: "red", Status.TIMEOUT: "red",
    Status.NOT_IMPLEMENTED: "yellow", Status.NOT_ATTEMPTED: "dim", Status.SKIPPED: "dim",
}


def status_text(status: Status) -> str:
    return t(f"check.status.{status.value}")


def _points(value: float) -> str:
    return f"{value:g}"


def speed_text(speed: SpeedResult) -> str:
    """What was measured and how: the setting, the chunk and overhead, both speedups, how time grows."""
    return t("check.speed_line", steps=speed.steps, d_model=speed.d_model, heads=speed.n_heads, dtype=speed.dtype,
             chunk=speed.chunk, overhead=speed.overhead_us, share=speed.overhead_share, user=speed.user_speedup,
             cache=speed.cache_speedup, slope=speed.user_slope_ns, cache_slope=speed.cache_slope_ns,
             naive_slope=speed.naive_slope_ns, growth=speed.user_growth, cache_growth=speed.cache_growth,
             naive_growth=speed.naive_growth, clock=t("check.speed_clock_cpu" if speed.cpu else "check.speed_clock_wall"))


BARS = " ▁▂▃▄▅▆▇█"


def speed_chart(speed: SpeedResult) -> list[str]:
    """Time per step along the sequence for yours, the reference cache and recomputation, one line each,
    on one scale (a bar per timed chunk), with the speedups at the full length."""
    rows = [(t("check.speed_you"), speed.user_series, f"{speed.user_speedup:.1f}x"),
            (t("check.speed_reference"), speed.cache_series, f"{speed.cache_speedup:.1f}x"),
            (t("check.speed_naive"), speed.naive_series, "1.0x")]
    top = max(us for _, series, _ in rows for _, us in series) or 1.0
    width = max(len(name) for name, _, _ in rows)
    lines = [t("check.speed_chart", steps=speed.steps, top=top)]
    for name, series, speedup in rows:
        bars = "".join(BARS[max(1, min(8, round(8 * us / top)))] for _, us in series)
        lines.append(f"  {name:<{width}}  {bars}  {series[0][1]:.0f} -> {series[-1][1]:.0f} µs  {speedup}")
    if speed.passed and speed.grows:
        lines.append(t("check.speed_grows", early=speed.user_step_us[0], late=speed.user_step_us[1],
                       ratio=speed.naive_slope_ns / speed.user_slope_ns))
    elif speed.passed and speed.overhead_per_step_us > 0 and speed.user_seconds > 1.5 * speed.cache_seconds:
        lines.append(t("check.speed_overhead", overhead=speed.overhead_per_step_us,
                       ratio=speed.user_seconds / speed.cache_seconds))
    return lines


def diagnosis_text(exercise: ExerciseSpec, mistake_id: str) -> str:
    lang = current_language()
    mistake = exercise.mistake(mistake_id)
    return t("check.likely_mistake", name=mistake.name(lang), hint=mistake.hint(lang))


def fix_first_text(prerequisites: list[str]) -> str:
    """The line that names the failed exercises an exercise builds on, and the one to fix first."""
    return t("check.fix_first", earlier=t("check.list_sep").join(prerequisites), first=prerequisites[0])


def _details(verdict: Verdict, exercise: ExerciseSpec) -> list[str]:
    lines = [verdict.message] if verdict.message else []
    if verdict.diagnosis:
        lines.append(diagnosis_text(exercise, verdict.diagnosis))
    if verdict.speed is not None:
        lines.append(speed_text(verdict.speed))
        if verdict.speed.shared_at is not None:
            lines.append(t("check.speed_shared", at=verdict.speed.shared_at))
        lines += speed_chart(verdict.speed)
    if verdict.memory is not None and verdict.status is Status.PASSED:
        lines.append(t("check.memory_line", length=verdict.memory.length, matrix=verdict.memory.matrix_bytes >> 20,
                       allowed=verdict.memory.allowed_bytes >> 20))
    if verdict.detail:
        lines += verdict.detail.rstrip().splitlines()[-TRACEBACK_LINES:]
    return lines


def render_table(result: CheckResult, width: int = 100, color: bool = False) -> str:
    """The human report: per exercise a header with its score, one row per test with the details of what went
    wrong under it (only the header line, with its status, for an exercise nothing of which was attempted), then
    the score; the counts are of tests in attempted exercises and of exercises in the others."""
    from rich.cells import cell_len
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    lang = current_language()
    specs = result.specs
    console = Console(width=width, record=True, file=_Null(), force_terminal=color,
                      color_system="standard" if color else None, highlight=False, emoji=False)
    console.print(escape(t("check.header", solution=result.solution, seed=result.seed)))
    if result.interrupted and not result.tests:  # stopped before any test finished: the interrupt line says where
        return "".join(line.rstrip() + "\n" for line in console.export_text(styles=color).splitlines())
    stopped = result.stopped.exercise if result.interrupted and result.stopped else None
    status_width = max(cell_len(status_text(status)) for status in Status)
    grouped = False  # the previous exercise was one line: the next one-line exercise follows it directly
    for name in result.exercise_names():
        spec, verdicts = specs[name], result.for_exercise(name)
        overall = exercise_status(verdicts)
        score = sum(v.points for v in verdicts)
        total = spec.points if name == stopped else sum(v.max_points for v in verdicts)  # stopped: out of all of it
        header = Text.assemble((name, "bold"), f"  {spec.title(lang)}  ",
                               (f"{_points(score)}/{_points(total)}", "yellow" if name == stopped else _STYLES[overall]))
        if not overall.attempted:  # one line: its status, and what is missing when it is not even defined
            if not grouped:
                console.print()
            note = f": {verdicts[0].message}" if overall is Status.NOT_ATTEMPTED and verdicts[0].message else ""
            console.print(Text.assemble(header, "  ", (status_text(overall), _STYLES[overall]), note))
            grouped = True
            continue
        grouped = False
        console.print()
        console.print(header)
        table = Table(box=None, show_header=False, pad_edge=False, show_edge=False, padding=(0, 1, 0, 0))
        table.add_column(no_wrap=True, min_width=status_width + 2)  # result, indented
        table.add_column(justify="right", no_wrap=True, min_width=5)  # points
        table.add_column(overflow="fold")  # the test, then what went wrong
        first = result.failed_prerequisites(name)
        if first:  # what it builds on failed: that is the one to fix first
            table.add_row("", "", Text(fix_first_text(first), style="yellow"))
        for verdict in verdicts:
            status = Text("  " + status_text(verdict.status), style=_STYLES[verdict.status])
            table.add_row(status, f"{_points(verdict.points)}/{_points(verdict.max_points)}",
                          Text(spec.test(verdict.test).label(lang)))
            for line in _details(verdict, spec):
                table.add_row("", "", Text(line, style="dim" if line is not verdict.message else ""))
        console.print(table)
    console.print()
    tried = result.attempted_exercises()
    counts = {status: sum(v.status is status for v in result.attempted) for status in Status}
    untried = [exercise_status(result.for_exercise(name)) for name in result.exercise_names() if name not in tried]
    summary = t("check.list_sep").join(
        [t("check.count", n=n, status=status_text(s)) for s, n in counts.items() if n]
        + [t("check.count_exercises", n=untried.count(s), status=status_text(s))
           for s in (Status.NOT_IMPLEMENTED, Status.NOT_ATTEMPTED) if s in untried])
    console.print(escape(t("check.score_so_far" if result.interrupted else "check.score", score=_points(result.score),
                           max_score=_points(result.max_score), summary=summary, seconds=result.seconds)),
                  style="bold")
    console.print(escape(isolation_line(result.isolation)), style="dim")
    console.print(escape(t(f"check.limits.{result.limits}")), style="dim")
    if not tried and result.exercise_names() and not result.interrupted:
        console.print(escape(t("check.nothing_attempted", exercise=result.exercise_names()[0])))
    if result.output.strip():
        shown = result.output.rstrip().splitlines()
        console.print(escape(t("check.solution_output", lines=len(shown))), style="dim")
        for line in shown[-OUTPUT_LINES:]:
            console.print(Text("  " + line[:width * 2]), style="dim")
    return "".join(line.rstrip() + "\n" for line in console.export_text(styles=color).splitlines())


# --- JSON ---


def _number(value: float) -> float | None:
    """JSON has no NaN or infinity: they become null."""
    return value if math.isfinite(value) else None


def _edges(edges: tuple[float, float] | None) -> Edges | None:
    return None if edges is None else Edges(early=edges[0], late=edges[1])


def _verdict_report(verdict: Verdict, spec: ExerciseSpec) -> VerdictReport:
    lang = current_language()
    mismatch, speed, memory = verdict.mismatch, verdict.speed, verdict.memory
    diagnosis = None
    if verdict.diagnosis:
        mistake = spec.mistake(verdict.diagnosis)
        diagnosis = Diagnosis(name=mistake.id, title=mistake.name(lang), hint=mistake.hint(lang))
    return VerdictReport(
        name=verdict.test,
        label=spec.test(verdict.test).label(lang),
        status=verdict.status.value,
        score=verdict.points,
        max_score=verdict.max_points,
        message=verdict.message,
        seconds=round(verdict.seconds, 4),
        error=None if mismatch is None else ErrorFigures(
            max_abs=_number(mismatch.max_abs), max_rel=_number(mismatch.max_rel), index=list(mismatch.index),
            got=mismatch.got if isinstance(mismatch.got, bool) else _number(mismatch.got),
            expected=mismatch.expected if isinstance(mismatch.expected, bool) else _number(mismatch.expected),
            count=mismatch.count, size=mismatch.size),
        diagnosis=diagnosis,
        speed=None if speed is None else SpeedFigures(
            steps=speed.steps, steps_short=speed.steps_short, pairs=speed.pairs, d_model=speed.d_model,
            n_heads=speed.n_heads, dtype=speed.dtype, chunk=speed.chunk, overhead_us=speed.overhead_us,
            overhead_share=speed.overhead_share, clock="cpu" if speed.cpu else "wall",
            user_seconds=speed.user_seconds, cache_seconds=speed.cache_seconds, naive_seconds=speed.naive_seconds,
            user_speedup=speed.user_speedup, cache_speedup=speed.cache_speedup, recomputes=speed.recomputes,
            grows=speed.grows,
            user_slope_ns=speed.user_slope_ns, cache_slope_ns=speed.cache_slope_ns, naive_slope_ns=speed.naive_slope_ns,
            user_growth=speed.user_growth, cache_growth=speed.cache_growth, naive_growth=speed.naive_growth,
            overhead_per_step_us=speed.overhead_per_step_us,
            user_step_us=_edges(speed.user_step_us), cache_step_us=_edges(speed.cache_step_us),
            naive_step_us=_edges(speed.naive_step_us),
            series={"user": [Point(position=x, us=y) for x, y in speed.user_series],
                    "cache": [Point(position=x, us=y) for x, y in speed.cache_series],
                    "naive": [Point(position=x, us=y) for x, y in speed.naive_series]},
            reference_measured_at=speed.shared_at, round_trip_ratio=speed.round_trip_ratio),
        memory=None if memory is None else MemoryFigures(
            length=memory.length, head_dim=memory.head_dim, matrix_bytes=memory.matrix_bytes,
            allowed_bytes=memory.allowed_bytes),
        traceback=verdict.detail,
    )


def to_report(result: CheckResult) -> CheckReport:
    """The documented machine-readable report (docs/checker.md, docs/check-report.schema.json)."""
    from quiz import __version__

    lang = current_language()
    specs = result.specs
    return CheckReport(
        schema_version=SCHEMA_VERSION,
        attnquiz_version=__version__,
        solution=result.solution,
        seed=result.seed,
        language=lang,
        passed=result.passed,
        exit_status=int(result.exit_status),
        score=result.score,
        max_score=result.max_score,
        execution_time=round(result.seconds, 3),
        load_error=None if result.load_error is None else LoadError(
            message=result.load_error.message, detail=result.load_error.detail),
        exercises=[
            ExerciseReport(
                name=name,
                title=specs[name].title(lang),
                status=exercise_status(result.for_exercise(name)).value,
                score=sum(v.points for v in result.for_exercise(name)),
                max_score=sum(v.max_points for v in result.for_exercise(name)),
                tests=[_verdict_report(v, specs[name]) for v in result.for_exercise(name)],
                failed_prerequisites=result.failed_prerequisites(name),
            )
            for name in result.exercise_names()
        ],
        output=result.output,
        isolation=result.isolation,
        limits=result.limits,
        interrupted=result.interrupted,
        stopped=None if result.stopped is None else StoppedAt(
            exercise=result.stopped.exercise, test=result.stopped.test, seconds=round(result.stopped.seconds, 3)),
        reference_figures=None if result.reference is None else ReferenceFiguresUse(
            measured_at=result.reference.measured_at, used=result.reference.used, reason=result.reference.reason,
            sha256=result.reference.sha256),
    )


def to_json(result: CheckResult) -> dict[str, Any]:
    """The report as JSON data."""
    return to_report(result).model_dump(mode="json")


def interrupted_text(result: CheckResult) -> str:
    """The last line of a check Ctrl-C stopped: the test it stopped, how long that had run, and what had finished."""
    finished = len(result.tests)
    if result.stopped is None:
        return t("check.partial", count=finished) if finished else t("interrupted")
    spec = result.specs[result.stopped.exercise]
    return t("check.interrupted_during", exercise=spec.id, test=spec.test(result.stopped.test).label(current_language()),
             seconds=result.stopped.seconds,
             finished=t("check.finished_some", count=finished) if finished else t("check.finished_none"))


def isolation_line(level: str) -> str:
    """One line naming the isolation level the check ran at, with a warning below the full boundary."""
    return t("check.isolation", level=level, what=t(f"check.isolation.{level}"))


def render_json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False)


class _Null:
    def write(self, _text: str) -> int:
        return 0

    def flush(self) -> None:
        pass
