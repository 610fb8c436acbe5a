"""Running one check process per submission, with a deadline, and killing its whole tree."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quiz import processes
from quiz.errors import AttnquizError, ExitStatus
from quiz.grade import snapshot
from quiz.grade.records import Record, Settings, _last_line, _shown, record_from_check
from quiz.grade.submissions import Submission
from quiz.i18n import current_language, t

if TYPE_CHECKING:
    from quiz.grade.calibration import Calibration

# Running one check process, and killing its whole tree


def check_argv(path: Path, settings: Settings, single_file: bool = False, figures: str | None = None) -> list[str]:
    """The command that checks one submission (the same Python, so the same attnquiz, in this run's language).

    `single_file`: a NAME.py entry in the class folder, whose neighbours are other students'
    files; a NAME/ folder's solution gets the helper modules it imports from that folder.
    `figures`: the trusted reference's figures for this run (quiz.grade.calibration), as JSON: from
    grade's memory to the check's command line, never through a file."""
    argv = [sys.executable, "-m", "quiz", "check", "--no-record", "--format", "json", "--lang", current_language(),
            "--isolation", settings.isolation]
    if single_file:
        argv.append("--single-file")
    for name in settings.exercises:
        argv += ["--exercise", name]
    for bank in settings.banks:  # absolute: the check runs from inside the submission's private copy
        argv += ["--bank", os.path.abspath(bank)]
    if settings.timeout is not None:
        argv += ["--timeout", _shown(settings.timeout)]
    if settings.seed is not None:
        argv += ["--seed", str(settings.seed)]
    if figures is not None:
        argv += ["--reference-figures", figures]
    return argv + ["--", str(path)]


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"  # --jobs processes share the cores; BLAS threads would oversubscribe them
    return env


PREFLIGHT_SECONDS = 60.0  # the least time the options check gets, whatever --submission-timeout says


def preflight(settings: Settings, figures: str | None = None) -> None:
    """Check the options once on an empty solution, so a bad --exercise or --bank stops the run
    before it marks every student as unloadable (with `figures`: that the check takes them too)."""
    import tempfile

    # An empty solution runs no test: its check costs start-up only, which a loaded machine can make
    # longer than a short --submission-timeout meant for students' code.
    deadline = max(settings.submission_timeout, PREFLIGHT_SECONDS)
    with tempfile.TemporaryDirectory(prefix="attnquiz-grade-") as tmp:
        empty = Path(tmp) / "solution.py"
        empty.write_text("", encoding="utf-8")
        try:
            proc = subprocess.run(check_argv(empty, settings, figures=figures), stdin=subprocess.DEVNULL, capture_output=True,
                                  text=True, encoding="utf-8", errors="replace", env=_child_env(),
                                  timeout=deadline)
        except subprocess.TimeoutExpired:
            raise AttnquizError(t("grade.preflight", detail=t("grade.deadline", seconds=_shown(deadline)))) from None
    if proc.returncode not in (ExitStatus.OK, ExitStatus.FAILURE):
        detail = _last_line(proc.stderr).removeprefix(t("error.prefix", message="")) or t("grade.no_output")
        raise AttnquizError(t("grade.preflight", detail=detail))


def kill_tree(proc: subprocess.Popen[Any]) -> None:
    """Kill a check process started in its own session, and everything it started (quiz.processes),
    and wait until they are gone."""
    processes.wait_gone(processes.kill_tree(proc.pid), 5.0)


def sweep_session(session: int) -> None:
    """Kill what is left in a finished check's session (its pid, reaped: never that pid itself), and wait
    until it is gone: nothing a check started outlives it, so results are written after every sandbox."""
    left = {pid for pid, (_, group, sid) in processes.read_proc().items()
            if session in (group, sid) and pid not in (session, os.getpid())}
    for sig in (signal.SIGSTOP, signal.SIGKILL):
        for pid in left:
            processes.send(pid, sig)
    processes.wait_gone(left, 5.0)


def _drain(proc: subprocess.Popen[str]) -> tuple[str, str]:
    """What a killed process left in its pipes; give up if an escaped grandchild holds them open."""
    try:
        return proc.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        proc.wait()
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
        return "", ""


class Runner:
    """Starts check processes, remembers the running ones, and can stop them all at once."""

    def __init__(self, settings: Settings, key: dict[str, Any], calibration: Calibration | None = None) -> None:
        self.settings = settings
        self.key = key  # computed once: every record of a run carries the same one
        self.calibration = calibration  # the trusted reference's figures each check is given, if measured
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[str]] = set()
        self.stopped = False

    def check(self, sub: Submission, sha256: str = "") -> Record | None:
        """Check one submission's private copy (quiz.grade.snapshot); None when the run was stopped first.

        The record carries the digest of the text actually checked (`sha256`, taken before, is only
        what resuming compared); a copy that changed while it was checked is an error with no digest."""
        assert sub.path is not None, f"{sub.student} cannot be checked: {sub.problem}"
        start = time.perf_counter()
        try:
            contents = snapshot.read_submission(sub)
        except OSError as exc:  # the student's file: this submission's problem
            return record_from_check(sub, "", self.settings, self.key, -1, "", str(exc), 0.0)
        try:
            copy = snapshot.take(contents)
        except OSError as exc:  # the grader's temporary folder: every submission's problem
            raise AttnquizError(t("grade.copy_failed", folder=tempfile.gettempdir(),
                                  reason=exc.strerror or str(exc))) from None
        try:
            found = self._run(sub, copy, start)
            if found is not None and snapshot.digest_now(copy) != copy.digest:
                found = Record(sub.student, sub.source, "error", settings=self.key, file=found.file,
                               seconds=found.seconds, graded_at=found.graded_at, message=t("grade.changed"))
            return found
        finally:
            processes.remove_tree(copy.folder)

    def _run(self, sub: Submission, copy: snapshot.Snapshot, start: float) -> Record | None:
        with self._lock:
            if self.stopped:
                return None
            argv = check_argv(Path(copy.solution), self.settings, single_file=not sub.source.endswith("/"),
                              figures=self.calibration.current() if self.calibration is not None else None)
            try:
                proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, cwd=copy.folder,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                        encoding="utf-8", errors="replace", env=_child_env(),
                                        start_new_session=True)
            except OSError as exc:
                return record_from_check(sub, copy.digest, self.settings, self.key, -1, "", str(exc), 0.0)
            self._running.add(proc)
        try:
            out, err = proc.communicate(timeout=self.settings.submission_timeout)
            returncode: int | None = proc.returncode
            sweep_session(proc.pid)
        except subprocess.TimeoutExpired:
            kill_tree(proc)
            out, err = _drain(proc)
            returncode = None
        finally:
            with self._lock:
                self._running.discard(proc)
        if self.stopped:
            return None
        return record_from_check(sub, copy.digest, self.settings, self.key, returncode, out, err,
                                 time.perf_counter() - start)

    def stop(self) -> None:
        with self._lock:
            self.stopped = True
            running = list(self._running)
        for proc in running:
            kill_tree(proc)

