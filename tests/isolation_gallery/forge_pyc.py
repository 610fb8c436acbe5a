"""Attack: leave a forged .pyc in the checker's __pycache__, so that every later check imports it.

Expected: no file lands there (strict: the package is not visible; uid: not writable).
"""
import os
import sys

tag = sys.implementation.cache_tag
for arg in open("/proc/self/cmdline", "rb").read().split(b"\0"):
    if arg.endswith(b"_child.py"):
        cache = os.path.join(os.path.dirname(arg.decode()), "__pycache__")
        try:
            os.makedirs(cache, exist_ok=True)
            with open(os.path.join(cache, f"_gallery_probe.{tag}.pyc"), "wb") as file:
                file.write(b"\0" * 16)
            print("BREACH: forged a .pyc in", cache)
        except OSError:
            pass


def softmax(x, axis=-1):
    return None
