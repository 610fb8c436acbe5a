"""Attack: fill the disk: many 1 MiB files (the size limit per file) in the shared /tmp.

Expected: the private /tmp is size-limited and goes away with the sandbox; nothing is left on the host.
"""
import os

for n in range(300):
    try:
        with open(f"/tmp/attnquiz-gallery-fill-{os.getpid()}-{n}", "wb") as file:
            file.write(b"\0" * ((1 << 20) - 1))
    except OSError:
        break


def softmax(x, axis=-1):
    return None
