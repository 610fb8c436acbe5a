"""attnquiz grade: check a whole class's submissions, several at once, and resume after a stop.

A submission folder holds one ``NAME.py`` file or one ``NAME/`` folder per student (any other
entry, such as notes.txt or README.md, is listed as ignored and changes nothing). Each
submission is checked by its own ``attnquiz check --format json`` process (which runs the
solution in the checker's sandbox), started in a new session with a wall-clock deadline;
past the deadline the whole process tree is killed (the processes are forked by a fork server
that has imported the checker once: quiz.grade.launch, quiz.grade.forkserver). So a submission
that crashes, hangs, eats memory or floods its output costs at most its own deadline and never
stops the batch.

Results are written as each submission finishes, into the ``--out`` folder:

- ``results.jsonl``: the journal, one JSON object per graded submission, appended, flushed
  and synced. It is the record the other files are rebuilt from, and what resuming reads:
  a submission whose file hash and grading settings match its last entry is skipped.
- ``results.csv``: one row per student and test; ``totals.csv``: one row per student.
  Rows are appended as submissions finish; both are rebuilt from the journal at the start
  and at the end of a run (written to a temporary file and renamed over the old one).
- ``results.json``: written at the end: the settings, the summary, every student's record.

The documented JSON of ``attnquiz check`` is the interface with each check. The one part of the
checker imported here is ``quiz.check.figures`` (through ``calibration.py``): the trusted
reference's figures are measured in this process and passed to every check on its command line.
"""

from __future__ import annotations

import contextvars
import os
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from quiz import __version__
from quiz.errors import AttnquizError, ExitStatus
from quiz.grade.calibration import Calibration
from quiz.grade.outputs import Outputs
from quiz.grade.records import Record, Settings
from quiz.grade.runner import Runner, launcher_for_run
from quiz.grade.snapshot import current_digest
from quiz.grade.submissions import ClassFolder, Submission, scan_folder
from quiz.grade.summary import ClassSummary, summarize, with_class_max
from quiz.i18n import t

# The whole batch


@dataclass
class GradeRun:
    records: list[Record]  # one per student in the folder, in name order
    summary: ClassSummary
    graded: int  # checked in this run
    resumed: int  # reused from an earlier run
    interrupted: bool = False
    closest: Any = None  # with --similarity: the most similar pair (quiz.grade.similarity.Pair), if any share code
    untrusted: int = 0  # journal lines that did not verify (edited outside the grader): checked again
    total: int = 0  # submissions in the folder (an interrupted run has records for fewer)
    ignored: tuple[str, ...] = ()  # entries of the folder that are not submissions (notes.txt, README.md)

    @property
    def exit_status(self) -> ExitStatus:
        if self.interrupted:
            return ExitStatus.INTERRUPTED
        ok = all(r.status in ("checked", "not_loadable", "timeout") for r in self.records)
        return ExitStatus.OK if ok else ExitStatus.FAILURE


Progress = Callable[[Record, bool], None]  # (record, reused from an earlier run)


def _reusable(old: Record | None, sub: Submission, sha256: str, key: dict[str, Any]) -> bool:
    """Whether an earlier result still stands: same file, same place, same grading settings."""
    return old is not None and bool(sha256) and old.sha256 == sha256 and old.settings == key and old.source == sub.source


def grade_class(
    folder: Path,
    out: Path,
    settings: Settings,
    *,
    jobs: int | None = None,
    filename: str = "solution.py",
    on_start: Callable[[int], None] | None = None,
    on_record: Progress | None = None,
    similarity: bool = False,
    on_warning: Callable[[str], None] | None = None,
) -> GradeRun:
    """Check every submission in `folder`, writing results to `out` as they come; resumable."""
    scanned = scan_folder(folder, filename=filename, exclude=out)
    if similarity:
        from quiz.grade.similarity import check_available

        check_available()
    outputs = Outputs(out)
    warn = on_warning or (lambda line: print(line, file=sys.stderr))
    runner = Runner(settings, settings.key(), launcher=launcher_for_run(warn), warn=warn)  # before any worker thread
    try:  # the launcher's own processes (the fork server) end with the run, whatever ends it
        return _grade(scanned, out, outputs, settings, runner, jobs, on_start, on_record, similarity)
    finally:
        runner.stop()
        runner.close()


