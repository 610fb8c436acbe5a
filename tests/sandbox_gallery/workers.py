"""A solution that spreads its work over processes it starts: forked workers, grandchildren in
sessions of their own, a fork and thread bomb past the audit hook's cap. What per-process limits
cannot see and a sandbox's cgroup must (tests/check/test_cgroups.py)."""

import gc
import os
import threading
import time


def _hook_off():
    """Lift the audit hook's fork cap (a tripwire, not the limit being tested)."""
    for obj in gc.get_objects():
        if type(obj).__name__ == "Guard" and hasattr(obj, "forks"):
            obj.MAX_FORKS, obj.MAX_FORK_DEPTH = 10**9, 10**9


def _grandchild(work):
    """Run work() in a grandchild in a new session (its parent exits at once); its pid (in the sandbox)."""
    read, write = os.pipe()
    if os.fork() == 0:
        os.setsid()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            os.close(write)
            work()
            os._exit(0)
        os.write(write, pid.to_bytes(4, "little"))
        os._exit(0)
    os.close(write)
    os.wait()
    data = os.read(read, 4)
    os.close(read)
    return int.from_bytes(data, "little")


def spread(workers, mib):
    """Fork `workers` processes that each touch `mib` MiB and hold it; how many said they hold it."""
    read, write = os.pipe()
    for _ in range(workers):
        if os.fork() == 0:
            os.close(read)
            block = bytearray(mib << 20)
            for i in range(0, len(block), 4096):
                block[i] = 1
            os.write(write, b"+")
            time.sleep(60)
            os._exit(0)
    os.close(write)
    held = 0
    while held < workers:
        got = os.read(read, 64)
        if not got:
            break
        held += len(got)
    return held


def burn_in_grandchild(seconds):
    """Burn `seconds` of CPU time in a grandchild in a session of its own, then return (it has exited)."""
    def work():
        start = time.process_time()
        while time.process_time() - start < seconds:
            pass

    pid = _grandchild(work)
    while os.path.exists(f"/proc/{pid}") and "Z" not in _state(pid):
        time.sleep(0.01)
    return pid


def _state(pid):
    try:
        with open(f"/proc/{pid}/stat") as file:
            return file.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def spin_workers(workers, seconds):
    """Fork `workers` processes that each burn `seconds` of CPU (under the per-process limit), wait for them."""
    for _ in range(workers):
        if os.fork() == 0:
            start = time.process_time()
            while time.process_time() - start < seconds:
                pass
            os._exit(0)
    for _ in range(workers):
        os.wait()
    return workers


def sleeper_in_grandchild():
    """Leave a grandchild in a session of its own that sleeps; its pid."""
    return _grandchild(lambda: time.sleep(600))


def fork_bomb(limit):
    """Fork (the hook switched off) until the kernel refuses or `limit` processes exist; how many it got."""
    _hook_off()
    read, write = os.pipe()
    made = 0
    while made < limit:
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            os.close(read)
            os.write(write, b"+")
            time.sleep(60)
            os._exit(0)
        made += 1
    os.close(write)
    got = 0
    while got < made:
        chunk = os.read(read, 4096)
        if not chunk:
            break
        got += len(chunk)
    return got


def thread_bomb(limit):
    """Start threads until refused or `limit`; how many ran."""
    started = 0
    stop = threading.Event()
    while started < limit:
        try:
            threading.Thread(target=stop.wait, daemon=True).start()
        except RuntimeError:
            break
        started += 1
    return started


def sleep(seconds):
    time.sleep(seconds)
    return seconds


def ok():
    return 1
