"""Attack: spread memory over forked workers, each under the per-process limit, together far over it.

softmax forks four workers that each touch 640 MiB and hold it (under RLIMIT_AS, 2 GiB a process),
2.5 GiB in all, over the sandbox's 2 GiB. Expected: the sandbox's cgroup counts them together, the
kernel kills at the limit and the check reports the sandbox out of memory; no worker outlives it.
"""
import os
import time

WORKERS, MIB = 4, 640


def softmax(x, axis=-1):
    read, write = os.pipe()
    for _ in range(WORKERS):
        if os.fork() == 0:
            os.close(read)
            with open("/proc/self/comm", "w") as file:
                file.write("attnqsurvive")
            block = bytearray(MIB << 20)
            for i in range(0, len(block), 4096):
                block[i] = 1
            os.write(write, b"+")
            time.sleep(60)
            os._exit(0)
    os.close(write)
    held = 0
    while held < WORKERS:
        got = os.read(read, 64)
        if not got:
            break
        held += len(got)
    if held == WORKERS:
        print(f"BREACH: {WORKERS * MIB} MiB held across {WORKERS} processes", flush=True)
    return None
