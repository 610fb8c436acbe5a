"""The isolation levels: the adversarial gallery (tests/isolation_gallery/) at every level this
machine offers, and the properties of the boundary each level claims (docs/checker.md)."""

from __future__ import annotations

import compileall
import hashlib
import json
import os
import socket
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from quiz import processes
from quiz.check import cgroups, isolation, seccomp
from quiz.check.isolation import Host, Level
from quiz.check.report import render_json, render_table, to_json
from quiz.check.runner import CheckOptions, run_check
from quiz.check.sandbox import PACKAGE, Limits, Sandbox
from quiz.check.untrusted import clean
from quiz.check.verdicts import Status
from quiz.errors import AttnquizError
from tests.conftest import REPO, need_level

GALLERY = REPO / "tests" / "isolation_gallery"
EXPECTED = yaml.safe_load((GALLERY / "expected.yaml").read_text(encoding="utf-8"))
# The gallery's files name a bait folder, their survivors' process name and a server's port; each run
# gets its own of all three (other test runs on the same machine hold theirs), written into a copy.
NAMED_BAIT, NAMED_SURVIVOR = "/tmp/attnquiz-gallery", "attnqsurvive"
BAIT = Path(f"{NAMED_BAIT}-{os.getpid()}")
SURVIVOR = f"attnq{os.getpid():x}s"  # at most 15 characters, as /proc/<pid>/comm
COPIES = BAIT.with_name(BAIT.name + "-files")
PORT = 47613  # the port the gallery's files name; the server gets a free one and the file is given it
QUICK = Limits(timeout=5, memory_bytes=1 << 30)


def _package_digest() -> str:
    """Every file of the installed package (names and bytes): what a tampering attack would change."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(PACKAGE)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _survivors() -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        try:
            if name.isdigit() and Path(f"/proc/{name}/comm").read_text().strip() == SURVIVOR \
                    and Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                found.append(int(name))
        except (OSError, IndexError):
            continue
    return found


@pytest.fixture(scope="module")
def bait() -> Iterator[dict]:
    """What the gallery tries to reach: a classmate's file, a secret, a results file, a server."""
    BAIT.mkdir(mode=0o700, exist_ok=True)
    files = {"classmate.py": (REPO / "solutions" / "attention.py").read_bytes(), "secret.txt": b"the answers\n",
             "results.json": b'{"score": 0}\n'}
    for name, data in files.items():
        (BAIT / name).write_bytes(data)
        (BAIT / name).chmod(0o600)
    server = socket.create_server(("127.0.0.1", 0))  # a free port: other test runs on this machine hold theirs
    try:
        yield files | {"port": server.getsockname()[1]}
    finally:
        server.close()
        processes.remove_tree(BAIT)
        processes.remove_tree(COPIES)
        for leftover in Path("/tmp").glob(f"{BAIT.name}-fill-*"):
            leftover.unlink()


def _cases() -> list:
    return [pytest.param(name, level, id=f"{name}-{level.value}") for name in EXPECTED for level in Level]


def _gradescope(result) -> dict:
    """The results.json `check --format gradescope` prints for this result (the autograder's own path)."""
    from quiz.grade.platforms import render_for

    return render_for("gradescope", to_json(result), solution=Path(result.solution))[0]


def _assert_clean_reports(result) -> None:
    """Table, JSON and Gradescope render fast, encode as UTF-8 and carry no control characters."""
    started = time.monotonic()
    table = render_table(result, width=100)
    documents = [render_json(to_json(result)), render_json(_gradescope(result))]
    assert time.monotonic() - started < 10
    for text in (table, *documents):
        text.encode("utf-8")
        assert "\x1b" not in text and "\\u001b" not in text and len(text) < 2_000_000
    assert not any(line.startswith("Score 100/100") for line in table.splitlines())