def _grade(scanned: ClassFolder, out: Path, outputs: Outputs, settings: Settings, runner: Runner, jobs: int | None,
           on_start: Callable[[int], None] | None, on_record: Progress | None, similarity: bool) -> GradeRun:
    submissions = scanned.submissions
    previous = outputs.previous()
    untrusted = outputs.untrusted
    key = runner.key
    final: dict[str, Record] = {}  # by source ("alice.py", "alice/"): unique in the folder
    todo: list[tuple[Submission, str]] = []
    for sub in submissions:
        if sub.path is None:
            final[sub.source] = Record(sub.student, sub.source, "rejected", message=sub.problem)
            continue
        try:
            sha = current_digest(sub)
        except OSError:
            sha = ""  # unreadable now: its check says why
        if _reusable(previous.get(sub.student), sub, sha, key):
            final[sub.source] = previous[sub.student]
        else:
            todo.append((sub, sha))
    calibration = None
    if todo and Calibration.needed(settings):  # the trusted reference's figures, measured here once for every check
        calibration = Calibration(settings)
        calibration.measure()
    runner.calibration = calibration
    runner.preflight()  # with the figures: the checks take them too
    resumed = sum(r.status != "rejected" for r in final.values())
    order = [s.source for s in submissions]
    outputs.rewrite(final[source] for source in order if source in final)
    if on_start:
        on_start(len(submissions))
    for source in order:
        if source in final and on_record:
            on_record(final[source], final[source].status != "rejected")
    interrupted = False
    graded = 0
    pool = ThreadPoolExecutor(max_workers=max(1, jobs or os.cpu_count() or 1), thread_name_prefix="grade")
    try:
        # each worker thread runs in a copy of this context, so its messages are in this run's language
        futures = [pool.submit(contextvars.copy_context().run, runner.check, sub) for sub, _ in todo]
        for future in as_completed(futures):
            record = future.result()
            if record is None:
                continue
            try:
                outputs.append(record)
            except OSError as exc:
                raise AttnquizError(t("grade.write_failed", path=out, reason=exc.strerror or str(exc))) from None
            final[record.source] = record
            graded += 1
            if on_record:
                on_record(record, False)
            if calibration is not None:
                calibration.seen(record)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        runner.stop()
        pool.shutdown(wait=True, cancel_futures=True)
    if interrupted:  # Ctrl-C may have come between a journal entry and its bookkeeping here
        journal = outputs.previous()
        for sub, sha in todo:
            if sub.source not in final and _reusable(journal.get(sub.student), sub, sha, key):
                final[sub.source] = journal[sub.student]
                graded += 1
    records = with_class_max([final[source] for source in order if source in final])
    summary = summarize(records)
    report = {"attnquiz": __version__, "settings": key, "summary": asdict(summary),
              "reference_figures": [] if calibration is None else calibration.history,
              "students": [r.to_json() for r in records], "ignored": scanned.ignored}
    try:
        outputs.rewrite(records, report)
        outputs.write_gradebook(records, settings)
        closest = None
        if similarity and not interrupted:
            from quiz.grade.similarity import write_similarity

            closest = write_similarity(out, submissions, settings, outputs.replace)
    except OSError as exc:
        raise AttnquizError(t("grade.write_failed", path=out, reason=exc.strerror or str(exc))) from None
    return GradeRun(records, summary, graded, resumed, interrupted, closest, untrusted, len(submissions),
                    tuple(scanned.ignored))
