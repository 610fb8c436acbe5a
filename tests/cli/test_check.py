"""`attnquiz check` and `attnquiz new` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from quiz.cli import cli
from quiz.errors import ExitStatus
from tests.conftest import REPO, subprocess_env

SCHEMA = json.loads((REPO / "docs" / "check-report.schema.json").read_text(encoding="utf-8"))
GALLERY = REPO / "tests" / "check_gallery"


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "quiz", *args], capture_output=True, text=True,
                          env=subprocess_env(), check=False)


@pytest.mark.slow
def test_the_worked_solutions_score_full_marks() -> None:
    from quiz.check.registry import builtin

    covered: list[str] = []
    for solution in sorted((REPO / "solutions").glob("*.py")):  # attention.py: the core eight; serving.py: the rest
        done = _run("check", str(solution), "--format", "json")
        assert done.returncode == 0, done.stdout + done.stderr
        report = json.loads(done.stdout)
        jsonschema.Draft202012Validator(SCHEMA).validate(report)
        statuses = {exercise["name"]: exercise["status"] for exercise in report["exercises"]}
        passed = [name for name, status in statuses.items() if status == "passed"]
        assert len(passed) == 8 and set(statuses.values()) == {"passed", "not_attempted"}, statuses
        assert report["score"] == 100 and report["passed"]
        covered += passed
    assert sorted(covered) == sorted(exercise.id for exercise in builtin())


def test_new_then_check_the_untouched_starter(tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "solution.py"
    written = runner.invoke(cli, ["new", "-o", str(target)])
    assert written.exit_code == 0 and written.output == f"Wrote {target} with 16 exercises. Next: attnquiz check " \
                                                        f"{target}\n"
    checked = runner.invoke(cli, ["check", str(target), "--seed", "1"])
    assert checked.exit_code == 1
    rows = [line for line in checked.output.splitlines() if line.endswith("  not implemented")]  # one line each
    assert len(rows) == 16 and rows[0].startswith("softmax  ") and "NotImplementedError" not in checked.output
    assert "Score 0/200 (16 exercises not implemented)" in checked.output  # exercises, not their 101 tests
    assert "start with softmax (attnquiz hint softmax gives a hint)" in checked.output


def test_new_writes_only_the_exercises_asked_for(tmp_path: Path) -> None:
    target = tmp_path / "serving.py"
    written = CliRunner().invoke(cli, ["new", "--exercise", "speculative_verify", "--exercise", "rope", "-o", str(target)])
    assert written.exit_code == 0 and "with 2 exercises." in written.output
    text = target.read_text(encoding="utf-8")
    defined = [line.split("(")[0][4:] for line in text.splitlines() if line.startswith("def ")]
    assert defined == ["apply_rope", "rope_attention", "speculative_verify", "crop_kv"]  # catalogue order
    checked = CliRunner().invoke(cli, ["check", str(target), "--exercise", "rope", "--exercise", "speculative_verify",
                                       "--seed", "2"])
    assert checked.exit_code == 1 and "Score 0/28 (2 exercises not implemented)" in checked.output
    unknown = CliRunner().invoke(cli, ["new", "--exercise", "ropee", "-o", "-"])
    assert unknown.exit_code == 2 and "unknown exercise 'ropee'" in unknown.output and "rope" in unknown.output


def test_exercises_lists_all_sixteen_with_difficulty() -> None:
    listed = CliRunner().invoke(cli, ["exercises"], env={"COLUMNS": "120"})
    assert listed.exit_code == 0
    lines = listed.output.splitlines()
    assert lines[0].split() == ["exercise", "difficulty", "status", "best", "speedup", "title"]
    rows = {line.split()[0]: line.split()[1:] for line in lines if line.startswith("  ")}
    assert rows["softmax"][:4] == ["easy", "not", "started", "-/10"] and rows["mla_decode"][:4] == [
        "hard", "not", "started", "-/12"]
    assert rows["beam_reorder"][3] == "-/8" and len(rows) == 16
    assert "Rotary position embeddings (RoPE)" in listed.output
    narrow = CliRunner().invoke(cli, ["exercises"], env={"COLUMNS": "80"})
    assert max(len(line) for line in narrow.output.splitlines()) <= 80 and "title" not in narrow.output.splitlines()[0]
    chinese = CliRunner().invoke(cli, ["exercises", "--lang", "zh"], env={"COLUMNS": "120"})
    assert chinese.exit_code == 0 and "旋转位置编码（RoPE）" in chinese.output and "困难" in chinese.output


def test_new_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    target = tmp_path / "solution.py"
    target.write_text("mine\n", encoding="utf-8")
    refused = CliRunner().invoke(cli, ["new", "-o", str(target)])
    assert refused.exit_code == 2 and target.read_text(encoding="utf-8") == "mine\n"
    assert f"{target} already exists; use --force to overwrite it" in refused.output
    forced = CliRunner().invoke(cli, ["new", "softmax", "-o", str(target), "--force"])
    assert forced.exit_code == 0 and "def softmax(x, axis=-1):" in target.read_text(encoding="utf-8")


def test_new_prints_to_stdout_and_rejects_unknown_exercises() -> None:
    printed = CliRunner().invoke(cli, ["new", "causal_mask", "-o", "-", "--lang", "zh"])
    assert printed.exit_code == 0 and printed.output.startswith('"""attnquiz 练习') and "def causal_mask" in printed.output
    unknown = CliRunner().invoke(cli, ["new", "flash", "-o", "-", "--lang", "en"])
    assert unknown.exit_code == 2 and "unknown exercise 'flash'" in unknown.output


