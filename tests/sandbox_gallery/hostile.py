"""A solution that attacks the process it runs in, one function per trick."""

import os
import sys
import time

import numpy as np


def ok():
    return 1


def sleep_forever():
    time.sleep(3600)


def spin():
    while True:
        pass


def sys_exit_0():
    sys.exit(0)


def os_exit_0():
    os._exit(0)


def keyboard_interrupt():
    raise KeyboardInterrupt


def base_exception():
    class Escape(BaseException):
        pass

    raise Escape


def segfault():
    import faulthandler

    faulthandler._sigsegv()


def allocate(n_bytes):
    return np.ones(n_bytes // 8).sum()


def flood(n_bytes):
    chunk = "y" * 1023 + "\n"
    for _ in range(n_bytes // 1024):
        sys.stdout.write(chunk)
    return "done"


def flood_forever():
    while True:
        print("z" * 1000)


def grandchild():
    """Start a grandchild in a new session that outlives this call; return its pid."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if os.fork() == 0:  # double fork: the grandchild's parent exits at once
            os.write(write, str(os.getpid()).encode())
            while True:
                time.sleep(1)
        os._exit(0)
    os.waitpid(pid, 0)
    return int(os.read(read, 32))


def close_protocol(fd_index):
    os.close(_protocol_fds()[fd_index])
    return "closed"


def garbage_protocol():
    os.write(_protocol_fds()[1], b"\xff" * 64)
    return "sent"


def fake_reply():
    """Write a well-formed frame claiming a huge array, then the real reply follows."""
    header = b"\x93NUMPY\x01\x00" + (118).to_bytes(2, "little")
    body = "{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000), }".ljust(117) + "\n"
    envelope = b'{"seq":2,"ok":{"a":0}}'
    import struct

    frame = struct.pack("<II", len(envelope), 1) + envelope
    frame += struct.pack("<Q", 10 + 118 + 8 * 10**10) + header + body.encode()
    os.write(_protocol_fds()[1], frame)
    return "sent"


def _protocol_fds():
    """The request and reply descriptors: the ones that are pipes and not 0, 1 or 2."""
    fds = []
    for name in sorted(os.listdir("/proc/self/fd"), key=int):
        try:
            if int(name) > 2 and os.readlink(f"/proc/self/fd/{name}").startswith("pipe:"):
                fds.append(int(name))
        except OSError:
            pass  # the descriptor listdir itself used
    return fds[:2]


def write_file(n_bytes):
    with open("big.bin", "wb") as file:
        file.write(b"\0" * n_bytes)
    return "written"


def orphan_then_exit():
    """Leave a grandchild in a new session behind, then end the child: nothing links it to us but its
    environment."""
    read, write = os.pipe()
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.write(write, str(os.getpid()).encode())
            while True:
                time.sleep(1)
        os._exit(0)
    print(int(os.read(read, 32)), flush=True)  # the test reads the pid from the captured output
    os._exit(3)


def forge(template):
    """Write a reply of our own, with the sequence number of the request being served."""
    import struct

    frame = sys._getframe()
    while frame is not None and not isinstance(frame.f_locals.get("request"), dict):
        frame = frame.f_back
    envelope = template.replace("SEQ", str(frame.f_locals["request"]["seq"])).encode()
    os.write(_protocol_fds()[1], struct.pack("<II", len(envelope), 0) + envelope)
    return "forged"


def fork_many(n):
    """Fork n children that sleep; how many forks the sandbox allowed."""
    for count in range(n):
        try:
            if os.fork() == 0:
                time.sleep(60)
                os._exit(0)
        except PermissionError:
            return count
    return n


def fork_depth():
    """Fork a chain of processes, each from the last; how many levels the sandbox allowed."""
    read, write = os.pipe()
    depth = 0
    while True:
        try:
            pid = os.fork()
        except PermissionError:
            os.write(write, bytes([depth]))
            if depth:
                os._exit(0)
            break
        if pid:
            if depth:
                os.waitpid(pid, 0)
                os._exit(0)
            os.waitpid(pid, 0)
            break
        depth += 1
    return os.read(read, 1)[0]


def realtime_signal():
    os.kill(os.getpid(), 40)  # a signal without a name in Python's signal.Signals
