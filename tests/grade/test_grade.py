"""attnquiz grade: finding submissions, bad input, writing and resuming results, the summary."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from quiz.errors import AttnquizError, ExitStatus
from quiz.grade.outputs import JOURNAL, REPORT_JSON, TESTS_CSV, TOTALS_CSV, Outputs
from quiz.grade.records import GradedTest, Record, Settings
from quiz.grade.submissions import find_submissions, scan_folder
from quiz.grade.summary import render_summary, summarize
from tests.conftest import ATTNQUIZ, REPO, subprocess_env

GOOD = "def softmax(x, axis=-1):\n    return x\n"


def make(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def found(folder: Path, **kwargs) -> dict[str, tuple[str, str | None, str]]:
    """student -> (source, file checked relative to the folder, problem)."""
    return {s.student: (s.source, s.path.relative_to(folder).as_posix() if s.path else None, s.problem)
            for s in find_submissions(folder, **kwargs)}


def test_files_and_folders_are_students(tmp_path: Path) -> None:
    folder = make(tmp_path / "subs", {
        "alice.py": GOOD,
        "bob/solution.py": GOOD,
        "bob/helper.py": GOOD,
        "carol/attention.py": GOOD,  # a lone .py file in a folder is the solution
        ".DS_Store": b"\0\0",
        "__pycache__/x.pyc": b"\0",
    })
    assert found(folder) == {
        "alice": ("alice.py", "alice.py", ""),
        "bob": ("bob/", "bob/solution.py", ""),
        "carol": ("carol/", "carol/attention.py", ""),
    }


def test_the_file_inside_a_folder_can_be_named(tmp_path: Path) -> None:
    folder = make(tmp_path / "subs", {"bob/main.py": GOOD, "bob/other.py": GOOD})
    assert found(folder, filename="main.py") == {"bob": ("bob/", "bob/main.py", "")}


@pytest.mark.parametrize(
    ("files", "problem"),
    [
        ({"alice.py": b"\x7fELF\x02\x01\x01\0\0\0"}, "a binary file, not Python source"),
        ({"alice/README.md": "hi"}, "no solution.py (and no other .py file) in the folder"),
        ({"alice/a.py": GOOD, "alice/b.py": GOOD},
         "no solution.py in the folder, and several .py files (a.py, b.py); name the solution solution.py"),
    ],
    ids=["binary", "folder-without-python", "folder-with-several"],
)
def test_a_bad_submission_is_named_with_what_to_fix(tmp_path: Path, files: dict[str, str | bytes],
                                                     problem: str) -> None:
    folder = make(tmp_path / "subs", {**files, "zed.py": GOOD})
    result = found(folder)
    assert result["alice"][1:] == (None, problem)
    assert result["zed"] == ("zed.py", "zed.py", "")


def test_entries_that_are_not_submissions_are_listed_as_ignored(tmp_path: Path) -> None:
    folder = make(tmp_path / "subs", {"alice.py": GOOD, "bob/solution.py": GOOD, "notes.txt": "todo",
                                      "README.md": "# class", ".DS_Store": b"\0\0", "alice.ipynb": "{}",
                                      "__pycache__/x.pyc": b"\0", "grades/results.csv": "x"})
    scanned = scan_folder(folder, exclude=folder / "grades")
    assert [s.student for s in scanned.submissions] == ["alice", "bob"]
    assert scanned.ignored == [".DS_Store", "README.md", "__pycache__/", "alice.ipynb", "notes.txt"]


def test_a_folder_of_only_ignored_entries_says_so(tmp_path: Path) -> None:
    folder = make(tmp_path / "subs", {"notes.txt": "todo", "README.md": "# class"})
    with pytest.raises(AttnquizError) as caught:
        scan_folder(folder)
    assert caught.value.format_message() == (
        f"no submissions in {folder} (only README.md, notes.txt, which are not submissions): "
        "expected one NAME.py file or NAME/ folder per student")


def test_symlinks_pointing_outside_the_folder_are_refused(tmp_path: Path) -> None:
    secret = make(tmp_path, {"secret.py": GOOD}) / "secret.py"
    folder = make(tmp_path / "subs", {"alice.py": GOOD, "dave/notes.txt": "x"})
    (folder / "mallory.py").symlink_to(secret)
    (folder / "dave" / "solution.py").symlink_to(secret)
    (folder / "erin").symlink_to(tmp_path)
    (folder / "bob.py").symlink_to(folder / "alice.py")  # inside the folder: fine
    (folder / "frank.py").symlink_to(tmp_path / "missing.py")
    outside = "a symlink pointing outside the submissions folder; copy the file in instead"
    assert found(folder) == {
        "alice": ("alice.py", "alice.py", ""),
        "bob": ("bob.py", "bob.py", ""),
        "dave": ("dave/", None, outside),
        "erin": ("erin/", None, outside),
        "frank": ("frank.py", None, "a symlink to a file that does not exist"),
        "mallory": ("mallory.py", None, outside),
    }


def test_duplicate_student_names_are_both_held_back(tmp_path: Path) -> None:
    folder = make(tmp_path / "subs", {"alice.py": GOOD, "alice/solution.py": GOOD, "Bob.py": GOOD,
                                      "bob.py": GOOD, "carol.py": GOOD})
    subs = [(s.student, s.source, s.path, s.problem) for s in find_submissions(folder)]
    alice = "two submissions for one student (alice/, alice.py); keep one"
    bob = "two submissions for one student (Bob.py, bob.py); keep one"
    assert subs == [("Bob", "Bob.py", None, bob), ("alice", "alice/", None, alice), ("alice", "alice.py", None, alice),
                    ("bob", "bob.py", None, bob), ("carol", "carol.py", folder / "carol.py", "")]


@pytest.mark.parametrize("setup", ["empty", "only-hidden", "missing", "a-file"])
def test_no_submissions_is_a_usage_error(tmp_path: Path, setup: str) -> None:
    folder = tmp_path / "subs"
    if setup in ("empty", "only-hidden"):
        folder.mkdir()
    if setup == "only-hidden":
        (folder / ".git").mkdir()
    if setup == "a-file":
        folder.write_text("x", encoding="utf-8")
    with pytest.raises(AttnquizError) as caught:
        find_submissions(folder)
    message = caught.value.format_message()
    assert "\n" not in message
    if setup == "empty":
        assert message == f"no submissions in {folder}: expected one NAME.py file or NAME/ folder per student"
    elif setup == "only-hidden":
        assert message == (f"no submissions in {folder} (only .git/, which are not submissions): "
                           "expected one NAME.py file or NAME/ folder per student")
    else:
        assert message.startswith(f"{folder} is not a folder")


def test_the_out_folder_inside_the_submissions_is_not_a_student(tmp_path: Path) -> None:
    folder = make(tmp_path / "subs", {"alice.py": GOOD, "grades/results.csv": "x"})
    assert set(found(folder, exclude=folder / "grades")) == {"alice"}


def record(student: str, score: float, tests: list[GradedTest], status: str = "checked") -> Record:
    return Record(student, f"{student}.py", status, score=score, max_score=10, sha256="ab" * 32, tests=tests)


def outcome(exercise: str, status: str = "passed", mistake: str = "", score: float = 1) -> GradedTest:
    return GradedTest(exercise, "random", status, score, 1, mistake, "=HYPERLINK(\"x\")" if mistake else "")


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_outputs_append_as_they_go_and_rewrite_from_the_journal(tmp_path: Path) -> None:
    out = Outputs(tmp_path / "out")
    alice = record("alice", 10, [outcome("softmax"), outcome("causal_mask")])
    bob = record("bob", 0, [outcome("softmax", "failed", "no 1/sqrt(d)", 0)])
    out.append(alice)
    out.append(bob)
    rows = read_csv(tmp_path / "out" / TESTS_CSV)
    assert [(r["student"], r["exercise"], r["status"]) for r in rows] == [
        ("alice", "softmax", "passed"), ("alice", "causal_mask", "passed"), ("bob", "softmax", "failed")]
    assert rows[2]["message"] == "'=HYPERLINK(\"x\")"  # never a live spreadsheet formula
    totals = read_csv(tmp_path / "out" / TOTALS_CSV)
    assert [(r["student"], r["score"], r["max_score"], r["percent"], r["tests_passed"]) for r in totals] == [
        ("alice", "10", "10", "100.0", "2"), ("bob", "0", "10", "0.0", "0")]
    # bob resubmits: the journal keeps both entries, the last one wins
    out.append(record("bob", 5, [outcome("softmax")]))
    latest = out.previous()
    assert [(r.student, r.score) for r in latest.values()] == [("alice", 10), ("bob", 5)]
    out.rewrite(latest.values())
    assert [(r["student"], r["score"]) for r in read_csv(tmp_path / "out" / TOTALS_CSV)] == [
        ("alice", "10"), ("bob", "5")]


def test_a_torn_journal_line_is_skipped_and_kept_apart(tmp_path: Path) -> None:
    out = Outputs(tmp_path / "out")
    out.append(record("alice", 10, []))
    with open(tmp_path / "out" / JOURNAL, "a", encoding="utf-8") as f:
        f.write('{"student": "bob", "sour')  # killed in the middle of a write
    out.append(record("carol", 7, []))
    assert list(out.previous()) == ["alice", "carol"]
    lines = (tmp_path / "out" / JOURNAL).read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["student"] for line in (lines[0], lines[2])] == ["alice", "carol"]


@pytest.mark.parametrize("where", ["under-a-file", "is-a-file"])
def test_an_unwritable_out_folder_is_one_clear_line(tmp_path: Path, where: str) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("x", encoding="utf-8")
    target = blocker / "out" if where == "under-a-file" else blocker
    with pytest.raises(AttnquizError) as caught:
        Outputs(target)
    message = caught.value.format_message()
    assert message.startswith(f"cannot write results to {target}: ")
    assert message.endswith("; choose another --out folder") and "\n" not in message


def test_resume_key_changes_with_the_settings_and_the_bank(tmp_path: Path) -> None:
    bank = tmp_path / "course.yaml"
    bank.write_text("a", encoding="utf-8")
    base = Settings(banks=(str(bank),))
    assert Settings(banks=(str(bank),)).key() == base.key()
    assert Settings(banks=(str(bank),), exercises=("softmax",)).key() != base.key()
    assert Settings(banks=(str(bank),), timeout=3).key() != base.key()
    assert Settings(banks=(str(bank),), submission_timeout=5).key() == base.key()  # a safety net only
    before = base.key()
    bank.write_text("b", encoding="utf-8")
    assert base.key() != before
    course = tmp_path / "course"
    shutil.copytree(REPO / "examples" / "course", course)
    with_reference = Settings(banks=(str(course / "course.yaml"),))
    before = with_reference.key()
    with open(course / "course_reference.py", "a", encoding="utf-8") as f:
        f.write("# fixed a bug in the reference\n")
    assert with_reference.key() != before  # the reference file counts too


@pytest.mark.slow
def test_grading_with_a_course_bank(tmp_path: Path) -> None:
    course = tmp_path / "course"
    shutil.copytree(REPO / "examples" / "course", course)
    good = (course / "solution.py").read_text(encoding="utf-8")
    folder = make(tmp_path / "class", {"alice.py": good, "bob.py": good.replace("np.arange(1, n_heads + 1)",
                                                                                "np.arange(0, n_heads)")})
    out = tmp_path / "grades"
    result = grade_cli(folder, "--out", out, "--bank", course / "course.yaml", "--seed", "2")
    assert result.returncode == ExitStatus.OK, result.stderr
    assert [(r["student"], r["score"], r["max_score"]) for r in read_csv(out / TOTALS_CSV)] == [
        ("alice", "8", "8"), ("bob", "5", "8")]
    assert "  alibi_bias: slopes counted from h = 0 (1)" in result.stdout.splitlines()


def test_summary_distribution_and_most_common_mistakes() -> None:
    records = [
        record("a", 10, [outcome("sdpa"), outcome("softmax")]),
        record("b", 5, [outcome("sdpa", "failed", "no 1/sqrt(d)", 0), outcome("sdpa", "failed", "no 1/sqrt(d)", 0),
                        outcome("softmax", "failed", "wrong axis", 0)]),
        record("c", 0, [outcome("sdpa", "failed", "no 1/sqrt(d)", 0), outcome("sdpa", "failed", "mask inverted", 0)]),
        record("d", 0, [], status="timeout"),
        Record("e", "e.py", "rejected", message="a binary file, not Python source"),
    ]
    summary = summarize(records)
    assert (summary.students, summary.checked, summary.not_graded) == (5, 3, {"rejected": 1, "timeout": 1})
    # the timed-out submission scores 0; the rejected one is not a grade
    assert (summary.mean_percent, summary.median_percent) == (37.5, 25.0)
    assert dict(summary.histogram) == {**{f"{10 * i}-{10 * i + 9}": 0 for i in range(9)}, "90-100": 1,
                                       "0-9": 2, "50-59": 1}
    # counted once per student, most common first
    assert summary.mistakes == {"sdpa": [("no 1/sqrt(d)", 2), ("mask inverted", 1)], "softmax": [("wrong axis", 1)]}
    assert summary.graded == 4
    text = render_summary(summary, Path("grades"), ["README.md", "notes.txt"])
    assert text.splitlines()[:5] == [
        "5 submissions: 4 graded, 1 not graded.",
        "  not graded, bad submission: 1",
        "  scored 0, stopped at the deadline: 1",
        "Ignored 2 entries of the folder, not submissions (a submission is a NAME.py file or a NAME/ folder): "
        "README.md, notes.txt",
        "Score: mean 37.5%, median 25.0%",
    ]
    assert "     0-9%     2  ##############################" in text
    assert "   50-59%     1  ###############" in text
    assert "  sdpa: no 1/sqrt(d) (2), mask inverted (1)" in text
    assert text.endswith("Results: grades/gradebook.csv, results.csv, totals.csv, results.json; "
                         "feedback for each student in grades/feedback/\n")


def test_record_round_trips_through_json() -> None:
    original = record("alice", 7.5, [outcome("sdpa", "failed", "no 1/sqrt(d)", 0)])
    assert Record.from_json(json.loads(json.dumps(original.to_json()))) == original
    assert os.fspath(Path(original.source)) == "alice.py"


# ----------------------------------------------------------------------------------------------
# The whole command, with the real checker in real processes

SOLUTION = REPO / "solutions" / "attention.py"
GALLERY = REPO / "tests" / "check_gallery"
QUICK = ["--exercise", "softmax", "--exercise", "causal_mask", "--seed", "1"]
SMALL = """import numpy as np


def softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def causal_mask(lq, lk=None):
    lk = lq if lk is None else lk
    return np.arange(lk)[None, :] <= np.arange(lq)[:, None] + (lk - lq)
"""  # the two QUICK exercises


def grade_cli(*args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ATTNQUIZ, "grade", *map(str, args)], capture_output=True, text=True,
                          env=subprocess_env(), timeout=timeout)


@pytest.fixture
def classroom(tmp_path: Path) -> Path:
    folder = make(tmp_path / "class", {
        "alice.py": SOLUTION.read_text(encoding="utf-8"),
        "bob/solution.py": (GALLERY / "softmax_no_max_shift.py").read_text(encoding="utf-8"),
        "carol.py": "def softmax(x axis=-1):\n    return x\n",
        "erin.py": b"\x7fELF\x02\x01\x01\0\0\0\0\0",
        "gina.py": GOOD, "gina/solution.py": GOOD,
    })
    (folder / "frank.py").symlink_to(SOLUTION)
    return folder


@pytest.mark.slow
def test_grading_a_class_writes_every_result_and_a_summary(classroom: Path, tmp_path: Path) -> None:
    out = tmp_path / "grades"
    result = grade_cli(classroom, "--out", out, "--jobs", "2", *QUICK)
    assert result.returncode == ExitStatus.FAILURE, result.stderr  # some submissions could not be graded
    assert "Traceback" not in result.stderr
    totals = {row["submission"]: row for row in read_csv(out / TOTALS_CSV)}
    assert {k: (v["status"], v["score"], v["max_score"]) for k, v in totals.items()} == {
        "alice.py": ("checked", "20", "20"),
        "bob/": ("checked", "8", "20"),  # no causal_mask: not attempted
        "carol.py": ("not_loadable", "0", "20"),
        "erin.py": ("rejected", "0", "0"),
        "frank.py": ("rejected", "0", "0"),
        "gina.py": ("rejected", "0", "0"),
        "gina/": ("rejected", "0", "0"),
    }
    assert totals["carol.py"]["message"] == "carol.py:1:15: SyntaxError: invalid syntax"  # as the student names it
    assert totals["frank.py"]["message"].startswith("a symlink pointing outside the submissions folder")
    rows = read_csv(out / TESTS_CSV)
    assert {(r["student"], r["exercise"]) for r in rows} == {(s, e) for s in ("alice", "bob")
                                                            for e in ("softmax", "causal_mask")}
    failed = [r for r in rows if r["status"] == "failed"]
    assert [(r["student"], r["test"], r["mistake_id"]) for r in failed] == [("bob", "large_logits", "no_max_shift"),
                                                                                   ("bob", "row_magnitudes", "no_max_shift")]
    report = json.loads((out / REPORT_JSON).read_text(encoding="utf-8"))
    assert report["summary"]["mistakes"] == {"softmax": [["exp without subtracting the max", 1]]}
    assert [s["student"] for s in report["students"]] == ["alice", "bob", "carol", "erin", "frank", "gina", "gina"]
    assert "  softmax: exp without subtracting the max (1)" in result.stdout.splitlines()
    assert "erin.py: not graded: a binary file, not Python source" in result.stderr.splitlines()


def test_files_that_are_not_submissions_are_ignored_and_do_not_fail_the_run(tmp_path: Path) -> None:
    folder = make(tmp_path / "class", {"alice.py": SMALL, "bob/solution.py": SMALL, "notes.txt": "grade by Friday",
                                       "README.md": "# class", ".DS_Store": b"\0\0"})
    out = tmp_path / "grades"
    result = grade_cli(folder, "--out", out, *QUICK)
    assert result.returncode == ExitStatus.OK, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[:2] == ["Checked 2 now, 0 kept from the last run (unchanged).", "2 submissions: 2 graded, 0 not graded."]
    assert ("Ignored 3 entries of the folder, not submissions (a submission is a NAME.py file or a NAME/ folder): "
            ".DS_Store, README.md, notes.txt") in lines
    assert "not graded" not in result.stderr
    assert sorted(p.name for p in (out / "feedback").iterdir()) == ["alice.md", "bob.md"]
    assert [row["student"] for row in read_csv(out / "gradebook.csv")] == ["points-per-question", "alice", "bob"]
    assert json.loads((out / REPORT_JSON).read_text(encoding="utf-8"))["ignored"] == [".DS_Store", "README.md",
                                                                                      "notes.txt"]


@pytest.mark.slow
def test_rerunning_resumes_and_regrades_only_changed_files(classroom: Path, tmp_path: Path) -> None:
    out = tmp_path / "grades"
    grade_cli(classroom, "--out", out, *QUICK)
    again = grade_cli(classroom, "--out", out, *QUICK)
    assert again.stdout.splitlines()[0] == "Checked 0 now, 3 kept from the last run (unchanged)."
    assert "[1/7] alice: 20/20 (unchanged, kept from the last run)" in again.stderr.splitlines()
    (classroom / "bob" / "solution.py").write_text(SOLUTION.read_text(encoding="utf-8"), encoding="utf-8")
    fixed = grade_cli(classroom, "--out", out, *QUICK)
    assert fixed.stdout.splitlines()[0] == "Checked 1 now, 2 kept from the last run (unchanged)."
    totals = {row["student"]: row["score"] for row in read_csv(out / TOTALS_CSV) if row["status"] != "rejected"}
    assert totals == {"alice": "20", "bob": "20", "carol": "0"}
    assert sum(r["student"] == "bob" for r in read_csv(out / TESTS_CSV)) == 11  # the old rows are gone
    assert len((out / JOURNAL).read_text(encoding="utf-8").splitlines()) == 4  # ... but kept in the journal
    other = grade_cli(classroom, "--out", out, "--exercise", "softmax", "--seed", "1")
    assert other.stdout.splitlines()[0] == "Checked 3 now, 0 kept from the last run (unchanged)."


HANGS = """
with open("/proc/self/comm", "w") as f:  # a name the test finds on the host, whatever the isolation level
    f.write({tag!r})

