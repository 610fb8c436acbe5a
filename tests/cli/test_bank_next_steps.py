"""Bank exercises everywhere: every next step the tool prints names the --bank that defines the exercise,
and `check --exercise X` for an id no loaded bank defines says which bank does (or to add --bank)."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ATTNQUIZ, REPO, subprocess_env

COURSE = REPO / "examples" / "course"


def run(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ATTNQUIZ, *args], cwd=cwd, capture_output=True, text=True, env=subprocess_env(**env),
                          timeout=300)


def course(folder: Path) -> Path:
    shutil.copy(COURSE / "course.yaml", folder)
    shutil.copy(COURSE / "course_reference.py", folder)
    return folder / "course.yaml"


def test_new_with_banks_prints_and_writes_a_next_step_with_every_bank(tmp_path: Path) -> None:
    course(tmp_path)
    shutil.copy(REPO / "tests" / "banks_gallery" / "valid_minimal.yaml", tmp_path / "extra.yaml")
    done = run(tmp_path, "new", "--bank", "course.yaml", "--bank", "extra.yaml", "-o", "hw.py")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Wrote hw.py with 2 exercises. Next: attnquiz check --bank course.yaml " \
                                  "--bank extra.yaml hw.py"
    header = (tmp_path / "hw.py").read_text(encoding="utf-8")
    assert "\n    attnquiz check --bank course.yaml --bank extra.yaml hw.py\n" in header
    assert "`attnquiz hint rms_norm --bank course.yaml --bank extra.yaml` shows a hint" in " ".join(header.split())
    # the step works as printed: it checks the bank's exercises, which the starter leaves not implemented
    checked = run(tmp_path, *shlex.split("attnquiz check --bank course.yaml --bank extra.yaml hw.py")[1:])
    assert checked.returncode == 1 and "rms_norm" in checked.stdout and "alibi_bias" in checked.stdout
    assert "softmax" not in checked.stdout


def test_new_without_banks_keeps_the_plain_next_step(tmp_path: Path) -> None:
    done = run(tmp_path, "new", "softmax", "-o", "s.py")
    assert done.stdout.strip() == "Wrote s.py with 1 exercise. Next: attnquiz check --exercise softmax s.py"


@pytest.mark.parametrize("where", ["current-folder", "ATTNQUIZ_BANKS", "nowhere"])
def test_an_exercise_only_a_bank_defines_says_which_bank(tmp_path: Path, where: str) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "solution.py").write_text("", encoding="utf-8")
    env = {}
    if where == "current-folder":
        course(work)
        expected = "; course.yaml defines it: add --bank course.yaml"
    elif where == "ATTNQUIZ_BANKS":
        (tmp_path / "banks").mkdir()
        bank = course(tmp_path / "banks")
        env["ATTNQUIZ_BANKS"] = str(tmp_path / "banks")
        expected = f"; {bank} defines it: add --bank {bank}"
    else:
        expected = "; if a bank defines it, add --bank PATH"
    done = run(work, "check", "--exercise", "alibi_bias", "solution.py", **env)
    assert done.returncode == 2
    assert done.stderr.startswith(f"Error: unknown exercise 'alibi_bias'{expected} (known: softmax, ")


def test_the_quiz_starter_of_a_bank_exercise_names_the_bank(tmp_path: Path) -> None:
    from quiz.practice.code import CodeCheck

    bank = course(tmp_path)
    check = CodeCheck(folder=tmp_path, banks=(str(bank),))
    path = check.starter_path("rms_norm")
    assert check.write_starter("rms_norm", path, custom=True)
    text = path.read_text(encoding="utf-8")
    assert f"    attnquiz check --exercise rms_norm --bank {bank} attnquiz_rms_norm.py\n" in text
    assert f"`attnquiz hint rms_norm --bank {bank}` shows a hint" in " ".join(text.split())
