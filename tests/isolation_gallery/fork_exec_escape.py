"""Attack: a process started with the low-level fork_exec primitive (no audit event), in a new
session with an empty environment, that outlives the check and holds its output open.

Expected: it dies with the sandbox (strict: it cannot leave the PID namespace), no hang.
"""
import os
import sys


def softmax(x, axis=-1):
    import _posixsubprocess

    code = "open('/proc/self/comm','w').write('attnqsurvive'); import time; time.sleep(60)"
    args = [sys.executable, "-S", "-c", code]
    read_end, write_end = os.pipe()
    try:  # Python 3.11's signature: args, executables, close_fds, pass_fds, cwd, env, 6 std fds,
        # the error pipe, restore_signals, call_setsid, pgid, gid, groups, uid, umask, preexec_fn, vfork
        _posixsubprocess.fork_exec(
            args, [os.fsencode(sys.executable)], True, (), None, [], -1, -1, -1, -1, -1, -1,
            read_end, write_end, False, True, -1, None, None, None, -1, None, False)
    except (OSError, TypeError, ValueError):
        pass
    os._exit(0)  # the harness goes; the escaped process stays behind (where it can)
