"""Attack: open the hidden references file directly (its path derived from the harness's).

Expected: refused (process: the audit hook; strict: not in the sandbox's view at all).
"""
import os

stolen = None
for arg in open("/proc/self/cmdline", "rb").read().split(b"\0"):
    if arg.endswith(b"_child.py"):
        try:
            with open(os.path.join(os.path.dirname(arg.decode()), "references.py")) as file:
                stolen = file.read()
            print("BREACH: read the references")
        except OSError:
            pass
if stolen:
    namespace = {}
    exec(stolen, namespace)
    softmax = namespace["softmax"]
else:
    def softmax(x, axis=-1):
        return None
