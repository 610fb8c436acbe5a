"""An exercise unit: comparing an answer (exact kind, shape and dtype, finite, within tolerance), naming the mistake."""

from __future__ import annotations

import numpy as np
import pytest

from quiz.check import references as ref
from quiz.check import unit as ex
from quiz.check.catalog import exercise_file
from quiz.check.registry import builtin

TOL = exercise_file().tolerance
EXPECTED = np.arange(10, dtype=np.float64).reshape(5, 2) / 10


@pytest.mark.parametrize(
    ("got", "message"),
    [
        (0.5, "returned a Python float; expected an array of shape (5, 2) and dtype float64"),
        (None, "returned None; expected an array of shape (5, 2) and dtype float64"),
        ((EXPECTED,), "returned a tuple of 1 items; expected an array of shape (5, 2) and dtype float64"),
        (EXPECTED[:1], "shape (1, 2), expected (5, 2)"),
        (EXPECTED.T.copy(), "shape (2, 5), expected (5, 2)"),
        (EXPECTED.ravel(), "shape (10,), expected (5, 2)"),
        (EXPECTED.astype(np.float32), "dtype float32, expected float64 (the output keeps the input's dtype)"),
    ],
    ids=["scalar", "none", "tuple", "one-row-broadcasts", "transposed", "flat", "dtype"],
)
def test_only_exactly_the_expected_kind_shape_and_dtype_is_accepted(got: object, message: str) -> None:
    assert ex.compare(got, EXPECTED, TOL) == (message, None)


def test_float64_for_float32_inputs_is_a_dtype_message_and_a_common_diagnosis() -> None:
    message, _ = ex.compare(EXPECTED, EXPECTED.astype(np.float32), TOL)
    assert message == "dtype float64, expected float32 (the output keeps the input's dtype)"
    assert ex.common_diagnosis(EXPECTED, EXPECTED.astype(np.float32), TOL) == ("float64_promoted", "")


def test_float32_precision_on_float64_inputs_is_named_with_enough_digits_to_see_it() -> None:
    expected = np.array([[-0.434431234567891, 0.25]])
    got = expected.astype(np.float32).astype(np.float64)  # what a softmax computed in float32 returns
    mistake, message = ex.common_diagnosis(got, expected, TOL)
    assert mistake == "float32_precision"
    assert "got -0.43443122506141663, expected -0.43443123456789101" in message and "1e-09 + 1e-07" in message
    assert ex.common_diagnosis(expected + 1e-3, expected, TOL) is None  # wrong beyond float32 too: not this


def test_non_finite_values_are_reported_with_their_first_index() -> None:
    got = EXPECTED.copy()
    got[3, 1], got[4, 0] = np.nan, np.inf
    assert ex.compare(got, EXPECTED, TOL) == ("2 of 10 values are NaN or inf; the first at index (3, 1) is nan", None)


def test_wrong_values_give_largest_errors_and_first_index() -> None:
    got = EXPECTED.copy()
    got[1, 0] += 1e-3  # expected 0.2
    got[2, 1] -= 0.25  # expected 0.5
    message, mismatch = ex.compare(got, EXPECTED, TOL)
    assert mismatch is not None and mismatch.index == (1, 0) and mismatch.count == 2 and mismatch.size == 10
    assert mismatch.max_abs == pytest.approx(0.25) and mismatch.max_rel == pytest.approx(0.5)
    assert message == ("2 of 10 values differ (largest error 0.25 absolute, 0.5 relative); first at index (1, 0): "
                       "got 0.201, expected 0.2")


@pytest.mark.parametrize(("dtype", "within", "outside"), [(np.float64, 5e-8, 5e-6), (np.float32, 5e-5, 5e-3)],
                         ids=["f64", "f32"])
def test_tolerance_depends_on_the_dtype(dtype: type, within: float, outside: float) -> None:
    expected = np.full((3,), 1.0, dtype=dtype)
    assert ex.compare(expected + dtype(within), expected, TOL) is None
    assert ex.compare(expected + dtype(outside), expected, TOL) is not None


