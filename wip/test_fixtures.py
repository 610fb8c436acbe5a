"""Every wip fixture gets its diagnosis under two seeds; every worked solution passes under both."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import shim  # noqa: E402,F401
from quiz.check.runner import CheckOptions, run_check  # noqa: E402

EXPECTED = yaml.safe_load((HERE / "fixtures" / "expected.yaml").read_text())
SOLUTIONS = sorted(p.stem for p in (HERE / "solutions").glob("*.py"))


@pytest.mark.parametrize("seed", [7, 20261124])
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture(name, seed):
    entry = EXPECTED[name]
    result = run_check(HERE / "fixtures" / name, CheckOptions(seed=seed, exercises=tuple(entry["exercises"])))
    by_test = {v.test: v for v in result.tests}
    for test, mistake in entry["diagnosis"].items():
        v = by_test[test]
        assert v.status.value != "passed" and v.diagnosis == mistake, (v.status, v.diagnosis, v.message)


@pytest.mark.parametrize("seed", [7, 20261124])
@pytest.mark.parametrize("name", SOLUTIONS)
def test_solution(name, seed):
    result = run_check(HERE / "solutions" / f"{name}.py", CheckOptions(seed=seed, exercises=(name,)))
    assert result.score == result.max_score, [(v.test, v.message) for v in result.tests if v.status.value != "passed"]
