"""GitHub Classroom: `check --format classroom` and the workflow `attnquiz autograder classroom` writes.

The workflow's command step is run locally, as the runner would run it (bash, GITHUB_OUTPUT,
RUNNER_TEMP, a fresh Python environment standing in for actions/setup-python), and its
``result`` output is decoded the way classroom-resources/autograding-grading-reporter does:
``Buffer.from(env[RUNNER.toUpperCase() + "_RESULTS"], "base64")``, JSON; the points sent to
Classroom are the sum of the tests' ``score`` out of ``max_score``, and the job fails when the
status is "fail" or "error".
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import yaml

from quiz import __version__
from tests.conftest import ATTNQUIZ, REPO, subprocess_env
from tests.grade.test_gradescope import fake_wheel

SOLUTION = REPO / "solutions" / "attention.py"
GALLERY = REPO / "tests" / "check_gallery"
QUICK = ["--exercise", "softmax", "--exercise", "causal_mask"]
SOFTMAX_ONLY = """import numpy as np


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
"""


def write_workflow(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ATTNQUIZ, "autograder", "classroom", *args], cwd=repo, capture_output=True, text=True,
                          env=subprocess_env(), timeout=600)


def reporter(result_output: str) -> tuple[float, float, bool, dict]:
    """What the reporter does with a runner's output: (points, max points, job fails, the decoded JSON)."""
    results = json.loads(base64.b64decode(result_output).decode("utf-8"))
    total = sum(test["score"] for test in results["tests"])  # NotifyClassroom
    return total, results["max_score"], results["status"] in ("fail", "error"), results


def test_the_workflow_has_classrooms_shape(tmp_path: Path) -> None:
    done = write_workflow(tmp_path, *QUICK, "--min-score", "15", "--wheel", str(fake_wheel(tmp_path)))
    assert done.returncode == 0, done.stderr
    assert "the job passes at 15/20 points" in done.stdout
    flow = yaml.safe_load((tmp_path / ".github" / "workflows" / "classroom.yml").read_text(encoding="utf-8"))
    assert flow["name"] == "Autograding Tests"
    assert flow["on"] == ["push", "workflow_dispatch", "repository_dispatch"]
    assert flow["permissions"] == {"checks": "write", "actions": "read", "contents": "read"}
    (job,) = flow["jobs"].values()
    assert job["if"] == "github.actor != 'github-classroom[bot]'" and job["runs-on"] == "ubuntu-latest"
    uses = [step.get("uses") for step in job["steps"]]
    assert uses == ["actions/checkout@v4", "actions/setup-python@v5", None,
                    "classroom-resources/autograding-grading-reporter@v1"]
    check, report = job["steps"][2], job["steps"][3]
    assert report["with"]["runners"] == check["id"] == "attnquiz"
    assert report["env"] == {"ATTNQUIZ_RESULTS": "${{steps.attnquiz.outputs.result}}"}
    assert "apt-get install -y --no-install-recommends bubblewrap" in check["run"]
    assert "attnquiz check --format classroom --min-score 15 --lang en --exercise softmax --exercise causal_mask -- " \
           "solution.py" in check["run"]
    assert (tmp_path / ".github" / "attnquiz" / f"attnquiz-{__version__}-py3-none-any.whl").is_file()
    assert (tmp_path / ".github" / "attnquiz" / "constraints.txt").read_text(encoding="utf-8").count("==") > 5


def test_a_workflow_written_in_chinese_reports_in_chinese(tmp_path: Path) -> None:
    done = write_workflow(tmp_path, *QUICK, "--lang", "zh", "--wheel", str(fake_wheel(tmp_path)))
    assert done.returncode == 0 and "已写入" in done.stdout, done.stderr
    flow = yaml.safe_load((tmp_path / ".github" / "workflows" / "classroom.yml").read_text(encoding="utf-8"))
    (job,) = flow["jobs"].values()
    assert "attnquiz check --format classroom --min-score 20 --lang zh --exercise softmax" in job["steps"][2]["run"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "classroom.yml"], "write the workflow into a repository's workflows folder"),
        (["--min-score", "25"], "--min-score 25 is outside 0..20"),
        (["--bank", "nope.yaml"], "bank nope.yaml not found"),
    ],
    ids=["not-a-workflows-folder", "min-score-too-high", "missing-bank"],
)
def test_bad_input_is_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    done = write_workflow(tmp_path, *QUICK, *args, "--wheel", str(fake_wheel(tmp_path)))
    assert done.returncode == 2 and message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / ".github").exists()


