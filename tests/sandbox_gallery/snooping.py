"""A solution that tries to reach the checker's own code and hidden references."""

import os
import sys


def import_quiz():
    import quiz.check.references

    return quiz.check.references.__file__


def import_after_path(package_parent):
    sys.path.insert(0, package_parent)
    import quiz  # noqa: F401

    return "imported"


def read_file(path):
    with open(path, encoding="utf-8") as file:
        return file.read(100)


def read_relative(directory, relative):
    fd = os.open(directory, os.O_RDONLY)
    return os.read(os.open(relative, os.O_RDONLY, dir_fd=fd), 100).decode()


def read_through_symlink(path):
    os.symlink(path, "link.py")
    return read_file("link.py")


def list_dir(path):
    return len(os.listdir(path))


def run_program(path):
    import subprocess

    return subprocess.run(["cat", path], capture_output=True, text=True).stdout


def kill_parent():
    os.kill(os.getppid(), 0)  # signal 0 only asks whether it exists


def kill_everything():
    os.kill(-1, 0)  # signal 0: harmless even if the hook failed


def raise_limit():
    import resource

    resource.setrlimit(resource.RLIMIT_CPU, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


def sys_path():
    return list(sys.path)


def environment():
    return sorted(os.environ.items())


def where():
    return os.getcwd(), os.getsid(0) == os.getpid()


def exists(path):
    return os.path.exists(path)  # a stat, which the audit hook does not watch: only the view decides
