"""Attack: a symbolic-link race against the audit hook's realpath check, to open references.py.

A thread flips a link between a harmless file and the references while the main thread opens
it. Expected: the references are never read (strict: not in the sandbox's view at all).
"""
import os
import threading

target = None
for arg in open("/proc/self/cmdline", "rb").read().split(b"\0"):
    if arg.endswith(b"_child.py"):
        target = os.path.join(os.path.dirname(arg.decode()), "references.py")
stolen = None
if target:
    with open("harmless.txt", "w") as file:
        file.write("nothing\n")
    stop = False

    def flip():
        while not stop:
            for source in ("harmless.txt", target):
                try:
                    os.symlink(source, "link.tmp")
                    os.replace("link.tmp", "link")
                except OSError:
                    pass

    thread = threading.Thread(target=flip, daemon=True)
    thread.start()
    for _ in range(3000):
        try:
            with open("link") as file:
                text = file.read()
        except OSError:
            continue
        if "def softmax" in text:
            stolen = text
            print("BREACH: read the references through a link")
            break
    stop = True
    thread.join()

if stolen:
    namespace = {}
    exec(stolen, namespace)
    softmax = namespace["softmax"]
else:
    def softmax(x, axis=-1):
        return None
