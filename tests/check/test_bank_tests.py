"""`attnquiz check --bank`: exercises a bank defines run like the built-in ones (same sandbox, report, exits)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from quiz.bank import models
from quiz.check.bank_tests import call_text, make_argument
from quiz.errors import ExitStatus
from tests.conftest import ATTNQUIZ, REPO, subprocess_env

COURSE = REPO / "examples" / "course"

GOOD = (COURSE / "solution.py").read_text(encoding="utf-8")  # the example course's worked solution
LAYER_NORM = GOOD.replace("rms = np.sqrt(", "x = x - x.mean(axis=-1, keepdims=True)\n    rms = np.sqrt(")
ZERO_BASED = GOOD.replace("np.arange(1, n_heads + 1)", "np.arange(0, n_heads)")
FLOAT32_LOST = GOOD.replace("* weight  #", "* weight.astype(np.float64)  #")


@pytest.fixture
def course(tmp_path: Path) -> Path:
    shutil.copytree(COURSE, tmp_path / "course")
    return tmp_path / "course" / "course.yaml"


def check(bank: Path, solution: str, *args: str) -> tuple[int, dict | None, str]:
    path = bank.parent.parent / "solution.py"
    path.write_text(solution, encoding="utf-8")
    result = subprocess.run([*ATTNQUIZ, "check", "--bank", str(bank), "--format", "json", *args, str(path)],
                            capture_output=True, text=True, env=subprocess_env(), timeout=60)
    return result.returncode, json.loads(result.stdout) if result.stdout.strip() else None, result.stderr


def verdicts(report: dict) -> dict[tuple[str, str], tuple[str, str | None]]:
    return {(ex["name"], test["name"]): (test["status"], (test["diagnosis"] or {}).get("name"))
            for ex in report["exercises"] for test in ex["tests"]}


def test_a_right_solution_passes_every_test_of_the_bank(course: Path) -> None:
    code, report, _ = check(course, GOOD)
    assert code == ExitStatus.OK
    assert [ex["name"] for ex in report["exercises"]] == ["rms_norm", "alibi_bias"]  # only the bank's
    assert (report["score"], report["max_score"]) == (8, 8)
    assert report["exercises"][0]["title"] == "RMSNorm"
    assert [t["label"] for t in report["exercises"][0]["tests"]] == [
        "random float64", "random float32", "an all-zero row (eps matters)"]


@pytest.mark.parametrize(
    ("solution", "expected"),
    [
        (LAYER_NORM, {("rms_norm", test): ("failed", "subtracts_mean")
                      for test in ("random_f64", "random_f32", "zeros")}),
        (ZERO_BASED, {("alibi_bias", test): ("failed", "zero_based_slopes") for test in ("random_sizes", "eight_heads")}),
        (FLOAT32_LOST, {("rms_norm", "random_f32"): ("failed", "float64_promoted")}),  # a common mistake
    ],
    ids=["layer-norm", "zero-based-slopes", "wrong-dtype"],
)
def test_a_wrong_solution_fails_with_the_banks_diagnosis(course: Path, solution: str,
                                                        expected: dict[tuple[str, str], tuple[str, str | None]]) -> None:
    code, report, _ = check(course, solution, "--seed", "5")
    assert code == ExitStatus.FAILURE
    found = {key: value for key, value in verdicts(report).items() if value[0] != "passed"}
    assert found == expected


def test_messages_name_the_call_and_the_seed_repeats_the_inputs(course: Path) -> None:
    _, first, _ = check(course, ZERO_BASED, "--seed", "11")
    _, again, _ = check(course, ZERO_BASED, "--seed", "11")
    message = first["exercises"][1]["tests"][1]["message"]
    assert message.startswith("alibi_bias(n_heads=8, length=5): 160 of 200 values differ")
    assert [t["message"] for ex in first["exercises"] for t in ex["tests"]] == \
        [t["message"] for ex in again["exercises"] for t in ex["tests"]]


def test_exercise_narrows_and_a_builtin_named_by_the_bank_is_included(course: Path) -> None:
    text = course.read_text(encoding="utf-8")
    course.write_text(text + """
  - id: w2-softmax
    type: code
    topic: week2
    difficulty: 1
    prompt: {en: "Softmax again.", zh: "再写一次 softmax。"}
    explanation: {en: "See week 1.", zh: "见第一周。"}
    exercise: softmax
