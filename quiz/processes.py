"""Processes that must not outlive their job: find a process tree, stop it, kill it, reap it.

Shared by the sandbox (``quiz/check/sandbox.py``, one child per solution) and the batch grader
(``quiz/grade``, one ``attnquiz check`` process per submission). Linux's /proc is read for
parent links, process groups, sessions and environments; elsewhere only the process group is
killed.

``kill_tree`` stops every process it finds with SIGSTOP (a stopped process cannot fork, so the
search ends as soon as no new one shows up), then kills them all with SIGKILL. A process is in
the tree when it is in the root's process group or session, descends from the root or from one
already found, or carries the root's environment ``mark`` (forked processes keep it, even after
``setsid()`` and after their parent has exited). Inside a PID namespace (the strict isolation
level) none of this is needed: killing the namespace's init ends every process in it, and the
kernel guarantees it; the search is the process and uid levels' best effort.

``remove_tree`` deletes a folder without recursion (1,500 nested folders included), makes
read-only folders writable on its way, and never raises: a crash of cleanup never costs a report.
"""

from __future__ import annotations

import os
import signal
import stat
import time
from typing import Any


def read_proc() -> dict[int, tuple[int, int, int]]:
    """pid -> (parent pid, process group, session) of every process, from /proc/<pid>/stat."""
    table = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return {}
    for name in names:
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as file:
                    fields = file.read().rsplit(b")", 1)[1].split()
                table[int(name)] = (int(fields[1]), int(fields[2]), int(fields[3]))
            except (OSError, IndexError, ValueError):
                continue  # gone meanwhile
    return table


