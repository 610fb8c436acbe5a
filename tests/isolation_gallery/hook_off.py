"""Attack: switch the audit hook off with one assignment, then import the hidden references.

The hook is an object in this process: find it with gc and empty what it protects. Expected:
at the strict level the quiz package is simply not in the sandbox, so the import fails anyway.
"""
import gc
import os
import sys

for obj in gc.get_objects():
    if type(obj).__name__ == "Guard" and hasattr(obj, "protected"):
        obj.protected, obj.package = (), "\0"
        obj.REFUSED = frozenset()
for arg in open("/proc/self/cmdline", "rb").read().split(b"\0"):
    if arg.endswith(b"_child.py"):
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(arg.decode()))))
try:
    from quiz.check import references

    print("BREACH: imported the references")
    softmax = references.softmax
except ImportError:
    def softmax(x, axis=-1):
        return None
