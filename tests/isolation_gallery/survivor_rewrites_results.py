"""Attack: a double-forked process that outlives the check and later rewrites the results.

It waits, then overwrites /tmp/attnquiz-gallery/results.json (where the test keeps a results
file). Expected: it dies with the sandbox, and the file is never reachable (strict).
"""
import os


def softmax(x, axis=-1):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            try:
                with open("/proc/self/comm", "w") as file:
                    file.write("attnqsurvive")
            except OSError:
                pass
            import time

            time.sleep(2)
            try:
                with open("/tmp/attnquiz-gallery/results.json", "w") as file:
                    file.write('{"score": 100}')
            except OSError:
                pass
            time.sleep(60)
        os._exit(0)
    return None
