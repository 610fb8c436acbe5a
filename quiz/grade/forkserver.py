"""The fork server: `attnquiz grade` starts one per run, and it forks one `attnquiz check` per submission.

A check process spends a fixed quarter of a CPU-second starting the interpreter and importing
NumPy, pydantic, click, PyYAML and rich, before it checks anything. This server (run as
``python -P -m quiz.grade.forkserver``, by ``quiz.grade.launch``) pays that once: it imports
the check's modules and builds the built-in exercise registry, then serves requests one at a
time, single-threaded, forking a fresh child from its own pristine state for each. Nothing a
child does comes back: the server never runs a check itself, never reads a child's output, and
a child's next sibling is forked from the server, not from it.

Each child is made to look like ``python -m quiz check ...`` started by the subprocess launcher
(``quiz.grade.runner``): its own session (``setsid``), stdin on /dev/null, stdout and stderr
into the files grade named (in grade's private 0700 folder), the submission's private copy as
its working folder, grade's environment for it, ``sys.argv`` and ``__main__`` as ``-m quiz``
sets them, SIGINT raising KeyboardInterrupt again; then it runs quiz's own ``__main__`` (the
root group maps Ctrl-C and usage errors to their exit statuses), waits for its threads, runs its
``atexit`` functions, flushes, and exits with the status the interpreter would give. The
server reaps it and reports that status. What stays shared with the server (and so between the
checks of one run) is only what importing fixed: the modules themselves, the hash seed (set
iteration order), and the cached built-in registry and interface strings, read from the
package's own files. Environment variables read at import time (the BLAS thread counts:
``OMP_NUM_THREADS`` and co.) take effect as the server's environment had them.

The server is a child subreaper: what a check leaves behind when it is killed (the sandbox's
processes) is re-parented to the server, which reaps it, rather than to PID 1 (which, in some
containers, never reaps). When grade closes the request pipe (the end of a run, Ctrl-C, grade
dying), the server kills every process below it, reaps them all and exits.

Why not multiprocessing's "forkserver" start method: it is one server per Python process, shared
by every later run in it, with the environment and preloads of its first start and no public way
to stop it; its children re-run the parent's ``__main__`` preparation (``sys.argv``, the working
folder, the main script) and report a killed server as exit status 255 while the child still
runs; stdout and stderr stay the parent's. Each of those needs working around to give a check
the state of a fresh process, which is more code than this loop.

Protocol (lines of JSON on the server's stdin, lines of text on its stdout):
    {"id": N, "argv": [...], "cwd": ..., "env": {...}, "stdout": PATH, "stderr": PATH}  ->  "started N PID" | "failed N WHY"
    {"kill": N}      kill child N's tree (it is still unreaped, so its pid is still its own)  ->  "killed N PID..."
    later, for each child:  "exited N STATUS"  (as subprocess's returncode: -9 for SIGKILL)
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import sys

PR_SET_CHILD_SUBREAPER = 36
READY = "ready"


def preload() -> None:
    """Import what a check imports, and build what every check builds from the package's own files (never
    what it probes: the isolation levels and cgroups available are found by each check, as before)."""
    import ctypes.util  # noqa: F401
    import pwd  # noqa: F401
    import resource  # noqa: F401

    try:
        import tomllib  # noqa: F401
    except ImportError:  # Python 3.10: quiz.config reads the settings with tomli
        pass

    import numpy  # noqa: F401
    import numpy.ma  # noqa: F401
    import numpy.random  # noqa: F401

    import quiz.cli.check  # noqa: F401
    from quiz import config, context  # noqa: F401
    from quiz.check import (cgroups, helpers, isolation, npyio, registry, report, report_model,  # noqa: F401
                            runner, sandbox, seccomp, untrusted, verdicts)
    from quiz.i18n import catalogue

    runner.preload()
    catalogue()
    builtin = registry.builtin()
    for exercise_id in builtin.exercises:  # builds each unit (a frozen value), importing its module
        assert builtin.exercises[exercise_id].spec.id == exercise_id


def _subreaper() -> None:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: orphans go to init, as they would with the subprocess launcher


def _threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        import threading

        return threading.active_count()


class Server:
    def __init__(self, requests: int, channel: int) -> None:
        self.requests = requests
        self.channel = channel
        self.running: dict[int, int] = {}  # pid -> request id, until reaped
        self.pending = b""
        self.sig_r, self.sig_w = os.pipe()
        os.set_blocking(self.sig_r, False)
        os.set_blocking(self.sig_w, False)
        self.selector = selectors.DefaultSelector()

    def say(self, line: str) -> None:
        os.write(self.channel, (line + "\n").encode())  # one short line: one atomic write on a pipe

    def serve(self) -> None:
        signal.signal(signal.SIGCHLD, lambda *_: None)  # a handler, so the wakeup fd hears SIGCHLD
        signal.set_wakeup_fd(self.sig_w)
        self.selector.register(self.requests, selectors.EVENT_READ)
        self.selector.register(self.sig_r, selectors.EVENT_READ)
        try:
            while True:
                for key, _ in self.selector.select():
                    if key.fd == self.sig_r:
                        self._drain_signals()
                        self.reap()
                    elif not self._read_requests():
                        return
        except BrokenPipeError:  # grade is gone
            return
        finally:
            self.shutdown()

    def _drain_signals(self) -> None:
        try:
            while os.read(self.sig_r, 4096):
                pass
        except BlockingIOError:
            pass

    def _read_requests(self) -> bool:
        chunk = os.read(self.requests, 65536)
        if not chunk:
            return False
        self.pending += chunk
        *lines, self.pending = self.pending.split(b"\n")
        for line in lines:
            if line.strip():
                self.handle(json.loads(line))
        return True

    def handle(self, request: dict) -> None:
        if "kill" in request:
            from quiz import processes

            killed: set[int] = set()
            for pid, ident in self.running.items():
                if ident == request["kill"]:
                    killed |= processes.kill_tree(pid)
            self.say(f"killed {request['kill']} {' '.join(map(str, sorted(killed)))}".rstrip())
            return
        try:
            pid = os.fork()
        except OSError as exc:
            self.say(f"failed {request['id']} {exc.strerror or exc}")
            return
        if pid == 0:
            self._child(request)  # never returns
        self.running[pid] = request["id"]
        self.say(f"started {request['id']} {pid}")

    def reap(self, report: bool = True) -> None:
        """Reap every child that has exited; say the status of each check among them."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            ident = self.running.pop(pid, None)
            if ident is not None and report:  # else an orphan the server adopted as subreaper
                self.say(f"exited {ident} {os.waitstatus_to_exitcode(status)}")

    def shutdown(self) -> None:
        """Kill every process below the server and reap them all, orphans re-parented to it on the way
        included (a zombie whose parent was killed comes to the subreaper a moment later)."""
        import time

        from quiz import processes

        end = time.monotonic() + 10.0
        while time.monotonic() < end:
            below = processes.descendants(os.getpid())  # zombies included: they are reaped below
            if not below:
                return
            for pid in below:
                processes.kill_tree(pid)
            self.reap(report=False)
            time.sleep(0.01)

    def _child(self, request: dict) -> None:
        code = 1
        try:
            os.setsid()
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            self.selector.close()
            for fd in (self.requests, self.channel, self.sig_r, self.sig_w):
                os.close(fd)
            for target, path in ((1, request["stdout"]), (2, request["stderr"])):
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
                os.dup2(fd, target)
                os.close(fd)
            os.chdir(request["cwd"])
            os.environ.clear()
            os.environ.update(request["env"])
            code = run_module(request["argv"])
        except BaseException:  # the child's own set-up failed: say so where grade reads it
            try:
                import traceback

                traceback.print_exc()
                sys.stderr.flush()
            finally:
                os._exit(1)
        os._exit(code)