@pytest.mark.parametrize(
    ("solution", "status", "points", "fails"),
    [
        (SOLUTION.read_text(encoding="utf-8"), "pass", 20, False),
        ((GALLERY / "mask_inverted.py").read_text(encoding="utf-8"), "fail", 0, True),
        (SOFTMAX_ONLY, "fail", 10, True),  # unattempted counts as failed: never green at 10/20
        ("def softmax(x axis=-1):\n    return x\n", "error", 0, True),
    ],
    ids=["good", "wrong", "partial", "unloadable"],
)
def test_check_format_classroom_is_what_the_reporter_reads(tmp_path: Path, solution: str, status: str, points: int,
                                                           fails: bool) -> None:
    path = tmp_path / "solution.py"
    path.write_text(solution, encoding="utf-8")
    done = subprocess.run([*ATTNQUIZ, "check", "--format", "classroom", *QUICK, str(path)], capture_output=True,
                          text=True, env=subprocess_env(), timeout=300)
    total, max_score, job_fails, results = reporter(base64.b64encode(done.stdout.encode()).decode())
    assert (results["status"], total, max_score, job_fails) == (status, points, 20, fails)
    assert done.returncode == {"pass": 0, "fail": 1, "error": 2}[status]
    assert all({"name", "status", "score", "message", "line_no"} <= set(test) for test in results["tests"])


def test_min_score_lets_a_partial_solution_pass(tmp_path: Path) -> None:
    path = tmp_path / "solution.py"
    path.write_text(SOFTMAX_ONLY, encoding="utf-8")
    done = subprocess.run([*ATTNQUIZ, "check", "--format", "classroom", "--min-score", "10", *QUICK, str(path)],
                          capture_output=True, text=True, env=subprocess_env(), timeout=300)
    assert json.loads(done.stdout)["status"] == "pass" and done.returncode == 0


@pytest.mark.slow
def test_the_workflows_command_steps_run_locally(tmp_path: Path) -> None:
    repo = tmp_path / "student-repo"
    repo.mkdir()
    done = write_workflow(repo, *QUICK)  # builds the real wheel from this checkout
    assert done.returncode == 0, done.stderr
    flow = yaml.safe_load((repo / ".github" / "workflows" / "classroom.yml").read_text(encoding="utf-8"))
    (job,) = flow["jobs"].values()
    step = next(step for step in job["steps"] if step.get("id") == "attnquiz")
    python = tmp_path / "setup-python"  # what actions/setup-python leaves: a python and pip first on PATH
    venv.create(python, with_pip=True)
    path = os.pathsep.join([str(python / "bin"), os.environ["PATH"]])
    for solution, expected in ((SOLUTION, (20, False)), (GALLERY / "mask_inverted.py", (0, True)),
                               (None, (0, True))):
        target = repo / "solution.py"
        target.unlink(missing_ok=True)
        if solution is not None:
            target.write_text(solution.read_text(encoding="utf-8"), encoding="utf-8")
        output = tmp_path / "github_output"
        output.write_text("", encoding="utf-8")
        env = subprocess_env(PATH=path, GITHUB_OUTPUT=str(output), RUNNER_TEMP=str(tmp_path))
        ran = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=repo, env=env, capture_output=True, text=True,
                             timeout=900)
        assert ran.returncode == 0, ran.stdout[-2000:] + ran.stderr[-2000:]
        (line,) = [x for x in output.read_text(encoding="utf-8").splitlines() if x.startswith("result=")]
        total, max_score, fails, results = reporter(line.removeprefix("result="))
        assert (total, fails) == expected and max_score == 20, results
    assert sys.executable not in ran.stdout  # the step used the environment it installed, not this one
