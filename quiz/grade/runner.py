"""Running one check process per submission, with a deadline, and killing its whole tree (how the process
is started: quiz.grade.launch)."""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quiz import processes
from quiz.errors import AttnquizError, ExitStatus
from quiz.grade import launch, snapshot
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
    argv = [*launch.interpreter("quiz"), "check", "--no-record", "--format", "json", "--lang", current_language(),
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


class Runner:
    """Starts check processes (through a launcher: quiz.grade.launch), remembers the running ones, and can
    stop them all at once."""

    def __init__(self, settings: Settings, key: dict[str, Any], calibration: Calibration | None = None,
                 launcher: launch.Launcher | None = None, warn: Callable[[str], None] | None = None) -> None:
        self.settings = settings
        self.key = key  # computed once: every record of a run carries the same one
        self.calibration = calibration  # the trusted reference's figures each check is given, if measured
        self.launcher: launch.Launcher = launcher or launch.SubprocessLauncher()
        self.warn = warn or (lambda line: print(line, file=sys.stderr))
        self._lock = threading.Lock()
        self._running: set[launch.Launched] = set()
        self._retired: list[launch.Launcher] = []  # launchers that failed during the run
        self.stopped = False

    def check(self, sub: Submission) -> Record | None:
        """Check one submission's private copy (quiz.grade.snapshot); None when the run was stopped first.

        The record carries the digest of the text actually checked; a copy that changed while it was
        checked is an error with no digest."""
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
        argv = check_argv(Path(copy.solution), self.settings, single_file=not sub.source.endswith("/"),
                          figures=self._figures())
        try:
            done = self._launch(argv, copy.folder, self.settings.submission_timeout)
        except OSError as exc:
            return record_from_check(sub, copy.digest, self.settings, self.key, -1, "", str(exc), 0.0)
        if done is None:
            return None
        returncode, out, err = done
        return record_from_check(sub, copy.digest, self.settings, self.key, returncode, out, err,
                                 time.perf_counter() - start)

    def _figures(self) -> str | None:
        return self.calibration.current() if self.calibration is not None else None

    def preflight(self) -> None:
        """Check the options once on an empty solution, so a bad --exercise or --bank stops the run
        before it marks every student as unloadable (with the run's figures: that the check takes them too)."""
        # An empty solution runs no test: its check costs start-up only, which a loaded machine can make
        # longer than a short --submission-timeout meant for students' code.
        deadline = max(self.settings.submission_timeout, PREFLIGHT_SECONDS)
        with tempfile.TemporaryDirectory(prefix="attnquiz-grade-") as tmp:
            (Path(tmp) / "solution.py").write_text("", encoding="utf-8")
            try:
                done = self._launch(check_argv(Path("solution.py"), self.settings, single_file=True,
                                               figures=self._figures()), Path(tmp), deadline)
            except OSError as exc:
                raise AttnquizError(t("grade.preflight", detail=str(exc))) from None
        if done is None:
            return
        returncode, _, err = done
        if returncode is None:
            raise AttnquizError(t("grade.preflight", detail=t("grade.deadline", seconds=_shown(deadline))))
        if returncode not in (ExitStatus.OK, ExitStatus.FAILURE):
            detail = _last_line(err).removeprefix(t("error.prefix", message="")) or t("grade.no_output")
            raise AttnquizError(t("grade.preflight", detail=detail))

    def _launch(self, argv: list[str], cwd: Path, deadline: float) -> tuple[int | None, str, str] | None:
        """Run one check to its end or its deadline (exit status None: killed); None if the run was stopped.
        OSError if it cannot start. A check the fork server lost is run again without it."""
        while True:
            with self._lock:
                if self.stopped:
                    return None
                launcher = self.launcher
                try:
                    proc = launcher.start(argv, cwd, _child_env())
                except launch.ServerLost as lost:
                    self._fall_back(launcher, str(lost))
                    continue
                self._running.add(proc)
            try:
                returncode: int | None = None
                if proc.wait(deadline) and not proc.lost:
                    returncode = proc.returncode
                    processes.sweep_session(proc.pid)
                else:
                    proc.kill()
                out, err = proc.output()
            except BaseException:  # Ctrl-C in the thread waiting (the options check runs in the main one)
                proc.kill()
                raise
            finally:
                with self._lock:
                    self._running.discard(proc)
            if self.stopped:
                return None
            if not proc.lost:
                return returncode, out, err
            with self._lock:
                self._fall_back(launcher, t("grade.launcher_died"))

    def _fall_back(self, failed: launch.Launcher, reason: str) -> None:
        """The rest of the run starts each check as its own process; said once (called holding the lock).
        The failed launcher is closed by close(), at the end of the run."""
        if self.launcher is not failed:
            return
        self.launcher = launch.SubprocessLauncher()
        self._retired.append(failed)
        self.warn(t("grade.launcher_fallback", reason=reason))

    def stop(self) -> None:
        with self._lock:
            self.stopped = True
            running = list(self._running)
        for proc in running:
            proc.kill()

    def close(self) -> None:
        """After the last check: stop the launchers' own processes (the fork server)."""
        for launcher in [*self._retired, self.launcher]:
            launcher.close()


def launcher_for_run(warn: Callable[[str], None]) -> launch.Launcher:
    """The launcher of a grade run: a fork server (started now, before any worker thread), else one process
    per check (ATTNQUIZ_GRADE_LAUNCHER=subprocess, or a server that did not start: said in one line)."""
    if os.environ.get("ATTNQUIZ_GRADE_LAUNCHER", "forkserver") == "subprocess":
        return launch.SubprocessLauncher()
    try:
        return launch.ForkServerLauncher(launch.ForkServer.start(_child_env()))
    except launch.ServerLost as lost:
        warn(t("grade.launcher_fallback", reason=str(lost)))
        return launch.SubprocessLauncher()
