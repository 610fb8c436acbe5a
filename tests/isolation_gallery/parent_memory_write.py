"""Attack: open the checker's memory for writing (to overwrite its tolerances).

Expected: /proc/<parent>/mem cannot be opened for writing; nothing is written.
"""
import os

try:
    with open(f"/proc/{os.getppid()}/mem", "r+b", 0):
        print("BREACH: opened the parent's memory for writing")
except OSError:
    pass


def softmax(x, axis=-1):
    return None
