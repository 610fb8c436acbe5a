"""How grade launches its checks (quiz.grade.launch, quiz.grade.forkserver): a fork server forks each check,
and what comes out of a forked check is what `python -m quiz check` in a process of its own gives.

Real servers, real checks, real sandboxes; the hostile cases kill the check, the server and grade itself.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from quiz import processes
from quiz.errors import ExitStatus
from quiz.grade import launch
from quiz.grade.records import Settings
from quiz.grade.runner import Runner, _child_env, check_argv
from quiz.grade.submissions import Submission
from tests.conftest import ATTNQUIZ, REPO, subprocess_env
from tests.grade.test_grade import HANGS, tagged

SOLUTION = REPO / "solutions" / "attention.py"
QUICK = ("softmax", "causal_mask", "scaled_dot_product_attention")
WRONG = "import numpy as np\n\n\ndef softmax(x, axis=-1):\n    return np.exp(x) / np.exp(x).sum(axis=axis, keepdims=True)\n"


@pytest.fixture
def server() -> Any:
    started = launch.ForkServer.start(_child_env())
    try:
        yield started
    finally:
        started.close()


def run_check(launcher: launch.Launcher, solution: Path, settings: Settings, timeout: float = 300) -> tuple:
    proc = launcher.start(check_argv(Path(solution.name), settings, single_file=True), solution.parent,
                          _child_env())
    assert proc.wait(timeout), "the check did not finish"
    processes.sweep_session(proc.pid)
    out, err = proc.output()
    return proc.returncode, out, err


def steady(report: dict[str, Any]) -> dict[str, Any]:
    """A check report without its timings (the only part two runs of one seed may differ in)."""
    report = {k: v for k, v in report.items() if k != "execution_time"}
    report["exercises"] = [{**e, "tests": [{k: v for k, v in t.items() if k != "seconds"} for t in e["tests"]]}
                           for e in report["exercises"]]
    return report


@pytest.mark.slow
@pytest.mark.parametrize(("text", "status"), [
    (SOLUTION.read_text(encoding="utf-8"), ExitStatus.OK),
    (WRONG, ExitStatus.FAILURE),
    ("def softmax(x axis=-1):\n    return x\n", ExitStatus.USAGE),
], ids=["passing", "failing", "not-loadable"])
def test_a_forked_check_gives_what_a_check_process_gives(server: launch.ForkServer, tmp_path: Path, text: str,
                                                         status: int) -> None:
    solution = tmp_path / "alice.py"
    solution.write_text(text, encoding="utf-8")
    settings = Settings(exercises=QUICK, seed=7, timeout=30)
    forked = run_check(launch.ForkServerLauncher(server), solution, settings)
    alone = run_check(launch.SubprocessLauncher(), solution, settings)
    assert forked[0] == alone[0] == status, (forked[2], alone[2])
    assert steady(json.loads(forked[1])) == steady(json.loads(alone[1]))
    assert forked[2] == alone[2]


def test_the_server_is_one_thread_with_one_blas_thread_set_before_its_imports(server: launch.ForkServer) -> None:
    assert len(os.listdir(f"/proc/{server.pid}/task")) == 1  # forking a threaded process is unsafe
    environ = Path(f"/proc/{server.pid}/environ").read_bytes().split(b"\0")
    for var in (b"OMP_NUM_THREADS", b"OPENBLAS_NUM_THREADS", b"MKL_NUM_THREADS"):
        assert var + b"=1" in environ
    maps = Path(f"/proc/{server.pid}/maps").read_text(encoding="utf-8")
    assert "_multiarray_umath" in maps  # numpy is imported: a check forked from here does not import it again


def test_a_forked_check_runs_in_a_session_of_its_own_in_the_copy(server: launch.ForkServer, tmp_path: Path) -> None:
    tag = f"hang{os.getpid() % 100000}s"
    (tmp_path / "mallory.py").write_text(HANGS.format(tag=tag), encoding="utf-8")
    proc = server.start_check(check_argv(Path("mallory.py"), Settings(exercises=("softmax",), timeout=60),
                                         single_file=True), tmp_path, _child_env())
    try:
        deadline = time.monotonic() + 120
        while not tagged(tag):  # the check has set itself up and started the solution's sandbox
            assert time.monotonic() < deadline and not proc.done.is_set(), proc.output()
            time.sleep(0.05)
        stat = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        assert int(stat[3]) == proc.pid and int(stat[1]) == server.pid  # session leader, the server's child
        assert os.readlink(f"/proc/{proc.pid}/cwd") == str(tmp_path)
        assert os.readlink(f"/proc/{proc.pid}/fd/0") == "/dev/null"
        assert sorted(os.listdir(f"/proc/{proc.pid}/fd")) [:3] == ["0", "1", "2"]
        assert Path(os.readlink(f"/proc/{proc.pid}/fd/1")).parent == server.folder  # the private 0700 folder
        assert (server.folder.stat().st_mode & 0o777) == 0o700
    finally:
        proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert not tagged(tag)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["forkserver", "subprocess"])
def test_a_timeout_kills_the_checks_whole_tree(server: launch.ForkServer, tmp_path: Path, kind: str) -> None:
    tag = f"hang{os.getpid() % 100000}{kind[0]}"
    (tmp_path / "mallory.py").write_text(HANGS.format(tag=tag), encoding="utf-8")
    runner = Runner(Settings(exercises=("softmax",), timeout=60, submission_timeout=3), {},
                    launcher=launch.ForkServerLauncher(server) if kind == "forkserver" else launch.SubprocessLauncher())
    record = runner.check(Submission("mallory", "mallory.py", tmp_path / "mallory.py"))
    assert record is not None and record.status == "timeout", record
    assert record.message == "the check did not finish within 3 s and was stopped"
    assert not tagged(tag)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["forkserver", "subprocess"])
def test_a_check_that_dies_is_an_error_record(server: launch.ForkServer, tmp_path: Path, kind: str) -> None:
    """The check process itself killed from outside (as an OOM kill would): an error, said with its status."""
    tag = f"hang{os.getpid() % 100000}{kind[0]}k"
    (tmp_path / "mallory.py").write_text(HANGS.format(tag=tag), encoding="utf-8")
    launcher = launch.ForkServerLauncher(server) if kind == "forkserver" else launch.SubprocessLauncher()
    runner = Runner(Settings(exercises=("softmax",), timeout=60, submission_timeout=120), {}, launcher=launcher)
    killer = threading.Thread(target=_kill_the_check_of, args=(runner, tag))
    killer.start()
    record = runner.check(Submission("mallory", "mallory.py", tmp_path / "mallory.py"))
    killer.join()
    assert record is not None and record.status == "error", record
    assert record.message == "the checker failed (exit -9): no message", record.message
    # No cleanup ran in the killed check: its sandbox (bubblewrap's --die-with-parent, the rlimits' parent
    # pipe) ends on its own, a moment later.
    deadline = time.monotonic() + 5
    while tagged(tag) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not tagged(tag)


def _kill_the_check_of(runner: Runner, tag: str) -> None:
    deadline = time.monotonic() + 120
    while not tagged(tag) and time.monotonic() < deadline:
        time.sleep(0.05)
    with runner._lock:
        running = list(runner._running)
    for proc in running:
        os.kill(proc.pid, signal.SIGKILL)


@pytest.mark.slow
def test_a_server_that_dies_mid_run_costs_one_warning_and_no_grade(tmp_path: Path) -> None:
    tag = f"hang{os.getpid() % 100000}d"
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "alice.py").write_text(SOLUTION.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "bob.py").write_text(WRONG, encoding="utf-8")
    (folder / "mallory.py").write_text(HANGS.format(tag=tag), encoding="utf-8")
    out = tmp_path / "grades"
    argv = [*ATTNQUIZ, "grade", str(folder), "--out", str(out), "--jobs", "2", "--exercise", "softmax",
            "--timeout", "60", "--submission-timeout", "8", "--seed", "1"]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=subprocess_env()) as proc:
        try:
            deadline = time.monotonic() + 120
            while not tagged(tag):
                assert time.monotonic() < deadline and proc.poll() is None, "mallory's check never started"
                time.sleep(0.05)
            server = fork_server_of(proc.pid)
            os.kill(server, signal.SIGKILL)
            stdout, stderr = proc.communicate(timeout=300)
        finally:
            proc.kill()
    assert proc.returncode == ExitStatus.OK, stderr
    warnings = [line for line in stderr.splitlines() if "fork server" in line]
    assert warnings == ["Warning: the fork server is not available (it stopped during the run); checking each "
                        "submission in a process of its own (slower)"], stderr
    report = {s["student"]: s for s in json.loads((out / "results.json").read_text(encoding="utf-8"))["students"]}
    assert (report["alice"]["status"], report["alice"]["score"]) == ("checked", report["alice"]["max_score"])
    assert report["bob"]["status"] == "checked" and report["bob"]["score"] < report["bob"]["max_score"]
    assert report["mallory"]["status"] == "timeout"
    assert not tagged(tag)


@pytest.mark.slow
def test_an_interrupted_grade_leaves_no_process_and_no_zombie(tmp_path: Path) -> None:
    tag = f"hang{os.getpid() % 100000}i"
    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("mallory", "trudy"):
        (folder / f"{name}.py").write_text(HANGS.format(tag=tag), encoding="utf-8")
    argv = [*ATTNQUIZ, "grade", str(folder), "--out", str(tmp_path / "grades"), "--jobs", "2",
            "--exercise", "softmax", "--timeout", "60"]
    seen: dict[int, tuple[str, str]] = {}  # pid -> its start time (a pid reused later is another process), command
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=subprocess_env()) as proc:
        try:
            deadline = time.monotonic() + 120
            while len(tagged(tag)) < 2:
                assert time.monotonic() < deadline and proc.poll() is None, "the two checks never both ran"
                seen.update(below(proc.pid))
                time.sleep(0.05)
            seen.update(below(proc.pid))
            proc.send_signal(signal.SIGINT)
            _, stderr = proc.communicate(timeout=60)
        finally:
            proc.kill()
    assert proc.returncode == ExitStatus.INTERRUPTED, stderr
    assert any(fork_server_cmdline() in command for _, command in seen.values())  # the server was among them
    left = {pid: state for pid, (started, _) in seen.items() if (state := still_there(pid, started))}
    assert not left, {pid: (state, seen[pid][1], Path(f"/proc/{pid}/stat").read_text()[:80]) for pid, state in left.items()}  # neither running nor a zombie nobody reaps


def fork_server_cmdline() -> str:
    return "quiz.grade.forkserver"


def fork_server_of(grade_pid: int) -> int:
    """grade's child running quiz.grade.forkserver (the checks it forks have the same command line)."""
    for pid, (parent, _, _) in processes.read_proc().items():
        if parent != grade_pid:
            continue
        try:
            if fork_server_cmdline() in Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " "):
                return pid
        except OSError:
            continue
    raise AssertionError("no fork server below grade")


