"""The seccomp filter (quiz/check/seccomp.py), through the real sandbox at every isolation level this
machine offers: loaded before the solution runs, held by every process it starts, refusing what it
lists and nothing a NumPy solution needs."""

from __future__ import annotations

import errno

import pytest

from quiz.check import seccomp
from quiz.check.isolation import Level
from quiz.check.sandbox import Limits, Sandbox
from tests.conftest import REPO, need_level

SYSCALLS = REPO / "tests" / "sandbox_gallery" / "syscalls.py"
LEVELS = [pytest.param(level, id=level.value) for level in Level]


def _open(level: Level, filtered: bool = True) -> Sandbox:
    need_level(level)
    if seccomp.program() is None:
        pytest.skip("libseccomp is not installed here (apt-get install libseccomp2): no filter")
    return Sandbox(SYSCALLS, Limits(timeout=10), level, filtered=filtered)


@pytest.mark.parametrize("level", LEVELS)
def test_the_filter_refuses_namespaces_tracing_and_the_network(level: Level) -> None:
    with _open(level) as box:
        assert box.filtered and box.call("seccomp_mode") == 2  # SECCOMP_MODE_FILTER
        assert box.call("unshare_user") == errno.EPERM
        assert box.call("ptrace_me") == errno.EPERM
        assert box.call("inet_socket") == errno.EAFNOSUPPORT


@pytest.mark.parametrize("level", LEVELS)
def test_the_filter_leaves_what_numpy_needs(level: Level) -> None:
    with _open(level) as box:
        assert box.call("what_numpy_needs") == [256.0, 7, "x"]


@pytest.mark.parametrize("level", LEVELS)
def test_without_the_filter_the_same_calls_get_through_where_the_level_allows_them(level: Level) -> None:
    """The contrast that shows the tests above measure the filter: the process level (as root) allows them all."""
    with _open(level, filtered=False) as box:
        assert not box.filtered and box.call("seccomp_mode") == 0
        if level is Level.PROCESS:
            assert box.call("inet_socket") == 0 and box.call("ptrace_me") == 0
