"""Per-sandbox cgroups (quiz/check/cgroups.py), through the real sandbox at every isolation level this
machine offers: each sandbox its own cgroup holding all of its processes, its memory, process and CPU
limits covering them together, its CPU time counting them all, and nothing left after the check, after
a timeout or after Ctrl-C. Each cgroup version's code is run on its own where the machine has it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from quiz.check import cgroups
from quiz.check.isolation import Level
from quiz.check.sandbox import Limits, Sandbox, SandboxFailure
from tests.conftest import REPO, need_level, subprocess_env

WORKERS = REPO / "tests" / "sandbox_gallery" / "workers.py"
LEVELS = [pytest.param(level, id=level.value) for level in Level]
SMALL = Limits(timeout=20, memory_bytes=256 << 20, processes=24)


def need_cgroups(found: cgroups.Support | None = None, *functions: str) -> cgroups.Support:
    """Skip (with the reason) where sandboxes cannot have the cgroup functions a test needs."""
    found = cgroups.support() if found is None else found
    have = {function for place in found.places for function in place.functions}
    missing = [function for function in functions or ("memory", "pids", "cpu") if function not in have]
    if missing:
        pytest.skip(f"sandboxes get no cgroup with {', '.join(missing)} here ({found.problem or 'not offered'})")
    return found


def _ours() -> list[str]:
    """Cgroup folders this test process made that still exist, in every hierarchy."""
    bases = {place.base for versions in ((2, 1), (1,), (2,)) for place in cgroups.support(versions).places}
    mine = f"{cgroups.PREFIX}{os.getpid()}-"
    return [os.path.join(base, name) for base in bases for name in os.listdir(base) if name.startswith(mine)]


@pytest.fixture(autouse=True)
def nothing_left_behind() -> Iterator[None]:
    yield
    assert not _ours(), "a sandbox's cgroup outlived it"


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                alive.add(pid)
        except (OSError, IndexError):
            pass
    return alive


def _open(level: Level, limits: Limits = SMALL, cgroup: bool | cgroups.Support = True) -> Sandbox:
    need_level(level)
    return Sandbox(WORKERS, limits, level, cgroup=cgroup)


@pytest.mark.parametrize("level", LEVELS)
def test_each_sandbox_has_a_cgroup_of_its_own_holding_every_process_it_starts(level: Level) -> None:
    need_cgroups()
    with _open(level) as first, _open(level) as second:
        groups = [first._cgroup, second._cgroup]
        assert all(group is not None for group in groups) and first.bounded_by == second.bounded_by == "cgroup"
        assert not set(groups[0].folders_used()) & set(groups[1].folders_used())
        for box, group in zip((first, second), groups):
            line = Path(f"/proc/{box.pid}/cgroup").read_text()
            assert all(os.path.basename(folder) in line for folder in group.folders_used()), line
        before = groups[0].pids()
        assert first.pid in before and first._proc.pid in before
        first.call("sleeper_in_grandchild")  # a new session, its parent gone: still in the cgroup
        inside = groups[0].pids()
        assert len(inside - before) == 1 and not inside & groups[1].pids()
    assert not _alive(inside)
    assert not any(os.path.exists(folder) for group in groups for folder in group.folders_used())


@pytest.mark.parametrize("level", LEVELS)
def test_the_memory_and_process_limits_are_the_sandboxs(level: Level) -> None:
    found = need_cgroups()
    with _open(level) as box:
        group = box._cgroup
        versions = {place.version for place in found.places if "memory" in place.functions}
        memory = "memory.max" if versions == {2} else "memory.limit_in_bytes"
        assert int(Path(group.folders["memory"], memory).read_text()) == SMALL.memory_bytes
        assert int(Path(group.folders["pids"], "pids.max").read_text()) == SMALL.processes


@pytest.mark.parametrize("level", LEVELS)
def test_memory_spread_over_forked_workers_counts_against_the_sandbox(level: Level) -> None:
    need_cgroups()
    # Four workers of 96 MiB each: every one is under the per-process limit of 256 MiB, together they are not.
    with _open(level) as box, pytest.raises(SandboxFailure) as failure:
        box.call("spread", 4, 96)
    assert failure.value.kind == "memory" and "together" in failure.value.message
    with _open(level, cgroup=False) as box:  # per-process limits alone let them all through
        assert box.call("spread", 4, 96) == 4 and box.bounded_by == "rlimits"


@pytest.mark.parametrize("level", LEVELS)
def test_a_fork_bomb_and_a_thread_bomb_stop_at_the_sandboxs_process_limit(level: Level) -> None:
    need_cgroups()
    with _open(level) as box:
        made = box.call("fork_bomb", 200)
        assert 0 < made < SMALL.processes
        inside = box._cgroup.pids()
        assert len(inside) <= SMALL.processes
    assert not _alive(inside)
    with _open(level) as box:
        assert 0 < box.call("thread_bomb", 200) < SMALL.processes


@pytest.mark.parametrize("level", LEVELS)
def test_cpu_time_counts_every_process_of_the_sandbox(level: Level) -> None:
    need_cgroups(None, "cpu")
    with _open(level) as box:
        before = box.cpu_seconds()
        box.call("burn_in_grandchild", 0.6)  # in a session of its own, gone (a zombie) when the call returns
        assert before is not None and box.cpu_seconds() - before >= 0.5
    with _open(level, cgroup=False) as box:  # the harness's own clock does not see it
        before = box.cpu_seconds()
        box.call("burn_in_grandchild", 0.6)
        assert before is not None and box.cpu_seconds() - before < 0.3


@pytest.mark.parametrize("level", LEVELS)
def test_the_cpu_limit_covers_the_sandboxs_processes_together(level: Level) -> None:
    need_cgroups(None, "cpu")
    # three workers of 0.7 s each: under the per-process limit of 1 s, over it together
    limits = Limits(timeout=30, cpu_seconds=1, memory_bytes=256 << 20)
    with _open(level, limits) as box, pytest.raises(SandboxFailure) as failure:
        box.call("spin_workers", 3, 0.7)
    assert failure.value.kind == "timeout" and "together" in failure.value.message


@pytest.mark.parametrize("level", LEVELS)
def test_the_cgroup_and_its_processes_are_gone_after_a_timeout_and_after_ctrl_c(level: Level) -> None:
    need_cgroups()
    box = _open(level, Limits(timeout=0.5))
    with box:
        box.call("sleeper_in_grandchild")
        group, inside = box._cgroup, box._cgroup.pids()
        with pytest.raises(SandboxFailure) as failure:
            box.call("sleep", 5)
        assert failure.value.kind == "timeout"
        assert box._cgroup is None and not any(os.path.exists(folder) for folder in group.folders_used())
        assert not _alive(inside)

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        with _open(level) as box:
            box.call("sleeper_in_grandchild")
            group, inside = box._cgroup, box._cgroup.pids()
            signal.setitimer(signal.ITIMER_REAL, 0.3)
            with pytest.raises(KeyboardInterrupt):
                box.call("sleep", 5)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert not any(os.path.exists(folder) for folder in group.folders_used())
    assert not _alive(inside)


@pytest.mark.parametrize("versions", [pytest.param((1,), id="v1"), pytest.param((2,), id="v2")])
def test_each_cgroup_version_kills_every_process_and_counts_their_cpu(versions: tuple[int, ...]) -> None:
    """Each version's own code (v2: cgroup.kill and cpu.stat; v1: the freezer and cpuacct), at the strict level."""
    found = need_cgroups(cgroups.support(versions), "cpu")
    with _open(Level.STRICT, cgroup=found) as box:
        assert {os.path.dirname(folder) for folder in box._cgroup.folders_used()} <= \
            {place.base.rstrip("/") for place in found.places}
        before = box.cpu_seconds()
        box.call("burn_in_grandchild", 0.4)
        assert box.cpu_seconds() - before >= 0.3
        box.call("fork_bomb", 20)
        inside = box._cgroup.pids()
        assert len(inside) > 20
    assert not _alive(inside)


