"""A solution that makes the system calls the seccomp filter refuses, the audit hook switched off
first (it would refuse ctypes on its own), and the ones a NumPy solution needs (tests/check/test_seccomp.py)."""

import ctypes
import gc
import os
import socket
import threading

for obj in gc.get_objects():
    if type(obj).__name__ == "Guard" and hasattr(obj, "REFUSED"):
        obj.REFUSED = frozenset()
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWUSER, CLONE_NEWNET = 0x10000000, 0x40000000


def seccomp_mode():
    with open("/proc/self/status") as file:
        return next(int(line.split()[1]) for line in file if line.startswith("Seccomp:"))


def _errno_of(result):
    return 0 if result == 0 else ctypes.get_errno()


def unshare_user():
    """0 if a new user namespace was made (in a child, so the harness is unchanged), else the errno."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(write, bytes([_errno_of(libc.unshare(CLONE_NEWUSER | CLONE_NEWNET))]))
        os._exit(0)
    os.waitpid(pid, 0)
    return os.read(read, 1)[0]


def ptrace_me():
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(write, bytes([_errno_of(libc.ptrace(0, 0, None, None))]))  # PTRACE_TRACEME
        os._exit(0)
    os.waitpid(pid, 0)
    return os.read(read, 1)[0]


def inet_socket():
    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
        return 0
    except OSError as exc:
        return exc.errno


def what_numpy_needs():
    """Threads, a fork, a pipe, a Unix socket pair, memory: all still work under the filter."""
    import numpy as np

    done = []
    thread = threading.Thread(target=lambda: done.append(np.ones((256, 256)) @ np.ones((256, 256))))
    thread.start()
    thread.join()
    pid = os.fork()
    if pid == 0:
        os._exit(7)
    _, status = os.waitpid(pid, 0)
    first, second = socket.socketpair()
    first.sendall(b"x")
    return [float(done[0][0, 0]), os.waitstatus_to_exitcode(status), second.recv(1).decode()]