@pytest.mark.slow
@pytest.mark.parametrize(("name", "level"), _cases())
def test_the_gallery_gets_an_honest_verdict(name: str, level: Level, bait: dict) -> None:
    spec = EXPECTED[name]
    defended = dict((entry.split("+") + [""])[:2] for entry in spec["defended"])  # level -> what it needs
    if level.value not in defended:
        pytest.skip(f"{name} is not defended at the {level.value} level (docs/checker.md, threat model)")
    need_level(level)
    if defended[level.value] == "cgroup" and cgroups.support().problem:
        pytest.skip(f"{name} is defended at the {level.value} level only where each sandbox has a cgroup of its "
                    f"own; here: {cgroups.support().problem}")
    if defended[level.value] == "seccomp" and seccomp.program() is None:
        pytest.skip(f"{name} is defended at the {level.value} level only by the seccomp filter; libseccomp is not here")
    # The checker itself may write its own modules' bytecode while it runs (where PYTHONDONTWRITEBYTECODE
    # is unset, as in CI): compile it all first, so any change to the package after this is the attack's.
    compileall.compile_dir(PACKAGE, quiet=2)
    before = _package_digest()
    source = GALLERY / f"{name}.py"
    text = source.read_text(encoding="utf-8")
    ours = text.replace(NAMED_BAIT, str(BAIT)).replace(NAMED_SURVIVOR, SURVIVOR).replace(str(PORT), str(bait["port"]))
    if ours != text:  # aimed at this run's bait, survivors' name and server
        source = COPIES / source.name
        COPIES.mkdir(mode=0o700, exist_ok=True)
        source.write_text(ours, encoding="utf-8")
    started = time.monotonic()
    run = spec.get("run", "check")
    if run == "check":
        exercise = spec.get("exercise", "softmax")
        result = run_check(source, CheckOptions(seed=1, exercises=(exercise,), isolation=level.value, timeout=5))
        assert result.isolation == level.value
        assert "BREACH" not in result.output, result.output[:500]
        assert result.load_error is None and result.score < result.max_score
        statuses = {verdict.status for verdict in result.tests if spec.get("test", verdict.test) == verdict.test}
        expected = {"failed": Status.FAILED, "error": Status.ERROR}[spec["verdict"]]
        assert expected in statuses and Status.PASSED not in statuses, statuses
        _assert_clean_reports(result)
    elif run == "pair":  # two sandboxes of one solution, as the memory test makes
        with Sandbox(source, QUICK, level) as first, Sandbox(source, QUICK, level) as second:
            assert "BREACH" not in first.output + second.output
    else:  # trusted: the references' own sandbox is running when the solution's starts
        with Sandbox(PACKAGE / "check" / "references.py", QUICK, level) as trusted:
            affinity, priority = os.sched_getaffinity(trusted.pid), os.getpriority(os.PRIO_PROCESS, trusted.pid)
            with Sandbox(source, QUICK, level) as attacker:
                assert "BREACH" not in attacker.output
            assert os.sched_getaffinity(trusted.pid) == affinity
            assert os.getpriority(os.PRIO_PROCESS, trusted.pid) == priority
            assert trusted.call("address_space_bytes") > 0
    assert time.monotonic() - started < 60
    deadline = time.monotonic() + 3
    while _survivors() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _survivors(), "a process of the solution outlived the check"
    assert _package_digest() == before, "the package changed"
    assert {name: (BAIT / name).read_bytes() for name in bait if name != "port"} == \
        {name: data for name, data in bait.items() if name != "port"}
    assert not list(Path("/tmp").glob(f"{BAIT.name}-fill-*")) or level is Level.PROCESS


def test_the_gallery_has_one_file_per_attack_class() -> None:
    files = {path.stem for path in GALLERY.glob("*.py")}
    assert files == set(EXPECTED) and len(files) >= 25
    for path in GALLERY.glob("*.py"):
        assert path.read_text(encoding="utf-8").startswith('"""Attack: '), path.name


# ----- the strict level's boundary, property by property


@pytest.fixture(scope="module")
def strict_probe() -> Iterator[Sandbox]:
    need_level(Level.STRICT)
    with Sandbox(REPO / "tests" / "sandbox_gallery" / "snooping.py", QUICK, Level.STRICT) as box:
        yield box


def test_strict_sees_only_python_numpy_and_the_harness(strict_probe: Sandbox) -> None:
    assert strict_probe.call("list_dir", "/attnquiz/harness") == 2  # _child.py and npyio.py
    for hidden in (PACKAGE / "check" / "references.py", REPO / "solutions", Path(os.environ["ATTNQUIZ_HOME"]),
                   Path.home() / ".bash_history", Path("/etc/passwd"), Path("/var"), Path("/work")):
        assert not strict_probe.call("exists", str(hidden)), hidden
    assert str(PACKAGE.parent) not in " ".join(strict_probe.call("sys_path"))


def test_strict_has_a_private_tmp_and_its_own_pid_namespace(strict_probe: Sandbox) -> None:
    folder, _ = strict_probe.call("where")
    assert folder == "/tmp"
    assert strict_probe.pid is not None and strict_probe.pid > 2  # the host's pid of the harness
    env = dict(strict_probe.call("environment"))
    assert env["TMPDIR"] == "/tmp" and "ATTNQUIZ_HOME" not in env


