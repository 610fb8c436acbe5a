"""Attack: look for the instructor's files: the grade output, ATTNQUIZ_HOME, HOME, other submissions.

The test leaves /tmp/attnquiz-gallery/secret.txt (the stand-in for all of them). Expected:
nothing outside the sandbox's own folders is visible (strict).
"""
import os

for top in ("/tmp", "/root", "/home", os.path.expanduser("~")):
    for folder, _, files in os.walk(top):
        if "secret.txt" in files or "results.jsonl" in files:
            print("BREACH: found", folder)
            break


def softmax(x, axis=-1):
    return None
