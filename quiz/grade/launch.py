"""How grade starts its check processes: forked by a fork server (the default), or one interpreter each.

Both launchers give ``quiz.grade.runner`` the same thing for one check: a process in a session of
its own (its pid is its session id, so ``processes.kill_tree`` and the runner's session sweep work
alike), running ``python -m quiz check ...`` in the submission's private copy with the environment
given, its stdout and stderr captured whole, and its exit status as ``subprocess`` reports it.

- ``SubprocessLauncher``: ``subprocess.Popen`` per check; every check pays the interpreter's
  start-up and its imports (about a quarter of a CPU-second).
- ``ForkServer``: one ``python -m quiz.grade.forkserver`` per grade run, started before grade's
  worker threads, which imports the check's modules once and forks each check from that pristine
  state (quiz/grade/forkserver.py says what a forked check shares with it, and why not
  multiprocessing's forkserver). Its output goes to files in a private 0700 folder, read back and
  deleted when the check is done. If the server cannot start, or dies during a run, the runner says
  so in one line and checks the rest (the lost ones again) with the subprocess launcher.

``ATTNQUIZ_GRADE_LAUNCHER=subprocess`` chooses the subprocess launcher (for debugging).
"""

from __future__ import annotations

import itertools
import json
import os
import selectors
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Protocol

from quiz import processes
from quiz.grade.records import _last_line

SERVER_START_SECONDS = 120.0  # imports on a loaded machine; past this, grade checks without the server
FORK_SECONDS = 30.0  # for the server to answer one request (it forks and replies: milliseconds)
KILL_SECONDS = 5.0


def interpreter(module: str, safe_path_flag: bool = sys.version_info >= (3, 11)) -> list[str]:
    """The argv that runs ``python -m MODULE`` with this Python, without the working folder on sys.path
    (a check runs inside the submission's copy: a student's yaml.py must not be imported by the checker).
    Python 3.10 has no -P: the folder is taken off sys.path before the module runs."""
    if safe_path_flag:
        return [sys.executable, "-P", "-m", module]
    return [sys.executable, "-c", f"import runpy, sys; del sys.path[0]; "
                                  f"runpy.run_module({module!r}, run_name='__main__', alter_sys=True)"]


class Launched(Protocol):
    pid: int
    returncode: int | None
    lost: bool  # its launcher died before it could report the exit status (only the fork server can)

    def wait(self, timeout: float) -> bool:
        """Whether it exited (or was lost) within `timeout` seconds."""

    def kill(self) -> None:
        """Kill it and everything it started, and wait until they are gone."""

    def output(self) -> tuple[str, str]:
        """Its stdout and stderr (call once, after wait or kill)."""


class Launcher(Protocol):
    def start(self, argv: list[str], cwd: Path, env: dict[str, str]) -> Launched:
        """Start one check; OSError if it cannot start, ServerLost if the launcher is gone."""

    def close(self) -> None:
        """Stop what the launcher itself keeps running (after every check it started has ended)."""


class ServerLost(Exception):
    """The fork server is not there (any more): the check must be started another way."""


# One interpreter per check


class Subprocess:
    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.pid = proc.pid
        self.returncode: int | None = None
        self.lost = False
        self._out = ("", "")

    def wait(self, timeout: float) -> bool:
        try:
            self._out = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        self.returncode = self.proc.returncode
        return True

    def kill(self) -> None:
        processes.wait_gone(processes.kill_tree(self.pid), KILL_SECONDS)
        self._out = _drain(self.proc)

    def output(self) -> tuple[str, str]:
        return self._out


def _drain(proc: subprocess.Popen[str]) -> tuple[str, str]:
    """What a killed process left in its pipes; give up if an escaped grandchild holds them open."""
    try:
        return proc.communicate(timeout=KILL_SECONDS)
    except subprocess.TimeoutExpired:
        proc.wait()
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
        return "", ""


class SubprocessLauncher:
    def start(self, argv: list[str], cwd: Path, env: dict[str, str]) -> Launched:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, cwd=cwd, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace", env=env,
                                start_new_session=True)
        return Subprocess(proc)

    def close(self) -> None:
        pass


# Forked by the fork server


class Forked:
    def __init__(self, server: ForkServer, ident: int, stdout: Path, stderr: Path) -> None:
        self.server = server
        self.ident = ident
        self.paths = (stdout, stderr)
        self.pid = 0
        self.returncode: int | None = None
        self.lost = False
        self.failed = ""
        self.started = threading.Event()
        self.done = threading.Event()
        self.victims: set[int] = set()  # what killing it killed

    def wait(self, timeout: float) -> bool:
        return self.done.wait(timeout)

    def kill(self) -> None:
        if not self.done.is_set() and self.server.ask({"kill": self.ident}):
            # the server, its parent, kills it while its pid is surely its own, and says which processes it
            # killed (before it says the exit status: the reader has them once `done` is set)
            self.done.wait(KILL_SECONDS)
        if not self.done.is_set() or self.lost:  # the server is gone: the child is an orphan now
            self.victims |= processes.kill_tree(self.pid)
        processes.wait_gone(self.victims, KILL_SECONDS)
        processes.sweep_session(self.pid)

    def output(self) -> tuple[str, str]:
        texts = []
        for path in self.paths:
            try:
                texts.append(path.read_text(encoding="utf-8", errors="replace"))
            except OSError:
                texts.append("")
            try:
                path.unlink()
            except OSError:
                pass
        return texts[0], texts[1]