def test_a_buggy_file_fails_with_the_diagnosis_in_the_table() -> None:
    result = CliRunner().invoke(cli, ["check", str(GALLERY / "mha_no_w_o.py"), "--exercise", "multi_head_attention",
                                      "--seed", "2"])
    assert result.exit_code == 1
    assert "likely mistake: w_o forgotten. Hint: After concatenating the heads, multiply by the output projection " \
           "w_o." in result.output.replace("\n" + " " * 24, " ")


def test_chinese_table() -> None:
    result = CliRunner().invoke(cli, ["check", str(GALLERY / "mask_inverted.py"), "--exercise", "causal_mask",
                                      "--lang", "zh"])
    assert result.exit_code == 1 and "未通过" in result.output and "可能的错误：掩码取反了" in result.output


def test_gradescope_format() -> None:
    done = _run("check", str(GALLERY / "softmax_no_normalize.py"), "--exercise", "softmax", "--format", "gradescope")
    assert done.returncode == 1
    data = json.loads(done.stdout)
    assert len(data["tests"]) == 7 and data["score"] == sum(t["score"] for t in data["tests"]) < 10


def test_printing_solutions_do_not_disturb_the_json() -> None:
    done = _run("check", str(GALLERY / "adv_prints_fake_results.py"), "--format", "json", "--exercise", "softmax")
    report = json.loads(done.stdout)  # the solution's own prints never reach stdout
    assert done.returncode == 1 and report["score"] == 0 and "Score 100/100" in report["output"]


@pytest.mark.parametrize("fmt", ["table", "json"], ids=["table", "json"])
def test_a_syntax_error_is_exit_2_with_the_line_and_a_caret(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "bad.py"
    path.write_text("import numpy as np\n\ndef softmax(x:\n    pass\n", encoding="utf-8")
    done = _run("check", str(path), "--format", fmt)
    assert done.returncode == 2
    if fmt == "json":
        assert json.loads(done.stdout)["load_error"]["message"].startswith(f"{path}:3:")
        return
    lines = done.stderr.splitlines()
    assert lines[0].startswith(f"Error: cannot load the solution: {path}:3:") and "SyntaxError" in lines[0]
    assert lines[1].strip() == "def softmax(x:" and lines[2].strip() == "^" and done.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "nope.py"], "nope.py: no such file"),
        (["check", "{tmp}", "--exercise", "sofmax"], "did you mean 'softmax'"),
        (["check", "{tmp}", "--timeout", "0"], "Invalid value for '--timeout'"),
        (["check", "{tmp}", "--format", "xml"], "Invalid value for '--format'"),
    ],
    ids=["missing-file", "unknown-exercise", "zero-timeout", "bad-format"],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    solution = tmp_path / "s.py"
    solution.write_text("x = 1\n", encoding="utf-8")
    result = CliRunner().invoke(cli, [arg.replace("{tmp}", str(solution)) for arg in args])
    assert result.exit_code == 2 and message in result.output


