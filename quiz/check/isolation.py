"""How strongly a sandbox child is cut off from the machine: the isolation levels, and the command that starts a child at each.

Three levels, strongest first; each check reports the one it used:

- ``strict``: the child runs under bubblewrap (``bwrap``, the sandbox Flatpak uses) in new
  mount, PID, network, IPC and UTS namespaces (and a new user namespace when the checker is
  not root). It sees a read-only view of only what it needs: /usr, the Python installation
  (its site-packages hidden), NumPy, and the child harness (``_child.py`` and ``npyio.py``,
  bound one file at a time). Never the quiz package, the references, other submissions, HOME,
  ATTNQUIZ_HOME or the grade output (the sandbox's root is read-only once it is set up). /tmp
  and /dev/shm are private, size-limited tmpfs; /proc
  is the namespace's own (it shows only the sandbox's processes); there is no network.
  bubblewrap's own init is the namespace's pid 1 and the harness its child: killing that init
  ends every process inside (the kernel does it).
  ``--die-with-parent`` kills the sandbox if the checker dies. As root, bubblewrap runs
  privileged (no user namespace: it would map the child to uid 0) and the harness drops to an
  unprivileged uid of its own, unused by anyone else, before the solution runs; as another
  user, the child is uid 65534 inside a user namespace that cannot make further ones
  (``--disable-userns``), and RLIMIT_NPROC counts its processes alone (the kernel counts per
  user namespace). no_new_privs is set either way.
- ``uid`` (root only, without bubblewrap): the child runs as an unprivileged uid of its own
  with no_new_privs, in a private 0700 working folder; it cannot signal, trace or read the
  memory of the checker or of another sandbox (each has its own uid), nor write anything the
  checker owns, but it can read every world-readable file (the installed package included)
  and use the network.
- ``process``: a child process of the same user (``sandbox.py``'s docstring lists what that
  covers): resource limits, an environment of its own, and an audit hook as a tripwire.

``--isolation auto`` (a learner's default) takes the strongest level this machine offers;
``strict`` refuses to run without the full boundary, with one line saying how to get it;
``process`` asks for the weakest on purpose (benchmarks, debugging). Which levels work is
found once per process by starting a real (empty) child at each.
"""

from __future__ import annotations

import functools
import os
import re
import secrets
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

HARNESS = Path(__file__).resolve().parent  # _child.py and npyio.py
INSIDE = "/attnquiz"  # where the harness and NumPy appear inside a strict sandbox
NOBODY = 65534  # the uid inside a user namespace
UID_FIRST, UID_COUNT = 0x6A000000, 1 << 24  # the range of uids given to sandboxes (as root)
PROBE_SECONDS = 20.0
TOP_LEVEL = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")  # merged-/usr links, or folders
from quiz.check import ISOLATION as DEFAULT
from quiz.check import ISOLATION_CHOICES as CHOICES
SETUP_HINT = "run scripts/setup.sh (or: sudo apt-get install bubblewrap)"


class Level(str, Enum):
    STRICT = "strict"
    UID = "uid"
    PROCESS = "process"

    @property
    def full(self) -> bool:
        """Whether this is the full boundary (what `--isolation strict` demands)."""
        return self is Level.STRICT


class IsolationUnavailable(Exception):
    """The level asked for cannot run here; the message says how to get it (one line)."""


@dataclass(frozen=True)
class Host:
    """What this machine offers, found once per process."""

    bwrap: str | None  # path of the bwrap program, if installed
    root: bool
    problems: dict[Level, str] = field(default_factory=dict)  # level -> why it does not work here

    def works(self, level: Level) -> bool:
        return level not in self.problems

    def best(self) -> Level:
        return next(level for level in Level if self.works(level))


@dataclass
class Launch:
    """How to start one child: the command, what Popen needs, and what the harness must do itself."""

    level: Level
    argv: list[str]
    popen: dict  # extra keyword arguments for subprocess.Popen (user, group, cwd, pass_fds additions)
    workdir: str | None  # a host folder made for the child (process and uid levels), removed at close
    drop_to: int | None = None  # uid (and gid) the harness switches to before the solution runs
    uid: int | None = None  # the uid the child's processes have on the host (root only)
    info_fd: int | None = None  # our end of bwrap's --info-fd pipe (strict)


def python_executable() -> str:
    """The real interpreter (a venv's python is a link to it; the venv's site-packages stay outside)."""
    base = getattr(sys, "_base_executable", None) or sys.executable
    return os.path.realpath(base)


def numpy_folders() -> list[Path]:
    """NumPy's package folder, and the shared libraries a wheel bundles next to it."""
    import importlib.util

    spec = importlib.util.find_spec("numpy")
    if spec is None or not spec.submodule_search_locations:
        return []
    package = Path(next(iter(spec.submodule_search_locations))).resolve()
    return [folder for folder in (package, package.with_name("numpy.libs")) if folder.is_dir()]


