"""Verdicts: the exit status and the status of an exercise follow only from the verdicts."""

from __future__ import annotations

from dataclasses import replace

import pytest

from quiz.check.verdicts import CheckResult, LoadProblem, SpeedResult, Status, Verdict, exercise_status
from quiz.errors import ExitStatus


def _v(status: Status, exercise: str = "softmax") -> Verdict:
    return Verdict(exercise, "t", status, 1 if status is Status.PASSED else 0, 1)


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([Status.PASSED, Status.PASSED], ExitStatus.OK),
        ([Status.PASSED, Status.NOT_IMPLEMENTED], ExitStatus.FAILURE),  # one exercise, partly implemented
        ([Status.PASSED, Status.FAILED], ExitStatus.FAILURE),
        ([Status.PASSED, Status.SKIPPED], ExitStatus.FAILURE),
        ([Status.TIMEOUT], ExitStatus.FAILURE),
        ([Status.NOT_IMPLEMENTED, Status.NOT_ATTEMPTED], ExitStatus.FAILURE),
        ([], ExitStatus.FAILURE),
    ],
    ids=["all-passed", "partly-implemented", "one-failed", "one-skipped", "timeout", "nothing-attempted",
         "no-tests"],
)
def test_exit_status(statuses: list[Status], expected: ExitStatus) -> None:
    assert CheckResult("s.py", 1, [_v(s) for s in statuses]).exit_status is expected


def test_an_untouched_exercise_does_not_fail_the_check_unless_every_one_is_required() -> None:
    verdicts = [_v(Status.PASSED), _v(Status.PASSED), _v(Status.NOT_IMPLEMENTED, "causal_mask"),
                _v(Status.NOT_IMPLEMENTED, "causal_mask"), _v(Status.NOT_ATTEMPTED, "kv_cache")]
    assert CheckResult("s.py", 1, list(verdicts)).exit_status is ExitStatus.OK
    assert CheckResult("s.py", 1, list(verdicts), require_all=True).exit_status is ExitStatus.FAILURE
    assert CheckResult("s.py", 1, verdicts[:2], require_all=True).exit_status is ExitStatus.OK


def test_a_load_error_is_a_usage_error() -> None:
    assert CheckResult("s.py", 1, load_error=LoadProblem("bad")).exit_status is ExitStatus.USAGE


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([Status.PASSED, Status.PASSED], Status.PASSED),
        ([Status.PASSED, Status.FAILED, Status.ERROR], Status.ERROR),
        ([Status.FAILED, Status.SKIPPED], Status.FAILED),
        ([Status.NOT_IMPLEMENTED] * 3, Status.NOT_IMPLEMENTED),
        ([Status.PASSED, Status.NOT_IMPLEMENTED], Status.FAILED),  # attempted, and not passed
        ([Status.NOT_ATTEMPTED] * 2, Status.NOT_ATTEMPTED),
    ],
    ids=["passed", "error-first", "failed-over-skipped", "untouched", "partly-implemented", "not-defined"],
)
def test_exercise_status(statuses: list[Status], expected: Status) -> None:
    assert exercise_status([_v(s) for s in statuses]) is expected


def test_score_sums_points() -> None:
    result = CheckResult("s.py", 1, [_v(Status.PASSED), _v(Status.FAILED), _v(Status.PASSED, "causal_mask")])
    assert (result.score, result.max_score) == (2, 3) and result.exercise_names() == ["softmax", "causal_mask"]


def test_speed_passes_unless_the_cache_recomputes_even_with_a_constant_overhead() -> None:
    from tests.check.test_report import SPEED

    slow = replace(SPEED, user_seconds=0.4)  # 10x the reference cache's time: a constant overhead
    assert SPEED.passed and slow.passed and slow.overhead_per_step_us == pytest.approx((0.4 - 0.04) / 256 * 1e6)
    assert not replace(SPEED, recomputes=True).passed


def _built_on(*statuses: tuple[str, Status]) -> CheckResult:
    from quiz.check.registry import builtin

    specs = builtin().specs()
    return CheckResult("s.py", 1, [_v(status, name) for name, status in statuses],
                       specs={name: specs[name] for name, _ in statuses})


@pytest.mark.parametrize(("statuses", "exercise", "expected"), [
    ([("scaled_dot_product_attention", Status.FAILED), ("multi_head_attention", Status.FAILED)],
     "multi_head_attention", ["scaled_dot_product_attention"]),
    ([("scaled_dot_product_attention", Status.ERROR), ("multi_head_attention", Status.TIMEOUT)],
     "multi_head_attention", ["scaled_dot_product_attention"]),
    ([("softmax", Status.FAILED), ("scaled_dot_product_attention", Status.FAILED),
      ("multi_head_attention", Status.FAILED)], "multi_head_attention", ["softmax", "scaled_dot_product_attention"]),
    ([("softmax", Status.FAILED), ("scaled_dot_product_attention", Status.PASSED),
      ("multi_head_attention", Status.FAILED)], "multi_head_attention", []),  # not through one that passed
    ([("scaled_dot_product_attention", Status.FAILED), ("multi_head_attention", Status.PASSED)],
     "multi_head_attention", []),  # it passed: nothing to blame
    ([("scaled_dot_product_attention", Status.NOT_IMPLEMENTED), ("multi_head_attention", Status.FAILED)],
     "multi_head_attention", []),  # not implemented is not failed
    ([("softmax", Status.FAILED), ("multi_head_attention", Status.FAILED)],
     "multi_head_attention", []),  # softmax only through scaled_dot_product_attention, which did not run
    ([("scaled_dot_product_attention", Status.FAILED), ("grouped_query_attention", Status.FAILED)],
     "grouped_query_attention", ["scaled_dot_product_attention"]),
    ([("causal_mask", Status.FAILED), ("kv_cache", Status.ERROR), ("decode_step", Status.FAILED)],
     "decode_step", ["causal_mask", "kv_cache"]),
    ([("softmax", Status.FAILED), ("causal_mask", Status.FAILED)], "causal_mask", []),  # builds on nothing
], ids=["failed", "error-and-timeout", "both-in-order", "through-a-passed-one", "it-passed", "not-implemented",
        "not-run-in-between", "gqa", "decode-step", "independent"])
def test_failed_prerequisites_only_what_it_builds_on_and_failed_in_this_check(
        statuses: list[tuple[str, Status]], exercise: str, expected: list[str]) -> None:
    assert _built_on(*statuses).failed_prerequisites(exercise) == expected
