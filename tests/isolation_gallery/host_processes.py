"""Attack: list the host's processes (the checker, other students' checks) through /proc.

Expected: /proc shows only the sandbox's own processes (strict: a PID namespace of its own).
"""
import os

me = os.getpid()
for name in os.listdir("/proc"):
    if name.isdigit():
        try:
            with open(f"/proc/{name}/cmdline", "rb") as file:
                if b"pytest" in file.read():
                    print("BREACH: saw a host process")
                    break
        except OSError:
            pass


def softmax(x, axis=-1):
    return None
