"""`attnquiz autograder gradescope`: the zip, unpacked into a temporary /autograder, installs and grades.

The end-to-end test builds the zip with the command (the real wheel), unpacks it as Gradescope
does, runs its setup.sh (a virtual environment, the wheel with its pinned dependencies) and
then run_autograder on a good, a wrong, a partial and an unloadable submission, validating
results.json against Gradescope's specification each time.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import jsonschema
import pytest

from quiz import __version__
from tests.conftest import ATTNQUIZ, REPO, subprocess_env

COURSE = REPO / "examples" / "course"
SOLUTION = REPO / "solutions" / "attention.py"
GALLERY = REPO / "tests" / "check_gallery"

# Gradescope's results.json (its autograder specification), the fields we write.
VISIBILITY = {"enum": ["hidden", "after_due_date", "after_published", "visible"]}
FORMAT = {"enum": ["text", "html", "simple_format", "md", "ansi"]}
RESULTS_SCHEMA = {
    "type": "object",
    "required": ["score", "execution_time", "output", "output_format", "stdout_visibility", "tests", "leaderboard"],
    "additionalProperties": False,
    "properties": {
        "score": {"type": "number", "minimum": 0},
        "execution_time": {"type": "number", "minimum": 0},
        "output": {"type": "string"},
        "output_format": FORMAT,
        "test_output_format": FORMAT,
        "test_name_format": FORMAT,
        "visibility": VISIBILITY,
        "stdout_visibility": VISIBILITY,
        "extra_data": {"type": "object"},
        "tests": {"type": "array", "items": {
            "type": "object",
            "required": ["name", "score", "max_score", "status", "output", "visibility"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "name_format": FORMAT,
                "number": {"type": "string"},
                "score": {"type": "number", "minimum": 0},
                "max_score": {"type": "number", "minimum": 0},
                "status": {"enum": ["passed", "failed"]},
                "output": {"type": "string"},
                "output_format": FORMAT,
                "tags": {"type": "array", "items": {"type": "string"}},
                "visibility": VISIBILITY,
                "extra_data": {"type": "object"},
            },
        }},
        "leaderboard": {"type": "array", "items": {
            "type": "object", "required": ["name", "value"], "additionalProperties": False,
            "properties": {"name": {"type": "string"}, "value": {"type": ["number", "string"]},
                           "order": {"enum": ["asc", "desc"]}},
        }},
    },
}

COURSE_PART = (COURSE / "solution.py").read_text(encoding="utf-8")  # rms_norm and alibi_bias
SOFTMAX = """import numpy as np


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
"""
# A two-file solution: the course's functions live in a helper module the solution imports.
GOOD = {"solution.py": SOFTMAX + "\nfrom course_part import alibi_bias, rms_norm  # noqa: E402,F401\n",
        "course_part.py": COURSE_PART}
WRONG = {"solution.py": SOFTMAX + COURSE_PART.replace(  # LayerNorm's centring: the bank's "subtracts the mean"
    "    rms = np.sqrt(", "    x = x - np.mean(x, axis=-1, keepdims=True)\n    rms = np.sqrt(")}
PARTIAL = {"solution.py": SOFTMAX}
UNLOADABLE = {"solution.py": "def softmax(x axis=-1):\n    return x\n"}
BUILD_ARGS = ["--bank", str(COURSE / "course.yaml"), "--exercise", "softmax", "--exercise", "rms_norm",
              "--exercise", "alibi_bias"]


def fake_wheel(folder: Path) -> Path:
    """Stands in for the wheel where only the zip's layout is under test."""
    wheel = folder / f"attnquiz-{__version__}-py3-none-any.whl"
    wheel.write_bytes(b"PK\x05\x06" + b"\0" * 18)
    return wheel


def build(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ATTNQUIZ, "autograder", "gradescope", *args], capture_output=True, text=True,
                          env=subprocess_env(), cwd=tmp_path, timeout=600)


def run_autograder(root: Path, files: dict[str, str], **env: str) -> dict:
    """One submission, as Gradescope runs it: fresh submission/ and results/, then run_autograder."""
    for folder in ("submission", "results"):
        shutil.rmtree(root / folder, ignore_errors=True)
        (root / folder).mkdir()
    for name, content in files.items():
        (root / "submission" / name).write_text(content, encoding="utf-8")
    done = subprocess.run([str(root / "run_autograder")], cwd=root, capture_output=True, text=True, timeout=600,
                          env=subprocess_env(AUTOGRADER_ROOT=str(root), **env))
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    jsonschema.validate(results, RESULTS_SCHEMA)
    return results