class ForkServer:
    """The grade side of quiz/grade/forkserver.py: starts it, sends it requests, hears what it says."""

    def __init__(self, proc: subprocess.Popen[bytes], folder: Path) -> None:
        self.proc = proc
        self.pid = proc.pid
        self.folder = folder
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._children: dict[int, Forked] = {}
        self.dead = False
        self._reader = threading.Thread(target=self._listen, name="grade-forkserver", daemon=True)
        self._reader.start()

    @classmethod
    def start(cls, env: dict[str, str]) -> ForkServer:
        """Start the server with `env` (read by the imports: BLAS thread counts); ServerLost with the reason."""
        folder = Path(tempfile.mkdtemp(prefix="attnquiz-forkserver-"))  # 0700: the checks' output goes here
        try:
            with open(folder / "server.log", "wb") as log:
                proc = subprocess.Popen(interpreter("quiz.grade.forkserver"), stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=log, cwd=folder, env=env,
                                        start_new_session=True)
        except OSError as exc:
            processes.remove_tree(folder)
            raise ServerLost(str(exc)) from None
        assert proc.stdout is not None and proc.stdin is not None
        line = ""
        try:
            line = _first_line(proc.stdout.fileno(), SERVER_START_SECONDS)
        finally:  # not ready (or Ctrl-C while it imports): end it, keep the reason
            if not line.startswith("ready "):
                processes.wait_gone(processes.kill_tree(proc.pid), KILL_SECONDS)
                proc.wait()
                proc.stdin.close()
                proc.stdout.close()
                line = line or _log_end(folder / "server.log") or f"exit status {proc.returncode}"
                processes.remove_tree(folder)
        if not line.startswith("ready "):
            raise ServerLost(line)
        return cls(proc, folder)

    def start_check(self, argv: list[str], cwd: Path, env: dict[str, str]) -> Forked:
        prefix = interpreter("quiz")
        assert argv[:len(prefix)] == prefix, f"not a quiz command: {argv[:len(prefix)]}"
        with self._lock:
            ident = next(self._ids)
            child = Forked(self, ident, self.folder / f"{ident}.out", self.folder / f"{ident}.err")
            self._children[ident] = child
        request = {"id": ident, "argv": argv[len(prefix):], "cwd": str(cwd), "env": env,
                   "stdout": str(child.paths[0]), "stderr": str(child.paths[1])}
        if not self.ask(request) or not child.started.wait(FORK_SECONDS) or child.lost:
            self._forget(ident)
            if not self.dead:  # wedged: end it and everything below it, so no check runs unwatched
                processes.wait_gone(processes.kill_tree(self.pid), KILL_SECONDS)
            raise ServerLost("no answer")
        if child.failed:
            self._forget(ident)
            raise OSError(child.failed)
        return child

    def ask(self, request: dict[str, object]) -> bool:
        """Send one request; False when the server is gone."""
        data = (json.dumps(request) + "\n").encode()
        with self._lock:
            if self.dead:
                return False
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write(data)
                self.proc.stdin.flush()
                return True
            except (BrokenPipeError, ValueError, OSError):
                return False

    def _forget(self, ident: int) -> None:
        with self._lock:
            self._children.pop(ident, None)

    def _listen(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            word, ident, rest = (raw.decode(errors="replace").rstrip("\n").split(" ", 2) + ["", ""])[:3]
            with self._lock:
                child = self._children.get(int(ident)) if ident.isdigit() else None
                if child is not None and word == "exited":
                    del self._children[child.ident]
            if child is None:
                continue
            if word == "started":
                child.pid = int(rest)
                child.started.set()
            elif word == "failed":
                child.failed = rest or "fork failed"
                child.started.set()
            elif word == "exited":
                child.returncode = int(rest)
                child.done.set()
            elif word == "killed":
                child.victims = {int(pid) for pid in rest.split()}
        with self._lock:  # end of file: the server is gone
            self.dead = True
            lost = list(self._children.values())
            self._children.clear()
        for child in lost:
            child.lost = True
            child.started.set()
            child.done.set()

    def close(self) -> None:
        """Stop the server (it kills and reaps whatever is still below it) and remove its folder."""
        with self._lock:
            self.dead = True
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=KILL_SECONDS * 2)
        except subprocess.TimeoutExpired:
            processes.wait_gone(processes.kill_tree(self.pid), KILL_SECONDS)
            self.proc.wait()
        self._reader.join(KILL_SECONDS)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        processes.remove_tree(self.folder)


class ForkServerLauncher:
    def __init__(self, server: ForkServer) -> None:
        self.server = server

    def start(self, argv: list[str], cwd: Path, env: dict[str, str]) -> Launched:
        return self.server.start_check(argv, cwd, env)

    def close(self) -> None:
        self.server.close()


def _first_line(fd: int, seconds: float) -> str:
    """The first line the server writes, within `seconds` ("" on end of file or past the time); read from the
    file descriptor itself, before anything is buffered (the server says nothing more until asked)."""
    end = time.monotonic() + seconds
    data = b""
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while b"\n" not in data:
            left = end - time.monotonic()
            if left <= 0 or not selector.select(left):
                return ""
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            data += chunk
    return data.decode(errors="replace").split("\n", 1)[0].strip()


def _log_end(path: Path) -> str:
    """The last line of the server's log (quiz.grade.records._last_line), "" when it cannot be read."""
    try:
        return _last_line(path.read_text(encoding="utf-8", errors="replace"), 300)
    except OSError:
        return ""
