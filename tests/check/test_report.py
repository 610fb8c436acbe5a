"""The report: the table people read, the JSON machines read, Gradescope's results.json."""

from __future__ import annotations

import json

import jsonschema
import pytest

from quiz.check.registry import builtin
from quiz.check.report import OUTPUT_LINES, render_json, render_table, to_json
from quiz.check.verdicts import CheckResult, LoadProblem, MemoryResult, Mismatch, SpeedResult, Status, Verdict
from quiz.i18n import bind_language
from tests.conftest import REPO

SCHEMA = json.loads((REPO / "docs" / "check-report.schema.json").read_text(encoding="utf-8"))
SERIES = tuple((float(x), 150.0) for x in range(3, 256, 8))
SPEED = SpeedResult(steps=256, pairs=3, steps_short=160, d_model=256, n_heads=2, dtype="float32", chunk=8,
                    overhead_us=90.0, overhead_share=0.06, cpu=True, user_seconds=0.05, cache_seconds=0.04,
                    naive_seconds=0.4, user_slope_ns=20.0, cache_slope_ns=18.0, naive_slope_ns=9000.0,
                    user_growth=1.1, cache_growth=1.1, naive_growth=2.0, user_series=SERIES, cache_series=SERIES,
                    naive_series=tuple((x, 100.0 + 10 * x) for x, _ in SERIES), user_step_us=(150.0, 150.0),
                    cache_step_us=(150.0, 150.0), naive_step_us=(130.0, 2650.0), recomputes=False)


def _result() -> CheckResult:
    """A fixed result covering every status, a mismatch, a diagnosis, speed and memory figures."""
    tests = [
        Verdict("softmax", "random_f64", Status.PASSED, 2, 2),
        Verdict("softmax", "large_logits", Status.FAILED, 0, 2, "float32: 12 of 40 values are NaN or inf",
                diagnosis="no_max_shift"),
        Verdict("softmax", "axis", Status.ERROR, 0, 2, "raised ValueError: bad axis",
                detail="Traceback (most recent call last):\n  File \"s.py\", line 3, in softmax\nValueError: bad axis"),
        Verdict("causal_mask", "square", Status.NOT_ATTEMPTED, 0, 3, "causal_mask is not defined in the file"),
        Verdict("causal_mask", "decode_offset", Status.NOT_ATTEMPTED, 0, 3, "causal_mask is not defined in the file"),
        Verdict("scaled_dot_product_attention", "random_f64", Status.FAILED, 0, 2, "5 of 6 values differ",
                mismatch=Mismatch(0.5, float("inf"), (0, 1), 0.25, 0.0, 5, 6), diagnosis="no_scale"),
        Verdict("scaled_dot_product_attention", "causal", Status.TIMEOUT, 0, 2, "did not finish within 10 s"),
        Verdict("scaled_dot_product_attention", "length_1", Status.SKIPPED, 0, 1, "not run"),
        Verdict("decode_step", "speed", Status.PASSED, 8, 8, speed=SPEED),
        Verdict("flash_attention", "memory", Status.PASSED, 6, 6,
                memory=MemoryResult(4096, 32, 64 << 20, 48 << 20)),
    ]
    return CheckResult(solution="s.py", seed=42, tests=tests, seconds=1.25, output="hello\nScore 100/100\n",
                       specs=builtin().specs())