def softmax(x, axis=-1):
    while True:
        pass
"""


def tagged(tag: str) -> list[int]:
    """The live processes named `tag` (the hanging solution names itself so)."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and Path(f"/proc/{entry}/comm").read_text(encoding="utf-8").strip() == tag \
                    and alive(int(entry)):
                found.append(int(entry))
        except OSError:
            continue
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.slow
def test_a_hanging_submission_costs_its_deadline_and_its_processes_die(tmp_path: Path) -> None:
    tag = f"hang{os.getpid() % 100000}a"
    folder = make(tmp_path / "class", {"alice.py": SOLUTION.read_text(encoding="utf-8"),
                                       "mallory.py": HANGS.format(tag=tag)})
    out = tmp_path / "grades"
    start = time.monotonic()
    result = grade_cli(folder, "--out", out, "--jobs", "2", "--timeout", "60", "--submission-timeout", "3", *QUICK)
    assert time.monotonic() - start < 30
    totals = {row["student"]: row for row in read_csv(out / TOTALS_CSV)}
    assert (totals["alice"]["status"], totals["alice"]["score"]) == ("checked", "20")
    assert (totals["mallory"]["status"], totals["mallory"]["message"]) == (
        "timeout", "the check did not finish within 3 s and was stopped")
    assert result.returncode == ExitStatus.OK
    assert not tagged(tag)


