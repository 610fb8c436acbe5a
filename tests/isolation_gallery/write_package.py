"""Attack: write into the checker's installed package (it imports modules lazily after the solution ran).

Finds the package from its own command line (the harness is quiz/check/_child.py) and drops a
module there. Expected: the write fails (strict: the package is not even visible), the check fails.
"""
import os

for arg in open("/proc/self/cmdline", "rb").read().split(b"\0"):
    if arg.endswith(b"_child.py"):
        folder = os.path.dirname(arg.decode())
        try:
            with open(os.path.join(folder, "_gallery_probe.py"), "w") as file:
                file.write("TAMPERED = True\n")
            print("BREACH: wrote into", folder)
        except OSError:
            pass


def softmax(x, axis=-1):
    return None