def test_empty_cgroups_of_a_killed_checker_are_removed_and_live_ones_kept() -> None:
    found = need_cgroups()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a pid that no process has now
    base = found.places[0].base
    stale = Path(base, f"{cgroups.PREFIX}{dead.pid}-1-0000")
    live = Path(base, f"{cgroups.PREFIX}{os.getpid()}-{cgroups._start_time(os.getpid())}-1111")
    stale.mkdir()
    live.mkdir()
    try:
        cgroups._swept.cache_clear()
        cgroups.Cgroup.make(found, 1 << 30, 64).remove()
        assert not stale.exists() and live.exists()
    finally:
        for folder in (stale, live):
            if folder.exists():
                folder.rmdir()


def test_ctrl_c_in_a_check_leaves_no_cgroup_behind() -> None:
    """`attnquiz check` interrupted while a solution runs: exit 130, no cgroup of it left, no process."""
    found = need_cgroups()
    solution = REPO / "tests" / "sandbox_gallery" / "loops_at_import.py"
    with subprocess.Popen([sys.executable, "-m", "quiz", "check", str(solution), "--timeout", "60"],
                          env=subprocess_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        mine = f"{cgroups.PREFIX}{proc.pid}-"
        end = time.monotonic() + 30
        while not any(name.startswith(mine) for place in found.places for name in os.listdir(place.base)):
            assert time.monotonic() < end and proc.poll() is None, "the check made no cgroup"
            time.sleep(0.05)
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert not [name for place in found.places for name in os.listdir(place.base) if name.startswith(mine)]