def test_ctrl_c_during_check_shows_the_tests_that_finished_then_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import signal
    import time

    from quiz.check import runner

    real = runner.run_exercise
    started: list[str] = []

    def interrupted_on_the_second_exercise(spec, *args, **kwargs):  # noqa: ANN001, ANN202
        started.append(spec.id)
        if len(started) == 2:
            os.kill(os.getpid(), signal.SIGINT)  # a real Ctrl-C, delivered while the check is running
            time.sleep(30)
        return real(spec, *args, **kwargs)

    monkeypatch.setattr(runner, "run_exercise", interrupted_on_the_second_exercise)
    result = CliRunner().invoke(cli, ["check", "--seed", "1", str(REPO / "solutions" / "attention.py")])
    assert started == ["softmax", "causal_mask"]
    assert result.exit_code == 130
    assert "softmax" in result.stdout and "causal_mask" not in result.stdout  # the finished tests are shown
    assert result.stdout.count("passed ") == 7
    assert "Score so far 10/10 (7 passed)" in result.stdout and "Nothing attempted" not in result.stdout
    assert [line for line in result.stderr.splitlines() if line] == [
        "Interrupted during causal_mask, test 'square (lk defaults to lq)', after 0.0 s; only the 7 tests above "
        "finished."]


LOOPS = '''import numpy as np


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def causal_mask(lq, lk=None):
    if lk is not None and lk != lq:  # loops on the test with fewer queries than keys
        while True:
            pass
    return np.tril(np.ones((lq, lq), dtype=bool))
'''


