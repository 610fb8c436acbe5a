"""examples/gradescope: run_autograder in a temporary /autograder layout writes a valid results.json."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import REPO, subprocess_env

EXAMPLE = REPO / "examples" / "gradescope"
SOLUTION = REPO / "solutions" / "attention.py"
GALLERY = REPO / "tests" / "check_gallery"
QUICK = "--exercise softmax --exercise causal_mask --seed 7"

# Gradescope's results.json, as its autograder specification describes it (the fields we write).
VISIBILITY = {"enum": ["hidden", "after_due_date", "after_published", "visible"]}
RESULTS_SCHEMA = {
    "type": "object",
    "required": ["score", "execution_time", "output", "stdout_visibility", "tests"],
    "properties": {
        "score": {"type": "number", "minimum": 0},
        "execution_time": {"type": "number", "minimum": 0},
        "output": {"type": "string"},
        "visibility": VISIBILITY,
        "stdout_visibility": VISIBILITY,
        "tests": {"type": "array", "items": {
            "type": "object",
            "required": ["name", "score", "max_score", "status", "output", "visibility"],
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "score": {"type": "number", "minimum": 0},
                "max_score": {"type": "number", "minimum": 0},
                "status": {"enum": ["passed", "failed"]},
                "output": {"type": "string"},
                "visibility": VISIBILITY,
                "number": {"type": "string"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "extra_data": {"type": "object"},
            },
        }},
    },
}


def autograde(tmp_path: Path, files: dict[str, str | bytes], check_args: str = QUICK, course_bank: str = "",
              **settings: str) -> dict:
    """Lay out /autograder under tmp_path as Gradescope does, run run_autograder, read results.json."""
    root = tmp_path / "autograder"
    shutil.copytree(EXAMPLE, root / "source")
    if course_bank:  # the bank and its reference file go into the autograder zip
        (root / "source" / "course.yaml").write_text(course_bank, encoding="utf-8")
        shutil.copy(REPO / "examples" / "course" / "course_reference.py", root / "source")
        settings["COURSE_BANK"] = "course.yaml"
    (root / "submission").mkdir()
    for name, content in files.items():
        path = root / "submission" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    env = subprocess_env(AUTOGRADER_ROOT=str(root), ATTNQUIZ_PYTHON=sys.executable, CHECK_ARGS=check_args, **settings)
    result = subprocess.run([str(root / "source" / "run_autograder")], cwd=root, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    jsonschema.validate(results, RESULTS_SCHEMA)
    return results


def test_a_good_submission_gets_full_marks_visible(tmp_path: Path) -> None:
    results = autograde(tmp_path, {"solution.py": SOLUTION.read_text(encoding="utf-8")})
    tests = results["tests"]
    assert results["score"] == sum(test["max_score"] for test in tests) == 20
    assert {test["status"] for test in tests} == {"passed"}
    assert {test["visibility"] for test in tests} == {"visible"}
    assert results["stdout_visibility"] == "hidden"
    assert tests[0]["name"] == "softmax: random float64"
    assert results["output"].startswith("Score 20/20. Seed 7")


def test_a_wrong_submission_scores_less_and_says_why(tmp_path: Path) -> None:
    results = autograde(tmp_path, {"solution.py": (GALLERY / "mask_inverted.py").read_text(encoding="utf-8")})
    failed = [test for test in results["tests"] if test["status"] == "failed"]
    assert results["score"] == sum(test["score"] for test in results["tests"]) < 20
    assert {test["name"].split(":")[0] for test in failed} == {"softmax", "causal_mask"}
    mask = next(test for test in failed if test["name"].startswith("causal_mask"))
    assert mask["score"] == 0 and "likely mistake: mask inverted" in mask["output"]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"solution.py": "def softmax(x axis=-1):\n    return x\n"},
         ["SyntaxError: invalid syntax", "def softmax(x axis=-1):", "              ^^^^"]),
        ({"notes.txt": "I forgot the code"}, ["Submit your solution as solution.py (found: no .py file)."]),
        ({"a.py": "x = 1\n", "b.py": "y = 2\n"}, ["Submit your solution as solution.py (found: a.py, b.py)."]),
        ({"solution.py": b"\x7fELF\x02\x01\x01\0\0\0"}, ["not a Python source file (it contains binary data)"]),
    ],
    ids=["syntax-error", "no-python-file", "two-python-files", "binary"],
)
def test_a_submission_that_cannot_be_checked_scores_zero_with_the_reason(
        tmp_path: Path, files: dict[str, str | bytes], expected: list[str]) -> None:
    results = autograde(tmp_path, files)
    assert results["score"] == 0 and results["tests"] == []
    for part in expected:
        assert part in results["output"], results["output"]


def test_a_lone_python_file_with_another_name_is_checked(tmp_path: Path) -> None:
    results = autograde(tmp_path, {"hw3/my_attention.py": SOLUTION.read_text(encoding="utf-8")})
    assert results["score"] == 20


COURSE_SOLUTION = (REPO / "examples" / "course" / "solution.py").read_text(encoding="utf-8").split(
    "\n\n\ndef alibi_bias")[0] + """


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
"""


@pytest.mark.parametrize("visibility", ["after_due_date", "hidden"])
def test_a_course_banks_own_exercises_are_hidden_as_configured(tmp_path: Path, visibility: str) -> None:
    bank = (REPO / "examples" / "course" / "course.yaml").read_text(encoding="utf-8") + """
  - id: w2-softmax
    type: code
    topic: week2
    difficulty: 1
    prompt: {en: "Softmax again.", zh: "再写一次 softmax。"}
    explanation: {en: "See week 1.", zh: "见第一周。"}
    exercise: softmax
"""
    results = autograde(tmp_path, {"solution.py": COURSE_SOLUTION}, "--seed 3", course_bank=bank,
                        HIDDEN_VISIBILITY=visibility)
    shown = {test["extra_data"]["exercise"]: test["visibility"] for test in results["tests"]}
    # built-in exercises can be checked by anyone with attnquiz: visible; the course's own follow the setting
    assert shown == {"softmax": "visible", "rms_norm": visibility, "alibi_bias": visibility}
    passed = {test["extra_data"]["exercise"] for test in results["tests"] if test["status"] == "passed"}
    assert passed == {"softmax", "rms_norm"} and results["score"] == 10 + 5


@pytest.mark.parametrize("script", ["setup.sh", "run_autograder"])
def test_the_scripts_are_executable_bash(script: str) -> None:
    path = EXAMPLE / script
    assert path.stat().st_mode & 0o111
    assert path.read_text(encoding="utf-8").startswith("#!/usr/bin/env bash\n")
    subprocess.run(["bash", "-n", str(path)], check=True)