EXPECTED_TABLE = """\
attnquiz check s.py · seed 42 (--seed 42 repeats these inputs)

softmax  Numerically stable softmax  2/6
  passed            2/2 random float64
  failed            0/2 logits of magnitude 1e4
                        float32: 12 of 40 values are NaN or inf
                        likely mistake: exp without subtracting the max. Hint: np.exp(1e4) overflows
                        to inf and inf/inf is NaN: subtract x.max(axis, keepdims=True) first.
  error             0/2 another axis
                        raised ValueError: bad axis
                        Traceback (most recent call last):
                          File "s.py", line 3, in softmax
                        ValueError: bad axis

causal_mask  Causal mask  0/6  not attempted: causal_mask is not defined in the file

scaled_dot_product_attention  Scaled dot-product attention  0/5
                        builds on softmax, which failed in this check: fix softmax first (its
                        mistakes may be what fails here)
  failed            0/2 random float64, Lq != Lk
                        5 of 6 values differ
                        likely mistake: no 1/sqrt(d) scaling. Hint: Divide the scores by sqrt(dk):
                        without it the softmax saturates as dk grows.
  timeout           0/2 causal mask
                        did not finish within 10 s
  skipped           0/1 length 1
                        not run

decode_step  Decoding with a KV cache  8/8
  passed            8/8 speedup of 256 decoding steps
                        256 steps of d_model 256, 2 heads, float32, 8 per timed request (an empty
                        round trip is 90 µs, 6% of one): speedup over recomputing at 256 steps:
                        yours 8.0x, reference cache 10.0x; time per step grows 20.00 ns per position
                        (cache 18.00, recomputing 9000.0); total time grows as steps^1.10 (cache
                        1.10, recomputing 2.00), on CPU time
                        µs per step by position (0 to 256), same scale, top 2610 µs:
                          your decode_step  ▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁  150 -> 150 µs  8.0x
                          reference cache   ▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁  150 -> 150 µs  10.0x
                          recomputing       ▁▁▁▁▁▂▂▂▂▃▃▃▃▄▄▄▄▅▅▅▅▆▆▆▆▇▇▇▇███  130 -> 2610 µs  1.0x

flash_attention  FlashAttention (tiled, online softmax)  6/6
  passed            6/6 memory: no L x L matrix
                        L=4096 ran within 48 MiB; one L x L matrix would need 64 MiB

Score 16/31 (3 passed, 2 failed, 1 error, 1 timeout, 1 skipped, 1 exercise not attempted) in 1.2 s
Isolation: process (below the full boundary: install bubblewrap, scripts/setup.sh)
Limits: per process (no cgroup here)
Your solution printed 2 lines; shown for debugging, never used for grading:
  hello
  Score 100/100
"""


def test_table_reads_as_expected() -> None:
    assert render_table(_result(), width=100) == EXPECTED_TABLE


def test_table_in_chinese() -> None:
    bind_language("zh")
    text = render_table(_result(), width=100)
    assert "softmax  数值稳定的 softmax  2/6" in text
    assert "  未通过" in text and "未作答" in text and "超时" in text
    assert "可能的错误：没有先减最大值就 exp。提示：" in text
    assert text.splitlines()[-6].startswith("得分 16/31（")
    assert text.splitlines()[-5] == "隔离级别：process（低于完整隔离：请安装 bubblewrap（scripts/setup.sh））"
    assert text.splitlines()[-4] == "资源限制：按进程计（此处无 cgroup）"


def test_table_with_colour_has_ansi_codes_and_the_same_words() -> None:
    coloured = render_table(_result(), width=100, color=True)
    assert "\x1b[" in coloured
    assert "passed" in coloured and "Score 16/31" in coloured


def test_table_shows_only_the_end_of_long_solution_output() -> None:
    result = _result()
    result.output = "".join(f"line {i}\n" for i in range(100))
    lines = render_table(result, width=100).splitlines()
    assert lines[-1] == "  line 99" and f"  line {100 - OUTPUT_LINES}" in lines and "  line 0" not in lines


def test_nothing_attempted_is_said() -> None:
    result = CheckResult("s.py", 1, [Verdict("softmax", "random_f64", Status.NOT_IMPLEMENTED, 0, 2,
                                             "still raises NotImplementedError")], specs=builtin().specs())
    text = render_table(result)
    assert "softmax  Numerically stable softmax  0/2  not implemented\n" in text
    assert "(1 exercise not implemented)" in text
    assert "Nothing attempted yet: start with softmax (attnquiz hint softmax gives a hint)" in text


def test_json_follows_the_documented_schema() -> None:
    data = to_json(_result())
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    assert data["score"] == 16 and data["max_score"] == 31 and data["exit_status"] == 1 and not data["passed"]
    sdpa = next(e for e in data["exercises"] if e["name"] == "scaled_dot_product_attention")
    first = sdpa["tests"][0]
    assert first["error"] == {"max_abs": 0.5, "max_rel": None, "index": [0, 1], "got": 0.25, "expected": 0.0,
                              "count": 5, "size": 6}
    assert first["diagnosis"]["name"] == "no_scale" and first["diagnosis"]["hint"].startswith("Divide")
    speed = next(e for e in data["exercises"] if e["name"] == "decode_step")["tests"][0]["speed"]
    assert speed["user_speedup"] == pytest.approx(8.0) and speed["chunk"] == 8 and speed["clock"] == "cpu"
    assert len(speed["series"]["naive"]) == len(SERIES) and speed["series"]["user"][0] == {"position": 3.0, "us": 150.0}
    assert speed["grows"] is False and data["interrupted"] is False and data["stopped"] is None
    assert json.loads(render_json(data)) == data  # strict JSON: no NaN or Infinity