def _cpu_of_descendants(pid: int) -> float:
    """The most CPU time (s) any one descendant of `pid` has used, read from /proc."""
    import os

    parents, cpu = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        cpu[int(entry)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    mine = {pid}
    for _ in range(10):  # the sandbox's child sits a few generations down (bwrap)
        mine |= {child for child, parent in parents.items() if parent in mine}
    return max((cpu[p] for p in mine - {pid} if p in cpu), default=0.0)


@pytest.mark.parametrize(("exercises", "watch", "lang", "said", "shown", "not_shown"), [
    (["softmax"], False, "en", "Interrupted during softmax, test 'random float64', after ", [],
     ["Score", "Nothing attempted", "()"]),
    (["softmax", "causal_mask"], False, "en",
     "Interrupted during causal_mask, test 'fewer queries than keys', after ",
     ["softmax  Numerically stable softmax  10/10", "causal_mask  Causal mask  3/10",
      "Score so far 13/13 (8 passed)", "the check did not finish"], ["Nothing attempted"]),
    (["softmax", "causal_mask"], True, "en",
     "Interrupted during causal_mask, test 'fewer queries than keys', after ",
     ["Score so far 13/13 (8 passed)"], ["Nothing attempted"]),
    (["softmax", "causal_mask"], False, "zh", "在 causal_mask 的测试“查询少于键”运行 ",
     ["目前得分 13/13（8 个通过）", "检查没有完成"], ["还没有完成任何练习"]),
], ids=["nothing-finished", "some-finished", "watch", "zh"])
def test_ctrl_c_in_a_terminal_says_which_test_it_stopped(tmp_path: Path, exercises: list[str], watch: bool,
                                                        lang: str, said: str, shown: list[str],
                                                        not_shown: list[str]) -> None:
    """A real Ctrl-C (SIGINT to the terminal's process group) while the solution loops in a test: the tests that
    finished are shown, the last line names the test that was running, and the exit status is 130."""
    import os
    import signal
    import time

    import pexpect

    solution = tmp_path / "loops.py"
    solution.write_text(LOOPS if len(exercises) > 1 else "def softmax(x, axis=-1):\n    while True:\n        pass\n",
                        encoding="utf-8")
    args = ["-m", "quiz", "check", str(solution), "--seed", "1", "--timeout", "60", "--no-record", "--lang", lang,
            *[arg for name in exercises for arg in ("--exercise", name)], *(["--watch"] if watch else [])]
    child = pexpect.spawn(sys.executable, args, env=subprocess_env(NO_COLOR="1"), encoding="utf-8", timeout=60,
                          dimensions=(24, 200))
    try:
        end = time.monotonic() + 60
        while _cpu_of_descendants(child.pid) < 1.0:  # the solution is in its endless loop
            assert time.monotonic() < end and child.isalive(), child.read_nonblocking(10000, timeout=0)
            time.sleep(0.2)
        os.killpg(os.getpgid(child.pid), signal.SIGINT)  # what the terminal does on Ctrl-C
        child.expect(pexpect.EOF)
        output = child.before
    finally:
        child.close()
    assert child.exitstatus == ExitStatus.INTERRUPTED == 130, output
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines[-1].startswith(said) and lines[-1].endswith("finished." if lang == "en" else "。"), lines[-3:]
    assert "Interrupted." not in output and "已中断。" not in output and "Traceback" not in output
    for text in shown:
        assert text in output
    for text in not_shown:
        assert text not in output


def test_require_all_fails_when_an_exercise_is_not_attempted(tmp_path: Path) -> None:
    only = tmp_path / "only_softmax.py"
    only.write_text((REPO / "tests" / "third_party_gallery" / "scipy_softmax.py").read_text(encoding="utf-8"),
                    encoding="utf-8")
    names = ["--exercise", "softmax", "--exercise", "causal_mask"]
    assert _run("check", str(only), *names).returncode == ExitStatus.OK  # causal_mask not attempted: not a failure
    assert _run("check", str(only), *names, "--require-all").returncode == ExitStatus.FAILURE


def test_ctrl_c_with_json_says_interrupted_and_which_test_stopped(tmp_path: Path) -> None:
    """--format json, interrupted for real: the report holds the tests that finished, passed is false,
    interrupted and stopped say where it stopped (the schema's fields), and the process exits 130."""
    import os
    import signal
    import time

    solution = tmp_path / "loops.py"
    solution.write_text(LOOPS, encoding="utf-8")
    with subprocess.Popen([sys.executable, "-m", "quiz", "check", str(solution), "--format", "json", "--no-record",
                           "--timeout", "60", "--exercise", "softmax", "--exercise", "causal_mask"],
                          env=subprocess_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          start_new_session=True) as proc:
        end = time.monotonic() + 60
        while _cpu_of_descendants(proc.pid) < 1.0:
            assert time.monotonic() < end and proc.poll() is None, "the solution never started looping"
            time.sleep(0.2)
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    report = json.loads(out)
    jsonschema.Draft202012Validator(SCHEMA).validate(report)
    assert report["interrupted"] is True and report["passed"] is False
    assert report["stopped"]["exercise"] == "causal_mask" and report["stopped"]["test"] == "decode_offset"
    assert report["stopped"]["seconds"] > 0.5
    assert [(e["name"], len(e["tests"])) for e in report["exercises"]] == [("softmax", 7), ("causal_mask", 1)]
    assert err.strip().splitlines()[-1].startswith("Interrupted during causal_mask, test 'fewer queries than keys'")


@pytest.mark.slow
def test_json_of_a_copying_cache_says_it_grows() -> None:
    """np.concatenate every step: a cache, it passes, and the JSON report says its time per step grows (the
    table's "grows with the length" line), where the worked cache's does not."""
    reports = {}
    for name, path in (("concat", GALLERY / "good_concat_cache.py"), ("worked", REPO / "solutions" / "attention.py")):
        done = _run("check", str(path), "--exercise", "decode_step", "--seed", "3", "--format", "json", "--no-record")
        assert done.returncode == 0, done.stdout + done.stderr
        reports[name] = json.loads(done.stdout)
        jsonschema.Draft202012Validator(SCHEMA).validate(reports[name])
    speed = {name: next(t for t in report["exercises"][0]["tests"] if t["name"] == "speed")["speed"]
             for name, report in reports.items()}
    assert speed["concat"]["grows"] is True and speed["concat"]["recomputes"] is False
    assert speed["worked"]["grows"] is False


@pytest.mark.parametrize(("lang", "ending"), [
    ("en", "No module named 'scipy'; the sandbox offers only NumPy and Python's standard library, not scipy: "
           "write it with NumPy"),
    ("zh", "No module named 'scipy'；沙箱中只有 NumPy 和 Python 标准库，没有 scipy：请用 NumPy 实现"),
], ids=["en", "zh"])
def test_a_package_the_sandbox_does_not_offer_is_said_so_when_loading(tmp_path: Path, lang: str, ending: str) -> None:
    solution = tmp_path / "scipy_sol.py"
    solution.write_text("from scipy.special import softmax  # the learner has scipy installed at home\n",
                        encoding="utf-8")
    done = _run("check", str(solution), "--exercise", "softmax", "--no-record", "--lang", lang)
    assert done.returncode == ExitStatus.USAGE, done.stderr
    first = done.stderr.splitlines()[0]
    assert first.endswith(ending) and "ModuleNotFoundError" in first, first


def test_a_package_imported_inside_a_function_is_said_so_in_each_test(tmp_path: Path) -> None:
    solution = tmp_path / "torch_sol.py"
    solution.write_text("def softmax(x, axis=-1):\n    import torch\n\n    return torch.softmax(x, axis)\n",
                        encoding="utf-8")
    done = _run("check", str(solution), "--exercise", "softmax", "--no-record", "--format", "json")
    assert done.returncode == ExitStatus.FAILURE, done.stderr
    tests = json.loads(done.stdout)["exercises"][0]["tests"]
    assert {test["status"] for test in tests} == {"error"}
    assert tests[0]["message"] == ("raised ModuleNotFoundError: No module named 'torch'; the sandbox offers only NumPy "
                                   "and Python's standard library, not torch: write it with NumPy")


def test_a_helper_module_left_out_is_not_blamed_on_the_sandbox(tmp_path: Path) -> None:
    """A module next to the solution is a helper (sent unless --single-file): its absence is no missing package."""
    (tmp_path / "utils.py").write_text("import numpy as np\n\n\ndef softmax(x, axis=-1):\n"
                                       "    e = np.exp(x - x.max(axis=axis, keepdims=True))\n"
                                       "    return e / e.sum(axis=axis, keepdims=True)\n", encoding="utf-8")
    solution = tmp_path / "solution.py"
    solution.write_text("from utils import softmax  # noqa: F401\n", encoding="utf-8")
    assert _run("check", str(solution), "--exercise", "softmax", "--no-record").returncode == ExitStatus.OK
    done = _run("check", str(solution), "--exercise", "softmax", "--no-record", "--single-file")
    assert done.returncode == ExitStatus.USAGE
    assert "No module named 'utils'" in done.stderr and "sandbox offers only" not in done.stderr


CASCADE = GALLERY / "cascade_sdpa_mask_after_softmax.py"
THREE = ("--exercise", "scaled_dot_product_attention", "--exercise", "multi_head_attention", "--exercise", "decode_step")


@pytest.mark.parametrize(("lang", "note"), [
    ("en", "builds on scaled_dot_product_attention, which failed in this check: fix scaled_dot_product_attention "
           "first (its mistakes may be what fails here)"),
    ("zh", "依赖的 scaled_dot_product_attention 在本次检查中没有通过：先修好 scaled_dot_product_attention （这里的失败"
           "可能就来自它）"),
], ids=["en", "zh"])
def test_failures_explained_by_an_exercise_they_build_on_say_fix_it_first(lang: str, note: str) -> None:
    """F6: one bug in scaled_dot_product_attention; multi_head_attention and decode_step call it and fail too.
    The table says under each of them which one to fix first; scaled_dot_product_attention itself gets its mistake."""
    done = _run("check", str(CASCADE), *THREE, "--seed", "7", "--no-record", "--lang", lang)
    assert done.returncode == ExitStatus.FAILURE, done.stderr
    blocks = done.stdout.split("\n\n")
    by_name = {block.split()[0]: "".join(block.split()) for block in blocks if block.split() and block.split()[0] in THREE}
    note = "".join(note.split())  # the table wraps its lines
    assert note not in by_name["scaled_dot_product_attention"]
    assert "".join(("mask applied after the softmax" if lang == "en" else "在 softmax 之后才加掩码").split()) in by_name[
        "scaled_dot_product_attention"]
    for name in ("multi_head_attention", "decode_step"):  # under the exercise's name, before its first test
        assert by_name[name].index(note) < by_name[name].index("passed" if lang == "en" else "通过"), by_name[name]
    alone = _run("check", str(CASCADE), "--exercise", "multi_head_attention", "--seed", "7", "--no-record")
    assert alone.returncode == ExitStatus.FAILURE and "fix scaled_dot_product_attention first" not in alone.stdout


def test_gradescope_and_classroom_say_fix_it_first_too() -> None:
    outputs = {}
    for fmt in ("json", "gradescope", "classroom"):
        done = _run("check", str(CASCADE), *THREE, "--seed", "7", "--no-record", "--format", fmt)
        assert done.returncode == ExitStatus.FAILURE, done.stderr
        outputs[fmt] = json.loads(done.stdout)
    report = {e["name"]: e["failed_prerequisites"] for e in outputs["json"]["exercises"]}
    assert report == {"scaled_dot_product_attention": [], "multi_head_attention": ["scaled_dot_product_attention"],
                      "decode_step": ["scaled_dot_product_attention"]}
    jsonschema.Draft202012Validator(SCHEMA).validate(outputs["json"])
    graded = {test["name"]: test for test in outputs["gradescope"]["tests"]}
    mha = graded["multi_head_attention: causal mask"]
    assert mha["status"] == "failed" and ("**Fix `scaled_dot_product_attention` first:** this exercise builds on "
                                          "`scaled_dot_product_attention`, which failed in this check") in mha["output"]
    assert "first:**" not in graded["scaled_dot_product_attention: causal mask"]["output"]
    assert "first:**" not in graded["multi_head_attention: random float64"]["output"]  # a passed test: no note
    classroom = {test["name"]: test for test in outputs["classroom"]["tests"]}
    assert classroom["decode_step: prefill of several tokens, then single steps"]["message"].endswith(
        "fix scaled_dot_product_attention first (its mistakes may be what fails here)")