@pytest.mark.slow
def test_ctrl_c_stops_at_once_keeps_what_was_written_and_resumes(tmp_path: Path) -> None:
    tag = f"hang{os.getpid() % 100000}b"
    folder = make(tmp_path / "class", {"alice.py": SOLUTION.read_text(encoding="utf-8"),
                                       "mallory.py": HANGS.format(tag=tag)})
    out = tmp_path / "grades"
    argv = [*ATTNQUIZ, "grade", str(folder), "--out", str(out), "--jobs", "2", "--timeout", "60", *QUICK]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=subprocess_env()) as proc:  # closes the pipes whatever happens
        try:
            deadline = time.monotonic() + 60
            while not ((out / JOURNAL).exists() and (out / JOURNAL).read_text(encoding="utf-8").strip()
                       and tagged(tag)):
                assert time.monotonic() < deadline and proc.poll() is None, "alice was never graded"
                time.sleep(0.1)
            proc.send_signal(signal.SIGINT)
            stdout, stderr = proc.communicate(timeout=30)
        finally:
            proc.kill()
    assert proc.returncode == ExitStatus.INTERRUPTED, stderr
    assert "Traceback" not in stderr and stderr.rstrip().endswith("Interrupted.")
    assert ("Interrupted: 1 of 2 submissions graded, and the figures below are of those 1 only; run the same "
            "command again to grade the other 1 submission") in stderr  # not mistaken for a class of one
    assert [row["student"] for row in read_csv(out / TOTALS_CSV)] == ["alice"]
    assert not tagged(tag)
    again = grade_cli(folder, "--out", out, "--timeout", "60", "--submission-timeout", "2", *QUICK)
    assert again.stdout.splitlines()[:1] == ["Checked 1 now, 1 kept from the last run (unchanged)."], again.stderr
    assert [row["student"] for row in read_csv(out / TOTALS_CSV)] == ["alice", "mallory"]


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("empty", "Error: no submissions in {folder}: expected one NAME.py file or NAME/ folder per student"),
        ("bad-exercise", "Error: the checker rejects these options: unknown exercise 'sofmax'"),
        ("unwritable", "Error: cannot write results to {blocker}/out: Not a directory; choose another --out folder"),
    ],
    ids=["empty-folder", "bad-exercise", "unwritable-out"],
)
def test_bad_input_stops_with_one_line(tmp_path: Path, setup: str, message: str) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    if setup != "empty":
        (folder / "alice.py").write_text(GOOD, encoding="utf-8")
    blocker = tmp_path / "blocker"
    blocker.write_text("x", encoding="utf-8")
    out = blocker / "out" if setup == "unwritable" else tmp_path / "grades"
    args = ["--exercise", "sofmax"] if setup == "bad-exercise" else []
    result = grade_cli(folder, "--out", out, *args)
    assert result.returncode == ExitStatus.USAGE
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(message.format(folder=folder, blocker=blocker))
    assert not (tmp_path / "grades" / JOURNAL).exists() or not (tmp_path / "grades" / JOURNAL).read_text()