def run_module(argv: list[str]) -> int:
    """Run ``python -m quiz ARGS`` in this process as the interpreter would: its exit status."""
    import runpy

    sys.argv = ["-m", *argv]  # run_module(alter_sys=True) puts the module's path in sys.argv[0]
    interrupted = False
    try:
        try:
            runpy.run_module("quiz", run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as exc:
            code = _exit_status(exc.code)
        except KeyboardInterrupt:
            interrupted, code = True, 130
        except BaseException:
            sys.excepthook(*sys.exc_info())
            code = 1
        if not _finish():
            code = 120  # as the interpreter does when flushing stdout fails at exit
    except BaseException:
        code = 1
    if interrupted:  # as the interpreter does with an uncaught KeyboardInterrupt: die of SIGINT
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    return code & 0xFF


def _exit_status(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    try:
        print(code, file=sys.stderr)
    except BaseException:
        pass
    return 1


def _finish() -> bool:
    """What the interpreter does at exit: wait for non-daemon threads, run atexit functions, flush."""
    import atexit
    import threading

    shutdown = getattr(threading, "_shutdown", None)
    if shutdown is not None:
        shutdown()
    atexit._run_exitfuncs()
    ok = True
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            ok = stream is not sys.stdout and ok
    return ok


def main() -> None:
    requests, channel = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)  # a child's stdin is /dev/null, as the subprocess launcher gives it
    os.dup2(devnull, 1)  # the protocol has its own fd: nothing printed here reaches grade's pipe
    os.close(devnull)
    for fd in (requests, channel):
        os.set_inheritable(fd, False)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is grade's to handle (it stops every check)
    _subreaper()
    preload()
    if _threads() != 1:  # forking a multi-threaded process is unsafe: refuse, grade falls back
        os.write(channel, f"refused {_threads()} threads after the imports\n".encode())
        return
    server = Server(requests, channel)
    server.say(f"{READY} {os.getpid()}")
    server.serve()


if __name__ == "__main__":
    main()
