"""Attack: write outside the working folder (/var/tmp, next to the solution file, the user's home).

Expected: nothing lands on the host (strict: the only writable places are the sandbox's own tmpfs).
"""
import os

for folder in ("/var/tmp", os.path.expanduser("~"), "/work"):
    try:
        path = os.path.join(folder, f"attnquiz-gallery-breach-{os.getpid()}")
        with open(path, "w") as file:
            file.write("x")
        os.remove(path)
        print("BREACH: wrote into", folder)
    except OSError:
        pass


def softmax(x, axis=-1):
    return None
