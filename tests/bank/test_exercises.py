"""Exercises defined in a bank: `attnquiz validate` checks the definitions and their reference file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from quiz.bank import models
from quiz.bank.loader import load_paths
from quiz.check.catalog import exercise_names
from quiz.bank.exercises import definitions
from quiz.cli import cli
from tests.conftest import REPO

COURSE = REPO / "examples" / "course"


def course(tmp_path: Path, edit: tuple[str, str] | None = None, reference: str | None = None) -> Path:
    """A copy of the example course bank, with one text replaced, and its reference file."""
    folder = tmp_path / "course"
    shutil.copytree(COURSE, folder)
    bank = folder / "course.yaml"
    if edit is not None:
        text = bank.read_text(encoding="utf-8")
        assert edit[0] in text, edit[0]
        bank.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    if reference is not None:
        (folder / "course_reference.py").write_text(reference, encoding="utf-8")
    return bank


def validate(bank: Path) -> tuple[int, list[str]]:
    result = CliRunner().invoke(cli, ["validate", "--strict", str(bank)])
    return result.exit_code, [line.removeprefix(f"{bank}:") for line in result.output.splitlines()[:-1]]


def test_the_example_course_is_valid_and_its_exercises_are_found(tmp_path: Path) -> None:
    bank = course(tmp_path)
    assert validate(bank) == (0, [])
    found = definitions(load_paths([bank], known_exercises=exercise_names()))
    assert list(found) == ["rms_norm", "alibi_bias"]
    assert found["rms_norm"].reference == (bank.parent / "course_reference.py").resolve()
    assert found["alibi_bias"].definition.params == ["n_heads", "length"]


def test_a_code_question_naming_a_builtin_exercise_stays_valid() -> None:
    question = models.CodeQuestion.model_validate({
        "id": "q", "type": "code", "topic": "t", "difficulty": 1, "prompt": "p", "explanation": "e",
        "exercise": "softmax"})
    assert question.exercise == question.exercise_id == "softmax"


Q = "question 'w2-rms-norm': "


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("id: rms_norm", "id: softmax"), [f"17:11: {Q}exercise id 'softmax' is a built-in exercise; choose another id"]),
        (("- id: random_f32", "- id: random_f64"), [f"40:11: {Q}test id 'random_f64' is used twice"]),
        (("            eps: {value: 1.0e-6}\n", ""), [f"37:13: {Q}test 'random_f64' does not say how to make eps"]),
        (("            eps: {value: 1.0e-6}\n", "            eps: {value: 1.0e-6}\n            bias: {value: 0}\n"),
         [f"40:13: {Q}test 'random_f64' gives 'bias', which is not a parameter (params: x, weight, eps)"]),
        (("params: [x, weight, eps]", "params: [x, weight, eps, eps]"),
         [f"20:15: {Q}course_reference.py: rms_norm(x, weight, eps) does not take the parameters listed in "
          "'params' (x, weight, eps, eps)", f"20:32: {Q}parameter 'eps' is listed twice"]),
        (("values: [1.0, 1.0, 1.0, 1.0]", "values: [1.0, [1.0], 1.0, 1.0]"),
         [f"52:38: {Q}'values' must be a regular nested list of float64 numbers"]),
        (("reference: course_reference.py", "reference: missing.py"),
         [f"21:18: {Q}reference file {{folder}}/missing.py not found (the path is relative to the bank file)"]),
        (("function: rms_norm_subtracts_mean", "function: rms_norm_centred"),
         [f"56:21: {Q}reference file course_reference.py defines no function 'rms_norm_centred'"]),
        (("eps: {value: 1.0e-6}", "eps: {value: 1.0e-6, integer: {low: 1, high: 2}}"),
         [f"39:18: {Q}an argument needs exactly one of array, integer, number, value (given: integer, value)"]),
        (("low: 0.5, high: 1.5}}\n            eps: {value", "low: 1.5, high: 0.5}}\n            eps: {value"),
         [f"38:29: {Q}low (1.5) must be below high (0.5)"]),
        (("{array: {shape: [2, 5, 16]", "{arrray: {shape: [2, 5, 16]"),
         [f"37:17: {Q}unknown key 'arrray'; did you mean 'array'?"]),
        (("dtype: float64, distribution: normal", "dtype: float16, distribution: normal"),
         [f"37:51: {Q}'dtype' must be 'float32', 'float64', 'int64' or 'bool'"]),
        (("shape: [2, 5, 16]", "shape: [2, -5, 16]"), [f"37:36: {Q}'shape item 2' must be at least 0"]),
        (("shape: [2, 5, 16]", "shape: [4096, 4096, 4]"),
         [f"37:24: {Q}an array of 67108864 elements is too big (at most 16777216)"]),
        (("        float32: {atol: 1.0e-5, rtol: 1.0e-4}", "        float32: {atol: 1.0e-5, rtl: 1.0e-4}"),
         [f"31:33: {Q}unknown key 'rtl'; did you mean 'rtol'?"]),
    ],
    ids=["builtin-id", "duplicate-test", "missing-arg", "unknown-arg", "duplicate-param", "ragged-values",
         "reference-missing", "mistake-function-missing", "two-kinds", "range-order", "typo-suggested",
         "bad-dtype", "negative-shape", "too-big", "tolerance-typo"],
)
def test_each_problem_in_a_definition_is_pointed_at(tmp_path: Path, edit: tuple[str, str],
                                                   expected: list[str]) -> None:
    bank = course(tmp_path, edit)
    code, lines = validate(bank)
    assert code == 1
    assert lines == [line.format(folder=bank.parent.resolve()) for line in expected]


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("def rms_norm(x, weight, eps:\n", "reference file {path}:2: SyntaxError: '(' was never closed"),
        ("def rms_norm(x, w, eps):\n    pass\n",
         "course_reference.py: rms_norm(x, w, eps) does not take the parameters listed in 'params' (x, weight, eps)"),
    ],
    ids=["syntax-error", "other-parameters"],
)
def test_the_reference_file_is_read_without_running_it(tmp_path: Path, reference: str, expected: str) -> None:
    marker = tmp_path / "ran"
    bank = course(tmp_path, reference=f"open({str(marker)!r}, 'w')\n" + reference)
    code, lines = validate(bank)
    assert code == 1 and not marker.exists()
    path = bank.parent.resolve() / "course_reference.py"
    assert any(line.endswith(Q + expected.format(path=path)) for line in lines), lines


def test_an_exercise_id_defined_in_two_banks(tmp_path: Path) -> None:
    bank = course(tmp_path)
    other = bank.with_name("other.yaml")
    other.write_text(bank.read_text(encoding="utf-8").replace("my-course-week2", "other").replace(
        "id: w2-", "id: other-"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(bank), str(other)])
    assert result.exit_code == 1
    assert f"{other}:17:11: question 'other-rms-norm': exercise 'rms_norm' is already defined in {bank}" \
        in result.output.splitlines()