def test_masks_compare_exactly() -> None:
    expected = ref.causal_mask(3, 5)
    got = expected.copy()
    got[0, 3] = True
    message, mismatch = ex.compare(got, expected, TOL)
    assert message == "1 of 15 entries differs; first at index (0, 3): got True, expected False"
    assert ex.compare(expected.astype(np.int64), expected, TOL)[0] == "dtype int64, expected bool (True = may attend)"


def test_pairs_of_arrays_name_the_wrong_part() -> None:
    k, v = np.zeros((1, 2, 3, 4)), np.ones((1, 2, 3, 4))
    assert ex.compare((k, v), (k, v), TOL) is None
    assert ex.compare([k, k], (k, v), TOL)[0].startswith("v: 24 of 24 values differ")
    assert ex.compare(k, (k, v), TOL)[0].startswith("returned an array of shape (1, 2, 3, 4)")


def _sdpa_inputs():
    rng = np.random.default_rng(5)
    return rng.standard_normal((2, 4, 6)), rng.standard_normal((2, 5, 6)), rng.standard_normal((2, 5, 3))


def test_diagnosis_names_the_matching_mistake() -> None:
    q, k, v = _sdpa_inputs()
    expected = ref.scaled_dot_product_attention(q, k, v)
    unscaled = ref.scaled_dot_product_attention(q * 6 ** 0.5, k, v)  # the same as not dividing by sqrt(d)
    assert builtin()["scaled_dot_product_attention"].diagnose((q, k, v), {}, unscaled, expected, TOL) == "no_scale"
    noise = expected + 0.1
    assert builtin()["scaled_dot_product_attention"].diagnose((q, k, v), {}, noise, expected, TOL) is None


def test_diagnosis_prefers_the_variant_with_the_same_nans() -> None:
    q, k, v = _sdpa_inputs()
    mask = np.ones((4, 5), dtype=bool)
    mask[1] = False
    expected = ref.scaled_dot_product_attention(q, k, v, mask)
    got = expected.copy()
    got[:, 1] = np.nan
    assert builtin()["scaled_dot_product_attention"].diagnose((q, k, v, mask), {}, got, expected, TOL) == "no_key_rows_nan"


def test_a_check_failure_carries_message_mismatch_and_diagnosis() -> None:
    q, k, v = _sdpa_inputs()
    ctx = ex.Context(exercise=builtin()["scaled_dot_product_attention"], sandbox=None, rng=np.random.default_rng(0),
                     tolerance=TOL)
    wrong = ref.scaled_dot_product_attention(q, k, v) * 0 + 1
    with pytest.raises(ex.Wrong) as caught:
        ctx.check(wrong, q, k, v, what="here")
    assert caught.value.message.startswith("here: 24 of 24 values differ") and caught.value.mismatch is not None
    ctx.check(ref.scaled_dot_product_attention(q, k, v), q, k, v)  # the right answer passes


def test_every_test_in_the_yaml_has_a_function_and_every_function_a_yaml_entry() -> None:
    for exercise in builtin():
        assert sorted(test.id for test in exercise.spec.tests) == sorted(exercise.tests), exercise.id


def test_a_unit_whose_tests_do_not_match_its_spec_is_refused() -> None:
    softmax = builtin()["softmax"]
    with pytest.raises(AssertionError, match="axis"):
        ex.Exercise(spec=softmax.spec, oracle=softmax.oracle, tests={k: f for k, f in softmax.tests.items() if k != "axis"})
    with pytest.raises(AssertionError, match="made_up"):
        ex.Exercise(spec=softmax.spec, oracle=softmax.oracle, tests=softmax.tests, variants={"made_up": None})


def test_the_registry_is_a_value_two_registries_do_not_share_exercises() -> None:
    base = builtin()
    softmax = base["softmax"]
    renamed = ex.Exercise(spec=softmax.spec.model_copy(update={"id": "softmax_again"}), oracle=softmax.oracle,
                          tests=softmax.tests)
    extended = base.with_exercises([renamed], named=["softmax_again"])
    assert "softmax_again" in extended and "softmax_again" not in base and "softmax_again" not in builtin()
    assert extended.named == ("softmax_again",) and base.named == ()