@pytest.mark.slow
def test_the_zip_installs_and_grades_in_a_fresh_autograder_layout(tmp_path: Path) -> None:
    from quiz.grade.gradescope import unpack

    zip_path = tmp_path / "autograder.zip"
    built = build(tmp_path, *BUILD_ARGS, "--visibility", "after_published", "-o", str(zip_path))
    assert built.returncode == 0, built.stderr
    assert "3 exercises, 18 points, 5 hidden tests (after_published)" in built.stdout
    root = tmp_path / "autograder"
    unpack(zip_path, root)
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], cwd=root, capture_output=True, text=True,
                           env=subprocess_env(AUTOGRADER_ROOT=str(root)), timeout=900)
    assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
    assert setup.stdout.strip().endswith(f"attnquiz, version {__version__}")
    assert "Sandbox isolation available in this image: " in setup.stdout  # what extra_data.isolation will say
    pins = (root / "source" / "constraints.txt").read_text(encoding="utf-8")
    freeze = subprocess.run([str(root / "venv" / "bin" / "python"), "-m", "pip", "freeze"], capture_output=True,
                            text=True, check=True).stdout
    for line in pins.splitlines()[1:]:  # every pinned dependency is installed at exactly that version
        assert line.lower().replace("_", "-") in freeze.lower().replace("_", "-"), line

    good = run_autograder(root, GOOD)
    assert good["score"] == 18 == sum(test["max_score"] for test in good["tests"])
    shown = {test["extra_data"]["exercise"]: test["visibility"] for test in good["tests"]}
    assert shown == {"softmax": "visible", "rms_norm": "after_published", "alibi_bias": "after_published"}
    assert good["stdout_visibility"] == "hidden" and good["output_format"] == "md"
    seed = good["extra_data"]["seed"]
    assert f"attnquiz check --seed {seed} --exercise softmax --exercise rms_norm --exercise alibi_bias " \
           f"--bank course.yaml solution.py" in good["output"]
    # the bank's tests are hidden until published: neither the summary nor the leaderboard reveals their points
    assert good["output"].startswith("**Score on the visible tests 10/10.** 5 more tests (8 points) will be shown "
                                     "when the grades are published.")
    assert "18" not in good["output"].split("\n")[0]
    assert [entry["name"] for entry in good["leaderboard"]] == ["KV-cache speedup", "Score (visible tests)"]
    assert good["leaderboard"][1]["value"] == 10

    wrong = run_autograder(root, WRONG)
    failed = [test for test in wrong["tests"] if test["status"] == "failed"]
    assert {test["extra_data"]["exercise"] for test in failed} == {"rms_norm"}
    assert any("**Likely mistake: subtracts the mean" in test["output"] for test in failed), failed

    partial = run_autograder(root, PARTIAL)
    assert partial["score"] == 10 and len(partial["tests"]) == len(good["tests"])
    assert {test["extra_data"]["status"] for test in partial["tests"] if test["status"] == "failed"} \
        == {"not_attempted"}  # an unattempted exercise counts as failed, 0 of its points

    broken = run_autograder(root, UNLOADABLE)
    assert broken["score"] == 0 and sum(test["max_score"] for test in broken["tests"]) == 18
    assert "SyntaxError: invalid syntax" in broken["output"] and "^" in broken["output"]

    # Where bubblewrap cannot run (here: not on PATH), --isolation auto grades at the weaker level and says
    # which; a zip built with --isolation strict refuses instead: score 0, every test at 0, the reason.
    no_bwrap = tmp_path / "bin-without-bwrap"
    no_bwrap.mkdir()
    for tool in ("bash", "env", "mkdir"):
        (no_bwrap / tool).symlink_to(shutil.which(tool))
    weaker = run_autograder(root, GOOD, PATH=str(no_bwrap))
    assert weaker["score"] == 18 and weaker["extra_data"]["isolation"] in ("uid", "process")
    assert f"Isolation: {weaker['extra_data']['isolation']}" in weaker["output"]
    with zipfile.ZipFile(zip_path) as archive:
        wheel = tmp_path / f"attnquiz-{__version__}-py3-none-any.whl"
        wheel.write_bytes(archive.read(wheel.name))
    strict_zip = tmp_path / "strict.zip"
    built = build(tmp_path, *BUILD_ARGS, "--isolation", "strict", "--wheel", str(wheel), "-o", str(strict_zip))
    assert built.returncode == 0 and "Isolation strict: " in built.stdout, built.stderr
    strict_root = tmp_path / "strict-autograder"
    unpack(strict_zip, strict_root)
    assert (strict_root / "source" / "setup.sh").read_bytes() == (root / "source" / "setup.sh").read_bytes()
    (strict_root / "venv").symlink_to(root / "venv")  # the same setup.sh and wheel: the environment it makes
    refused = run_autograder(strict_root, GOOD, PATH=str(no_bwrap))
    assert refused["score"] == 0 and sum(test["max_score"] for test in refused["tests"]) == 18
    assert {test["score"] for test in refused["tests"]} == {0} and len(refused["tests"]) == len(good["tests"])
    assert refused["extra_data"]["status"] == "refused" and refused["extra_data"]["isolation_required"] == "strict"
    assert refused["extra_data"]["isolation"] == weaker["extra_data"]["isolation"]  # the real level, reported
    assert "bubblewrap (bwrap) is not installed" in refused["extra_data"]["reason"] in refused["output"]
    assert refused["output"].startswith("**Not graded: this autograder requires the full sandbox (strict isolation)")
    from quiz.check.isolation import Level, host

    graded = run_autograder(strict_root, GOOD)  # with bubblewrap on PATH: graded at strict, or refused
    if host().works(Level.STRICT):
        assert graded["score"] == 18 and graded["extra_data"]["isolation"] == "strict"
        # bubblewrap that works once (the autograder's own probe) and then fails (the check's): still refused,
        # never reported as the student's file not loading
        flaky = tmp_path / "bin-flaky-bwrap"
        flaky.mkdir()
        calls = tmp_path / "bwrap-calls"
        (flaky / "bwrap").write_text(f"""#!/bin/bash
n=$(cat {calls} 2>/dev/null || echo 0); echo $((n + 1)) > {calls}
[ "$n" -eq 0 ] && exec {shutil.which("bwrap")} "$@"
echo "bwrap: setting up uid map: Permission denied" >&2; exit 1
""", encoding="utf-8")
        (flaky / "bwrap").chmod(0o755)
        late = run_autograder(strict_root, GOOD, PATH=f"{flaky}{os.pathsep}{os.environ['PATH']}")
        assert int(calls.read_text(encoding="utf-8")) >= 2  # the probe, then the check's
        assert late["extra_data"]["status"] == "refused" and late["score"] == 0
        assert late["extra_data"]["reason"].startswith(
            "strict isolation is not available here: bwrap: setting up uid map: Permission denied")
    else:
        assert graded["extra_data"]["status"] == "refused" and graded["score"] == 0


