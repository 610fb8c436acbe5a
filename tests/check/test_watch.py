"""Watch mode: re-run on every kind of save, once per save, and stop cleanly on Ctrl-C."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from quiz.errors import AttnquizError, ExitStatus
from quiz.check.watch import file_signature, watch
from tests.conftest import subprocess_env


def write_in_place(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as f:  # same inode, new size
        f.write(text)


def save_by_rename(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".swp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)  # what Vim and most IDEs do


class Script:
    """A `sleep` that performs one scripted step per call, then acts as Ctrl-C."""

    def __init__(self, steps: list[Callable[[], None]]) -> None:
        self.steps = list(steps)

    def __call__(self, seconds: float) -> None:
        if not self.steps:
            raise KeyboardInterrupt
        self.steps.pop(0)()


def nothing() -> None:
    pass


def run_watch(path: Path, steps: list[Callable[[], None]]) -> list[str]:
    seen: list[str] = []
    with pytest.raises(KeyboardInterrupt):  # Ctrl-C ends watching and goes on up to the root command
        watch(path, lambda: seen.append(path.read_text(encoding="utf-8")), sleep=Script(steps), clear=False)
    return seen


@pytest.mark.parametrize(
    "save", [write_in_place, save_by_rename], ids=["in-place", "rename"],
)
def test_each_save_runs_the_check_again(tmp_path: Path, save: Callable[[Path, str], None]) -> None:
    path = tmp_path / "solution.py"
    path.write_text("v1", encoding="utf-8")
    # interval sleep: save; settle sleep: unchanged -> run. Then an idle poll, then Ctrl-C.
    seen = run_watch(path, [lambda: save(path, "v2 longer"), nothing, nothing])
    assert seen == ["v1", "v2 longer"]


def test_rename_save_of_the_same_size_is_seen(tmp_path: Path) -> None:
    path = tmp_path / "solution.py"
    path.write_text("aaaa", encoding="utf-8")
    before = file_signature(path)
    save_by_rename(path, "bbbb")
    assert file_signature(path) != before


def test_a_file_missing_mid_save_is_waited_for(tmp_path: Path) -> None:
    path = tmp_path / "solution.py"
    path.write_text("v1", encoding="utf-8")
    steps = [path.unlink, nothing, lambda: path.write_text("v2!", encoding="utf-8"), nothing]
    assert run_watch(path, steps) == ["v1", "v2!"]


def test_a_save_written_in_two_steps_runs_once(tmp_path: Path) -> None:
    path = tmp_path / "solution.py"
    path.write_text("v1 initial", encoding="utf-8")

    def append_more() -> None:
        with open(path, "a", encoding="utf-8") as f:
            f.write(" and the rest")

    # poll: first half written; settle: second half lands -> not stable; poll; settle: stable -> run.
    steps = [lambda: write_in_place(path, "v2"), append_more, nothing, nothing]
    assert run_watch(path, steps) == ["v1 initial", "v2 and the rest"]


def test_no_save_no_rerun(tmp_path: Path) -> None:
    path = tmp_path / "solution.py"
    path.write_text("v1", encoding="utf-8")
    assert run_watch(path, [nothing] * 5) == ["v1"]


def test_a_user_error_is_shown_and_watching_goes_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "solution.py"
    path.write_text("def f(:", encoding="utf-8")
    runs: list[str] = []

    def run_once() -> None:
        runs.append(path.read_text(encoding="utf-8"))
        if "(:" in runs[-1]:
            raise AttnquizError("solution.py:1:7: SyntaxError: invalid syntax")

    steps = [lambda: save_by_rename(path, "def f(): pass"), nothing]
    with pytest.raises(KeyboardInterrupt):
        watch(path, run_once, sleep=Script(steps), clear=False)
    assert runs == ["def f(:", "def f(): pass"]
    err = capsys.readouterr().err
    assert "Error: solution.py:1:7: SyntaxError: invalid syntax" in err
    assert err.count("Watching solution.py: save it to check again, press Ctrl-C to stop.") == 2


def test_check_watch_in_a_terminal_clears_and_shows_each_new_verdict(tmp_path: Path) -> None:
    import pexpect

    from tests.conftest import REPO

    path = tmp_path / "solution.py"
    path.write_text((REPO / "solutions" / "attention.py").read_text(encoding="utf-8"), encoding="utf-8")
    child = pexpect.spawn(sys.executable, ["-m", "quiz", "check", "--watch", "--exercise", "softmax", "--seed", "1",
                                           str(path)], env=subprocess_env(NO_COLOR="1"), encoding="utf-8",
                          timeout=30, dimensions=(40, 120))
    try:
        child.expect_exact("\x1b[2J\x1b[1;1H")  # the screen is cleared before each run
        child.expect_exact("Score 10/10")
        child.expect_exact("Watching solution.py: save it to check again · h hint · c check now · q quit")
        save_by_rename(path, (REPO / "tests" / "check_gallery" / "softmax_no_max_shift.py").read_text(encoding="utf-8"))
        child.expect_exact("\x1b[2J\x1b[1;1H")
        child.expect_exact("likely mistake: exp without")
        child.expect_exact("Score 8/10")
        child.expect_exact("Watching solution.py")
        child.sendintr()
        child.expect_exact("Interrupted.")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == ExitStatus.INTERRUPTED
    assert "Traceback" not in (child.before or "")


def test_check_watch_rejects_an_unknown_exercise_at_once(tmp_path: Path) -> None:
    path = tmp_path / "solution.py"
    path.write_text("", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "quiz", "check", "--watch", "--exercise", "sofmax", str(path)],
                            capture_output=True, text=True, env=subprocess_env(), timeout=30)
    assert result.returncode == ExitStatus.USAGE
    assert result.stderr.startswith("Error: unknown exercise 'sofmax'")


def test_watch_keys_in_a_terminal_hint_check_now_and_quit(tmp_path: Path) -> None:
    """rustlings' keys: h shows the next hint level of the exercise the last check stopped at, c checks
    without a save, q quits with the last check's status and gives the terminal back as it was."""
    import shlex

    import pexpect

    from quiz.paths import data_path
    from quiz.practice.store import Store
    from tests.conftest import REPO

    path = tmp_path / "solution.py"
    assert subprocess.run([sys.executable, "-m", "quiz", "new", "softmax", "-o", str(path)], env=subprocess_env(),
                          capture_output=True).returncode == 0
    command = (f"{shlex.quote(sys.executable)} -m quiz check --watch --exercise softmax --seed 1 {shlex.quote(str(path))}"
               "; echo EXIT=$?; stty -a")
    child = pexpect.spawn("sh", ["-c", command], env=subprocess_env(NO_COLOR="1"), encoding="utf-8", timeout=30,
                          dimensions=(24, 80))
    keys_line = "Watching solution.py: save it to check again · h hint · c check now · q quit"
    try:
        child.expect_exact("Score 0/10")
        child.expect_exact(keys_line)
        child.send("h")
        child.expect_exact("Hint 1 of 3 for softmax:")
        child.expect_exact("Press h again for the next level.")
        child.expect_exact(keys_line)
        child.send("h")
        child.expect_exact("Hint 2 of 3 for softmax:")
        child.expect_exact(keys_line)
        save_by_rename(path, (REPO / "tests" / "check_gallery" / "softmax_no_max_shift.py").read_text(encoding="utf-8"))
        child.expect_exact("Score 8/10")
        child.expect_exact(keys_line)
        child.send("c")  # no save: checked again at once
        child.expect_exact("\x1b[2J\x1b[1;1H")
        child.expect_exact("Score 8/10")
        child.expect_exact(keys_line)
        child.send("h")
        child.expect_exact("Hint 3 of 3 for softmax:")
        child.expect_exact(keys_line)
        save_by_rename(path, (REPO / "solutions" / "attention.py").read_text(encoding="utf-8"))
        child.expect_exact("Score 10/10")
        child.expect_exact(keys_line)
        child.send("h")
        child.expect_exact("Every exercise checked passes: no hint needed")
        child.expect_exact(keys_line)
        child.send("q")
        child.expect_exact("EXIT=0")
        child.expect(pexpect.EOF)
        settings = child.before or ""
    finally:
        child.close()
    assert " icanon" in settings and " echo" in settings, settings  # cbreak mode undone
    with Store(data_path("database")) as store:
        known = store.exercise_progress()["softmax"]
    assert (known.hints_read, known.status, known.checks) == (3, "passed", 3)


def test_a_key_ends_the_wait_and_other_keys_are_ignored(tmp_path: Path) -> None:
    from quiz.check.watch import wait_for_change

    path = tmp_path / "solution.py"
    path.write_text("v1", encoding="utf-8")
    pressed = iter(["x", None, "q"])
    assert wait_for_change(path, file_signature(path), keys=lambda _seconds: next(pressed)) == "q"
