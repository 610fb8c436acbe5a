"""run_check: load the file in a sandbox, run the selected exercises, return verdicts; nothing printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from quiz.check.registry import builtin
from quiz.check.runner import CheckOptions, run_check
from quiz.check.verdicts import Status
from quiz.errors import AttnquizError
from tests.conftest import REPO

GALLERY = REPO / "tests" / "check_gallery"
SOLUTION = REPO / "solutions" / "attention.py"
QUICK = ("softmax", "causal_mask", "scaled_dot_product_attention", "multi_head_attention", "kv_cache",
         "grouped_query_attention")


def test_the_worked_solution_passes_every_quick_exercise() -> None:
    result = run_check(SOLUTION, CheckOptions(exercises=QUICK))
    assert [v for v in result.tests if v.status is not Status.PASSED] == []
    assert result.score == result.max_score == 70 and int(result.exit_status) == 0


def test_the_same_seed_repeats_the_inputs_and_another_changes_them() -> None:
    path = GALLERY / "sdpa_no_scale.py"
    options = CheckOptions(seed=123, exercises=("scaled_dot_product_attention",))
    first, again = run_check(path, options), run_check(path, options)
    other = run_check(path, CheckOptions(seed=124, exercises=options.exercises))
    assert [v.message for v in first.tests] == [v.message for v in again.tests]
    assert [v.message for v in first.tests] != [v.message for v in other.tests]
    assert first.seed == 123


def test_a_fresh_seed_is_drawn_when_none_is_given() -> None:
    seeds = {run_check(GALLERY / "mask_inverted.py", CheckOptions(exercises=("causal_mask",))).seed for _ in range(2)}
    assert len(seeds) == 2


def test_functions_the_file_does_not_define_are_not_attempted(tmp_path: Path) -> None:
    path = tmp_path / "one.py"
    path.write_text("import numpy as np\n\ndef causal_mask(lq, lk=None):\n"
                    "    lk = lq if lk is None else lk\n"
                    "    return np.tri(lq, lk, lk - lq, dtype=bool)\n", encoding="utf-8")
    result = run_check(path, CheckOptions(seed=3, exercises=("softmax", "causal_mask", "decode_step")))
    statuses = {name: {v.status for v in result.for_exercise(name)} for name in result.exercise_names()}
    assert statuses == {"softmax": {Status.NOT_ATTEMPTED}, "causal_mask": {Status.PASSED},
                        "decode_step": {Status.NOT_ATTEMPTED}}
    assert result.for_exercise("softmax")[0].message == "softmax is not defined in the file"
    assert int(result.exit_status) == 0  # every attempted test passed


def test_decode_step_without_a_kv_cache_class_says_so(tmp_path: Path) -> None:
    path = tmp_path / "decode_only.py"
    path.write_text("def decode_step(x, cache, w_q, w_k, w_v, w_o, n_heads):\n    return x\n", encoding="utf-8")
    verdicts = run_check(path, CheckOptions(seed=3, exercises=("decode_step",))).tests
    assert verdicts[0].status is Status.FAILED
    assert verdicts[0].message == "decode_step needs your KVCache class, which the file does not define"
    assert verdicts[-1].status is Status.SKIPPED  # no speed test before the rest passes


@pytest.mark.parametrize(
    ("content", "message", "detail"),
    [
        ("def softmax(x, axis=-1):\n    return x +\n", "{path}:2:15: SyntaxError: invalid syntax",
         "    return x +\n              ^"),
        (b"x = '\xff'\n", "{path}: not UTF-8 text (byte 0xff at offset 5)", None),
        (None, "{path}: no such file", None),
    ],
    ids=["syntax-error", "not-utf8", "missing"],
)
def test_a_file_that_cannot_be_loaded_gives_a_load_error(tmp_path: Path, content: str | bytes | None, message: str,
                                                         detail: str | None) -> None:
    path = tmp_path / "broken.py"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    result = run_check(path, CheckOptions(seed=1))
    assert result.load_error is not None and result.tests == [] and int(result.exit_status) == 2
    assert result.load_error.message.startswith(message.format(path=path))
    if detail is not None:
        assert result.load_error.detail == detail


def test_an_unknown_exercise_is_a_usage_error_with_a_suggestion() -> None:
    with pytest.raises(AttnquizError, match="unknown exercise 'sofmax'; did you mean 'softmax'"):
        builtin().select(("sofmax",))
    assert [exercise.id for exercise in builtin().select(("flash_attention", "softmax"))] == ["softmax", "flash_attention"]


SOFTMAX = ("import os\nimport numpy as np\n\n\ndef softmax(x, axis=-1):\n{trap}"
           "    e = np.exp(x - np.max(x, axis=axis, keepdims=True))\n    return e / e.sum(axis=axis, keepdims=True)\n")


def test_after_a_timeout_the_child_is_restarted_and_the_rest_of_the_exercise_runs(tmp_path: Path) -> None:
    path = tmp_path / "edge_loop.py"  # hangs only on the logits of magnitude 1e4
    path.write_text(SOFTMAX.format(trap="    while x.ndim == 2 and np.all(x[:, 0] == 1e4):\n        pass\n"),
                    encoding="utf-8")
    verdicts = {v.test: v for v in run_check(path, CheckOptions(seed=1, timeout=1.0, exercises=("softmax",))).tests}
    assert verdicts.pop("large_logits").status is Status.TIMEOUT
    assert {test: v.status for test, v in verdicts.items()} == dict.fromkeys(verdicts, Status.PASSED)
    assert {"row_magnitudes", "neg_inf", "length_1"} <= set(verdicts)


def test_a_second_crash_in_one_exercise_skips_the_rest_naming_the_tests_label(tmp_path: Path) -> None:
    path = tmp_path / "exits.py"  # ends its process on every float32 input
    path.write_text(SOFTMAX.format(trap="    if x.dtype == np.float32:\n        os._exit(0)\n")
                    + "\n\ndef causal_mask(lq, lk=None):\n    lk = lq if lk is None else lk\n"
                    "    return np.tri(lq, lk, lk - lq, dtype=bool)\n", encoding="utf-8")
    result = run_check(path, CheckOptions(seed=1, exercises=("softmax", "causal_mask")))
    tests = [test.id for test in builtin().specs()["softmax"].tests]
    statuses = {v.test: v.status for v in result.for_exercise("softmax")}
    assert statuses["random_f64"] is Status.PASSED and statuses["random_f32"] is Status.ERROR
    second = next(v for v in result.for_exercise("softmax")[2:] if v.status is Status.ERROR)  # the restart ran it
    rest = result.for_exercise("softmax")[tests.index(second.test) + 1:]
    assert rest and {v.status for v in rest} == {Status.SKIPPED}
    label = builtin().specs()["softmax"].test(second.test).label("en")
    assert rest[0].message == f"not run: the solution's process failed 2 times in this exercise, last in test '{label}'"
    assert {v.status for v in result.for_exercise("causal_mask")} == {Status.PASSED}
