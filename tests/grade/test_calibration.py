"""attnquiz grade measures the trusted reference's figures once and every check gets them (quiz.grade.calibration).

Real grade runs and real measurements: the figures reach each check on its command line from grade's memory,
so a hostile submission that writes wherever its sandbox lets it cannot change what a classmate's check uses.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from quiz.grade.calibration import DRIFT_AFTER, Calibration
from quiz.grade.outputs import REPORT_JSON
from quiz.grade.records import Record, Settings
from tests.conftest import ATTNQUIZ, REPO, subprocess_env

TIMED = ("--exercise", "decode_step", "--exercise", "flash_attention", "--seed", "6")
MARK = "figures.json"  # the name the hostile submission writes everywhere it can
HOSTILE = '''

import os as _os

def _write_everywhere(root):
    """A file named like figures, in every folder it can write under the test's folder and the temporary ones."""
    places = [_os.getcwd(), "/tmp", "/dev/shm", _os.environ.get("TMPDIR", "/tmp")]
    for top in [root, _os.environ.get("TMPDIR", "/tmp")]:
        for folder, _subs, _files in _os.walk(top):
            places.append(folder)
    for folder in places:
        try:
            with open(_os.path.join(folder, "%(mark)s"), "w") as out:
                out.write('{"chunk": 64, "naive": {"wall": [100.0], "cpu": [100.0]}}')
        except OSError:
            pass

_write_everywhere(%(root)r)
'''


def grade(folder: Path, out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ATTNQUIZ, "grade", str(folder), "--out", str(out), *args], capture_output=True, text=True,
                          env=subprocess_env(), timeout=600)


@pytest.mark.slow
def test_a_hostile_submission_cannot_change_the_figures_a_classmates_check_uses(tmp_path: Path) -> None:
    solution = (REPO / "solutions" / "attention.py").read_text(encoding="utf-8")
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "aaron.py").write_text(solution + HOSTILE % {"mark": MARK, "root": str(tmp_path)}, encoding="utf-8")
    (folder / "zoe.py").write_text(solution, encoding="utf-8")
    out = tmp_path / "grades"
    # process level: the sandbox can write what the grader's user can (at strict it could write nothing outside);
    # one job, so aaron (first by name) runs, and writes, before zoe's check starts
    result = grade(folder, out, "--jobs", "1", "--isolation", "process", *TIMED)
    assert result.returncode == 0, result.stderr
    assert (out / MARK).exists() and (tmp_path / MARK).exists()  # the attack ran and reached the grader's folders
    report = json.loads((out / REPORT_JSON).read_text(encoding="utf-8"))
    measured = report["reference_figures"]
    assert len(measured) == 1 and measured[0]["isolation"] == "process"
    students = {s["student"]: s for s in report["students"]}
    for name in ("aaron", "zoe"):
        used = students[name]["reference_figures"]
        assert used["used"] and used["sha256"] == measured[0]["sha256"], used  # grade's own measurement, as measured
        assert used["measured_at"] == measured[0]["measured_at"]
        assert students[name]["score"] == students[name]["max_score"] > 0
    feedback = (out / "feedback" / "zoe.md").read_text(encoding="utf-8")
    assert "measured once for the whole class" in feedback and "--seed 6" in feedback


@pytest.mark.slow
def test_a_run_without_the_timed_exercises_measures_nothing_and_a_check_reproduces_a_shared_verdict(
        tmp_path: Path) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "ana.py").write_text((REPO / "tests" / "check_gallery" / "fake_cache_recomputes.py")
                                   .read_text(encoding="utf-8"), encoding="utf-8")
    quick = grade(folder, tmp_path / "quick", "--exercise", "softmax")
    assert quick.returncode == 0, quick.stderr
    report = json.loads((tmp_path / "quick" / REPORT_JSON).read_text(encoding="utf-8"))
    assert report["reference_figures"] == [] and report["students"][0]["reference_figures"] is None
    timed = grade(folder, tmp_path / "timed", "--exercise", "decode_step", "--seed", "3")
    assert timed.returncode == 0, timed.stderr
    student = json.loads((tmp_path / "timed" / REPORT_JSON).read_text(encoding="utf-8"))["students"][0]
    assert student["reference_figures"]["used"]
    speed = next(row for row in student["tests"] if row["test"] == "speed")
    assert (speed["status"], speed["mistake_id"]) == ("failed", "recomputes_prefix")
    resumed = grade(folder, tmp_path / "timed", "--exercise", "decode_step", "--seed", "3")
    assert resumed.returncode == 0, resumed.stderr
    kept = json.loads((tmp_path / "timed" / REPORT_JSON).read_text(encoding="utf-8"))
    assert kept["reference_figures"] == []  # nothing to check: nothing measured
    assert kept["students"][0]["reference_figures"] == student["reference_figures"]  # the kept result says its own
    # the same verdict from `attnquiz check --seed N`, which measures the reference itself
    again = subprocess.run([*ATTNQUIZ, "check", "--no-record", "--format", "json", "--seed", str(student["seed"]),
                            "--exercise", "decode_step", str(folder / "ana.py")],
                           capture_output=True, text=True, env=subprocess_env(), timeout=300)
    check = json.loads(again.stdout)
    assert check["reference_figures"] is None
    verdict = next(t for t in check["exercises"][0]["tests"] if t["name"] == "speed")
    assert (verdict["status"], verdict["diagnosis"]["name"]) == ("failed", "recomputes_prefix")


@pytest.mark.slow
def test_figures_are_measured_again_after_enough_checks_and_when_a_check_sees_the_machine_slower() -> None:
    counted = Calibration(Settings(isolation="process"), every_checks=2, every_seconds=3600)
    counted.measure()
    first = counted.current()
    assert first is not None and counted.current() == first
    counted.seen(Record("a", "a.py", "checked"))  # two checks had these figures: measured again
    assert len(counted.history) == 2 and counted.current() != first
    drift = Calibration(Settings(isolation="process"), every_checks=100, every_seconds=3600)
    drift.measure()
    kept = drift.current()
    slower = Record("c", "c.py", "checked", reference_figures={"used": True, "round_trip_ratio": 5.0})
    drift.seen(slower)
    assert len(drift.history) == 1  # the first checks with the figures: a burst of load, not yet a drift
    for _ in range(DRIFT_AFTER):
        assert drift.current() == kept
    drift.seen(Record("b", "b.py", "checked", reference_figures={"used": True, "round_trip_ratio": 1.2}))
    assert len(drift.history) == 1  # about the figures' round trip: kept
    drift.seen(slower)
    assert len(drift.history) == 2 and drift.current() != kept  # five times the figures': the load changed
    assert [entry["isolation"] for entry in counted.history + drift.history] == ["process"] * 4
    assert len({entry["sha256"] for entry in counted.history + drift.history}) == 4