def _marked(pid: int, mark: bytes) -> bool:
    """Whether the process started with `mark` in its environment (forked processes keep it)."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as file:
            return mark in file.read().split(b"\0")
    except OSError:
        return False


def _real_uid(pid: int) -> int | None:
    """The real uid of a process, from /proc/<pid>/status (its /proc folder may be root's: non-dumpable)."""
    try:
        with open(f"/proc/{pid}/status", "rb") as file:
            for line in file:
                if line.startswith(b"Uid:"):
                    return int(line.split()[1])
    except (OSError, IndexError, ValueError):
        pass
    return None


def family(root: int, known: set[int], mark: bytes | None, uid: int | None = None) -> set[int]:
    """root's group, session and descendants, processes carrying `mark` or running as `uid`, descendants of `known`."""
    table = read_proc()
    found = {pid for pid, (_, group, session) in table.items() if root in (group, session)}
    found |= {root} | (known & table.keys())
    if mark is not None:  # orphans of a child that has already exited, in a session of their own
        found |= {pid for pid in table.keys() - found if _marked(pid, mark)}
    if uid is not None:  # a uid of the sandbox's own: the kernel keeps it on every process it starts
        found |= {pid for pid in table.keys() - found if _real_uid(pid) == uid}
    grew = True
    while grew:
        children = {pid for pid, (parent, _, _) in table.items() if parent in found} - found
        found |= children
        grew = bool(children)
    found.discard(os.getpid())
    return found


def descendants(root: int) -> set[int]:
    """Every live process below `root` (not root itself)."""
    table = read_proc()
    found: set[int] = set()
    todo = [root]
    while todo:
        parent = todo.pop()
        for pid, (ppid, _, _) in table.items():
            if ppid == parent and pid not in found:
                found.add(pid)
                todo.append(pid)
    return found


def kill_tree(root: int, mark: bytes | None = None, uid: int | None = None) -> set[int]:
    """Stop root and everything it started (new sessions included), then kill them all; their pids."""
    if not os.path.isdir("/proc/self"):
        signal_group(root, signal.SIGKILL)
        return {root}
    stopped: set[int] = set()
    for _ in range(100):  # stopped processes cannot fork, so this ends as soon as no new one shows up
        new = family(root, stopped, mark, uid) - stopped
        if not new:
            break
        for pid in new:
            send(pid, signal.SIGSTOP)
        stopped |= new
    for pid in stopped:
        send(pid, signal.SIGKILL)
    return stopped


def sweep_session(session: int) -> None:
    """Kill what is left in a finished session (its leader, reaped: never that pid itself), and wait until
    it is gone (grade: nothing a check started outlives it, so results are written after every sandbox)."""
    left = {pid for pid, (_, group, sid) in read_proc().items()
            if session in (group, sid) and pid not in (session, os.getpid())}
    for sig in (signal.SIGSTOP, signal.SIGKILL):
        for pid in left:
            send(pid, sig)
    wait_gone(left, 5.0)


def send(pid: int, sig: int) -> None:
    """A signal to one process, ignoring one that is gone (or not ours)."""
    try:
        os.kill(pid, sig)
    except OSError:
        pass


def signal_group(group: int, sig: int) -> None:
    try:
        os.killpg(group, sig)
    except OSError:
        pass


def wait_gone(pids: set[int], seconds: float) -> None:
    """Wait (briefly) until the killed processes are gone or zombies."""
    end = time.monotonic() + seconds
    while pids and time.monotonic() < end:
        alive = set()
        for pid in pids:
            try:
                with open(f"/proc/{pid}/stat", "rb") as file:
                    if file.read().rsplit(b")", 1)[1].split()[0] != b"Z":
                        alive.add(pid)
            except (OSError, IndexError):
                pass
        pids = alive
        if pids:
            time.sleep(0.002)


def exited(pid: int) -> bool:
    """Whether our child `pid` has exited, without reaping it (its pid stays reserved until we reap it)."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def reap(pid: int) -> tuple[int, Any]:
    """Wait for our (killed or exited) child; its wait status and resource usage (None if already reaped)."""
    while True:
        try:
            _, status, usage = os.wait4(pid, 0)
            return status, usage
        except InterruptedError:
            continue
        except ChildProcessError:
            return 0, None


def remove_owned(uid: int, folders: tuple[str, ...] = ("/tmp", "/var/tmp", "/dev/shm")) -> None:
    """Remove what a sandbox's own uid left in the world-writable folders (the uid level); never raises."""
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid == uid:
                    remove_tree(entry.path)
            except OSError:
                pass


def remove_tree(path: str | os.PathLike[str]) -> None:
    """Delete a folder and everything in it, however deep, without following links; never raises.

    No recursion and no long paths: every folder found is first moved up to the top folder
    (so 1,500 nested folders, or names past PATH_MAX, cost nothing special), made writable,
    emptied and removed.
    """
    top = os.fspath(path)
    try:
        top_fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        try:
            os.unlink(top)  # a file, a link, or nothing
        except OSError:
            pass
        return
    try:
        os.fchmod(top_fd, stat.S_IRWXU)
        _empty(top_fd, top_fd)
        pending = [entry for entry in os.listdir(top_fd)]
        count = 0
        while pending:
            name = pending.pop()
            try:
                fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=top_fd)
            except OSError:
                continue
            try:
                os.fchmod(fd, stat.S_IRWXU)  # a folder the solution made read-only
                for sub in _empty(fd, top_fd):
                    count += 1
                    moved = f".rm{count}"
                    try:
                        os.rename(sub, moved, src_dir_fd=fd, dst_dir_fd=top_fd)
                        pending.append(moved)
                    except OSError:
                        pass
            finally:
                os.close(fd)
            try:
                os.rmdir(name, dir_fd=top_fd)
            except OSError:
                pass  # something we could not delete: leave it, the report matters more
    except OSError:
        pass
    finally:
        os.close(top_fd)
    try:
        os.rmdir(top)
    except OSError:
        pass


def _empty(fd: int, top_fd: int) -> list[str]:
    """Unlink every non-folder in the folder open as `fd`; the names of its sub-folders."""
    folders = []
    try:
        names = os.listdir(fd)
    except OSError:
        return []
    for name in names:
        try:
            if stat.S_ISDIR(os.lstat(name, dir_fd=fd).st_mode):
                folders.append(name)
            else:
                os.unlink(name, dir_fd=fd)
        except OSError:
            pass
    return folders if fd != top_fd else []