def test_the_harness_runs_as_an_unprivileged_uid_of_its_own() -> None:
    need_level(Level.STRICT)
    uids = set()
    for _ in range(2):
        with Sandbox(REPO / "tests" / "sandbox_gallery" / "friendly.py", QUICK, Level.STRICT) as box:
            status = Path(f"/proc/{box.pid}/status").read_text()
            uid = int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])
            assert uid != 0 and "NoNewPrivs:\t1" in status
            assert next(line for line in status.splitlines() if line.startswith("CapEff:")).split()[1] == "0" * 16
            uids.add(uid)
    if os.geteuid() == 0:
        assert len(uids) == 2  # each sandbox its own uid: one cannot signal or trace another


def test_killing_the_sandbox_ends_every_process_inside() -> None:
    need_level(Level.STRICT)
    box = Sandbox(REPO / "tests" / "sandbox_gallery" / "hostile.py", Limits(timeout=0.5), Level.STRICT)
    with box:
        box.call("grandchild")
        inside = processes.descendants(box._proc.pid)
        assert len(inside) >= 3  # bubblewrap's init, the harness, its grandchild in a new session
    processes.wait_gone(inside, 2.0)
    assert not [pid for pid in inside if Path(f"/proc/{pid}").exists()
                and Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"]


# ----- choosing a level


def test_strict_refuses_in_one_line_where_bubblewrap_cannot_run(monkeypatch: pytest.MonkeyPatch) -> None:
    missing = Host(None, False, {Level.STRICT: "bubblewrap (bwrap) is not installed",
                                 Level.UID: "only root can run a child as another user"})
    monkeypatch.setattr(isolation, "host", lambda: missing)
    with pytest.raises(AttnquizError) as caught:
        run_check(REPO / "solutions" / "attention.py", CheckOptions(exercises=("softmax",), isolation="strict"))
    assert str(caught.value) == ("strict isolation is not available here: bubblewrap (bwrap) is not installed; "
                                 "run scripts/setup.sh (or: sudo apt-get install bubblewrap)")
    assert isolation.choose("auto") is Level.PROCESS  # auto falls back, and the report says so
    result = run_check(REPO / "solutions" / "attention.py", CheckOptions(seed=1, exercises=("softmax",)))
    assert result.isolation == "process" and to_json(result)["isolation"] == "process"
    assert "Isolation: process (below the full boundary" in render_table(result)


def test_a_namespace_problem_points_at_the_sysctl() -> None:
    message = isolation.refusal("setting up uid map: Permission denied")
    assert "kernel.apparmor_restrict_unprivileged_userns=0" in message and "\n" not in message


def test_the_json_report_names_the_level_it_ran_at_and_what_limited_it() -> None:
    level, limits = isolation.host().best(), cgroups.support().limits
    result = run_check(REPO / "solutions" / "attention.py", CheckOptions(seed=1, exercises=("softmax",)))
    data = json.loads(render_json(to_json(result)))
    assert (data["isolation"], data["limits"]) == (level.value, limits)
    assert {key: _gradescope(result)["extra_data"][key] for key in ("isolation", "limits")} \
        == {"isolation": level.value, "limits": limits}


# ----- text from the child, cleanup


@pytest.mark.parametrize(
    ("text", "kwargs", "expected"),
    [("plain", {}, "plain"), ("a\x1b[2Jb\rc", {}, "a[2Jbc"), ("x\ud800y", {}, "x?y"), ("l1\nl2", {"lines": False}, "l1l2"),
     ("l1\nl2\tt", {}, "l1\nl2\tt"), ("abc\u202edef", {}, "abcdef"), ("x" * 50, {"limit": 20}, "x" * 14 + " [...]"),
     ("y" * 50, {"limit": 20, "keep": "tail"}, "[...]" + "y" * 14), (None, {}, "")],
    ids=["plain", "ansi-and-cr", "lone-surrogate", "one-line", "newline-and-tab-kept", "bidi-override", "capped",
         "capped-tail", "none"],
)
def test_clean(text: object, kwargs: dict, expected: str) -> None:
    assert clean(text, **kwargs) == expected


def test_remove_tree_handles_deep_read_only_folders_and_long_paths(tmp_path: Path) -> None:
    top = tmp_path / "work"
    top.mkdir()
    fd = os.open(top, os.O_RDONLY)
    for depth in range(1500):
        name = "d" * 200 if depth % 2 else "d"  # the whole path is far past PATH_MAX
        os.mkdir(name, dir_fd=fd)
        inner = os.open(name, os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = inner
    with open(os.open("f", os.O_WRONLY | os.O_CREAT, dir_fd=fd), "w") as file:
        file.write("x")
    os.fchmod(fd, stat.S_IRUSR | stat.S_IXUSR)
    os.close(fd)
    (top / "link").symlink_to(tmp_path)  # followed, it would delete the test's own folder
    processes.remove_tree(top)
    assert not top.exists() and tmp_path.exists()
