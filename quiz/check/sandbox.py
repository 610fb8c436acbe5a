"""Run an untrusted solution file in a separate, limited Python process and talk to it over pipes.

The boundary around that process is chosen by ``isolation.py``: at the ``strict`` level the
child runs under bubblewrap (namespaces, a read-only view of Python and NumPy only, no network,
an unprivileged uid of its own), at ``uid`` as an unprivileged uid of its own, at ``process``
as described below; ``isolation.py``'s docstring and docs/checker.md say what each level
defends. Where the machine lets the checker make cgroups, each child (the solution's and the
trusted reference's alike) also gets one of its own (``cgroups.py``): its processes are moved in
before the harness has the solution, and from then on every process of the sandbox, however
started, is in it; its memory limit (``Limits.memory_bytes``) and process limit
(``Limits.processes``) bound them together, its CPU time (``cpu_seconds``) counts them all, and
the CPU limit (``Limits.cpu_seconds``) is checked against that sum too; an out-of-memory kill of
any of them fails the request as the sandbox running out of memory; closing kills the whole cgroup
and removes it. ``bounded_by`` says which applied ("cgroup" or "rlimits"). At every level the
harness loads a seccomp filter (``seccomp.py``, where libseccomp is installed; ``filtered`` says
whether the kernel took it) before the solution runs. Process trees are
otherwise found and killed by ``quiz/processes.py``; every string that comes back is cleaned by
``untrusted.py``. What follows is the process level, which the other two levels contain.

What the sandbox covers:

- The solution never runs in the checker's process. A child ``python -I`` (isolated: no
  PYTHON* variables, no user site, no script folder on sys.path) runs ``_child.py`` in a fresh
  temporary working directory (removed afterwards), with an environment reduced to PATH, LANG,
  TMPDIR and the BLAS/OpenMP thread counts (all 1; OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are
  passed on when set), in its own session. The parent reads the solution file and sends its
  text; the child never opens it.
- Limits: RLIMIT_CPU (SIGXCPU at the limit, SIGKILL a second later), RLIMIT_AS (Linux),
  RLIMIT_FSIZE, RLIMIT_CORE = 0, soft and hard, set by the child itself before the solution is
  executed (no preexec_fn, so spawning stays cheap and thread-safe; NumPy is already imported, so
  RLIMIT_AS bounds what the solution adds to it), and a wall-clock timeout on every request
  measured by the parent (Python and NumPy get their own 60 s to start). The child's stdout and stderr go to a pipe
  the parent drains while it waits; it keeps ``Limits.output_bytes`` of it and counts the rest.
- The protocol has its own pipes, separate from stdout/stderr. Arrays cross as .npy 1.0 bytes,
  other values as tagged JSON (``npyio.py``); no pickle in either direction. The parent checks
  every .npy header (magic, version, dtype in {float32, float64, bool, int64}, C order, shape,
  size cap) before it reads the data, and builds a plain ``np.ndarray`` from bytes it has
  checked, so ndarray subclasses, object arrays and objects with a lying ``__array__`` or
  ``__eq__`` never reach it: they stay in the child and come back as a ``Handle``.
- Stateful objects (a KVCache) live in the child; the parent holds Handles.
- Failures: a crash (a signal), ``os._exit``/``sys.exit``, raising SystemExit, KeyboardInterrupt or
  another BaseException, a timeout, the CPU limit, running out of memory, closing the protocol
  pipes or writing garbage to them all raise ``SandboxFailure`` with a kind and a one-line
  message; the parent never hangs (every wait has a deadline and also wakes when the child
  exits) and kills the child. ``restart()`` starts a fresh one. An exception the solution raises
  is a ``CallError`` and the child lives on; a write past the file-size limit is one of those
  (Python ignores SIGXFSZ, so the write fails with EFBIG). Load problems (missing, unreadable,
  not UTF-8, binary, syntax error, an exception, exit, crash or timeout while loading) raise
  ``SolutionLoadError``.
- Killing: the child's process group and session, every descendant found through the parent
  links in /proc (the child makes itself a "child subreaper", so grandchildren orphaned by a
  double fork are re-parented to it while it lives), and every process whose environment
  carries the child's random token (forked processes keep it, even after ``setsid()`` and
  after the child has exited) are stopped with SIGSTOP until no new one appears, then killed
  with SIGKILL.
- An audit hook in the child refuses importing the quiz package, opening, listing or changing
  files inside the package folder (the hidden references) or in ``protected`` (a bank's
  reference files), starting programs, raising its own
  resource limits, ctypes library loads and symbol look-ups, signals to processes outside its
  session, and forks past a small cap; the package's folder is also removed from ``sys.path``
  when an editable install put it there.

What it does NOT cover:

- The audit hook is a tripwire, not a wall (PEP 578 says as much): code can get past it by
  writing memory with the ctypes functions NumPy has already loaded (``ctypes.memmove``),
  through ``/proc/self/mem``, through file descriptors opened relative to a directory outside
  the package, or via a symbolic link made before the check. The references are in the
  installed package anyway; the guarantee that matters is that the verdict is computed in the
  parent from checked bytes.
- No file-system or network isolation: the child can read whatever the checker's user can
  read, write anywhere that user can (each file up to RLIMIT_FSIZE), and open sockets. Running
  as root, the child is root too (it could, for instance, kill processes with ctypes).
- Without a cgroup: no kernel limit on the number of processes (RLIMIT_NPROC counts every
  process of the user, and root ignores it). The hook caps ``os.fork`` at 16 per process, two
  levels deep, so a fork bomb stays under 300 processes until the request times out or the
  sandbox is closed; threads are bounded only by RLIMIT_AS (their stacks).
- Without a cgroup: memory is limited per process (RLIMIT_AS), so forked workers together can
  hold many times the limit; memory outside RLIMIT_AS (the page cache, pipes, files in /tmp) and
  the CPU time of other processes than the harness are neither limited nor counted. A process that
  leaves the session and the parent tree and also replaces its environment (an exec, or a write
  to its own memory: possible only past the hook) is not found. Without Linux's /proc only the
  process group is killed.
- At the process level as root, the child is root too: it could move itself out of its cgroup
  (writing to /sys/fs/cgroup). The strict level has no /sys; the uid level cannot write there.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import select
import signal
import stat
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from quiz import processes as spawn
from quiz.check import CALL_TIMEOUT, cgroups, isolation, npyio, seccomp
from quiz.check.isolation import Level
from quiz.check.untrusted import MESSAGE, OUTPUT, TRACEBACK, clean
from quiz.i18n import t

CHILD = Path(__file__).resolve().with_name("_child.py")
PACKAGE = Path(__file__).resolve().parents[1]  # quiz/: what the solution may not import or read
STARTUP_SECONDS = 60.0  # for Python and NumPy to start, before the solution runs (on a busy machine)
MAX_SOURCE = 4 << 20  # largest solution file read
MAX_ENVELOPE = 16 << 20  # largest JSON part of a reply
MAX_PAYLOADS = 4096  # most arrays in one reply
MAX_DEPTH = 40  # deepest nesting in a reply
PIPE_BYTES = 1 << 20  # pipe buffer asked for, so larger arrays cross in fewer system calls
READ_CHUNK = 1 << 16
CGROUP_POLL_MS = 200  # how often a wait reads the sandbox's cgroup (CPU time, out-of-memory kills)
DRAIN_LIMIT = 64 << 20  # most output read in one go outside a request
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
                    "NUMEXPR_NUM_THREADS", "BLIS_NUM_THREADS", "GOTO_NUM_THREADS")
PASSED_ON = ("PATH", "LANG", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
TOKEN_VARIABLE = "ATTNQUIZ_SANDBOX"  # a random value per child, found again in /proc/<pid>/environ
Kind = Literal["timeout", "crash", "memory", "protocol", "exited"]


@dataclass(frozen=True)
class Limits:
    timeout: float = CALL_TIMEOUT  # wall-clock seconds per request (one call)
    cpu_seconds: int = 120  # RLIMIT_CPU for the whole child
    memory_bytes: int | None = 2 << 30  # RLIMIT_AS (Linux); None = unlimited
    file_bytes: int = 1 << 20  # RLIMIT_FSIZE
    output_bytes: int = OUTPUT  # captured stdout+stderr kept (rest dropped, noted)
    max_array_bytes: int = 256 << 20  # largest array accepted back (a reply holds at most twice this)
    tmp_bytes: int = 64 << 20  # size of the private /tmp and /dev/shm (strict level)
    processes: int = 64  # pids.max of its cgroup; RLIMIT_NPROC where that counts the sandbox alone (_own_count)
    warm_blas: tuple[int, int, int] | None = None  # (L, d, block): products run before the limits (_child.warm_blas)


@dataclass(frozen=True)
class Handle:
    """An opaque reference to an object living in the child (e.g. a KVCache instance)."""

    id: int
    type_name: str = field(default="", compare=False)  # e.g. "solution.KVCache", "numpy.ndarray[int32] of shape (3,)"
    owner: tuple[int, int] = field(default=(0, 0), repr=False)  # (id of the Sandbox, its child's generation)


class SandboxFailure(Exception):
    """The child failed as a process; it is dead now and the Sandbox can be restart()-ed."""

    def __init__(self, kind: Kind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message  # one line, for the report


class CallError(Exception):
    """The solution raised an exception; the child is still alive."""

    def __init__(self, exc_type: str, message: str, traceback: str, not_implemented: bool) -> None:
        exc_type = clean(exc_type, 200, lines=False)
        message = clean(message, MESSAGE)
        traceback = clean(traceback, TRACEBACK, keep="tail")
        super().__init__(f"{exc_type}: {message}" if message else exc_type)
        self.exc_type = exc_type
        self.message = message
        self.traceback = traceback  # trimmed to the solution's frames
        self.not_implemented = not_implemented  # True when it was NotImplementedError


@dataclass
class LoadInfo:
    defined: frozenset[str]  # top-level names the solution defines (functions and classes)


def only_numpy(exc_type: str, message: str, solution: Path) -> str:
    """"; the sandbox offers only NumPy ..." when an exception says a package the sandbox lacks is missing, else ""."""
    from quiz.check.helpers import not_in_sandbox

    name = not_in_sandbox(exc_type, message, solution)
    return "" if name is None else t("sandbox.only_numpy", name=name)


class SolutionLoadError(Exception):
    """Syntax error, exception while loading, file missing, not UTF-8 or not Python."""

    def __init__(self, message: str, detail: str = "") -> None:
        message, detail = clean(message, MESSAGE, lines=False), clean(detail, TRACEBACK, keep="tail")
        super().__init__(message)
        self.message = message  # one line, e.g. "solution.py:12:5: SyntaxError: invalid syntax"
        self.detail = detail  # the offending source line with a caret under the column, when known


class _Died(Exception):
    """The child exited or closed its pipes; `_request` turns this into a SandboxFailure."""


class _OutOfCpu(_Died):
    """The sandbox's processes together used up the CPU limit (counted by its cgroup)."""


