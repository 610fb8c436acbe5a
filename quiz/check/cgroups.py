"""One control group per sandbox, where the machine lets the checker make them (Linux, cgroup v1 or v2).

A sandbox's cgroup holds every process of that sandbox (bubblewrap, its init, the harness and
whatever the solution starts: a fork, a grandchild in a new session), and the kernel keeps them
all in it. It gives what resource limits per process cannot:

- a memory limit on the sum of the sandbox's memory (every process, its tmpfs files, its page
  cache; swap included where the kernel accounts it), with an out-of-memory kill anywhere in the
  sandbox counted, so the checker reports it as the sandbox running out of memory;
- a limit on the number of processes and threads in the sandbox (a fork bomb stops there);
- the CPU time of every process in the sandbox, those already gone included (``cpu_seconds``);
- killing all of them at once: ``cgroup.kill`` (v2), or freezing the group (v1 freezer) so no
  process can fork while the rest are killed, else killing what ``cgroup.procs`` lists until
  it is empty.

Which hierarchies are used is found at run time from /proc/self/mountinfo and /proc/self/cgroup,
never assumed: each function (memory, pids, cpu, freezer, kill) comes from cgroup v2 when the
unified hierarchy offers it to the checker, else from a writable v1 hierarchy of that controller.
The sandboxes' cgroups go under the checker's own cgroup in each hierarchy (so they stay inside
whatever limits the checker itself has); in v2, where the checker's cgroup is a leaf with processes
and so cannot give controllers to children, under its parent when that one delegates them. The
checker never enables a controller or moves a process it did not start. Without a memory and a
pids limit from some hierarchy the sandbox reports ``rlimits`` (per-process resource limits only).

Each cgroup is named ``attnquiz-<checker pid>-<its start time>-<random>``; ``Cgroup.remove``
kills what is inside and removes the folder (never raises), and the first sandbox of a checker
removes the empty ones a checker killed with SIGKILL left behind.
"""

from __future__ import annotations

import errno
import functools
import os
import secrets
import signal
import time
from dataclasses import dataclass, field

from quiz import processes

ROOT = "/proc/self"
V1_CONTROLLERS = ("memory", "pids", "cpuacct", "freezer")
PREFIX = "attnquiz-"
WAIT_SECONDS = 2.0  # for a frozen group to freeze, or a killed one to empty


@dataclass(frozen=True)
class Place:
    """A folder in one hierarchy under which sandboxes' cgroups are made, and what it gives them."""

    version: int  # 1 or 2
    base: str
    functions: frozenset[str]  # of memory, pids, cpu, freezer, kill


@dataclass(frozen=True)
class Support:
    """What this machine's cgroups give a sandbox (found once per process)."""

    places: tuple[Place, ...] = ()
    problem: str = ""  # why sandboxes have no memory and pids limit of their own ('' when they have)

    @property
    def limits(self) -> str:
        """What bounds a sandbox's processes: "cgroup" (all of them together) or "rlimits" (each on its own)."""
        return "rlimits" if self.problem else "cgroup"

    def version(self) -> str:
        return "+".join(sorted({f"v{place.version}" for place in self.places}))