def below(root: int) -> dict[int, tuple[str, str]]:
    found = {}
    for pid in processes.descendants(root):
        try:
            found[pid] = (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19],
                          Path(f"/proc/{pid}/cmdline").read_text(errors="replace").replace("\0", " "))
        except (OSError, IndexError):
            continue
    return found


def still_there(pid: int, started: str) -> str:
    """The state of process `pid` if it is the same process as before (R, S, Z...), else ""."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return ""
    return fields[0] if fields[19] == started else ""


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["forkserver", "subprocess"])
def test_a_students_module_named_like_a_checker_import_stays_in_the_sandbox(tmp_path: Path, kind: str) -> None:
    """`python -m` puts the working folder (the submission's copy) first on sys.path: a student named
    pydantic or yaml would have been imported by the checker itself, outside the sandbox."""
    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("pydantic", "yaml", "rich"):
        (folder / f"{name}.py").write_text(SOLUTION.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "grades"
    done = subprocess.run([*ATTNQUIZ, "grade", str(folder), "--out", str(out), "--exercise", "softmax",
                           "--jobs", "2"], capture_output=True, text=True, timeout=600,
                          env=subprocess_env(ATTNQUIZ_GRADE_LAUNCHER=kind))
    report = {s["student"]: s for s in json.loads((out / "results.json").read_text(encoding="utf-8"))["students"]}
    assert {name: (s["status"], s["score"]) for name, s in report.items()} == {
        name: ("checked", report[name]["max_score"]) for name in ("pydantic", "yaml", "rich")}, done.stderr
    assert done.returncode == ExitStatus.OK


@pytest.mark.parametrize("safe_path_flag", [True, False], ids=["-P", "python3.10"])
def test_the_check_command_never_imports_from_its_working_folder(tmp_path: Path, safe_path_flag: bool) -> None:
    (tmp_path / "click.py").write_text("raise SystemExit('the folder was on sys.path')\n", encoding="utf-8")
    (tmp_path / "quiz.py").write_text("raise SystemExit('the folder was on sys.path')\n", encoding="utf-8")
    done = subprocess.run([*launch.interpreter("quiz", safe_path_flag), "--version"], cwd=tmp_path,
                          capture_output=True, text=True, env=subprocess_env(), timeout=120)
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    assert done.stdout.startswith("attnquiz, version ")
