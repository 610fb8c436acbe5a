"""grade's gradebook.csv (otter-grader's final_grades.csv shape), feedback/NAME.md with the seed that
repeats the run, helper modules in a student's folder, and --similarity."""

from __future__ import annotations

import csv
import json
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ATTNQUIZ, REPO, subprocess_env

SOLUTION = (REPO / "solutions" / "attention.py").read_text(encoding="utf-8")
GALLERY = REPO / "tests" / "check_gallery"
QUICK = ["--exercise", "softmax", "--exercise", "causal_mask"]
SOFTMAX = """import numpy as np


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
"""


def make(root: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content, encoding="utf-8")
    return root


def grade(folder: Path, out: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ATTNQUIZ, "grade", str(folder), "--out", str(out), "--jobs", "2", *QUICK, *args],
                          capture_output=True, text=True, env=env or subprocess_env(), timeout=600)


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("class")
    folder = make(root / "subs", {
        "alice.py": SOLUTION,
        "bob/solution.py": (GALLERY / "mask_inverted.py").read_text(encoding="utf-8"),
        "carol.py": "def softmax(x axis=-1):\n    return x\n",
        # a two-file solution: only the module it imports is loaded; the other file would fail loading
        "dave/solution.py": "from mathutil import stable_softmax as softmax  # noqa: F401\n",
        "dave/mathutil.py": SOFTMAX.replace("def softmax", "def stable_softmax"),
        "dave/scratch.py": "raise SystemExit('never imported, never run')\n",
        # a flat file cannot import its neighbours in the class folder (other students' files)
        "eve.py": "from alice import softmax, causal_mask  # noqa: F401\n",
        "fred/README.md": "forgot the code",
    })
    out = root / "grades"
    with pytest.MonkeyPatch.context() as patch:  # module scope: before the per-test ATTNQUIZ_HOME exists
        home = tmp_path_factory.mktemp("home")
        patch.setenv("ATTNQUIZ_HOME", str(home))
        patch.setenv("ATTNQUIZ_CONFIG", str(home / "config.toml"))
        patch.setenv("ATTNQUIZ_CACHE", str(home / "cache"))
        done = grade(folder, out, env=subprocess_env())
    assert done.returncode == 1, done.stderr  # fred could not be graded
    return folder, out


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_the_gradebook_has_otters_final_grades_shape(graded: tuple[Path, Path]) -> None:
    _, out = graded
    with open(out / "gradebook.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["student", "softmax", "causal_mask", "total_points_earned", "percent_correct",
                       "grading_status"]
    assert rows[1] == ["points-per-question", "10", "10", "20", "1", "--"]
    by_student = {row[0]: row[1:] for row in rows[2:]}
    assert list(by_student) == ["alice", "bob", "carol", "dave", "eve", "fred"]
    assert by_student["alice"] == ["10", "10", "20", "1.0", "Completed"]
    assert by_student["dave"] == ["10", "0", "10", "0.5", "Completed"]  # causal_mask not attempted: 0, failed
    assert by_student["carol"][:4] == ["0", "0", "0", "0.0"] and by_student["carol"][4].startswith(
        "not_loadable: ") and "SyntaxError" in by_student["carol"][4]
    assert by_student["fred"][4] == "rejected: no solution.py (and no other .py file) in the folder"


def test_helper_modules_next_to_a_solution_are_loaded_and_nothing_else(graded: tuple[Path, Path]) -> None:
    _, out = graded
    totals = {row["student"]: row for row in read_csv(out / "totals.csv")}
    assert (totals["dave"]["status"], totals["dave"]["score"]) == ("checked", "10")
    assert totals["eve"]["status"] == "not_loadable" and "No module named 'alice'" in totals["eve"]["message"]
    assert (totals["alice"]["complete"], totals["dave"]["complete"]) == ("True", "False")


def test_every_result_records_its_seed_and_the_feedback_repeats_it(graded: tuple[Path, Path]) -> None:
    folder, out = graded
    journal = {json.loads(line)["student"]: json.loads(line) for line in
               (out / "results.jsonl").read_text(encoding="utf-8").splitlines()}
    assert all(isinstance(journal[s]["seed"], int) for s in ("alice", "bob", "carol", "dave", "eve"))
    feedback = (out / "feedback" / "bob.md").read_text(encoding="utf-8")
    assert feedback.startswith("# attnquiz feedback: bob\n\n**Score: 0/20 (0%).**\n")
    assert "**Likely mistake: mask inverted.**" in feedback
    command = re.search(r"```sh\n(attnquiz check .*)\n```", feedback).group(1)
    assert command == f"attnquiz check --seed {journal['bob']['seed']} --exercise softmax --exercise causal_mask " \
                      "solution.py"
    argv = shlex.split(command)[2:-1]  # the same check, on the same file, as the student would run it
    again = subprocess.run([*ATTNQUIZ, "check", "--format", "json", *argv, "solution.py"], cwd=folder / "bob",
                           capture_output=True, text=True, env=subprocess_env(), timeout=300)
    report = json.loads(again.stdout)
    messages = [test["message"] for exercise in report["exercises"] for test in exercise["tests"]]
    assert messages == [row["message"] for row in journal["bob"]["tests"]]
    assert any("entries differ; first at index" in m for m in messages)  # random sizes, repeated exactly


def test_feedback_for_a_submission_that_was_not_graded(graded: tuple[Path, Path]) -> None:
    _, out = graded
    carol = (out / "feedback" / "carol.md").read_text(encoding="utf-8")
    assert "**Score 0/20: could not be loaded.**" in carol and "^^^^" in carol
    fred = (out / "feedback" / "fred.md").read_text(encoding="utf-8")
    assert "**Score 0/20: bad submission.**" in fred  # out of the class's total, not 0/0
    assert "no solution.py" in fred and "there is no seed to repeat" in fred


def test_similarity_finds_a_renamed_copy_and_ignores_the_starter(tmp_path: Path) -> None:
    starter = subprocess.run([*ATTNQUIZ, "new", *["softmax", "causal_mask"], "-o", "-"], capture_output=True,
                             text=True, env=subprocess_env(), check=True).stdout
    copied = SOLUTION.replace("scores", "logits_").replace("weights", "probs_").replace("    ", "  ")
    folder = make(tmp_path / "subs", {
        "alice.py": SOLUTION,
        "mallory.py": "# <script>alert(1)</script>\n" + copied,  # renamed and reindented
        "sam.py": starter, "tom.py": starter,  # both handed in the untouched starter
        "uma.py": SOFTMAX,
    })
    done = grade(folder, tmp_path / "out", "--similarity")
    assert done.returncode == 0, done.stderr
    assert "Similarity: the closest pair is alice and mallory" in done.stdout
    rows = read_csv(tmp_path / "out" / "similarity.csv")
    assert (rows[0]["student_a"], rows[0]["student_b"]) == ("alice", "mallory") and float(rows[0]["similarity"]) > 0.9
    pair = next(row for row in rows if (row["student_a"], row["student_b"]) == ("sam", "tom"))
    assert float(pair["similarity"]) == 0  # the starter is boilerplate
    page = (tmp_path / "out" / "similarity.html").read_text(encoding="utf-8")
    assert "<mark>" in page and "<script>" not in page and "&lt;script&gt;" in page
