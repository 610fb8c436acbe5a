"""The output folder: the journal (results.jsonl), results.csv, totals.csv, results.json."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import os
import secrets
import tempfile
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
KEY_FILE = "grade-journal.key"  # in ATTNQUIZ_HOME: never in --out, never visible to a sandbox
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


def journal_key() -> bytes | None:
    """The grader's key for signing journal lines, made once (0600) in ATTNQUIZ_HOME; None when the home
    cannot hold one (then no line verifies and every submission is checked again)."""
    from quiz.paths import data_path

    path = data_path("home") / KEY_FILE
    for _ in range(3):
        try:
            key = bytes.fromhex(path.read_text(encoding="ascii").strip())
            return key if len(key) == 32 else None
        except FileNotFoundError:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{KEY_FILE}.")  # mode 0600
                with open(descriptor, "w", encoding="ascii") as handle:
                    handle.write(secrets.token_hex(32) + "\n")
                try:
                    os.link(name, path)  # all of the key or nothing; a run that made one first wins
                except FileExistsError:
                    pass
                finally:
                    os.unlink(name)
            except OSError:
                return None
        except (OSError, ValueError):
            return None
    return None


def _signature(key: bytes, data: dict[str, Any]) -> str:
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


class Outputs:
    """The --out folder: the journal and the CSV files, written so that nothing is lost.

    Each journal line is signed (HMAC-SHA256, the grader's key in ATTNQUIZ_HOME): resuming trusts
    only lines this grader wrote; a line edited or added by anything else counts in `untrusted`
    and its submission is checked again."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.key = journal_key()
        self.untrusted = 0  # journal lines that did not verify, at the last previous()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with open(folder / JOURNAL, "a", encoding="utf-8"):
                pass
            descriptor, probe = tempfile.mkstemp(dir=folder, prefix=".write-test-")
            os.close(descriptor)
            os.unlink(probe)
        except OSError as exc:
            raise AttnquizError(t("grade.out_unwritable", path=folder, reason=exc.strerror or str(exc))) from None

    def previous(self) -> dict[str, Record]:
        """The last trusted journal entry of each student (a torn last line from a kill is ignored; a line
        whose signature does not verify is not trusted and counted in `untrusted`)."""
        latest: dict[str, Record] = {}
        self.untrusted = 0
        with open(self.folder / JOURNAL, encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    data = json.loads(line)
                    signature = data.pop("mac", None)
                    record = Record.from_json(data)
                except (ValueError, TypeError, KeyError, AttributeError):
                    continue
                if self.key is None or not isinstance(signature, str) or \
                        not hmac.compare_digest(signature, _signature(self.key, data)):
                    self.untrusted += 1
                    latest.pop(record.student, None)  # an older entry is not the last word either
                    continue
                latest[record.student] = record
        return latest

    def append(self, record: Record) -> None:
        """Journal first (synced), then the CSV rows; each write is a whole line or nothing new."""
        journal = self.folder / JOURNAL
        with open(journal, "a+b") as f:
            if f.tell() and (f.seek(-1, os.SEEK_END), f.read(1))[1] != b"\n":
                f.write(b"\n")  # a line torn by an earlier kill stays on its own line
            data = record.to_json()
            if self.key is not None:
                data["mac"] = _signature(self.key, data)
            f.write(json.dumps(data, ensure_ascii=False).encode("utf-8") + b"\n")
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
        """Replace one output file atomically (quiz.files: a unique temporary name beside it)."""
        from quiz import files

        text = io.StringIO(newline="")
        write(text)
        files.write_text(self.folder / name, text.getvalue(), newline="")


def _write_csv(f: Any, fields: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    writer = csv.DictWriter(f, fieldnames=fields)
    writer.writeheader()
    writer.writerows({k: _csv_cell(v) for k, v in row.items()} for row in rows)

