"""Attack: slow the trusted reference down (CPU affinity, scheduling priority, SIGSTOP) so the
solution's own cache looks fast next to it.

A thread looks for every other sandbox child and reschedules it. Expected: no other sandbox is
reachable (strict: each in its own PID namespace, as another uid), nothing is touched.
"""
import os
import signal
import threading
import time


def ancestors():
    """This process and those above it (its own sandbox's init among them): not another sandbox."""
    found, pid = set(), os.getpid()
    while pid > 0 and pid not in found:
        found.add(pid)
        try:
            with open(f"/proc/{pid}/stat") as file:
                pid = int(file.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return found


def other_children():
    mine = ancestors()
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) not in mine:
            try:
                with open(f"/proc/{name}/cmdline", "rb") as file:
                    if b"_child.py" in file.read():
                        yield int(name)
            except OSError:
                pass


def meddle():
    end = time.monotonic() + 0.5
    while time.monotonic() < end:
        for pid in other_children():
            for action in (lambda: os.sched_setaffinity(pid, {0}), lambda: os.setpriority(os.PRIO_PROCESS, pid, 19),
                           lambda: os.kill(pid, 0)):
                try:
                    action()
                    print(f"BREACH: reached another sandbox ({pid})", flush=True)
                except (OSError, PermissionError):
                    pass
        time.sleep(0.05)


meddle()  # while loading: the test starts the trusted reference's sandbox first
threading.Thread(target=meddle, daemon=True).start()


def softmax(x, axis=-1):
    time.sleep(0.3)
    return None
