"""Attack: import the checker's package (with its folder put back on sys.path).

Expected: refused (process: the audit hook; strict: the package is not in the sandbox).
"""
import os
import sys

for arg in open("/proc/self/cmdline", "rb").read().split(b"\0"):
    if arg.endswith(b"_child.py"):
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(arg.decode()))))
try:
    from quiz.check.references import softmax  # noqa: F401

    print("BREACH: imported quiz")
except ImportError:
    def softmax(x, axis=-1):
        return None
