"""The gallery: each known mistake and each cheating trick gets the verdict and diagnosis it must get.

Every file in tests/check_gallery/ is checked for real (sandboxed child, hidden references)
with the expectations written next to it in expected.yaml.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from quiz.check.registry import builtin
from quiz.check.runner import CheckOptions, run_check
from quiz.check.verdicts import CheckResult, Status, exercise_status
from tests.conftest import REPO

pytestmark = pytest.mark.slow  # every file is checked for real, one sandbox each

GALLERY = REPO / "tests" / "check_gallery"
EXPECTED: dict[str, dict] = yaml.safe_load((GALLERY / "expected.yaml").read_text(encoding="utf-8"))


def test_every_gallery_file_has_expectations_and_every_expectation_a_file() -> None:
    files = {path.name for path in GALLERY.glob("*.py")}
    assert files == set(EXPECTED)


def test_every_mistake_of_the_catalogue_has_a_gallery_file_that_gets_it() -> None:
    named = {(entry["exercises"][0], mistake) for entry in EXPECTED.values()
             for mistake in entry.get("diagnosis", {}).values()}
    catalogue = {(exercise.id, mistake) for exercise in builtin() for mistake in exercise.variants}
    assert catalogue <= named, sorted(catalogue - named)


@pytest.mark.parametrize("name", sorted(EXPECTED), ids=sorted(EXPECTED))
def test_gallery_file_gets_its_verdict(name: str) -> None:
    entry = EXPECTED[name]
    options = CheckOptions(seed=entry.get("seed", 7), timeout=entry.get("timeout", 10.0),
                           exercises=tuple(entry["exercises"]))
    result = run_check(GALLERY / name, options)
    assert_expected(result, entry)
    if name == "adv_output_flood.py":
        assert "spam" in result.output and len(result.output) < 70_000 and "dropped" in result.output


def assert_expected(result: CheckResult, entry: dict) -> None:
    """The exit status, statuses, diagnoses and messages that expected.yaml gives a gallery file."""
    assert int(result.exit_status) == entry.get("exit", 1), [(v.test, v.status, v.message) for v in result.tests]
    if entry.get("exit") == 2:
        assert result.load_error is not None and result.tests == []
        return
    for exercise, status in entry.get("status", {}).items():
        verdicts = result.for_exercise(exercise)
        assert exercise_status(verdicts) is Status(status), [(v.test, v.status, v.message) for v in verdicts]
    for exercise in entry["exercises"]:  # what it builds on that failed: only where the entry says so
        assert result.failed_prerequisites(exercise) == entry.get("fix_first", {}).get(exercise, []), exercise
    by_test = {}
    for verdict in result.tests:
        by_test.setdefault(verdict.test, verdict)
    for test, mistake in entry.get("diagnosis", {}).items():
        assert by_test[test].status is not Status.PASSED
        assert by_test[test].diagnosis == mistake, (by_test[test].message, by_test[test].diagnosis)
    for test, text in entry.get("message", {}).items():
        assert text in by_test[test].message


QUICK_MISTAKES = sorted(name for name, entry in EXPECTED.items()
                       if not name.startswith(("adv_", "good_")) and "speed" not in entry.get("diagnosis", {}))


@pytest.mark.parametrize("name", QUICK_MISTAKES, ids=QUICK_MISTAKES)
def test_the_diagnosis_does_not_depend_on_the_seed(name: str) -> None:
    entry = EXPECTED[name]
    result = run_check(GALLERY / name, CheckOptions(seed=20261124, exercises=tuple(entry["exercises"])))
    diagnoses = {verdict.test: verdict.diagnosis for verdict in result.tests}
    assert {test: diagnoses[test] for test in entry["diagnosis"]} == entry["diagnosis"]


def test_gallery_diagnoses_name_mistakes_with_hints_in_both_languages() -> None:
    specs = builtin().specs()
    for entry in EXPECTED.values():
        for mistake in entry.get("diagnosis", {}).values():
            spec = specs[entry["exercises"][-1]]
            hint = spec.mistake(mistake).hint
            assert hint.en and hint.zh


def test_a_gallery_file_is_never_imported_by_the_checker_process() -> None:
    assert not any("/check_gallery/" in str(getattr(module, "__file__", "") or "")
                   for module in list(__import__("sys").modules.values()))


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