@pytest.mark.slow
def test_a_write_failure_mid_run_stops_with_one_line_and_keeps_what_was_written(tmp_path: Path) -> None:
    folder = make(tmp_path / "class", {f"{name}.py": SMALL for name in "abcd"})  # each copy fits under the limit
    out = tmp_path / "grades"
    # as if the disk filled up after about three results (~2.1 kB each): files may not grow past 8000 bytes
    small_files = ("import os, resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (8000, 8000)); "
                   "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])")
    argv = [sys.executable, "-c", small_files, *ATTNQUIZ[1:], "grade", str(folder), "--out", str(out), "--jobs", "1",
            *QUICK]
    full = subprocess.run(argv, capture_output=True, text=True, env=subprocess_env(), timeout=120)
    assert full.returncode == ExitStatus.USAGE
    assert full.stderr.splitlines()[-1] == (f"Error: writing results to {out} failed: File too large; every result "
                                            "written before is kept there, re-run to resume")
    kept = [row["student"] for row in read_csv(out / TOTALS_CSV)]
    assert kept and kept == ["a", "b", "c", "d"][:len(kept)]
    again = grade_cli(folder, "--out", out, "--jobs", "1", *QUICK)
    assert again.stdout.splitlines()[0] == f"Checked {4 - len(kept)} now, {len(kept)} kept from the last run (unchanged)."
    assert [row["student"] for row in read_csv(out / TOTALS_CSV)] == ["a", "b", "c", "d"]


def test_every_record_names_its_isolation_level_and_a_weak_one_is_warned_about(tmp_path: Path) -> None:
    from quiz.check import isolation

    folder = make(tmp_path / "class", {"alice.py": SOLUTION.read_text(encoding="utf-8")})
    best = isolation.host().best().value
    for level, expected in (("auto", best), ("process", "process")):
        out = tmp_path / f"grades-{level}"
        result = grade_cli(folder, "--out", out, "--isolation", level, *QUICK)
        assert result.returncode == ExitStatus.OK, result.stderr
        students = json.loads((out / REPORT_JSON).read_text(encoding="utf-8"))["students"]
        assert [student["isolation"] for student in students] == [expected]
        warned = "Warning: some checks ran below the full sandbox boundary" in result.stderr
        assert warned == (expected != "strict")
    assert Settings(isolation="process").key() != Settings(isolation="strict").key()  # a change re-grades