def _read(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as file:
        return file.read()


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _mounts(mountinfo: str) -> list[tuple[str, str, str, set[str]]]:
    """(fstype, mount root, mount point, super options) of every cgroup mount."""
    found = []
    for line in mountinfo.splitlines():
        left, sep, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if not sep or len(fields) < 5 or len(tail) < 3 or tail[0] not in ("cgroup", "cgroup2"):
            continue
        point = fields[4].replace("\\040", " ")
        found.append((tail[0], fields[3], point, set(tail[2].split(","))))
    return found


def _own(cgroup_file: str) -> tuple[dict[str, str], str | None]:
    """The checker's cgroup per v1 controller, and its v2 cgroup (None without one)."""
    v1, v2 = {}, None
    for line in cgroup_file.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if parts[0] == "0" and parts[1] == "":
            v2 = parts[2]
        for controller in parts[1].split(","):
            if controller:
                v1[controller] = parts[2]
    return v1, v2


def _folder(point: str, root: str, path: str) -> str | None:
    """The folder of cgroup `path` in a hierarchy mounted at `point` from `root`, if the mount shows it."""
    if root != "/" and path != root and not path.startswith(root.rstrip("/") + "/"):
        return None
    rel = path[len(root):] if root != "/" else path
    folder = os.path.join(point, rel.lstrip("/"))
    return folder if os.path.isdir(folder) else None


def _usable(base: str) -> set[str] | None:
    """The files a cgroup made under `base` has, or None if the checker cannot make (and remove) one there."""
    probe = os.path.join(base, f"{PREFIX}probe-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        os.mkdir(probe)
    except OSError:
        return None
    try:
        return set(os.listdir(probe))
    except OSError:
        return set()
    finally:
        try:
            os.rmdir(probe)
        except OSError:
            pass


def _v2_place(point: str, root: str, path: str) -> Place | None:
    own = _folder(point, root, path)
    if own is None:
        return None

    parent = os.path.dirname(own.rstrip("/"))
    candidates = [own]
    if own.rstrip("/") != point.rstrip("/") and parent.startswith(point.rstrip("/")):
        candidates.append(parent)  # our cgroup has processes (us): a leaf; its parent may delegate
    best: tuple[str, set[str]] | None = None
    for folder in candidates:
        files = _usable(folder)
        if files is None:
            continue
        functions = {name for name in ("memory", "pids") if f"{name}.max" in files}
        functions |= {function for function, name in (("cpu", "cpu.stat"), ("freeze", "cgroup.freeze"),
                                                       ("kill", "cgroup.kill")) if name in files}
        if best is None or len(functions) > len(best[1]):
            best = (folder, functions)
    return Place(2, best[0], frozenset(best[1])) if best is not None else None


@functools.cache
def support(versions: tuple[int, ...] = (2, 1)) -> Support:
    """Which hierarchies give sandboxes their own cgroup here, and what each gives (v2 first; tests
    ask for one version alone to exercise its code)."""
    import sys

    if not sys.platform.startswith("linux"):
        return Support(problem="cgroups need Linux")
    try:
        mounts = _mounts(_read(f"{ROOT}/mountinfo"))
        v1, v2 = _own(_read(f"{ROOT}/cgroup"))
    except OSError as exc:
        return Support(problem=f"cannot read /proc: {exc.strerror}")
    places: list[Place] = []
    have: set[str] = set()
    for fstype, root, point, options in mounts:  # v2 first: one folder for every function it gives
        if fstype == "cgroup2" and v2 is not None and 2 in versions:
            place = _v2_place(point, root, v2)
            if place is not None:
                places.append(place)
                have |= place.functions
                break
    for controller in V1_CONTROLLERS if 1 in versions else ():
        function = "cpu" if controller == "cpuacct" else controller
        if function in have or (controller == "freezer" and have & {"kill", "freeze"}):
            continue
        for fstype, root, point, options in mounts:
            if fstype == "cgroup" and controller in options and controller in v1:
                base = _folder(point, root, v1[controller])
                if base is not None and _usable(base):
                    places.append(Place(1, base, frozenset({function})))
                    have.add(function)
                    break
    missing = [name for name in ("memory", "pids") if name not in have]
    problem = f"no writable cgroup with the {' and '.join(missing)} controller" if missing else ""
    return Support(tuple(places), problem)


def _start_time(pid: int) -> str | None:
    try:
        return _read(f"/proc/{pid}/stat").rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


@functools.cache
def _swept(base: str) -> None:
    """Remove (once per base) the empty cgroups of checkers that are gone (killed before they cleaned up)."""
    try:
        names = os.listdir(base)
    except OSError:
        return
    for name in names:
        parts = name.split("-")
        if not name.startswith(PREFIX) or len(parts) != 4 or not parts[1].isdigit():
            continue
        if _start_time(int(parts[1])) == parts[2]:
            continue  # that checker still runs
        try:
            os.rmdir(os.path.join(base, name))
        except OSError:
            pass  # not empty (its processes still run) or already gone


@dataclass
class Cgroup:
    """One sandbox's cgroup: a folder in each hierarchy of `support()`."""

    folders: dict[str, str] = field(default_factory=dict)  # function -> folder
    versions: dict[str, int] = field(default_factory=dict)  # function -> cgroup version
    killed: set[int] = field(default_factory=set)  # the processes kill() found in it
    _open: dict[str, int] = field(default_factory=dict)  # path -> descriptor of a file read again and again

    def _reread(self, path: str) -> str:
        """A cgroup file read from its start through a descriptor kept open (a request reads two)."""
        fd = self._open.get(path)
        if fd is None:
            fd = self._open[path] = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        return os.pread(fd, 1 << 14, 0).decode("ascii", "replace")

    @classmethod
    def make(cls, found: Support, memory_bytes: int | None, processes: int | None) -> Cgroup:
        """A new, empty cgroup with the limits set; OSError if the kernel refuses any of it (then nothing is left)."""
        name = f"{PREFIX}{os.getpid()}-{_start_time(os.getpid()) or 0}-{secrets.token_hex(6)}"
        group = cls()
        try:
            for place in found.places:
                _swept(place.base)
                folder = os.path.join(place.base, name)
                os.mkdir(folder)
                for function in place.functions:
                    group.folders[function] = folder
                    group.versions[function] = place.version
                group._limit(place, folder, memory_bytes, processes)
        except OSError:
            group.remove()
            raise
        return group

    def _limit(self, place: Place, folder: str, memory_bytes: int | None, processes: int | None) -> None:
        def set_(name: str, value: object, optional: bool = False) -> None:
            path = os.path.join(folder, name)
            if optional and not os.path.exists(path):
                return
            _write(path, str(value))

        if "memory" in place.functions and memory_bytes is not None:
            if place.version == 2:
                set_("memory.max", memory_bytes)
                set_("memory.swap.max", 0, optional=True)
                set_("memory.oom.group", 1, optional=True)  # an out-of-memory kill ends the whole sandbox
            else:
                set_("memory.limit_in_bytes", memory_bytes)
                set_("memory.memsw.limit_in_bytes", memory_bytes, optional=True)  # memory and swap together
        if "pids" in place.functions and processes is not None:
            set_("pids.max", processes)

    def folders_used(self) -> list[str]:
        return list(dict.fromkeys(self.folders.values()))

    def add(self, pid: int) -> None:
        """Put a process (every thread of it) into the cgroup, in every hierarchy; OSError if one refuses."""
        for folder in self.folders_used():
            _write(os.path.join(folder, "cgroup.procs"), str(pid))

    def pids(self) -> set[int]:
        """The processes in the cgroup now (zombies excluded)."""
        found: set[int] = set()
        for folder in self.folders_used():
            try:
                found |= {int(line) for line in _read(os.path.join(folder, "cgroup.procs")).split()}
            except (OSError, ValueError):
                continue
        return found

    def cpu_seconds(self) -> float | None:
        """CPU time of every process that has been in the cgroup (user and system), or None if unreadable."""
        folder = self.folders.get("cpu")
        if folder is None:
            return None
        try:
            if self.versions["cpu"] == 2:
                for line in self._reread(os.path.join(folder, "cpu.stat")).splitlines():
                    key, _, value = line.partition(" ")
                    if key == "usage_usec":
                        return int(value) / 1e6
                return None
            return int(self._reread(os.path.join(folder, "cpuacct.usage"))) / 1e9
        except (OSError, ValueError):
            return None

    def out_of_memory(self) -> bool:
        """Whether the kernel has killed a process of the cgroup for going over its memory limit."""
        folder = self.folders.get("memory")
        if folder is None:
            return False
        name = "memory.events" if self.versions["memory"] == 2 else "memory.oom_control"
        try:
            for line in self._reread(os.path.join(folder, name)).splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value) > 0
        except (OSError, ValueError):
            pass
        return False

    def freeze(self, frozen: bool) -> bool:
        """Stop (or resume) every process of the cgroup; whether it took effect in time."""
        folder = self.folders.get("freeze") or self.folders.get("freezer")
        if folder is None:
            return False
        v2 = "freeze" in self.folders
        try:
            _write(os.path.join(folder, "cgroup.freeze" if v2 else "freezer.state"),
                   ("1" if frozen else "0") if v2 else ("FROZEN" if frozen else "THAWED"))
            end = time.monotonic() + WAIT_SECONDS
            while time.monotonic() < end:
                if v2:
                    events = _read(os.path.join(folder, "cgroup.events"))
                    if f"frozen {int(frozen)}" in events:
                        return True
                elif _read(os.path.join(folder, "freezer.state")).strip() == ("FROZEN" if frozen else "THAWED"):
                    return True
                time.sleep(0.001)
        except OSError:
            pass
        return False

    def kill(self) -> None:
        """SIGKILL every process of the cgroup, forks in flight included; never raises."""
        self.killed |= self.pids()
        folder = self.folders.get("kill")
        if folder is not None:
            try:
                _write(os.path.join(folder, "cgroup.kill"), "1")
                return
            except OSError:
                pass
        frozen = self.freeze(True)  # a frozen process cannot fork
        for _ in range(100):
            pids = self.pids()
            if not pids:
                break
            self.killed |= pids
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            if frozen:
                break
        if frozen:
            self.freeze(False)  # v1's frozen processes take their SIGKILL when thawed

    def remove(self) -> None:
        """Kill what is inside, wait for it to empty, remove the folders; never raises."""
        for fd in self._open.values():
            os.close(fd)
        self._open.clear()
        folders = self.folders_used()
        if not folders:
            return
        self.kill()
        end = time.monotonic() + WAIT_SECONDS
        for folder in folders:
            while True:
                try:
                    os.rmdir(folder)
                    break
                except FileNotFoundError:
                    break
                except OSError as exc:
                    if exc.errno != errno.EBUSY or time.monotonic() > end:
                        break
                    self.kill()
                    time.sleep(0.002)
        self.folders.clear()
        # A process leaves its cgroup early in its exit (a PID namespace's init then still waits for
        # the others): wait until each is gone or a zombie, so none is still running on return.
        processes.wait_gone(self.killed, WAIT_SECONDS)