def _site_folders(prefixes: list[str]) -> list[str]:
    """Folders where installed packages live under the given prefixes (hidden inside the sandbox)."""
    found = set()
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for prefix in prefixes:
        for key in ("purelib", "platlib"):
            found.add(sysconfig.get_path(key, vars={"base": prefix, "platbase": prefix}))
        for name in ("site-packages", "dist-packages"):
            found.add(os.path.join(prefix, "lib", version, name))
            found.add(os.path.join(prefix, "local", "lib", version, name))
        found.add(os.path.join(prefix, "lib", "python3", "dist-packages"))
    return sorted(path for path in found if os.path.isdir(path))


def bwrap_argv(bwrap: str, root: bool, info_fd: int, tmp_bytes: int) -> list[str]:
    """bubblewrap's options for a strict sandbox (the command follows)."""
    python = python_executable()
    prefix = os.path.realpath(sys.base_prefix)
    argv = [bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session", "--hostname", "sandbox",
            "--info-fd", str(info_fd), "--cap-drop", "ALL"]
    if root:  # the harness needs these two to drop to its own uid; it loses them (and every other) then
        argv += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        argv += ["--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY), "--disable-userns"]
    made: set[str] = set()

    def bind(source: str, dest: str) -> None:
        """A read-only bind, its missing parents made world-searchable (bubblewrap would make them 0700 as root)."""
        parents = []
        parent = os.path.dirname(dest)
        while parent not in ("/", "") and parent not in made:
            parents.append(parent)
            parent = os.path.dirname(parent)
        for folder in reversed(parents):
            argv.extend(["--perms", "0755", "--dir", folder])
            made.add(folder)
        argv.extend(["--ro-bind", source, dest])

    bind("/usr", "/usr")
    for name in TOP_LEVEL:
        path = f"/{name}"
        if os.path.islink(path):
            argv += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            bind(path, path)
    if os.path.isfile("/etc/ld.so.cache"):
        bind("/etc/ld.so.cache", "/etc/ld.so.cache")
    bound = ["/usr", *(f"/{name}" for name in TOP_LEVEL)]
    for tree in dict.fromkeys([prefix, os.path.dirname(os.path.dirname(python))]):
        if not any(tree == top or tree.startswith(top + "/") for top in bound):
            bind(tree, tree)
            bound.append(tree)
    for hidden in _site_folders(["/usr", prefix]):  # installed packages (quiz itself, perhaps)
        if any(hidden == top or hidden.startswith(top + "/") for top in bound):
            argv += ["--tmpfs", hidden]
    for folder in numpy_folders():
        bind(str(folder), f"{INSIDE}/site/{folder.name}")
    for name in ("_child.py", "npyio.py"):
        bind(str(HARNESS / name), f"{INSIDE}/harness/{name}")
    argv += ["--proc", "/proc", "--dev", "/dev"]
    for private in ("/tmp", "/dev/shm"):
        argv += ["--perms", "1777", "--size", str(tmp_bytes), "--tmpfs", private]
    # The sandbox's root is a tmpfs bubblewrap made the folders above in; read-only from here on
    # (without it, a child in a user namespace, owning that tmpfs, could add files next to the harness).
    return argv + ["--remount-ro", "/", "--chdir", "/tmp", "--"]


def sandbox_uid() -> int:
    """A uid no account and no running process uses, for one sandbox (root only)."""
    import pwd

    taken = _process_uids()
    for _ in range(100):
        uid = UID_FIRST + secrets.randbelow(UID_COUNT)
        try:
            pwd.getpwuid(uid)
        except KeyError:
            if uid not in taken:
                return uid
    raise OSError("no free uid for the sandbox")


def _process_uids() -> set[int]:
    uids = set()
    for name in os.listdir("/proc") if os.path.isdir("/proc") else []:
        try:
            uids.add(os.stat(f"/proc/{name}").st_uid)
        except OSError:
            continue
    return uids


def launch(level: Level, child_args: list[str], tmp_bytes: int) -> Launch:
    """The command and settings that start the harness at `level` (its pipes are the caller's)."""
    import tempfile

    python = python_executable()
    if level is Level.STRICT:
        host_ = host()
        assert host_.bwrap is not None
        read_end, write_end = os.pipe2(os.O_CLOEXEC)
        argv = bwrap_argv(host_.bwrap, host_.root, write_end, tmp_bytes)
        uid = sandbox_uid() if host_.root else None
        argv += [python, "-I", "-S", "-B", f"{INSIDE}/harness/_child.py", *child_args, f"{INSIDE}/site"]
        return Launch(level, argv, {"pass_fds": (write_end,)}, None, drop_to=uid, uid=uid,
                      info_fd=read_end)
    argv = [sys.executable, "-I", str(HARNESS / "_child.py"), *child_args]
    workdir = tempfile.mkdtemp(prefix="attnquiz-sandbox-")
    if level is Level.UID:
        uid = sandbox_uid()
        os.chown(workdir, uid, uid)  # 0700, the child's own
        return Launch(level, argv, {"user": uid, "group": uid, "extra_groups": [], "cwd": workdir}, workdir, uid=uid)
    return Launch(level, argv, {"cwd": workdir}, workdir)


@functools.cache
def harden_checker() -> None:
    """Make the checker's own process non-dumpable (once): a process of the same user, a sandbox
    child at the process level included, can then neither trace it nor read /proc/<pid>/mem,
    environ or the like. A second layer only: root ignores it, and strict sandboxes cannot see
    the checker at all."""
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0
        except (OSError, AttributeError):
            pass


def read_info(fd: int, deadline: float) -> tuple[int, int]:
    """(the namespace's init, the harness), as the host sees them, from bubblewrap's --info-fd JSON and /proc."""
    import json
    import select
    import time

    data = b""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    while b"}" not in data:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not poller.poll(max(1, int(remaining * 1000))):
            raise OSError("bubblewrap did not report the sandbox's process")
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
        if len(data) > 1 << 16:
            break
    try:
        pid = json.loads(data.decode())["child-pid"]
    except (ValueError, KeyError, TypeError):
        raise OSError("bubblewrap did not start the sandbox") from None
    if type(pid) is not int or pid <= 0:
        raise OSError("bubblewrap reported no process")
    while True:  # the init forks the harness at once
        try:
            with open(f"/proc/{pid}/task/{pid}/children", "rb") as file:
                children = file.read().split()
        except OSError:
            raise OSError("the sandbox ended while it started") from None
        if children:
            return pid, int(children[0])
        if time.monotonic() > deadline:
            raise OSError("bubblewrap did not start the harness")
        time.sleep(0.0005)


def _probe(level: Level) -> str:
    """Start an empty child at `level`; '' if it ran, else why not (one line)."""
    code = "import sys; sys.exit(0)"
    if level is Level.STRICT:
        bwrap = shutil.which("bwrap")
        if bwrap is None:
            return "bubblewrap (bwrap) is not installed"
        read_end, write_end = os.pipe2(os.O_CLOEXEC)
        argv = bwrap_argv(bwrap, os.geteuid() == 0, write_end, 1 << 20) + [python_executable(), "-I", "-S", "-c", code]
        popen: dict = {"pass_fds": (write_end,)}
    else:
        read_end = write_end = -1
        argv = [python_executable(), "-I", "-S", "-c", code]
        popen = {"user": UID_FIRST, "group": UID_FIRST, "extra_groups": [], "cwd": "/"}
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=PROBE_SECONDS,
                              env={"PATH": os.defpath}, **popen)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{argv[0]}: {getattr(exc, 'strerror', None) or exc}"
    finally:
        for fd in (read_end, write_end):
            if fd >= 0:
                os.close(fd)
    if done.returncode == 0:
        return ""
    lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
    reason = re.sub(r"[\x00-\x1f\x7f]", "", lines[-1] if lines else f"exit status {done.returncode}")[:300]
    return reason