def test_the_zip_holds_the_scripts_the_wheel_its_pins_and_the_course(tmp_path: Path) -> None:
    zip_path = tmp_path / "autograder.zip"
    done = build(tmp_path, *BUILD_ARGS, "--wheel", str(fake_wheel(tmp_path)), "-o", str(zip_path))
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(zip_path) as archive:
        names = set(archive.namelist())
        modes = {info.filename: (info.external_attr >> 16) & 0o777 for info in archive.infolist()}
        config = json.loads(archive.read("autograder.json"))
        setup = archive.read("setup.sh").decode()
        pins = archive.read("constraints.txt").decode()
    assert names == {"setup.sh", "run_autograder", "autograde.py", "autograder.json", "constraints.txt",
                     f"attnquiz-{__version__}-py3-none-any.whl", "banks/1-course/course.yaml",
                     "banks/1-course/course_reference.py"}
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755
    assert config["banks"] == ["banks/1-course/course.yaml"] and config["visibility"] == "after_due_date"
    assert config["isolation"] == "auto" and "Isolation auto: " in done.stdout
    assert [(e["id"], e["course"]) for e in config["plan"]] == [("softmax", False), ("rms_norm", True),
                                                               ("alibi_bias", True)]
    assert "apt_install bubblewrap" in setup and '--constraint "$SOURCE/constraints.txt"' in setup
    import numpy

    assert f"numpy=={numpy.__version__}\n" in pins and "pydantic==" in pins and not any(line.startswith("attnquiz==") for line in pins.splitlines())
    subprocess.run(["bash", "-n", "-c", setup], check=True)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bank", "missing.yaml"], "Error: bank missing.yaml not found"),
        (["--exercise", "sofmax"], "unknown exercise 'sofmax'"),
        (["-o", "no/such/folder/autograder.zip"], "the folder no/such/folder does not exist"),
        (["-o", "."], "is a folder; give the file to write"),
        (["--wheel", "numpy-2.0-py3-none-any.whl"], "is not an attnquiz wheel"),
    ],
    ids=["missing-bank", "unknown-exercise", "no-folder", "out-is-folder", "not-attnquiz"],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    if "--wheel" not in args:
        args = [*args, "--wheel", str(fake_wheel(tmp_path))]
    Path(tmp_path / "numpy-2.0-py3-none-any.whl").write_bytes(b"x")
    if "-o" not in args:
        args = [*args, "-o", "autograder.zip"]
    done = build(tmp_path, *args)
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert not list(tmp_path.glob("*.zip")) and not list(tmp_path.glob(".*.tmp"))