class _OutOfMemory(_Died):
    """The kernel killed a process of the sandbox for going over the cgroup's memory limit."""


def signal_name(number: int) -> str:
    """SIGSEGV, or SIG40 for a signal without a name of its own (real-time signals)."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"SIG{number}"


def size_text(n: int) -> str:
    """2 GiB, 64 KiB, 100 bytes."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            return f"{n / (1 << shift):.4g} {unit}"
    return f"{n} bytes"


def read_source(path: Path, display: str) -> str:
    """The solution's text, or a SolutionLoadError that says what is wrong with the file."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise SolutionLoadError(t("sandbox.load.not_file", path=display))
        if info.st_size > MAX_SOURCE:
            raise SolutionLoadError(t("sandbox.load.too_large", path=display, size=size_text(info.st_size)))
        data = path.read_bytes()
    except FileNotFoundError:
        raise SolutionLoadError(t("sandbox.load.missing", path=display)) from None
    except OSError as exc:
        raise SolutionLoadError(t("sandbox.load.unreadable", path=display, reason=exc.strerror or exc)) from None
    if b"\0" in data:
        raise SolutionLoadError(t("sandbox.load.binary", path=display))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        byte = f"0x{data[exc.start]:02x}"
        raise SolutionLoadError(t("sandbox.load.not_utf8", path=display, byte=byte, offset=exc.start)) from None
    return text.removeprefix("\ufeff")


def caret_detail(line: str | None, column: int | None, end_column: int | None = None) -> str:
    """The source line and a caret (or carets) under the column, as Python prints them."""
    if not line:
        return ""
    line = line.rstrip("\r\n")
    if column is None or column < 1:
        return line
    start = min(column, len(line) + 1) - 1
    width = max(1, min(end_column or 0, len(line) + 1) - 1 - start)
    pad = "".join(ch if ch == "\t" else " " for ch in line[:start])
    return f"{line}\n{pad}{'^' * width}"


def child_environment(workdir: str, token: str) -> dict[str, str]:
    """Only what Python and NumPy need, BLAS on one thread, and the token that marks the child's processes."""
    env = {name: os.environ[name] for name in PASSED_ON if name in os.environ}
    env.setdefault("PATH", os.defpath)
    env.setdefault("LANG", "C.UTF-8")
    env.update(dict.fromkeys(THREAD_VARIABLES, "1"))
    env["TMPDIR"] = workdir
    env[TOKEN_VARIABLE] = token
    return env