""", encoding="utf-8")
    _, report, _ = check(course, GOOD)
    assert [ex["name"] for ex in report["exercises"]] == ["softmax", "rms_norm", "alibi_bias"]
    assert report["exercises"][0]["status"] == "not_attempted"
    _, narrowed, _ = check(course, GOOD, "--exercise", "alibi_bias")
    assert [ex["name"] for ex in narrowed["exercises"]] == ["alibi_bias"]


def test_the_solution_cannot_read_the_reference_file(course: Path) -> None:
    reference = course.parent / "course_reference.py"
    code, report, _ = check(course, f"print(open({str(reference)!r}).read())\n" + GOOD)
    assert code == ExitStatus.USAGE
    assert "PermissionError: the sandbox does not allow open on" in report["load_error"]["message"]


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("invalid-bank", "Error: the bank has 1 error; the first: {bank}:21:18: question 'w2-rms-norm': "
                         "reference file {folder}/nope.py not found (the path is relative to the bank file) "
                         "(attnquiz validate lists them all)"),
        ("reference-raises", "Error: cannot load reference file {folder}/course_reference.py: "
                             "ZeroDivisionError: division by zero"),
    ],
    ids=["invalid-bank", "reference-raises"],
)
def test_a_broken_bank_is_one_line_and_exit_2(course: Path, setup: str, message: str) -> None:
    if setup == "invalid-bank":
        course.write_text(course.read_text(encoding="utf-8").replace("reference: course_reference.py",
                                                                     "reference: nope.py", 1), encoding="utf-8")
    else:
        reference = course.parent / "course_reference.py"
        reference.write_text("1 / 0\n" + reference.read_text(encoding="utf-8"), encoding="utf-8")
    code, report, err = check(course, GOOD)
    assert (code, report) == (ExitStatus.USAGE, None)
    assert err.splitlines() == [message.format(bank=course, folder=course.parent.resolve())]


def test_new_writes_a_starter_for_the_banks_exercises_that_checks_as_not_implemented(course: Path) -> None:
    starter = course.parent.parent / "starter.py"
    result = subprocess.run([*ATTNQUIZ, "new", "--bank", str(course), "-o", str(starter)], capture_output=True,
                            text=True, env=subprocess_env(), timeout=60)
    assert result.returncode == 0, result.stderr
    text = starter.read_text(encoding="utf-8")
    assert "def rms_norm(x, weight, eps):" in text and "def alibi_bias(n_heads, length):" in text
    assert "np.mean(x * x" not in text  # hints are read on request, not in the starter
    flowing = " ".join(text.split())  # the docstring wraps at its width
    assert f"`attnquiz hint rms_norm --bank {course}` shows a hint, one level at a time (2 levels)." in flowing
    code, report, _ = check(course, text)
    assert code == ExitStatus.FAILURE
    assert {ex["status"] for ex in report["exercises"]} == {"not_implemented"}


def spec(**kwargs) -> models.ArgumentSpec:
    return models.ArgumentSpec.model_validate(kwargs)


@pytest.mark.parametrize(
    ("argument", "check_value"),
    [
        (spec(array={"shape": [3, 4], "dtype": "float32", "mean": 5, "std": 0.01}),
         lambda v: v.shape == (3, 4) and v.dtype == np.float32 and abs(float(v.mean()) - 5) < 0.1),
        (spec(array={"shape": [1000], "distribution": "uniform", "low": -2, "high": -1}),
         lambda v: v.dtype == np.float64 and v.min() >= -2 and v.max() < -1),
        (spec(array={"shape": [1000], "dtype": "int64", "low": 3, "high": 5}),
         lambda v: v.dtype == np.int64 and set(v.tolist()) == {3, 4, 5}),
        (spec(array={"shape": [1000], "dtype": "bool", "p": 1.0}), lambda v: v.dtype == np.bool_ and v.all()),
        (spec(array={"shape": []}), lambda v: isinstance(v, np.ndarray) and v.shape == ()),
        (spec(array={"values": [[1, 2], [3, 4]], "dtype": "float32"}),
         lambda v: v.dtype == np.float32 and v.tolist() == [[1, 2], [3, 4]]),
        (spec(integer={"low": 2, "high": 2}), lambda v: v == 2 and type(v) is int),
        (spec(number={"low": 0.5, "high": 0.75}), lambda v: type(v) is float and 0.5 <= v <= 0.75),
        (spec(value=None), lambda v: v is None),
        (spec(value="causal"), lambda v: v == "causal"),
    ],
    ids=["normal-f32", "uniform", "int64", "bool", "0-d", "fixed-values", "integer", "number", "none", "string"],
)
def test_arguments_are_made_as_specified(argument: models.ArgumentSpec, check_value) -> None:
    value = make_argument(argument, np.random.default_rng(0))
    assert check_value(value), value


def test_call_text() -> None:
    args = [np.zeros((2, 3), np.float32), 5, 1e-6, None]
    assert call_text("f", ["x", "n", "eps", "mask"], args) == "f(x (2, 3) float32, n=5, eps=1e-06, mask=None)"


def test_the_authoring_guides_exercise_example_validates_and_checks(tmp_path: Path) -> None:
    guide = re.split(r"## \d+\. Define your own code exercises", (REPO / "docs" / "authoring.md").read_text(encoding="utf-8"))[1]
    bank_text = guide.split("```yaml\n")[1].split("```")[0]
    reference_text = guide.split("```python\n")[1].split("```")[0]
    bank = tmp_path / "course" / "week2.yaml"  # check() writes the solution next to the course folder
    bank.parent.mkdir()
    bank.write_text(bank_text, encoding="utf-8")
    (bank.parent / "week2_reference.py").write_text(reference_text, encoding="utf-8")
    validate = subprocess.run([*ATTNQUIZ, "validate", "--strict", str(bank)], capture_output=True, text=True,
                              env=subprocess_env(), timeout=60)
    assert validate.stdout.splitlines() == ["1 file checked: 0 errors, 0 warnings"]
    code, report, _ = check(bank, GOOD)
    assert (code, report["score"], report["max_score"]) == (ExitStatus.OK, 4, 4)
    code, report, _ = check(bank, LAYER_NORM)
    assert code == ExitStatus.FAILURE
    assert set(verdicts(report).values()) == {("failed", "subtracts_mean")}


def test_bank_exercises_run_in_process_on_a_registry_of_their_own(course: Path, tmp_path: Path) -> None:
    from quiz.check.registry import builtin, with_banks
    from quiz.check.runner import CheckOptions, run_check
    from quiz.check.verdicts import Status

    registry = with_banks([str(course)])
    assert registry.named == ("rms_norm", "alibi_bias") and "rms_norm" not in builtin()
    good, bad = tmp_path / "good.py", tmp_path / "bad.py"
    good.write_text(GOOD, encoding="utf-8")
    bad.write_text(LAYER_NORM, encoding="utf-8")
    passed = run_check(good, CheckOptions(seed=5), registry)
    assert passed.exit_status is ExitStatus.OK and passed.exercise_names() == ["rms_norm", "alibi_bias"]
    failed = run_check(bad, CheckOptions(seed=5, exercises=("rms_norm",)), registry)
    assert {v.diagnosis for v in failed.tests if v.status is Status.FAILED} == {"subtracts_mean"}
    assert registry.protected() == ((course.parent / "course_reference.py").resolve(),)
