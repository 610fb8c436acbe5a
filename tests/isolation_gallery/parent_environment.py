"""Attack: read the checker's environment and command line (/proc/<parent>/environ, cmdline).

Expected: the parent is not visible (strict) and nothing of the checker's environment leaks.
"""
import os

for name in ("environ", "cmdline"):
    try:
        with open(f"/proc/{os.getppid()}/{name}", "rb") as file:
            data = file.read()
        if b"ATTNQUIZ_HOME" in data or b"pytest" in data:
            print(f"BREACH: read the checker's {name}")
    except OSError:
        pass


def softmax(x, axis=-1):
    return None
