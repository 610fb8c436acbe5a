"""Turn `attnquiz check --format json` output into Markdown for a GitHub Actions job summary.

    python .github/attnquiz_summary.py REPORT.json ERRORS.txt --status EXIT_STATUS

REPORT.json is what `attnquiz check --format json` printed (see attnquiz's docs/checker.md),
ERRORS.txt what it wrote to stderr, EXIT_STATUS its exit status. The Markdown goes to stdout:
the score, one row per exercise, then every test that did not pass with the checker's message
and the likely mistake. Only the standard library is used, so the script runs anywhere.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ICONS = {"passed": "✅", "failed": "❌", "error": "💥", "timeout": "⏱️", "not_implemented": "🚧",
         "not_attempted": "➖", "skipped": "⏭️"}


def cell(text: object) -> str:
    """Text that stays inside one Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|").replace("<", "&lt;")


def points(value: float) -> str:
    return f"{value:g}"


def summary(report: dict | None, errors: str, status: int) -> str:
    """The job summary in Markdown."""
    if report is None or report.get("load_error"):
        problem = report["load_error"] if report else None
        text = "\n".join(filter(None, [problem["message"], problem.get("detail")])) if problem else errors.strip()
        return "\n".join([
            "## attnquiz: the solution could not be checked", "",
            f"`attnquiz check` stopped with exit status {status}:", "",
            "```text", text or "(no message)", "```", ""])
    score, top = report["score"], report["max_score"]
    percent = 100 * score / top if top else 0
    tests = [(exercise, test) for exercise in report["exercises"] for test in exercise["tests"]]
    bad = [(exercise, test) for exercise, test in tests if test["status"] not in ("passed", "not_attempted")]
    verdict = "✅ Every attempted test passed." if report["passed"] else f"❌ {len(bad)} test(s) did not pass."
    lines = [f"## attnquiz: {points(score)} / {points(top)} points ({percent:.0f}%)", "", verdict, "",
             "| exercise | result | points |", "| --- | --- | --- |"]
    for exercise in report["exercises"]:
        icon = ICONS.get(exercise["status"], "")
        lines.append(f"| {cell(exercise['title'])} (`{exercise['name']}`) | {icon} {exercise['status'].replace('_', ' ')}"
                     f" | {points(exercise['score'])}/{points(exercise['max_score'])} |")
    if bad:
        lines += ["", "### What to fix", ""]
        for exercise, test in bad:
            line = f"- {ICONS.get(test['status'], '')} **{cell(exercise['name'])} · {cell(test['label'])}**: " \
                   f"{cell(test['message'])}"
            if test.get("diagnosis"):
                line += f" Likely mistake: *{cell(test['diagnosis']['title'])}*. {cell(test['diagnosis']['hint'])}"
            lines.append(line)
    lines += ["", f"Seed {report['seed']}: `attnquiz check --seed {report['seed']} ...` repeats these inputs.", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("errors", type=Path)
    parser.add_argument("--status", type=int, required=True)
    args = parser.parse_args()
    try:
        report = json.loads(args.report.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        report = None
    try:
        errors = args.errors.read_text(encoding="utf-8", errors="replace")
    except OSError:
        errors = ""
    sys.stdout.write(summary(report, errors, args.status))
    return 0


if __name__ == "__main__":
    sys.exit(main())
