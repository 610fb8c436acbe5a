"""Attack: signal the checker (with the audit hook switched off first). Signal 0 only asks.

Expected: the checker is out of reach (strict: outside the PID namespace, another uid).
"""
import gc
import os

for obj in gc.get_objects():
    if type(obj).__name__ == "Guard" and hasattr(obj, "session"):
        obj.session = None
try:
    os.kill(os.getppid(), 0)
    if os.getppid() > 1:
        print("BREACH: could signal the checker")
except OSError:
    pass


def softmax(x, axis=-1):
    return None
