"""Attack: open the checker's memory for writing (to overwrite its tolerances).

The checker is the nearest process above this one that is not bubblewrap (in a strict sandbox the
parent is the sandbox's own init, a bwrap process of the same uid inside its namespaces, and the
checker has no pid at all). Expected: /proc/<checker>/mem cannot be opened for writing; nothing is written.
"""
import os


def checker():
    pid = os.getppid()
    while pid > 0:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as file:
                command = file.read().split(b"\0")[0]
            with open(f"/proc/{pid}/stat") as file:
                parent = int(file.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            return pid  # not even readable: try it anyway
        if os.path.basename(command) != b"bwrap":
            return pid
        pid = parent
    return None


target = checker()
if target is not None:
    try:
        with open(f"/proc/{target}/mem", "r+b", 0):
            print("BREACH: opened the checker's memory for writing")
    except OSError:
        pass


def softmax(x, axis=-1):
    return None