class Sandbox:
    """A child Python process that has loaded one solution file (or a trusted reference file)."""

    def __init__(self, source: Path, limits: Limits = Limits(), level: Level | None = None,
                 protected: tuple[Path, ...] = (), cgroup: bool | cgroups.Support = True,
                 filtered: bool = True, helpers: bool = False) -> None:
        self.source = Path(source)
        self.helpers = helpers  # also send the modules the file imports from its own folder (helpers.py)
        self.display = os.fspath(source)
        self.limits = limits
        self.level = isolation.choose(isolation.DEFAULT) if level is None else level
        self.protected = tuple(protected)  # more files or folders it may not read: a bank exercise's reference
        self.use_cgroup = cgroup  # a cgroup of its own where the machine offers one (cgroups.py); False: rlimits only;
        # a cgroups.Support: the hierarchies to use (tests exercise each version's code with it)
        self.bounded_by = "rlimits"  # what limits the last child's processes: "cgroup" (all together) or "rlimits"
        self.use_seccomp = filtered  # load the seccomp filter (seccomp.py) where libseccomp is here; False: not
        self.filtered = False  # whether the last child runs under it (the harness says, once the kernel took it)
        self.info = LoadInfo(frozenset())
        self.last_call_seconds = 0.0
        self.last_mutated: list[int] = []  # input arrays of the last call that the solution changed in place
        self._text: str | None = None
        self._helpers: list[dict[str, Any]] = []
        self._proc: subprocess.Popen | None = None
        self._launch: isolation.Launch | None = None
        self._child_pid: int | None = None  # the harness as the host sees it (under bwrap: not our child)
        self._init_pid: int | None = None  # the PID namespace's init (strict)
        self._generation = 0
        self._seq = 0
        self._output = bytearray()
        self._dropped = 0
        self._inbox = bytearray()
        self._fds: dict[str, int] = {}
        self._pollers: dict[tuple[int, int], Any] = {}
        self._token = ""
        self._cgroup: cgroups.Cgroup | None = None

    # ----- life cycle

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def start(self) -> None:
        """Start the child and load the file; SolutionLoadError if it cannot be loaded."""
        if self._text is None:
            self._text = read_source(self.source, self.display)
            if self.helpers:
                from quiz.check.helpers import helper_modules

                found = helper_modules(self.source, [PACKAGE, *self.protected])
                self._helpers = [{"name": h.name, "filename": str(h.path), "source": h.source, "package": h.package}
                                 for h in found]
        self.close()
        self._spawn()
        config = {
            "limits": dataclasses.asdict(self.limits) | {"processes": self.limits.processes
                                                         if self._own_count() else None},
            "uid": self._launch.drop_to,
            "seccomp": program.hex() if (program := seccomp.program()) is not None and self.use_seccomp else None,
            "protected": [str(PACKAGE), *map(str, self.protected)],
            "package": PACKAGE.name, "package_parent": str(PACKAGE.parent),
            "filename": self.display, "path": self._child_path(), "source": self._text,
            "helpers": self._helpers,
        }
        try:
            self._send(*self._frame(config, []), time.monotonic() + STARTUP_SECONDS)
            ready, _ = self._receive(time.monotonic() + STARTUP_SECONDS)
            if set(ready) != {"ready", "filtered"} or ready["ready"] is not True or type(ready["filtered"]) is not bool:
                raise npyio.WireError("no ready message")
            self.filtered = ready["filtered"]
            reply, _ = self._receive(time.monotonic() + self.limits.timeout)
            self._within_cgroup()
            defined = reply.get("defined")
            if defined is not None and not (type(defined) is list and all(type(n) is str for n in defined)):
                raise npyio.WireError("a malformed list of names")
        except (_Died, npyio.WireError, TimeoutError) as problem:
            failure = self._failure(problem, t("sandbox.what.load"))
            message = t("sandbox.load.failed", path=self.display, problem=failure.message)
            raise SolutionLoadError(message, self.output[-2000:]) from None
        except BaseException:
            self.close()
            raise
        if defined is None:
            self.close()
            raise self._load_error(reply.get("load_error"))
        self.info = LoadInfo(frozenset(defined))

    def restart(self) -> None:
        """A fresh child with the same file (after a failure); handles from before are void."""
        self.start()

    def close(self) -> None:
        """Kill the child and everything it started, reap it, close the pipes, remove what it left. Never raises."""
        proc, self._proc = self._proc, None
        launch, self._launch = self._launch, None
        group, self._cgroup = self._cgroup, None
        if proc is not None:
            if proc.returncode is None:
                self._kill(proc, group)
                self._reap(proc)
            self._drain(DRAIN_LIMIT)
        if group is not None:
            group.remove()
        for fd in self._fds.values():
            try:
                os.close(fd)
            except OSError:
                pass
        self._fds = {}
        self._pollers = {}
        self._inbox.clear()
        self._child_pid = self._init_pid = None
        if launch is not None:
            if launch.info_fd is not None:
                os.close(launch.info_fd)
            if launch.workdir is not None:
                spawn.remove_tree(launch.workdir)
            if launch.uid is not None and launch.level is Level.UID:
                spawn.remove_owned(launch.uid)

    def __del__(self) -> None:
        if getattr(self, "_proc", None) is not None:
            try:
                self.close()
            except Exception:  # noqa: BLE001, S110 - at interpreter exit modules may be gone
                pass

    def _child_path(self) -> str:
        """The solution's __file__ as the child sees it: no host path inside a strict sandbox."""
        return f"/tmp/{self.source.name}" if self.level is Level.STRICT else str(self.source.resolve())

    def _spawn(self) -> None:
        request_read, request_write = os.pipe2(os.O_CLOEXEC)
        reply_read, reply_write = os.pipe2(os.O_CLOEXEC)
        output_read, output_write = os.pipe2(os.O_CLOEXEC)
        for fd in (request_write, reply_write):
            try:
                fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
            except (AttributeError, OSError):
                pass  # a smaller pipe only means more system calls
        self._token = os.urandom(16).hex()
        isolation.harden_checker()
        ours = (request_read, request_write, reply_read, reply_write, output_read, output_write)
        extra_fds: list[int] = []  # bubblewrap's end of its info pipe, until the child has it
        try:
            self._cgroup = self._make_cgroup()
            launch = self._launch = isolation.launch(self.level, [str(request_read), str(reply_write)],
                                                     self.limits.tmp_bytes)
            popen = dict(launch.popen)
            extra_fds = list(popen.pop("pass_fds", ()))
            self._proc = subprocess.Popen(
                launch.argv, stdin=subprocess.DEVNULL, stdout=output_write, stderr=output_write,
                pass_fds=(request_read, reply_write, *extra_fds),
                env=child_environment(launch.workdir or "/tmp", self._token), start_new_session=True, **popen,
            )
            for fd in extra_fds:
                os.close(fd)
            extra_fds.clear()
            self._child_pid = self._proc.pid
            if launch.info_fd is not None:  # bubblewrap says which process is the harness
                self._init_pid, self._child_pid = isolation.read_info(launch.info_fd,
                                                                      time.monotonic() + STARTUP_SECONDS)
            if self._cgroup is not None:  # before the harness has the solution: nothing untrusted has run yet
                for pid in dict.fromkeys((self._proc.pid, self._init_pid, self._child_pid)):
                    if pid is not None:
                        self._cgroup.add(pid)
        except OSError as exc:
            for fd in (*ours, *extra_fds):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self.close()
            raise SolutionLoadError(t("sandbox.start_failed", reason=exc.strerror or exc)) from None
        for fd in (request_read, reply_write, output_write):
            os.close(fd)
        for fd in (request_write, reply_read, output_read):
            os.set_blocking(fd, False)
        self._fds = {"request": request_write, "reply": reply_read, "output": output_read}
        try:
            self._fds["exit"] = os.pidfd_open(self._proc.pid)
        except (AttributeError, OSError):
            pass  # no pidfd: the waits poll the child every 50 ms instead
        self._generation += 1

    def _own_count(self) -> bool:
        """Whether RLIMIT_NPROC would count the sandbox's processes alone: they have a uid of their own
        (as root), or a user namespace of their own (strict, not root: the kernel counts processes per
        user namespace and uid)."""
        return self._launch.uid is not None or self._launch.level is Level.STRICT

    def _make_cgroup(self) -> cgroups.Cgroup | None:
        """A cgroup for the next child, with its memory and process limits, where the machine offers one."""
        found = self.use_cgroup if isinstance(self.use_cgroup, cgroups.Support) else cgroups.support()
        self.bounded_by = "rlimits"
        if not self.use_cgroup or not found.places:
            return None
        try:
            group = cgroups.Cgroup.make(found, self.limits.memory_bytes, self.limits.processes)
        except OSError:
            return None  # the kernel refused (no cgroup is left behind): per-process limits only
        self.bounded_by = found.limits
        return group

    def _within_cgroup(self) -> None:
        """_OutOfMemory if any process of the sandbox was killed for memory (a forked worker too: the
        limit is the sandbox's), _OutOfCpu past the CPU limit counted over all of its processes."""
        group = self._cgroup
        if group is None:
            return
        if group.out_of_memory():
            raise _OutOfMemory
        used = group.cpu_seconds()
        if used is not None and used > self.limits.cpu_seconds:
            raise _OutOfCpu

    def cpu_seconds(self) -> float | None:
        """CPU time the running child has used so far (user + system, seconds), or None if unreadable.

        With a cgroup: every process of the sandbox, those already gone included (a worker the
        solution forked, a grandchild). Without: the harness's own process clock (Linux), which
        leaves out the processes it started."""
        if self._proc is None:
            return None
        if self._cgroup is not None:
            used = self._cgroup.cpu_seconds()
            if used is not None:
                return used
        if self._child_pid is None or not sys.platform.startswith("linux"):
            return None
        try:
            return time.clock_gettime(((~self._child_pid) << 3) | 2)  # the process's CPU clock (CPUCLOCK_SCHED)
        except OSError:
            return None

    def _mark(self) -> bytes:
        return f"{TOKEN_VARIABLE}={self._token}".encode()

    def _kill(self, proc: subprocess.Popen, group: cgroups.Cgroup | None = None) -> None:
        """End the child and every process it started, by the strongest means its level offers."""
        group = group or self._cgroup
        if group is not None:
            group.kill()  # every process of the sandbox at once, wherever it went
        if self.level is Level.STRICT:
            # When the PID namespace's init dies, the kernel kills everything inside.
            if self._init_pid is not None:
                spawn.send(self._init_pid, signal.SIGKILL)
            spawn.send(proc.pid, signal.SIGKILL)
            return
        uid = self._launch.uid if self._launch is not None else None
        killed = spawn.kill_tree(proc.pid, self._mark(), uid)
        spawn.wait_gone(killed - {proc.pid}, 1.0)

    def _reap(self, proc: subprocess.Popen) -> tuple[int, Any]:
        """Wait for the (killed or exited) child; its wait status and resource usage."""
        status, usage = spawn.reap(proc.pid)
        proc.returncode = os.waitstatus_to_exitcode(status)
        return status, usage

    # ----- requests

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Call the solution's top-level `name`; plain arrays and values come back, other objects as Handles."""
        return self._request({"op": "call", "name": name}, args, kwargs, f"{name}()")

    def call_method(self, handle: Handle, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call a method of an object kept in the child."""
        envelope = {"op": "method", "handle": self._own(handle), "method": method}
        return self._request(envelope, args, kwargs, f"{self._short(handle)}.{method}()")

    def steps(self, name: str, x: Any, *args: Any, width: int = 1, **kwargs: Any) -> list:
        """Call the solution's `name` once per `width` positions of x (axis 1), the other arguments as
        given, in the child's own loop (one request for all of them); every output, in order."""
        import numpy as np

        outputs = self._request({"op": "steps", "name": name, "width": int(width)}, (x, *args), kwargs, f"{name}()")
        if isinstance(outputs, np.ndarray) and outputs.ndim > 0:  # the harness stacked outputs of one shape and dtype
            outputs = list(outputs)
        if not isinstance(outputs, list):
            self._fail("protocol", t("sandbox.protocol", what=f"{name}()", reason=t("sandbox.reason.garbage",
                                                                                  detail="steps gave no list")))
        return outputs

    def length(self, handle: Handle) -> int:
        """len() of an object kept in the child, a real int."""
        value = self._request({"op": "len", "handle": self._own(handle)}, (), None, f"len({self._short(handle)})")
        if type(value) is not int:
            self._fail("protocol", t("sandbox.protocol", what="len()", reason=t("sandbox.reason.garbage",
                                                                              detail="len() is not an int")))
        return value

    def put(self, value: Any) -> Handle:
        """Store a value (arrays, or tuples/lists of them) in the child; pass the Handle instead of it."""
        arrays: list = []
        envelope = {"op": "put", "value": self._encode(value, arrays, 0), "type": type(value).__name__}
        handle = self._request(envelope, (), None, "put()", arrays)
        if not isinstance(handle, Handle):
            self._fail("protocol", t("sandbox.protocol", what="put()", reason=t("sandbox.reason.garbage",
                                                                              detail="put() gave no handle")))
        return handle

    def discard(self, handle: Handle) -> None:
        """Forget an object kept in the child (a stored value, a finished cache)."""
        self._request({"op": "discard", "handle": self._own(handle)}, (), None, "discard()")

    @property
    def pid(self) -> int | None:
        """The harness's process id (as the host sees it) while it runs (the parent reads its CPU clock), else None."""
        return self._child_pid if self._proc is not None else None

    @property
    def output(self) -> str:
        """The child's stdout and stderr so far (capped at Limits.output_bytes), across restarts."""
        self._drain(DRAIN_LIMIT)
        text = clean(self._output.decode("utf-8", errors="replace"), self.limits.output_bytes + 100)
        return text + ("\n" + t("sandbox.output_dropped", count=self._dropped) if self._dropped else "")

    def _own(self, handle: Handle) -> int:
        if not isinstance(handle, Handle) or handle.owner != (id(self), self._generation):
            raise ValueError(f"{handle!r} does not belong to this sandbox's current process")
        return handle.id

    @staticmethod
    def _short(handle: Handle) -> str:
        return handle.type_name.rsplit(".", 1)[-1] or "object"

    def _request(self, envelope: dict, args: tuple, kwargs: dict | None, what: str,
                 arrays: list | None = None) -> Any:
        if self._proc is None:
            raise SandboxFailure("crash", t("sandbox.not_running"))
        arrays = [] if arrays is None else arrays
        if envelope["op"] in ("call", "method", "steps"):
            envelope["args"] = [self._encode(arg, arrays, 0) for arg in args]
            envelope["kwargs"] = {str(key): self._encode(value, arrays, 0) for key, value in (kwargs or {}).items()}
        self._seq += 1
        envelope["seq"] = self._seq
        frame = self._frame(envelope, arrays)
        started = time.perf_counter()
        deadline = time.monotonic() + self.limits.timeout
        try:
            self._send(*frame, deadline)
            reply, received = self._receive(deadline)
            self.last_call_seconds = time.perf_counter() - started
            self._within_cgroup()
            if reply.get("seq") != self._seq:
                raise npyio.WireError("a reply out of turn")
            mutated = reply.get("mutated")
            self.last_mutated = [i for i in mutated if type(i) is int][:64] if isinstance(mutated, list) else []
            if "ok" in reply:
                return self._decode(reply["ok"], received, [0] * len(received), 0)
            error = reply.get("error")
            if isinstance(error, dict):
                fields = [error.get(key) for key in ("type", "message", "traceback")]
                if not all(type(value) is str for value in fields):
                    raise npyio.WireError("a malformed error")
                raise CallError(*fields, error.get("not_implemented") is True)
        except (_Died, npyio.WireError, TimeoutError) as problem:
            raise self._failure(problem, what) from None
        except CallError:
            raise
        except BaseException:  # Ctrl-C in the middle of a request: the pipes are out of step now
            self.close()
            raise
        self._fail(*self._reported_failure(reply.get("fail"), what))
        raise AssertionError("unreachable")

    # ----- values

    def _encode(self, value: Any, arrays: list, depth: int) -> Any:
        import numpy as np

        if depth > MAX_DEPTH:
            raise ValueError("value nested too deeply for the sandbox")
        if isinstance(value, np.generic):
            value = value.item()  # np.int64(4) -> 4, np.True_ -> True
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return int(value)
        if isinstance(value, float):
            return {"f": float(value).hex()}
        if isinstance(value, Handle):
            return {"h": self._own(value)}
        if isinstance(value, (tuple, list)):
            return {"t" if isinstance(value, tuple) else "l": [self._encode(v, arrays, depth + 1) for v in value]}
        if isinstance(value, np.ndarray):
            dtype = value.dtype.newbyteorder("<") if value.dtype.byteorder == ">" else value.dtype
            if dtype.str not in npyio.DTYPES:
                raise TypeError(f"cannot send a {value.dtype} array to the sandbox")
            arrays.append(np.asarray(value, dtype=dtype, order="C"))  # 0-d stays 0-d
            return {"a": len(arrays) - 1}
        raise TypeError(f"cannot send {type(value).__name__} to the sandbox")

    def _decode(self, value: Any, arrays: list, used: list[int], depth: int) -> Any:
        """A value of the reply envelope -> Python; any other shape of JSON is a WireError."""
        kind = type(value)
        if value is None or kind in (bool, str):
            return value
        if kind is int:
            if not -(1 << 63) <= value < 1 << 63:
                raise npyio.WireError("integer out of range")
            return value
        if kind is not dict or len(value) not in (1, 2) or depth > MAX_DEPTH:
            raise npyio.WireError("unexpected value in a reply")
        if len(value) == 1 and type(value.get("f")) is str:
            try:
                return float.fromhex(value["f"])
            except (ValueError, OverflowError):
                raise npyio.WireError("a malformed float") from None
        for tag, build in (("t", tuple), ("l", list)):
            if len(value) == 1 and type(value.get(tag)) is list:
                return build(self._decode(item, arrays, used, depth + 1) for item in value[tag])
        index = value.get("a")
        if len(value) == 1 and type(index) is int and 0 <= index < len(arrays) and not used[index]:
            used[index] = 1
            return arrays[index]
        if len(value) == 2 and type(value.get("h")) is int and type(value.get("type")) is str:
            return Handle(value["h"], clean(value["type"], 200, lines=False), (id(self), self._generation))
        raise npyio.WireError("unexpected value in a reply")

    # ----- frames

    @staticmethod
    def _frame(envelope: dict, arrays: list) -> tuple[list, int]:
        import numpy as np

        text = json.dumps(envelope, separators=(",", ":")).encode()
        payloads = [(array.dtype.str, array.shape, memoryview(array.reshape(-1).view(np.uint8))) for array in arrays]
        return npyio.frame(text, payloads, READ_CHUNK)

    def _send(self, parts: list, total: int, deadline: float) -> None:
        fd = self._fds["request"]
        for part in parts:
            view = memoryview(part)
            while view:
                try:
                    view = view[os.write(fd, view):]
                except BlockingIOError:
                    self._wait(fd, select.POLLOUT, deadline)
                except BrokenPipeError:
                    raise _Died from None

    def _receive(self, deadline: float) -> tuple[dict, list]:
        """One reply frame; each .npy header is checked before its data is read."""
        import numpy as np

        size, count = npyio.FRAME.unpack(self._take(npyio.FRAME.size, deadline))
        if size > MAX_ENVELOPE or count > MAX_PAYLOADS:
            raise npyio.WireError(f"a reply announcing {size} bytes and {count} arrays")
        try:
            envelope = json.loads(self._take(size, deadline))
        except (ValueError, RecursionError):
            raise npyio.WireError("a reply that is not JSON") from None
        if type(envelope) is not dict:
            raise npyio.WireError("a reply that is not a JSON object")
        arrays, budget = [], 2 * self.limits.max_array_bytes
        for _ in range(count):
            (length,) = npyio.PAYLOAD.unpack(self._take(npyio.PAYLOAD.size, deadline))
            preamble = self._take(npyio.PREAMBLE, deadline)
            header = self._take(npyio.header_length(preamble), deadline)
            descr, shape, nbytes = npyio.parse_npy_header(header)
            if nbytes > self.limits.max_array_bytes or nbytes > budget:
                raise npyio.WireError(f"an array of {size_text(nbytes)}, over the limit")
            if length != len(preamble) + len(header) + nbytes:
                raise npyio.WireError("an array whose length does not match its header")
            budget -= nbytes
            data = bytearray(nbytes)
            self._take_into(data, deadline)
            arrays.append(np.frombuffer(data, dtype=npyio.DTYPES[descr][0]).reshape(shape))
        return envelope, arrays

    def _take(self, n: int, deadline: float) -> bytes:
        while len(self._inbox) < n:
            self._fill(max(READ_CHUNK, n - len(self._inbox)), deadline)
        data = bytes(self._inbox[:n])
        del self._inbox[:n]
        return data

    def _take_into(self, buffer: bytearray, deadline: float) -> None:
        view = memoryview(buffer)
        have = min(len(self._inbox), len(view))
        view[:have] = self._inbox[:have]
        del self._inbox[:have]
        view = view[have:]
        fd = self._fds["reply"]
        while view:
            try:
                got = os.readv(fd, [view])
            except BlockingIOError:
                self._wait(fd, select.POLLIN, deadline)
                continue
            if got == 0:
                raise _Died
            view = view[got:]

    def _fill(self, n: int, deadline: float) -> None:
        fd = self._fds["reply"]
        while True:
            try:
                data = os.read(fd, n)
            except BlockingIOError:
                self._wait(fd, select.POLLIN, deadline)
                continue
            if not data:
                raise _Died
            self._inbox += data
            return

    def _wait(self, fd: int, event: int, deadline: float) -> None:
        """Until fd is ready; drains output meanwhile; _Died if the child exits, TimeoutError at the deadline."""
        exit_fd = self._fds.get("exit")
        poller = self._pollers.get((fd, event))
        if poller is None:
            poller = self._pollers[fd, event] = select.poll()
            for watched, events in ((fd, event), (self._fds["output"], select.POLLIN), (exit_fd, select.POLLIN)):
                if watched is not None:
                    poller.register(watched, events)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            slice_ms = remaining * 1000 if exit_fd is not None else min(remaining * 1000, 50)
            if self._cgroup is not None:
                slice_ms = min(slice_ms, CGROUP_POLL_MS)  # its CPU time and out-of-memory kills are read, not told
            ready = dict(poller.poll(max(1, int(slice_ms + 0.999))))
            if not ready:
                self._within_cgroup()
            if ready.get(self._fds["output"]):
                self._drain(READ_CHUNK * 4)
            if ready.get(fd):
                return
            if ready.get(exit_fd) or (exit_fd is None and self._exited()):
                raise _Died

    def _exited(self) -> bool:
        """Whether the child has exited, without reaping it (its pid stays reserved until we kill the tree)."""
        return spawn.exited(self._proc.pid)

    def _drain(self, limit: int) -> None:
        """Read what the child has written to stdout/stderr, keeping up to output_bytes of it."""
        fd = self._fds.get("output")
        while fd is not None and limit > 0:
            try:
                data = os.read(fd, READ_CHUNK)
            except BlockingIOError:
                return
            if not data:
                return
            limit -= len(data)
            keep = max(0, self.limits.output_bytes - len(self._output))
            self._output += data[:keep]
            self._dropped += len(data) - min(keep, len(data))

    # ----- failures

    def _failure(self, problem: Exception, what: str) -> SandboxFailure:
        """Kill the child and describe what happened to it as one SandboxFailure."""
        try:
            if isinstance(problem, TimeoutError):
                kind, message = "timeout", t("sandbox.timeout", what=what, seconds=f"{self.limits.timeout:g}")
            elif isinstance(problem, _OutOfCpu):
                kind, message = "timeout", t("sandbox.cpu_time_all", what=what, seconds=self.limits.cpu_seconds)
            elif isinstance(problem, _OutOfMemory):
                kind, message = "memory", self._memory_message(what, everyone=True)
            elif isinstance(problem, npyio.WireError):
                kind, message = "protocol", t("sandbox.protocol", what=what,
                                              reason=t("sandbox.reason.garbage", detail=str(problem)))
            else:
                kind, message = self._why_it_died(what)
        finally:
            self.close()
        return SandboxFailure(kind, message)

    def _why_it_died(self, what: str) -> tuple[Kind, str]:
        """The child closed a pipe or exited: wait for its exit status (briefly) and name the cause."""
        proc = self._proc
        end = time.monotonic() + 2.0
        while not self._exited():
            if time.monotonic() > end:  # alive with a pipe closed: the solution closed it
                return "protocol", t("sandbox.protocol", what=what, reason=t("sandbox.reason.closed"))
            time.sleep(0.005)
        self._kill(proc)
        status, usage = self._reap(proc)
        if self._cgroup is not None and self._cgroup.out_of_memory():
            return "memory", self._memory_message(what, everyone=True)
        number = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
        if self.level is Level.STRICT and number is None and os.WEXITSTATUS(status) > 128:
            number = os.WEXITSTATUS(status) - 128  # bubblewrap exits with 128 + the signal that ended the harness
        if number is not None:
            used = usage.ru_utime + usage.ru_stime if usage is not None else 0.0
            if number == signal.SIGXCPU or (number == signal.SIGKILL and used >= self.limits.cpu_seconds):
                return "timeout", t("sandbox.cpu_time", what=what, seconds=self.limits.cpu_seconds)
            if number == signal.SIGXFSZ:
                return "crash", t("sandbox.file_size", what=what, limit=size_text(self.limits.file_bytes))
            return "crash", t("sandbox.signal", what=what, signal=signal_name(number))
        code = os.WEXITSTATUS(status)
        if code == npyio.PROTOCOL_EXIT:
            return "protocol", t("sandbox.protocol", what=what, reason=t("sandbox.reason.closed"))
        if code == npyio.MEMORY_EXIT:
            return "memory", self._memory_message(what)
        return "exited", t("sandbox.exited", what=what, code=code)

    def _memory_message(self, what: str, everyone: bool = False) -> str:
        limit = self.limits.memory_bytes
        return t("sandbox.memory_all" if everyone else "sandbox.memory", what=what,
                 limit=size_text(limit) if limit else t("sandbox.no_limit"))

    def _reported_failure(self, fail: Any, what: str) -> tuple[Kind, str]:
        """A failure the child reported itself just before it ends (MemoryError, SystemExit, ...)."""
        kind = fail.get("kind") if isinstance(fail, dict) else None
        if kind == "memory":
            return "memory", self._memory_message(what)
        if kind == "exited" and type(fail.get("code")) is int:
            return "exited", t("sandbox.exited", what=what, code=fail["code"])
        if kind == "crash" and type(fail.get("type")) is str:
            return "crash", t("sandbox.raised_fatal", what=what, exc_type=clean(fail["type"], 100, lines=False))
        return "protocol", t("sandbox.protocol", what=what, reason=t("sandbox.reason.garbage", detail="bad reply"))

    def _fail(self, kind: Kind, message: str) -> None:
        self.close()
        raise SandboxFailure(kind, message)

    def _load_error(self, error: Any) -> SolutionLoadError:
        """The child's account of why the file did not load -> SolutionLoadError."""
        path = self.display
        if not isinstance(error, dict):
            return SolutionLoadError(t("sandbox.load.failed", path=path, problem="bad reply"))
        kind = error.get("kind")
        if kind == "syntax":
            line, column = error.get("line"), error.get("column")
            text = error.get("text") if type(error.get("text")) is str else None
            if text is None and type(line) is int and 1 <= line <= self._text.count("\n") + 1:
                text = self._text.split("\n")[line - 1]
            position = "".join(f":{n}" for n in (line, column) if type(n) is int)
            message = t("sandbox.load.syntax", path=path, position=position,
                        exc_type=str(error.get("type")), message=str(error.get("message")))
            end_column = error.get("end_column") if error.get("end_line") == line else None
            return SolutionLoadError(message, caret_detail(text, column if type(column) is int else None,
                                                           end_column if type(end_column) is int else None))
        if kind == "binary":
            return SolutionLoadError(t("sandbox.load.binary", path=path))
        if kind == "memory":
            return SolutionLoadError(t("sandbox.load.failed", path=path,
                                       problem=self._memory_message(t("sandbox.what.load"))))
        if kind == "exit":
            return SolutionLoadError(t("sandbox.load.exit", path=path, code=error.get("code")))
        first = str(error.get("message", "")).strip().splitlines()
        message = t("sandbox.load.exception", path=path, exc_type=str(error.get("type")),
                    message=first[0] if first else "")
        return SolutionLoadError(message + only_numpy(str(error.get("type")), first[0] if first else "", self.source),
                                 str(error.get("traceback", "")))
