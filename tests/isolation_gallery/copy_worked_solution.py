"""Attack: copy the worked solution that ships next to the package (solutions/attention.py).

Expected: it is not readable from the sandbox (strict), the check fails.
"""
import os

stolen = None
for arg in open("/proc/self/cmdline", "rb").read().split(b"\0"):
    if arg.endswith(b"_child.py"):
        root = os.path.dirname(os.path.dirname(os.path.dirname(arg.decode())))
        try:
            with open(os.path.join(root, "solutions", "attention.py")) as file:
                stolen = file.read()
            print("BREACH: copied the worked solution")
        except OSError:
            pass
if stolen:
    namespace = {}
    exec(stolen, namespace)
    softmax = namespace["softmax"]
else:
    def softmax(x, axis=-1):
        return None
