"""Attack: exhaust the machine's processes and threads from one sandbox (the hook's fork cap switched off).

softmax forks sleepers and starts threads until the kernel refuses, and reports how many it got.
Expected: the sandbox's process limit stops it at 64 processes and threads (its cgroup's pids.max;
also RLIMIT_NPROC where it counts the sandbox alone: as root at the strict and uid levels, its own
uid; at strict as a normal user, its own user namespace); every one dies with it.
"""
import gc
import os
import threading
import time

LIMIT = 64  # Limits.processes

for obj in gc.get_objects():
    if type(obj).__name__ == "Guard" and hasattr(obj, "forks"):
        obj.MAX_FORKS, obj.MAX_FORK_DEPTH = 10**9, 10**9


def softmax(x, axis=-1):
    processes = threads = 0
    sleepers = []
    for _ in range(400):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            with open("/proc/self/comm", "w") as file:
                file.write("attnqsurvive")
            time.sleep(60)
            os._exit(0)
        processes += 1
        sleepers.append(pid)
    for pid in sleepers[:8]:  # make room for threads
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    stop = threading.Event()
    for _ in range(400):
        try:
            threading.Thread(target=stop.wait, daemon=True).start()
        except RuntimeError:
            break
        threads += 1
    if processes >= LIMIT or threads >= LIMIT:
        print(f"BREACH: {processes} processes and {threads} threads in one sandbox", flush=True)
    return None
