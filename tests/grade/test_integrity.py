"""Grading integrity (issue 10.4): each submission checked from its own private copy, the journal
signed by the grader and bound to the text actually checked, nothing a check started outliving it.

Every test runs `attnquiz grade` as an instructor does (real sandbox, real journal); the hostile
submissions attack through the sandbox they are checked in.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time
from pathlib import Path

import pytest

from quiz.check import isolation
from quiz.grade.outputs import JOURNAL, KEY_FILE, REPORT_JSON
from tests.conftest import ATTNQUIZ, subprocess_env

SOFTMAX = """import numpy as np


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
"""
WRONG = "import numpy as np\n\n\ndef softmax(x, axis=-1):\n    return np.exp(x) / np.exp(x).sum(axis=axis, keepdims=True)\n"
QUICK = ("--exercise", "softmax", "--timeout", "20", "--seed", "3")


def grade(folder: Path, out: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ATTNQUIZ, "grade", str(folder), "--out", str(out), "--jobs", "2", *QUICK, *args],
                          capture_output=True, text=True, env=subprocess_env(**env), timeout=600)


def students(out: Path) -> dict[str, dict]:
    return {s["student"]: s for s in json.loads((out / REPORT_JSON).read_text(encoding="utf-8"))["students"]}


def sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_tampered_or_forged_journal_line_is_not_trusted(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "alice.py").write_text(SOFTMAX, encoding="utf-8")
    (folder / "bob.py").write_text(WRONG, encoding="utf-8")
    out = tmp_path / "grades"
    first = grade(folder, out)
    assert first.returncode == 0, first.stderr
    before = students(out)
    assert before["alice"]["score"] == before["alice"]["max_score"] > before["bob"]["score"]
    key = Path(os.environ["ATTNQUIZ_HOME"]) / KEY_FILE  # the grader's key: not in the output folder
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and not list(out.glob("*.key"))

    lines = (out / JOURNAL).read_text(encoding="utf-8").splitlines()
    entries = [json.loads(line) for line in lines]
    assert all(len(entry["mac"]) == 64 for entry in entries)
    for entry in entries:
        if entry["student"] == "bob":  # full marks, keeping the signature of the honest line
            entry.update(score=entry["max_score"], tests=[{**row, "status": "passed", "score": row["max_score"]}
                                                         for row in entry["tests"]])
    forged = {**entries[0], "student": "carol", "source": "carol.py"}  # a line nobody signed
    forged.pop("mac")
    (folder / "carol.py").write_text(WRONG, encoding="utf-8")
    (out / JOURNAL).write_text("".join(json.dumps(e) + "\n" for e in [*entries, forged]), encoding="utf-8")

    again = grade(folder, out)
    assert again.returncode == 0, again.stderr
    assert "2 journal lines in results.jsonl did not verify" in again.stderr
    assert "Checked 2 now, 1 kept from the last run (unchanged)." in again.stdout, again.stdout
    after = students(out)
    assert after["bob"]["score"] == before["bob"]["score"] < after["bob"]["max_score"]  # checked again
    assert after["carol"]["score"] == before["bob"]["score"]  # checked, not taken from the forged line
    assert after["alice"] == before["alice"]  # the honest line was reused as it was


def test_the_journal_records_the_text_checked_not_what_the_file_became(tmp_path: Path) -> None:
    """At the process level the solution can rewrite its original file while it is checked: the record
    is of the text that was checked, and the next run checks the new text instead of trusting the old."""
    folder = tmp_path / "class"
    folder.mkdir()
    original = folder / "mallory.py"
    attack = SOFTMAX + f"""
import os
_target = {str(original)!r}
try:  # the grader must not take this rewrite for what was graded
    with open(_target, "w") as _file:
        _file.write({WRONG!r})
except OSError:
    pass
