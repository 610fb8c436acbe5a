"""The third-party gallery: real implementations from public repositories get their true verdict.

Each file in tests/third_party_gallery/ is adapted from a public repository with the thinnest
wrapper (its header names the repository, file and commit, and why its verdict is what it is).
Two things are checked: that ``attnquiz check`` gives the verdict and names the mistake written
in expected.yaml, and, independently of the checker and its references, that every exercise
expected to pass really does match an oracle written here with einsum and explicit loops.
Where the checker does not yet say the truth, expected.yaml names the gap and the test is a
strict xfail: it starts failing (and must be turned back into a plain test) once the gap closes.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import yaml

from quiz.check.runner import CheckOptions, run_check
from quiz.check.verdicts import Status, exercise_status
from tests.conftest import REPO

GALLERY = REPO / "tests" / "third_party_gallery"
EXPECTED: dict[str, dict[str, dict]] = yaml.safe_load((GALLERY / "expected.yaml").read_text(encoding="utf-8"))
CASES = [(name, exercise) for name in sorted(EXPECTED) for exercise in EXPECTED[name]]
IDS = [f"{name}:{exercise}" for name, exercise in CASES]


def test_every_file_has_expectations_an_origin_and_a_verdict() -> None:
    files = {path.name for path in GALLERY.glob("*.py")}
    assert files == set(EXPECTED)
    assert len(files) >= 15
    for name in files:
        header = (GALLERY / name).read_text(encoding="utf-8").split('"""')[1]
        assert "Origin: https://github.com/" in header and "commit " in header, name
        assert "True verdict:" in header and "Adapted:" in header, name


def test_the_gallery_has_right_and_wrong_implementations_of_every_kind() -> None:
    statuses = {entry["status"] for exercises in EXPECTED.values() for entry in exercises.values()}
    assert {"passed", "failed", "error"} <= statuses
    exercises = {exercise for entries in EXPECTED.values() for exercise in entries}
    assert {"softmax", "causal_mask", "scaled_dot_product_attention", "multi_head_attention",
            "grouped_query_attention", "kv_cache", "decode_step", "flash_attention"} <= exercises


def _params() -> list:
    params = []
    for (name, exercise), case_id in zip(CASES, IDS):
        gap = EXPECTED[name][exercise].get("gap")
        marks = [pytest.mark.xfail(strict=True, reason=gap)] if gap else []
        params.append(pytest.param(name, exercise, id=case_id, marks=marks))
    return params


@pytest.mark.slow
@pytest.mark.parametrize(("name", "exercise"), _params())
def test_the_checker_gives_the_true_verdict(name: str, exercise: str) -> None:
    entry = EXPECTED[name][exercise]
    result = run_check(GALLERY / name, CheckOptions(seed=7, exercises=(exercise,)))
    verdicts = result.for_exercise(exercise)
    found = [(v.test, v.status.value, v.diagnosis, v.message) for v in verdicts]
    assert exercise_status(verdicts) is Status(entry["status"]), found
    by_test = {v.test: v for v in verdicts}
    for test, mistake in entry.get("diagnosis", {}).items():
        assert test in by_test, found
        assert by_test[test].status is not Status.PASSED, found
        assert by_test[test].diagnosis == mistake, found


# --- the independent oracle: not quiz/check/references.py, and computed another way ---


def _softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.exp(x - np.logaddexp.reduce(x, axis=axis, keepdims=True))


def _attention(q, k, v, allowed=None):
    scores = np.einsum("...qd,...kd->...qk", q, k) / np.sqrt(q.shape[-1])
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)
    weights = _softmax(scores)
    return np.einsum("...qk,...kd->...qd", np.nan_to_num(weights), v)


def _heads_attention(x, w_q, w_k, w_v, w_o, n_heads, n_kv_heads, allowed=None):
    hd = x.shape[-1] // n_heads
    group = n_heads // n_kv_heads
    q, k, v = x @ w_q, x @ w_k, x @ w_v
    outputs = []
    for h in range(n_heads):
        kv = h // group
        cols, kv_cols = slice(h * hd, (h + 1) * hd), slice(kv * hd, (kv + 1) * hd)
        outputs.append(_attention(q[..., cols], k[..., kv_cols], v[..., kv_cols], allowed))
    return np.concatenate(outputs, axis=-1) @ w_o