def test_json_of_a_load_error() -> None:
    result = CheckResult("s.py", 1, load_error=LoadProblem("s.py:3:5: SyntaxError: invalid syntax", "x =\n    ^"))
    data = to_json(result)
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    assert data["exit_status"] == 2 and data["exercises"] == [] and data["load_error"]["detail"].endswith("^")


def _gradescope(result: CheckResult) -> dict:
    """What `check --format gradescope` prints for `result` (the autograder's own path, quiz.grade)."""
    from pathlib import Path

    from quiz.grade.platforms import render_for

    return render_for("gradescope", to_json(result), builtin(), solution=Path(result.solution))[0]


def test_gradescope_results() -> None:
    data = _gradescope(_result())
    assert data["extra_data"]["isolation"] == "process" and data["extra_data"]["seed"] == 42
    assert data["extra_data"]["limits"] == "rlimits"
    assert "Isolation: process (below the full boundary: install bubblewrap, scripts/setup.sh)" in data["output"]
    assert "Limits: per process (no cgroup here)" in data["output"]
    assert data["score"] == sum(test["score"] for test in data["tests"]) == 16
    result = _result()
    unchecked = sum(spec.points for name, spec in builtin().specs().items() if name not in result.exercise_names())
    assert unchecked > 0  # every exercise counts: one the result does not mention scores 0 of its points
    assert sum(test["max_score"] for test in data["tests"]) == result.max_score + unchecked
    assert {test["status"] for test in data["tests"]} == {"passed", "failed"}
    first = data["tests"][0]
    assert first["name"] == "softmax: random float64" and first["number"] == "1.1" and first["max_score"] == 2
    assert first["extra_data"] == {"exercise": "softmax", "test": "random_f64", "status": "passed", "mistake": None}
    timeout = next(test for test in data["tests"] if test["name"] == "scaled_dot_product_attention: causal mask")
    assert timeout["status"] == "failed" and timeout["output"].startswith("**timeout**")
    assert "seed 42" in data["output"] and isinstance(data["execution_time"], int)


def test_gradescope_of_a_load_error_scores_zero_and_says_why() -> None:
    result = CheckResult("s.py", 1, load_error=LoadProblem("s.py:3:5: SyntaxError: invalid syntax", "x =\n    ^"))
    data = _gradescope(result)
    assert data["score"] == 0 and data["tests"] and all(test["score"] == 0 for test in data["tests"])
    assert "s.py:3:5: SyntaxError: invalid syntax\nx =\n    ^" in data["output"]
    assert "Isolation: process" in data["output"] and "Limits: per process (no cgroup here)" in data["output"]


def test_the_committed_schema_is_the_one_generated_from_the_report_model() -> None:
    from quiz.check.report_model import schema_text

    committed = (REPO / "docs" / "check-report.schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(), "regenerate: python -m quiz.check.report_model > docs/check-report.schema.json"


def test_the_report_model_refuses_what_the_schema_refuses() -> None:
    import pydantic

    from quiz.check.report_model import CheckReport

    data = to_json(_result())
    CheckReport.model_validate(data)
    for broken in ({**data, "extra": 1}, {**data, "exit_status": 3}, {k: v for k, v in data.items() if k != "seed"}):
        with pytest.raises(pydantic.ValidationError):
            CheckReport.model_validate(broken)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.Draft202012Validator(SCHEMA).validate(broken)


def test_json_says_when_a_passing_cache_grows() -> None:
    from dataclasses import replace

    result = CheckResult("s.py", 1, [Verdict("decode_step", "speed", Status.PASSED, 8, 8,
                                             speed=replace(SPEED, grows=True))], specs=builtin().specs())
    data = to_json(result)
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    assert data["exercises"][0]["tests"][0]["speed"]["grows"] is True