@functools.cache
def host() -> Host:
    """Which levels work here (each tried once, with a real empty child)."""
    problems: dict[Level, str] = {}
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    linux = sys.platform.startswith("linux")
    bwrap = shutil.which("bwrap") if linux else None
    if not linux:
        problems[Level.STRICT] = "bubblewrap needs Linux"
    elif bwrap is None:
        problems[Level.STRICT] = "bubblewrap (bwrap) is not installed"
    elif not numpy_folders():
        problems[Level.STRICT] = "NumPy was not found"
    else:
        reason = _probe(Level.STRICT)
        if reason:
            problems[Level.STRICT] = reason
    if not root or not linux:
        problems[Level.UID] = "only root can run a child as another user"
    else:
        reason = _probe(Level.UID)
        if reason:
            problems[Level.UID] = f"an unprivileged uid cannot run {python_executable()} ({reason})"
    return Host(bwrap, root, problems)


def choose(choice: str) -> Level:
    """The level for `--isolation CHOICE`: auto -> the strongest that works; strict (or uid) refuses if it cannot run."""
    if choice == "process":
        return Level.PROCESS
    found = host()
    if choice == "auto":
        return found.best()
    level = Level(choice)  # strict, or uid (tests and benchmarks ask for it by name)
    if not found.works(level):
        raise IsolationUnavailable(refusal(found.problems[level]) if level is Level.STRICT
                                   else f"isolation level {level.value} is not available here: {found.problems[level]}")
    return level


def refusal(reason: str) -> str:
    """The one line `--isolation strict` gives when the full boundary cannot run here."""
    hint = SETUP_HINT
    if "namespace" in reason.lower() or "permission" in reason.lower() or "operation not permitted" in reason.lower():
        hint = ("allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1; on Ubuntu 24.04 "
                "kernel.apparmor_restrict_unprivileged_userns=0), or run as root")
    return f"strict isolation is not available here: {reason}; {hint}"