def _causal(lq: int, lk: int) -> np.ndarray:
    return np.arange(lk)[None, :] <= np.arange(lq)[:, None] + (lk - lq)


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"third_party_{name[:-3]}", GALLERY / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _close(got, expected) -> None:
    assert got.dtype == expected.dtype and got.shape == expected.shape
    tol = {np.float64: 1e-9, np.float32: 1e-5}[expected.dtype.type]
    np.testing.assert_allclose(got, expected, rtol=100 * tol, atol=tol)


def _oracle_softmax(module: ModuleType, rng: np.random.Generator) -> None:
    for dtype in (np.float64, np.float32):
        x = (rng.standard_normal((3, 4, 5)) * 3).astype(dtype)
        x[0, 0, 1] = -np.inf
        x[1] *= 1000  # rows of very different magnitude
        for axis in (-1, 0, 1):
            before = x.copy()
            _close(module.softmax(x, axis=axis), _softmax(x, axis).astype(dtype))
            assert np.array_equal(x, before)


def _weights(rng, d_in, d_out):
    return rng.standard_normal((d_in, d_out)) / np.sqrt(d_in)


def _oracle_gqa(module: ModuleType, rng: np.random.Generator, mha: bool = False) -> None:
    for n_heads, n_kv_heads in ((4, 4), (2, 2)) if mha else ((4, 2), (6, 1), (4, 4)):
        hd, length = 3, 6
        d = n_heads * hd
        x = rng.standard_normal((2, length, d))
        ws = [_weights(rng, d, d), _weights(rng, d, n_kv_heads * hd), _weights(rng, d, n_kv_heads * hd),
              _weights(rng, d, d)]
        for mask in (None, _causal(length, length)):
            expected = _heads_attention(x, *ws, n_heads, n_kv_heads, mask)
            got = (module.multi_head_attention(x, *ws, n_heads, mask) if mha
                   else module.grouped_query_attention(x, *ws, n_heads, n_kv_heads, mask))
            _close(got, expected)


def _oracle_decode(module: ModuleType, rng: np.random.Generator) -> None:
    n_heads, hd = 3, 4
    d = n_heads * hd
    for chunks in ([1, 1, 1, 1], [4, 1, 1], [3, 2, 1, 3]):
        x = rng.standard_normal((2, sum(chunks), d))
        ws = [_weights(rng, d, d) for _ in range(4)]
        cache, end = module.KVCache(), 0
        for new in chunks:
            got = module.decode_step(x[:, end:end + new], cache, *ws, n_heads)
            end += new
            full = _heads_attention(x[:, :end], *ws, n_heads, n_heads, _causal(end, end))
            _close(got, full[:, -new:])


ORACLES = {
    "softmax": _oracle_softmax,
    "multi_head_attention": lambda module, rng: _oracle_gqa(module, rng, mha=True),
    "grouped_query_attention": _oracle_gqa,
    "decode_step": _oracle_decode,
}
PASSING = [(name, exercise) for name, exercise in CASES if EXPECTED[name][exercise]["status"] == "passed"]


@pytest.mark.parametrize(("name", "exercise"), PASSING, ids=[f"{n}:{e}" for n, e in PASSING])
def test_a_passing_verdict_is_true_by_an_independent_oracle(name: str, exercise: str) -> None:
    ORACLES[exercise](_load(name), np.random.default_rng(20261201))


def test_the_oracle_catches_the_documented_bugs() -> None:
    """The oracle is not blind: the pre-fix versions of the same code fail it."""
    rng = np.random.default_rng(1)
    for name in ("rasbt_square_mask_decode.py", "metallama_square_mask_decode.py", "pytorch_llama_decode.py"):
        with pytest.raises((AssertionError, ValueError)):
            _oracle_decode(_load(name), rng)
    with pytest.raises(AssertionError):
        _oracle_softmax(_load("picogpt_softmax.py"), rng)
    with pytest.raises(AssertionError):
        _oracle_gqa(_load("picogpt_mha.py"), rng, mha=True)