"""
    original.write_text(attack, encoding="utf-8")
    checked = sha256(original)
    out = tmp_path / "grades"
    first = grade(folder, out, "--isolation", "process")
    assert first.returncode == 0, first.stderr
    record = students(out)["mallory"]
    assert record["status"] == "checked" and record["score"] == record["max_score"]
    assert record["sha256"] == checked != sha256(original)  # the copy's digest; the file was rewritten
    second = grade(folder, out, "--isolation", "process")
    record = students(out)["mallory"]
    assert record["sha256"] == sha256(original) and record["score"] < record["max_score"], second.stdout


def test_a_copy_changed_while_it_is_checked_is_not_graded(tmp_path: Path) -> None:
    """A solution that finds the private copies under the grader's temporary folder (the process
    level: same user) and rewrites them: the changed copy is not trusted, and no digest is recorded."""
    private = tmp_path / "tmp"
    private.mkdir()
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "mallory.py").write_text(SOFTMAX + f"""
import os
for _root, _dirs, _files in os.walk({str(private)!r}):
    for _name in _files:
        if _name.endswith(".py") and "attnquiz-submission-" in _root:
            try:
                with open(os.path.join(_root, _name), "a") as _file:
                    _file.write("\\n# rewritten while checked\\n")
            except OSError:
                pass
""", encoding="utf-8")
    out = tmp_path / "grades"
    done = grade(folder, out, "--isolation", "process", TMPDIR=str(private))
    record = students(out)["mallory"]
    assert record["status"] == "error" and record["sha256"] == "" and record["score"] == 0, done.stdout
    assert "changed while it was checked" in record["message"]
    assert not [p for p in private.iterdir() if p.name.startswith("attnquiz-submission-")]  # copies removed


def test_each_submission_sees_only_its_own_files(tmp_path: Path) -> None:
    """At the strongest level here: a student's code finds no classmate's file, no grade output, not even
    its own original; a folder submission's helper module is there."""
    level = isolation.host().best()
    if level is not isolation.Level.STRICT:
        pytest.skip(f"needs the strict isolation level (bubblewrap); this machine has {level.value}")
    folder = tmp_path / "class"
    out = tmp_path / "grades"
    (folder / "bob").mkdir(parents=True)
    (folder / "alice.py").write_text(SOFTMAX, encoding="utf-8")
    targets = [folder / "alice.py", folder / "bob" / "solution.py", folder, out, out / JOURNAL]
    (folder / "bob" / "helper.py").write_text(SOFTMAX.replace("def softmax", "def stable"), encoding="utf-8")
    (folder / "bob" / "solution.py").write_text(f"""import os
from helper import stable as softmax  # noqa: F401

_seen = []
for _path in {[str(p) for p in targets]!r}:
    try:
        _seen.append(sorted(os.listdir(_path)) if os.path.isdir(_path) else open(_path).read()[:40])
    except OSError:
        pass
if _seen:
    raise RuntimeError("BREACH " + repr(_seen))
""", encoding="utf-8")
    done = grade(folder, out)
    assert done.returncode == 0, done.stderr
    bob = students(out)["bob"]
    assert "BREACH" not in json.dumps(bob) and bob["status"] == "checked", bob["message"]
    assert bob["score"] == bob["max_score"] and bob["isolation"] == "strict"


def test_nothing_a_check_started_outlives_it(tmp_path: Path) -> None:
    """A solution leaves a process (new session, double fork) that keeps rewriting a file: once grade
    has written its results, no such process is alive and the file stays as it was."""
    folder = tmp_path / "class"
    folder.mkdir()
    target = tmp_path / "victim.json"
    target.write_text('{"honest": true}', encoding="utf-8")
    (folder / "mallory.py").write_text(SOFTMAX + f"""
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        with open("/proc/self/comm", "w") as _comm:
            _comm.write("attnqlinger")
        _end = time.time() + 30
        while time.time() < _end:
            try:
                with open({str(target)!r}, "w") as _file:
                    _file.write('{{"score": 100}}')
            except OSError:
                pass
            time.sleep(0.05)
    os._exit(0)
""", encoding="utf-8")
    out = tmp_path / "grades"
    done = grade(folder, out, "--isolation", "process")
    assert done.returncode == 0, done.stderr
    target.write_text('{"honest": true}', encoding="utf-8")  # whatever happened during the check
    time.sleep(1.0)
    assert target.read_text(encoding="utf-8") == '{"honest": true}'
    lingering = [pid for pid in os.listdir("/proc") if pid.isdigit() and _alive(pid, "attnqlinger")]
    assert not lingering


def _alive(pid: str, name: str) -> bool:
    """Whether process `pid` is called `name` and is not a zombie (a zombie runs nothing, writes nothing)."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() == name and \
            Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False
