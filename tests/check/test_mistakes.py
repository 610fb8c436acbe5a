"""The catalogue of wrong variants: each really is wrong, and errors can name a mistake too."""

from __future__ import annotations

import numpy as np
import pytest

from quiz.check import references as ref
from quiz.check.registry import builtin


def _inputs() -> dict[str, tuple[tuple, dict]]:
    """One set of arguments per exercise on which every one of its variants differs from the oracle."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, 6, 8))
    w = [rng.standard_normal((8, 8)) / 8 ** 0.5 for _ in range(4)]
    mask = ref.causal_mask(6)
    q, k, v = rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 7, 4)), rng.standard_normal((2, 7, 6))
    sdpa_mask = ref.causal_mask(5, 7)
    sdpa_mask[1] = False  # a row with no key
    chunks = [rng.standard_normal((1, 2, n, 3)) for n in (2, 2)]
    fq, fk, fv = (rng.standard_normal((1, 40, d)) for d in (4, 4, 5))
    return {
        "softmax": ((rng.standard_normal((3, 4, 5)) * 3,), {"axis": 1}),
        "causal_mask": ((3, 6), {}),
        "scaled_dot_product_attention": ((q, k, v, sdpa_mask), {}),
        "multi_head_attention": ((x, *w, 4, mask), {}),
        "kv_cache": ((chunks, [c + 1 for c in chunks]), {}),
        "decode_step": ((x, 3, *w, 4), {}),
        "grouped_query_attention": ((x, w[0], w[1][:, :4], w[2][:, :4], w[3], 4, 2, mask), {}),
        "flash_attention": ((fq * 3, fk * 3, fv), {"block_size": 16, "causal": True}),
        **_serving_inputs(rng),
    }


def _serving_inputs(rng: np.random.Generator) -> dict[str, tuple[tuple, dict]]:
    """The serving exercises' (their main function's arguments)."""
    from quiz.check.exercises import speculative_verify as spec

    normal = rng.standard_normal
    k_buf = np.zeros((1, 2, 4, 3))
    k_buf[:, :, :2] = normal((1, 2, 2, 3))  # positions 0 and 1 written, slots 2 and 3 still empty
    tokens, q_draft, logits = spec._draft(rng, 60, 3, 6)
    logits[:30, :3] = np.log(q_draft[:30])  # half the rows accept every draft: the bonus token shows
    mla = [normal(shape) / 4 for shape in [(8, 10), (10, 6), (10, 6), (8, 4), (8, 6), (8, 8), (6, 8)]]
    parents = np.array([[2, 0, 0], [1, 1, 0]])  # repeated parents, and row-by-row copying shows
    return {
        "rope": ((normal((2, 3, 5, 8)), np.arange(3, 8)), {"base": 500000.0}),
        "sliding_window_cache": ((*(normal((1, 2, 4, 3)) for _ in range(3)), k_buf, k_buf + 1, 2), {}),
        "speculative_verify": ((tokens, q_draft, logits, rng.random((60, 3)), rng.random(60)), {}),
        "attention_backward": ((normal((2, 4, 5)), normal((2, 6, 5)), normal((2, 6, 3)), normal((2, 4, 3))),
                               {"causal": True}),
        "mla_decode": ((normal((1, 2, 8)), normal((1, 3, 10)), normal((1, 3, 4)), *mla, 2), {}),
        "beam_reorder": ((normal((2, 6, 6, 2, 3)), normal((2, 6, 6, 2, 3)), parents), {}),
        "linear_attention": ((normal((1, 2, 6, 3)), normal((1, 2, 6, 3)), normal((1, 2, 6, 4))), {}),
    }


VARIANTS = [(exercise.id, mistake) for exercise in builtin()
            for mistake, variant in exercise.variants.items() if variant is not None]


@pytest.mark.parametrize(("exercise", "mistake"), VARIANTS, ids=[f"{e}-{m}" for e, m in VARIANTS])
def test_every_variant_differs_from_the_right_answer(exercise: str, mistake: str) -> None:
    args, kwargs = _inputs()[exercise]
    if (exercise, mistake) == ("softmax", "no_max_shift"):
        args = (args[0] * 1e3,)  # only large logits show it
    if (exercise, mistake) == ("multi_head_attention", "causal_without_mask"):
        args = args[:-1]  # it differs only when no mask is given
    if (exercise, mistake) == ("softmax", "global_max"):
        args = (args[0] * np.array([1e3, 1.0, 1.0])[:, None, None],)  # only rows far below the largest show it
    expected = builtin()[exercise].oracle(*args, **kwargs)
    outputs = dict(builtin()[exercise].candidates(args, kwargs))
    assert mistake in outputs, "the variant does not apply to these inputs"
    found = [output for name, output in builtin()[exercise].candidates(args, kwargs) if name == mistake]
    for output in found:
        parts = output if isinstance(output, tuple) else (output,)
        wants = expected if isinstance(expected, tuple) else (expected,)
        with np.errstate(invalid="ignore"):
            assert any(p.shape != e.shape or not np.allclose(p, e, equal_nan=False) for p, e in zip(parts, wants))


def test_variants_that_do_not_apply_are_left_out() -> None:
    q = np.ones((1, 3, 4))
    names = [name for name, _ in builtin()["scaled_dot_product_attention"].candidates((q, q, q), {})]
    assert "mask_inverted" not in names and "scale_by_dv" not in names and "no_scale" in names


@pytest.mark.parametrize(
    ("exercise", "message", "mistake"),
    [
        ("kv_cache", "all the input array dimensions except for the concatenation axis must match exactly, but "
                     "along dimension 2, the array at index 0 has size 3 and the array at index 1 has size 1",
         "wrong_axis"),
        ("scaled_dot_product_attention", "matmul: Input operand 1 has a mismatch in its core dimension 0",
         "k_transposed"),
        ("softmax", "matmul: Input operand 1 has a mismatch in its core dimension 0", None),
        ("kv_cache", "name 'np' is not defined", None),
    ],
    ids=["concat-axis", "k-dot-T", "other-exercise", "other-error"],
)
def test_some_mistakes_are_recognised_by_the_error_they_raise(exercise: str, message: str,
                                                              mistake: str | None) -> None:
    assert builtin()[exercise].from_error(message) == mistake
