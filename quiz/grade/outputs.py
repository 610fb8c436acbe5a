"""The output folder: the journal (results.jsonl), results.csv, totals.csv, results.json."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from quiz.errors import AttnquizError
from quiz.grade.records import Record
from quiz.i18n import t

JOURNAL = "results.jsonl"
TESTS_CSV = "results.csv"
TOTALS_CSV = "totals.csv"
REPORT_JSON = "results.json"
TEST_FIELDS = ("student", "exercise", "test", "label", "status", "score", "max_score", "mistake", "mistake_id",
               "message", "hint")
TOTAL_FIELDS = ("student", "submission", "status", "score", "max_score", "percent", "tests_passed", "tests_total",
                "seconds", "sha256", "message", "complete", "seed", "isolation", "limits")

# The output folder


def _csv_cell(value: Any) -> Any:
    """Neutralise text a spreadsheet would run as a formula (messages can quote student code)."""
    if isinstance(value, str) and value != "--" and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def per_test_rows(record: Record) -> list[dict[str, Any]]:
    return [{"student": record.student, **{name: getattr(row, name) for name in TEST_FIELDS[1:]}}
            for row in record.tests]


def total_row(record: Record) -> dict[str, Any]:
    return {
        "student": record.student, "submission": record.source, "status": record.status,
        "score": _number(record.score), "max_score": _number(record.max_score), "percent": round(record.percent, 1),
        "tests_passed": sum(row.status == "passed" for row in record.tests), "tests_total": len(record.tests),
        "seconds": record.seconds, "sha256": record.sha256, "message": record.message,
        "complete": record.complete, "seed": "" if record.seed is None else record.seed,
        "isolation": record.isolation or "",
        "limits": record.limits or "",
    }


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 4)


class Outputs:
    """The --out folder: the journal and the CSV files, written so that nothing is lost."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with open(folder / JOURNAL, "a", encoding="utf-8"):
                pass
            probe = folder / f".write-test-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise AttnquizError(t("grade.out_unwritable", path=folder, reason=exc.strerror or str(exc))) from None

    def previous(self) -> dict[str, Record]:
        """The last journal entry of each student (a torn last line from a kill is ignored)."""
        latest: dict[str, Record] = {}
        with open(self.folder / JOURNAL, encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    record = Record.from_json(json.loads(line))
                except (ValueError, TypeError, KeyError):
                    continue
                latest[record.student] = record
        return latest

    def append(self, record: Record) -> None:
        """Journal first (synced), then the CSV rows; each write is a whole line or nothing new."""
        journal = self.folder / JOURNAL
        with open(journal, "a+b") as f:
            if f.tell() and (f.seek(-1, os.SEEK_END), f.read(1))[1] != b"\n":
                f.write(b"\n")  # a line torn by an earlier kill stays on its own line
            f.write(json.dumps(record.to_json(), ensure_ascii=False).encode("utf-8") + b"\n")
            f.flush()
            os.fsync(f.fileno())
        self._append_csv(TESTS_CSV, TEST_FIELDS, per_test_rows(record))
        self._append_csv(TOTALS_CSV, TOTAL_FIELDS, [total_row(record)])

    def rewrite(self, records: Iterable[Record], report: dict[str, Any] | None = None) -> None:
        """Rebuild the CSV files (and results.json) from `records`, replacing the old ones atomically."""
        records = list(records)
        self.replace(TESTS_CSV, lambda f: _write_csv(f, TEST_FIELDS, [r for rec in records for r in per_test_rows(rec)]))
        self.replace(TOTALS_CSV, lambda f: _write_csv(f, TOTAL_FIELDS, [total_row(rec) for rec in records]))
        if report is not None:
            self.replace(REPORT_JSON, lambda f: f.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n"))

    def write_gradebook(self, records: list[Record], settings: Any) -> None:
        """gradebook.csv (otter-grader's final_grades.csv shape) and feedback/NAME.md, replaced atomically."""
        from quiz.grade.gradebook import FEEDBACK_DIR, GRADEBOOK_CSV, feedback_files, gradebook_rows

        header, rows = gradebook_rows(records)
        self.replace(GRADEBOOK_CSV, lambda f: _write_csv(f, tuple(header), rows))
        (self.folder / FEEDBACK_DIR).mkdir(exist_ok=True)
        for name, text in feedback_files(records, settings).items():
            self.replace(f"{FEEDBACK_DIR}/{name}", lambda f, text=text: f.write(text))

    def _append_csv(self, name: str, fields: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
        path = self.folder / name
        with open(path, "a", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=fields)
            if f.tell() == 0:
                writer.writeheader()
            writer.writerows({k: _csv_cell(v) for k, v in row.items()} for row in rows)

    def replace(self, name: str, write: Callable[[Any], Any]) -> None:
        target = self.folder / name
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)


def _write_csv(f: Any, fields: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    writer = csv.DictWriter(f, fieldnames=fields)
    writer.writeheader()
    writer.writerows({k: _csv_cell(v) for k, v in row.items()} for row in rows)

