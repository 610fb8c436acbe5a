"""`attnquiz export anki|progress|reviews`, `import progress`, `optimize`, `completion`: as a user runs them."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.conftest import ATTNQUIZ, REPO, subprocess_env

FIXTURE = REPO / "tests" / "fixtures" / "quiz" / "basics.yaml"


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ATTNQUIZ, *args], capture_output=True, text=True, env=subprocess_env(**env), timeout=120)


def practised(reviews: int = 200, days: int = 60) -> None:
    from quiz.bank.loader import load_catalog
    from quiz.check.catalog import exercise_names
    from quiz.paths import data_path
    from quiz.practice.store import Store
    from tests.practice.simulated import fill

    with Store(data_path("database")) as store:
        fill(store, load_catalog(known_exercises=exercise_names()).questions(), reviews, datetime.now(timezone.utc), days=days)


def test_export_anki_of_every_bank_and_of_one(tmp_path: Path) -> None:
    from quiz.bank.loader import load_catalog
    from quiz.check.catalog import exercise_names

    banks = load_catalog(known_exercises=exercise_names()).banks
    every = run("export", "anki", "-o", str(tmp_path / "all.apkg"))
    assert every.returncode == 0, every.stderr
    notes = sum(len(bank.questions) for bank in banks)
    assert every.stdout.startswith(f"Wrote {tmp_path / 'all.apkg'}: {notes} notes in ")
    assert f"from {len(banks)} banks" in every.stdout
    one = run("export", "anki", "-o", str(tmp_path / "one.apkg"), "--bank", "kv-cache", "--bank", str(FIXTURE),
              "--lang", "zh")
    assert one.returncode == 0, one.stderr
    assert "from 2 banks" in one.stdout and "笔记" not in one.stdout  # the interface stays English
    with zipfile.ZipFile(tmp_path / "one.apkg") as archive:
        assert "collection.anki2" in archive.namelist()


def test_export_anki_bad_input_is_one_line(tmp_path: Path) -> None:
    target = tmp_path / "deck.apkg"
    target.write_bytes(b"keep")
    exists = run("export", "anki", "-o", str(target))
    assert (exists.returncode, exists.stderr) == (
        2, f"Error: {target} already exists: add --force to replace it, or choose another -o\n")
    assert target.read_bytes() == b"keep"
    unknown = run("export", "anki", "-o", str(tmp_path / "x.apkg"), "--bank", "no-such-bank")
    assert unknown.returncode == 2 and unknown.stderr.startswith("Error: No bank matches no-such-bank")
    assert run("export", "anki", "-o", str(tmp_path / "x.apkg"), "--force", "--lang", "both").returncode == 0


def _same_stats(got: object, expected: object, path: str = "stats") -> None:
    """Equal figures, except that recall, computed to the second, may move by a hair between two runs
    (and reorder the questions by it): floats within 0.005, the questions in either order."""
    if isinstance(expected, float) or isinstance(got, float):
        assert got == pytest.approx(expected, abs=5e-3), path
    elif isinstance(expected, dict):
        assert isinstance(got, dict) and got.keys() == expected.keys(), path
        for key in expected:
            _same_stats(got[key], expected[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected), path
        if path.endswith(".questions"):
            got, expected = (sorted(items, key=lambda q: (q["bank"], q["question"])) for items in (got, expected))
        for i, (mine, theirs) in enumerate(zip(got, expected)):
            _same_stats(mine, theirs, f"{path}[{i}]")
    else:
        assert got == expected, path


def test_progress_moves_to_a_fresh_home_with_identical_stats(tmp_path: Path) -> None:
    practised()
    before = run("stats", "--format", "json")
    exported = run("export", "progress", "-o", str(tmp_path / "p.json"))
    assert exported.returncode == 0 and exported.stdout.startswith(f"Wrote {tmp_path / 'p.json'}: 200 answers")
    fresh = tmp_path / "second-machine"
    imported = run("import", "progress", str(tmp_path / "p.json"), ATTNQUIZ_HOME=str(fresh))
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.startswith(f"Imported from {tmp_path / 'p.json'}: 200 new answers")
    after = run("stats", "--format", "json", ATTNQUIZ_HOME=str(fresh))
    _same_stats(json.loads(after.stdout), json.loads(before.stdout))
    again = run("import", "progress", str(tmp_path / "p.json"), ATTNQUIZ_HOME=str(fresh))
    assert "0 new answers, 0 cards updated, 0 sessions" in again.stdout
    _same_stats(json.loads(run("stats", "--format", "json", ATTNQUIZ_HOME=str(fresh)).stdout), json.loads(before.stdout))


SOFTMAX = "import numpy as np\n\ndef softmax(x, axis=-1):\n    e = np.exp(x - x.max(axis=axis, keepdims=True))\n" \
          "    return e / e.sum(axis=axis, keepdims=True)\n"


def test_exercise_progress_moves_too_and_importing_twice_adds_nothing(tmp_path: Path) -> None:
    practised(30)
    wrong, right = tmp_path / "wrong.py", tmp_path / "right.py"
    wrong.write_text(SOFTMAX.replace("x - x.max(axis=axis, keepdims=True)", "x"), encoding="utf-8")
    right.write_text(SOFTMAX, encoding="utf-8")
    assert run("check", "--seed", "1", "--exercise", "softmax", str(wrong)).returncode == 1
    assert run("check", "--seed", "1", "--exercise", "softmax", str(right)).returncode == 0
    worked = REPO / "solutions" / "attention.py"
    assert run("check", "--seed", "1", "--exercise", "decode_step", str(worked)).returncode == 0
    assert run("hint", "causal_mask").returncode == 0 and run("hint", "causal_mask").returncode == 0
    assert run("solution", "rope", "--yes").returncode == 0  # a give-up and a solution shown
    listed, stats = run("exercises", "--format", "json").stdout, run("stats", "--format", "json").stdout
    exported = run("export", "progress", "-o", str(tmp_path / "p.json"))
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.startswith(f"Wrote {tmp_path / 'p.json'}: 30 answers, ")
    assert exported.stdout.endswith(", 3 exercise checks, 4 exercise events (hints, give-ups)\n")
    assert len(json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))["exercise_checks"]) == 3
    fresh = {"ATTNQUIZ_HOME": str(tmp_path / "second-machine")}
    assert "Your check has not passed 'softmax' yet" in run("solution", "softmax", **fresh).stdout  # before
    imported = run("import", "progress", str(tmp_path / "p.json"), **fresh)
    assert imported.returncode == 0, imported.stderr
    assert "30 new answers" in imported.stdout and ", 3 exercise checks, 4 exercise events" in imported.stdout
    assert json.loads(run("exercises", "--format", "json", **fresh).stdout) == json.loads(listed)
    assert json.loads(run("stats", "--format", "json", **fresh).stdout) == json.loads(stats)
    shown = run("solution", "softmax", **fresh)  # passed at home: shown without asking to give up
    assert shown.returncode == 0 and "def softmax(x, axis=-1):" in shown.stdout and "anyway" not in shown.stdout
    again = run("import", "progress", str(tmp_path / "p.json"), **fresh)
    assert "0 new answers, 0 cards updated, 0 sessions, 0 exercise checks, 0 exercise events" in again.stdout
    assert json.loads(run("exercises", "--format", "json", **fresh).stdout) == json.loads(listed)
    home = run("import", "progress", str(tmp_path / "p.json"))  # into the store it came from: nothing either
    assert "0 exercise checks, 0 exercise events" in home.stdout


def test_import_of_a_broken_file_is_one_line_and_loses_nothing(tmp_path: Path) -> None:
    practised(20)
    before = run("stats", "--format", "json").stdout
    (tmp_path / "broken.json").write_text('{"format": "attnquiz-progress", "version": 1, "answers": [}',
                                          encoding="utf-8")
    broken = run("import", "progress", str(tmp_path / "broken.json"))
    assert broken.returncode == 2 and broken.stderr.count("\n") == 1
    assert broken.stderr.startswith(f"Error: {tmp_path / 'broken.json'}:1:")
    (tmp_path / "deck.json").write_text('{"notes": []}', encoding="utf-8")
    foreign = run("import", "progress", str(tmp_path / "deck.json"))
    assert foreign.returncode == 2 and "is not an attnquiz progress file" in foreign.stderr
    missing = run("import", "progress", str(tmp_path / "none.json"))
    assert missing.returncode == 2 and missing.stderr.startswith(f"Error: Cannot read {tmp_path / 'none.json'}: ")
    (tmp_path / "photo.json").write_bytes(b"\xff\xd8\xff\xe0 not text at all")
    binary = run("import", "progress", str(tmp_path / "photo.json"))
    assert binary.returncode == 2 and binary.stderr.count("\n") == 1
    assert binary.stderr.startswith(f"Error: {tmp_path / 'photo.json'} is not an attnquiz progress file")
    assert run("stats", "--format", "json").stdout == before


@pytest.mark.parametrize(("command", "example"), [(("progress",), "attnquiz-progress.json"),
                                                  (("reviews",), "attnquiz-reviews.csv"),
                                                  (("anki",), "attnquiz.apkg")])
def test_an_export_to_a_folder_suggests_a_file_of_its_kind(tmp_path: Path, command: tuple[str, ...],
                                                           example: str) -> None:
    done = run("export", *command, "-o", str(tmp_path), "--force")
    assert (done.returncode, done.stderr) == (2, f"Error: {tmp_path} is a folder: give a file name, such as "
                                                 f"{tmp_path / example}\n")
    assert list(tmp_path.iterdir()) == []


def test_export_reviews_writes_the_optimizer_columns(tmp_path: Path) -> None:
    practised(50)
    done = run("export", "reviews", "-o", str(tmp_path / "revlog.csv"))
    assert done.returncode == 0 and done.stdout.startswith(f"Wrote {tmp_path / 'revlog.csv'}: 50 reviews")
    with open(tmp_path / "revlog.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 50
    assert list(rows[0])[:5] == ["card_id", "review_time", "review_rating", "review_state", "review_duration"]
    unwritable = run("export", "reviews", "-o", str(tmp_path / "revlog.csv" / "x.csv"))
    assert unwritable.returncode == 2 and unwritable.stderr.endswith(": Not a directory\n")


def test_optimize_fits_shows_and_saves_only_when_asked() -> None:
    pytest.importorskip("fsrs_rs_python", reason="the optimizer extra (fsrs-rs-python) is not installed")
    too_few = run("optimize")
    assert too_few.returncode == 1 and too_few.stderr.startswith("Error: Not enough history yet: 0 reviews")
    practised(1500, days=200)
    shown = run("optimize")
    assert shown.returncode == 0, shown.stderr
    assert "Log loss: " in shown.stdout and "w[20]" in shown.stdout and "Not saved" in shown.stdout
    assert not Path(os.environ["ATTNQUIZ_CONFIG"]).exists()
    saved = run("optimize", "--save")
    assert saved.returncode == 0, saved.stderr
    settings = json.loads(run("config", "--format", "json").stdout)
    assert len(settings["settings"]["fsrs_parameters"]) == 21 and settings["sources"]["fsrs_parameters"] == "file"


def test_optimize_without_the_extra_says_how_to_install_it() -> None:
    code = ("import sys; sys.modules['fsrs_rs_python'] = None\n"
            "from quiz.cli import main\n"
            "sys.argv = ['attnquiz', 'optimize']\n"
            "main()\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=subprocess_env(),
                            timeout=60)
    assert (result.returncode, result.stderr) == (
        2, "Error: Fitting FSRS parameters needs the optimizer extra: pip install 'attnquiz[optimizer]' "
           "(it brings fsrs-rs-python)\n")


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_click_s_script(shell: str) -> None:
    result = run("completion", shell)
    assert result.returncode == 0 and "_ATTNQUIZ_COMPLETE" in result.stdout
    assert f"{shell}_complete" in result.stdout


def complete(words: str) -> list[str]:
    """What bash completion offers for the last word of `words` (click's bash protocol)."""
    result = run(_ATTNQUIZ_COMPLETE="bash_complete", COMP_WORDS=words, COMP_CWORD=str(len(words.split(" ")) - 1))
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_completion_of_option_values() -> None:
    assert complete("attnquiz start --topic kv") == ["plain,kv-cache", "plain,kv-compression"]
    assert "plain,pty" in complete(f"attnquiz start --no-builtin --bank {FIXTURE} --tag ")
    assert complete("attnquiz check --exercise soft") == ["plain,softmax"]
    assert complete("attnquiz start --question basics-softmax-s") == ["plain,basics-softmax-shift",
                                                                      "plain,basics-softmax-stable"]
    assert complete("attnquiz start --bank que") == ["file,que"]
    assert complete("attnquiz export anki --bank kv-ca") == ["plain,kv-cache"]
    assert "plain,optimize" in complete("attnquiz opt")


@pytest.mark.parametrize("words", ["attnquiz new soft", "attnquiz new --exercise soft", "attnquiz hint soft",
                                   "attnquiz solution soft", "attnquiz grade class --exercise soft"])
def test_every_exercise_name_completes(words: str) -> None:
    assert complete(words) == ["plain,softmax"]


def test_a_bank_s_own_exercise_and_topic_complete_and_every_bank_path_completes_as_a_file() -> None:
    course = REPO / "examples" / "course"
    assert "plain,rms_norm" in complete(f"attnquiz check --bank {course} --exercise ")
    assert complete(f"attnquiz start --no-builtin --bank {course} --topic we") == ["plain,week2"]
    for command in ("check x.py", "grade class", "stats", "new", "hint softmax"):  # export's --bank: ids, above
        assert complete(f"attnquiz {command} --bank que") == ["file,que"], command
