"""The isolation levels this machine cannot run as it is, run honestly in a private mount namespace.

Here the Python interpreter lives under /root (pyenv), which is 0700: an unprivileged uid cannot
reach it, so the uid level (root running the child as a uid of its own) and the strict level as a
normal user (bubblewrap in a user namespace) cannot start a child at all. These tests run the same
test files again, in a child process inside a new mount namespace (``unshare --mount``) where only
that folder is covered by a world-searchable tmpfs holding a read-only bind of the interpreter's
prefix (the same path, the same interpreter, nothing else of it), /tmp is a private tmpfs, and a
network namespace of its own gives the gallery's loopback server a port no other run holds. The
namespaces change nothing outside them and end with the child. The level under test must run there
(REQUIRE_ISOLATION_LEVELS turns its skips into failures). Where the level runs directly, the main
run covers it and these tests skip saying so.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from quiz.check import isolation
from quiz.check.isolation import Level
from tests.conftest import REPO, REQUIRE_LEVELS

NOBODY = 65534
FILES = ["tests/check/test_isolation.py", "tests/check/test_cgroups.py"]


def _hidden_ancestor(path: str) -> str | None:
    """The highest folder above `path` that other users cannot search (mode without o+x), if any."""
    parts = Path(path).parts
    for i in range(2, len(parts)):
        folder = os.path.join(*parts[:i])
        if not os.stat(folder).st_mode & stat.S_IXOTH:
            return folder
    return None


def _in_namespace(inner: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run `inner` in a private mount namespace where the interpreter's prefix is reachable by every uid."""
    prefix = os.path.realpath(sys.base_prefix)
    hidden = _hidden_ancestor(isolation.python_executable())
    if hidden is None:
        pytest.skip("the interpreter is reachable by every uid here: the main run covers this level")
    for tool in ("unshare", "mount", "ip"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} (util-linux) is not installed")
    rel = os.path.relpath(prefix, hidden)
    real = tempfile.mkdtemp(prefix="attnquiz-realroot-")
    # The checkout itself (and its virtual environment) may sit under the covered folder or under /tmp
    # (a CI clone often does): it is held on the cover while the covers go on, then bound back in place.
    repo = str(REPO.resolve())
    covered = any(repo == top or repo.startswith(top + os.sep) for top in (hidden, "/tmp"))
    source = os.path.join(real, os.path.relpath(repo, hidden)) if repo.startswith(hidden + os.sep) else repo
    script = ('set -e; mount --make-rprivate /; mount --bind "$1" "$2"; '
              'mount -t tmpfs -o mode=0755,size=1m attnquiz-cover "$1"; mkdir -p "$1/$3"; '
              'mount --bind "$2/$3" "$1/$3"; mount -o remount,bind,ro "$1/$3"; '
              'if [ -n "$4" ]; then mkdir "$1/.attnquiz-repo"; mount --bind "$5" "$1/.attnquiz-repo"; fi; '
              'mount -t tmpfs -o mode=1777,size=512m attnquiz-tmp /tmp; '
              'if [ -n "$4" ]; then mkdir -p "$4"; mount --bind "$1/.attnquiz-repo" "$4"; fi; '
              'ip link set lo up; shift 5; exec "$@"')
    try:
        command = ["unshare", "--mount", "--net", "--", "sh", "-c", script, "sh", hidden, real, rel,
                   repo if covered else "", source, *inner]
        return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=1200)
    finally:
        os.rmdir(real)


def _environment(level: Level) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("ATTNQUIZ_")}
    env.update({REQUIRE_LEVELS: level.value, "HOME": "/tmp", "PYTHONDONTWRITEBYTECODE": "1"})
    return env


def _passed(done: subprocess.CompletedProcess) -> int:
    failed = [line for line in done.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
    tail = "\n".join(failed) + "\n" + done.stdout[-3000:] + done.stderr[-2000:]
    assert done.returncode == 0, tail
    found = re.search(r"(\d+) passed", done.stdout)
    assert found and int(found.group(1)) > 0 and " failed" not in done.stdout, tail
    return int(found.group(1))


def _needs_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("only root can make a mount namespace and run a child as another uid")


@pytest.mark.slow
def test_the_uid_level_runs_its_gallery_and_properties_where_the_interpreter_is_reachable() -> None:
    _needs_root()
    if isolation.host().works(Level.UID):
        pytest.skip("the uid level runs here directly: the main run covers it")
    done = _in_namespace([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfEs", *FILES,
                          "-k", "uid"], _environment(Level.UID))
    assert _passed(done) >= 20  # the gallery's uid files and the cgroup properties at the uid level


@pytest.mark.slow
def test_the_strict_level_runs_as_a_normal_user_in_a_user_namespace() -> None:
    """bubblewrap without root: --unshare-user, the child uid 65534 in a user namespace that cannot make another."""
    _needs_root()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is not installed")
    inner = [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--inh-caps=-all",
             "--bounding-set=-all", sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfEs", *FILES,
             "-k", "strict and not v1 and not v2"]
    done = _in_namespace(inner, _environment(Level.STRICT))
    assert _passed(done) >= 25  # the gallery's strict files and the strict properties, as uid 65534