def test_a_missing_reference_file_is_named_and_an_old_zip_is_kept(tmp_path: Path) -> None:
    bank = tmp_path / "course.yaml"
    bank.write_text((COURSE / "course.yaml").read_text(encoding="utf-8"), encoding="utf-8")  # no reference next to it
    old = tmp_path / "autograder.zip"
    old.write_bytes(b"the zip of last week")
    done = build(tmp_path, "--bank", str(bank), "--wheel", str(fake_wheel(tmp_path)), "-o", str(old))
    assert done.returncode == 2 and "course_reference.py" in done.stderr and "not found" in done.stderr
    assert old.read_bytes() == b"the zip of last week"  # never half written, never lost


def test_a_build_killed_while_writing_leaves_the_old_zip_and_the_next_build_cleans_up(tmp_path: Path) -> None:
    import signal
    import time

    big = tmp_path / "big" / f"attnquiz-{__version__}-py3-none-any.whl"  # only its name is checked: slow to write
    big.parent.mkdir()
    big.write_bytes(os.urandom(16 << 20))
    old = tmp_path / "autograder.zip"
    old.write_bytes(b"the zip of last week")
    proc = subprocess.Popen([*ATTNQUIZ, "autograder", "gradescope", "--wheel", str(big), "-o", str(old)],
                            cwd=tmp_path, env=subprocess_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not list(tmp_path.glob(".autograder.zip.*.tmp")) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the build finished before it could be killed while writing"
    leftover = list(tmp_path.glob(".autograder.zip.*.tmp"))
    assert len(leftover) == 1  # killed mid-write: the half-written zip is aside, under a temporary name
    assert old.read_bytes() == b"the zip of last week"
    done = build(tmp_path, "--wheel", str(fake_wheel(tmp_path)), "-o", str(old))
    assert done.returncode == 0, done.stderr
    assert zipfile.ZipFile(old).testzip() is None and not list(tmp_path.glob(".autograder.zip.*.tmp"))


def test_an_unwritable_place_is_one_line(tmp_path: Path) -> None:
    done = build(tmp_path, "--wheel", str(fake_wheel(tmp_path)), "-o", "/proc/autograder.zip")  # even root cannot
    assert done.returncode == 2 and done.stderr.startswith("Error: cannot write /proc/autograder.zip: ")
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("files", "found", "problem"),
    [
        ({"solution.py": "", "helper.py": ""}, "solution.py", ""),
        ({"hw3/solution.py": "", "solution.py": ""}, "solution.py", ""),
        ({"hw3/my_attention.py": ""}, "hw3/my_attention.py", ""),
        ({"notes.txt": ""}, None, "Submit your solution as solution.py (found: no .py file)."),
        ({"a.py": "", "b.py": ""}, None, "Submit your solution as solution.py (found: a.py, b.py)."),
        ({"a/solution.py": "", "b/solution.py": ""}, None,
         "two candidate solution files: a/solution.py, b/solution.py; submit only one solution.py"),
    ],
    ids=["with-helper", "shallowest", "lone-file", "no-python", "two-files", "two-candidates"],
)
def test_the_solution_in_a_submission(tmp_path: Path, files: dict[str, str], found: str | None,
                                      problem: str) -> None:
    from quiz.grade.gradescope import find_solution

    for name, content in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content, encoding="utf-8")
    path, why = find_solution(tmp_path, "solution.py")
    assert (path.relative_to(tmp_path).as_posix() if path else None, why) == (found, problem)


def test_check_format_gradescope_measures_the_kv_cache_speedup_for_the_leaderboard() -> None:
    done = subprocess.run([*ATTNQUIZ, "check", "--format", "gradescope", "--exercise", "decode_step", "--seed", "5",
                           str(SOLUTION)], capture_output=True, text=True, env=subprocess_env(), timeout=600)
    results = json.loads(done.stdout)
    jsonschema.validate(results, RESULTS_SCHEMA)
    speed = next(test for test in results["tests"] if test["extra_data"]["test"] == "speed")
    board = dict((entry["name"], entry["value"]) for entry in results["leaderboard"])
    assert board["KV-cache speedup"] > 1 and board["Score"] == results["score"]
    assert f"KV-cache speedup {board['KV-cache speedup']:.1f}x" in speed["output"] or speed["status"] == "failed"


def test_solution_text_cannot_inject_markdown() -> None:
    from quiz.grade.feedback import code_block, md_escape

    assert md_escape("[click](http://x) <img src=x> **b** # h | t") == \
        r"\[click\](http://x) &lt;img src=x&gt; \*\*b\*\* \# h \| t"
    assert code_block("a ``` b").startswith("````text\n") and code_block("a ``` b").endswith("\n````")
