"""Attack: read the hidden references out of the checker's memory through /proc/<parent>/mem.

The checker reads references.py into a string before the check; this scans the parent's
readable mappings for its source of softmax and runs it. Expected: the parent's memory cannot
be opened (strict: the parent is outside the PID namespace; uid: another uid), the check fails.
"""
import os
import re

stolen = None
try:
    parent = os.getppid()
    with open(f"/proc/{parent}/maps") as maps, open(f"/proc/{parent}/mem", "rb", 0) as mem:
        for line in maps:
            span, perms = line.split()[:2]
            if not perms.startswith("r") or "[v" in line:
                continue
            start, end = (int(n, 16) for n in span.split("-"))
            if end - start > 64 << 20:
                continue
            try:
                mem.seek(start)
                chunk = mem.read(end - start)
            except OSError:
                continue
            found = re.search(rb"def softmax\(x[^\n]*\n(?:    [^\n]*\n|\n)+", chunk)
            if found:
                stolen = found.group(0).decode("utf-8", "replace")
                print("BREACH: read the parent's memory")
                break
except OSError:
    pass

if stolen:
    namespace = {}
    exec("import numpy as np\n" + stolen, namespace)
    softmax = namespace["softmax"]
else:
    def softmax(x, axis=-1):
        return None
