"""A seccomp filter for every sandbox child: a second layer, cheap, under whichever isolation level.

Built once per checker with libseccomp (the system library Flatpak, Docker and systemd build
their filters with; Debian's ``libseccomp2``, loaded with ctypes), exported as a BPF program, and
sent to the harness, which loads it with ``prctl(PR_SET_SECCOMP)`` after no_new_privs and before
the solution runs; it then holds for every process the solution starts and cannot be removed.
It allows every system call but those a NumPy solution never needs and an escape or a kernel
exploit typically does (the list follows Flatpak's and Docker's default profiles), which fail
with EPERM:

- tracing and reading other processes (ptrace, process_vm_readv/writev, kcmp, pidfd_getfd);
- new namespaces and mounts (unshare, setns, clone with a CLONE_NEW* flag, mount and the new
  mount API, pivot_root, chroot); clone3 answers ENOSYS, so the C library falls back to clone,
  whose flags the filter can read;
- kernel surfaces that see most exploits (bpf, perf_event_open, userfaultfd, io_uring, keyctl
  and the key calls, open_by_handle_at, kernel modules, kexec, personality changes);
- sockets of any family but AF_UNIX (the network at the uid and process levels too);
- system calls of another architecture (x32, i386) end the thread (libseccomp's default).

Where libseccomp cannot be loaded (macOS, a system without it) there is no filter; ``program()``
says so with ``None``, and the checker runs without this layer.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import functools
import os
import sys

ALLOW = 0x7FFF0000


def _errno(code: int) -> int:
    return 0x00050000 | (code & 0xFFFF)


NE, MASKED_EQ = 1, 7
AF_UNIX = 1
CLONE_NEW = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000, 0x00000080)
# CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET, NEWTIME
DENIED = (
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    "unshare", "setns", "mount", "umount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree",
    "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
    "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "keyctl", "add_key", "request_key", "open_by_handle_at", "name_to_handle_at",
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "personality",
    "swapon", "swapoff", "reboot", "acct", "quotactl", "syslog", "vhangup", "lookup_dcookie",
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "fanotify_init", "uselib", "ustat", "sysfs",
)


class _ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("datum_a", ctypes.c_uint64),
                ("datum_b", ctypes.c_uint64)]


@functools.cache
def program() -> bytes | None:
    """The filter as a BPF program (struct sock_filter entries), or None where libseccomp is not here."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("seccomp") or "libseccomp.so.2", use_errno=True)
    except OSError:
        return None
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = (ctypes.c_uint32,)
    lib.seccomp_syscall_resolve_name.argtypes = (ctypes.c_char_p,)
    lib.seccomp_rule_add_array.argtypes = (ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint,
                                           ctypes.POINTER(_ArgCmp))
    lib.seccomp_export_bpf.argtypes = (ctypes.c_void_p, ctypes.c_int)
    lib.seccomp_release.argtypes = (ctypes.c_void_p,)
    context = lib.seccomp_init(ALLOW)
    if not context:
        return None
    try:
        def rule(action: int, name: str, *compares: tuple[int, int, int, int]) -> None:
            number = lib.seccomp_syscall_resolve_name(name.encode())
            if number < 0:
                return  # not a system call of this architecture
            array = (_ArgCmp * max(1, len(compares)))(*(_ArgCmp(*c) for c in compares))
            if lib.seccomp_rule_add_array(context, action, number, len(compares), array) != 0:
                raise OSError(f"libseccomp refused the rule for {name}")

        for name in DENIED:
            rule(_errno(errno.EPERM), name)
        rule(_errno(errno.ENOSYS), "clone3")
        for flag in CLONE_NEW:
            rule(_errno(errno.EPERM), "clone", (0, MASKED_EQ, flag, flag))
        rule(_errno(errno.EAFNOSUPPORT), "socket", (0, NE, AF_UNIX, 0))
        rule(_errno(errno.EAFNOSUPPORT), "socketpair", (0, NE, AF_UNIX, 0))
        fd = os.memfd_create("attnquiz-seccomp", os.MFD_CLOEXEC)
        try:
            if lib.seccomp_export_bpf(context, fd) != 0:
                return None
            size = os.lseek(fd, 0, os.SEEK_END)
            return os.pread(fd, size, 0)
        finally:
            os.close(fd)
    except OSError:
        return None
    finally:
        lib.seccomp_release(context)
