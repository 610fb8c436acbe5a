"""examples/github-classroom: the workflow's check step, run locally, fails on failed tests and
writes the score to the job summary."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, subprocess_env

EXAMPLE = REPO / "examples" / "github-classroom"
WORKFLOW = EXAMPLE / ".github" / "workflows" / "classroom.yml"
SOLUTION = REPO / "solutions" / "attention.py"
GALLERY = REPO / "tests" / "check_gallery"


def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def check_step() -> dict:
    return next(step for step in workflow()["jobs"]["check"]["steps"] if step.get("name") == "Check the solution")


def test_the_workflow_installs_attnquiz_and_runs_on_push() -> None:
    flow = workflow()
    assert "push" in flow[True]  # PyYAML reads the key `on` as True
    job = flow["jobs"]["check"]
    uses = [step.get("uses", "") for step in job["steps"]]
    assert uses[:2] == ["actions/checkout@v4", "actions/setup-python@v5"]
    install = next(step for step in job["steps"] if step.get("name") == "Install attnquiz")
    assert install["run"] == 'python -m pip install "$ATTNQUIZ_SPEC"'
    assert job["env"]["SOLUTION"] == "solution.py"
    assert check_step()["shell"] == "bash"


def run_check_step(tmp_path: Path, solution: str | None) -> tuple[int, str, str]:
    """Run the workflow's check step in a copy of a student repository, as the runner would."""
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE / ".github", repo / ".github")
    if solution is not None:
        (repo / "solution.py").write_text(solution, encoding="utf-8")
    summary = tmp_path / "summary.md"
    env = subprocess_env(**{k: str(v) for k, v in workflow()["jobs"]["check"]["env"].items()})
    env.update(GITHUB_STEP_SUMMARY=str(summary), CHECK_ARGS="--exercise softmax --exercise causal_mask --seed 3",
               PATH=os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]]))
    result = subprocess.run(["bash", "-e", "-c", check_step()["run"]], cwd=repo, env=env, capture_output=True,
                            text=True, timeout=120)
    return result.returncode, summary.read_text(encoding="utf-8") if summary.exists() else "", result.stdout


def test_a_good_solution_passes_with_the_score_in_the_summary(tmp_path: Path) -> None:
    status, summary, log = run_check_step(tmp_path, SOLUTION.read_text(encoding="utf-8"))
    assert status == 0
    lines = summary.splitlines()
    assert lines[0] == "## attnquiz: 20 / 20 points (100%)"
    assert lines[2] == "✅ Every attempted test passed."
    assert "| Numerically stable softmax (`softmax`) | ✅ passed | 10/10 |" in lines
    assert "What to fix" not in summary
    assert log == summary  # the same text is in the job's log


def test_a_wrong_solution_fails_the_job_and_says_what_to_fix(tmp_path: Path) -> None:
    status, summary, _ = run_check_step(tmp_path, (GALLERY / "mask_strict.py").read_text(encoding="utf-8"))
    assert status == 1
    lines = summary.splitlines()
    assert lines[0].startswith("## attnquiz: ") and not lines[0].startswith("## attnquiz: 20 / 20")
    assert lines[2].startswith("❌ ") and lines[2].endswith(" test(s) did not pass.")
    fixes = [line for line in lines if line.startswith("- ❌ **causal_mask")]
    assert "Likely mistake: *the diagonal is masked*. A token may attend itself: use &lt;=, not &lt;." in fixes[0]


@pytest.mark.parametrize(
    ("solution", "status", "expected"),
    [
        ("def softmax(x axis=-1):\n    return x\n", 2, "SyntaxError: invalid syntax"),
        (None, 2, "solution.py"),
    ],
    ids=["syntax-error", "no-file"],
)
def test_a_solution_that_cannot_be_checked_fails_with_the_reason(tmp_path: Path, solution: str | None,
                                                                 status: int, expected: str) -> None:
    got, summary, _ = run_check_step(tmp_path, solution)
    assert got == status
    assert summary.startswith("## attnquiz: the solution could not be checked\n")
    assert expected in summary


def test_table_cells_cannot_break_the_markdown() -> None:
    sys.path.insert(0, str(EXAMPLE / ".github"))
    try:
        from attnquiz_summary import cell
    finally:
        sys.path.pop(0)
    assert cell("a | b\n<script>") == "a \\| b &lt;script>"
