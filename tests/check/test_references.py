"""The hidden references: the formulas themselves, checked against each other and against loops."""

from __future__ import annotations

import numpy as np
import pytest

from quiz.check import references as ref

DTYPES = [np.float32, np.float64]


def _rng() -> np.random.Generator:
    return np.random.default_rng(2024)


def _mha_args(rng: np.random.Generator, dtype=np.float64, batch=2, length=7, heads=4, hd=3):
    d = heads * hd
    x = rng.standard_normal((batch, length, d)).astype(dtype)
    return x, *(rng.standard_normal((d, d)).astype(dtype) / d ** 0.5 for _ in range(4)), heads


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_every_function_keeps_the_input_dtype(dtype: type) -> None:
    rng = _rng()
    x, w_q, w_k, w_v, w_o, heads = _mha_args(rng, dtype)
    q = x.reshape(2, 7, 4, 3)
    assert ref.softmax(x).dtype == dtype
    assert ref.scaled_dot_product_attention(q, q, q, ref.causal_mask(4)).dtype == dtype
    assert ref.multi_head_attention(x, w_q, w_k, w_v, w_o, heads).dtype == dtype
    assert ref.grouped_query_attention(x, w_q, w_k[:, :6], w_v[:, :6], w_o, heads, 2).dtype == dtype
    assert ref.flash_attention(q, q, q, block_size=2, causal=True).dtype == dtype
    assert ref.decode_step(x, ref.KVCache(), w_q, w_k, w_v, w_o, heads).dtype == dtype


def test_softmax_is_stable_and_gives_minus_inf_probability_zero() -> None:
    x = np.array([[1e4, -1e4, 0.0, -np.inf], [-1e4, -1e4, -1e4, -1e4]])
    p = ref.softmax(x)
    assert np.isfinite(p).all() and np.allclose(p.sum(axis=-1), 1)
    assert p[0, 3] == 0 and p[0, 0] == 1 and np.allclose(p[1], 0.25)
    assert np.allclose(ref.softmax(x.T, axis=0), p.T)


@pytest.mark.parametrize(("lq", "lk"), [(4, None), (1, 6), (3, 7), (5, 2)], ids=["square", "one", "decode", "more-q"])
def test_causal_mask_is_tril_aligned_to_the_end(lq: int, lk: int | None) -> None:
    width = lq if lk is None else lk
    expected = np.tril(np.ones((lq, width), dtype=bool), k=width - lq)
    assert np.array_equal(ref.causal_mask(lq, lk), expected) and ref.causal_mask(lq, lk).dtype == np.bool_


def test_attention_equals_a_loop_over_queries_and_gives_zero_rows_for_no_key() -> None:
    rng = _rng()
    q, k, v = rng.standard_normal((3, 4)), rng.standard_normal((5, 4)), rng.standard_normal((5, 2))
    mask = np.array([[1, 0, 1, 1, 0], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1]], dtype=bool)
    out = ref.scaled_dot_product_attention(q, k, v, mask)
    for i in range(3):
        allowed = np.flatnonzero(mask[i])
        if allowed.size == 0:
            assert np.array_equal(out[i], np.zeros(2))
            continue
        scores = np.array([q[i] @ k[j] / 2.0 for j in allowed])
        weights = np.exp(scores - scores.max()) / np.exp(scores - scores.max()).sum()
        assert np.allclose(out[i], weights @ v[allowed])


@pytest.mark.parametrize("block", [1, 5, 16, 100], ids=["block1", "block5", "block16", "block-bigger"])
@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
def test_flash_attention_equals_attention(block: int, causal: bool) -> None:
    rng = _rng()
    q, k, v = (rng.standard_normal((2, 3, 37, d)) for d in (8, 8, 5))
    mask = ref.causal_mask(37) if causal else None
    assert np.allclose(ref.flash_attention(q, k, v, block, causal), ref.scaled_dot_product_attention(q, k, v, mask))


def test_decoding_with_the_cache_matches_one_full_causal_pass() -> None:
    """minGPT's check: prefill, then one token at a time, each step equal to the full pass's rows."""
    rng = _rng()
    x, w_q, w_k, w_v, w_o, heads = _mha_args(rng, length=9)
    full = ref.multi_head_attention(x, w_q, w_k, w_v, w_o, heads, ref.causal_mask(9))
    cache = ref.KVCache(capacity=2)  # small, so it has to grow
    steps = [ref.decode_step(x[:, :4], cache, w_q, w_k, w_v, w_o, heads)]
    steps += [ref.decode_step(x[:, i:i + 1], cache, w_q, w_k, w_v, w_o, heads) for i in range(4, 9)]
    assert np.allclose(np.concatenate(steps, axis=1), full) and len(cache) == 9
    assert np.allclose(ref.recompute_last(x, w_q, w_k, w_v, w_o, heads), full[:, -1:])


def test_grouped_query_attention_with_as_many_kv_heads_is_mha_and_with_one_repeats_it() -> None:
    rng = _rng()
    x, w_q, w_k, w_v, w_o, heads = _mha_args(rng)
    mha = ref.multi_head_attention(x, w_q, w_k, w_v, w_o, heads)
    assert np.allclose(ref.grouped_query_attention(x, w_q, w_k, w_v, w_o, heads, heads), mha)
    one_k, one_v = w_k[:, :3], w_v[:, :3]  # a single kv head of width hd = 3
    mqa = ref.grouped_query_attention(x, w_q, one_k, one_v, w_o, heads, 1)
    tiled = ref.multi_head_attention(x, w_q, np.tile(one_k, (1, heads)), np.tile(one_v, (1, heads)), w_o, heads)
    assert np.allclose(mqa, tiled)


def test_address_space_is_reported_in_bytes() -> None:
    size = ref.address_space_bytes()
    assert isinstance(size, int) and size > 10 << 20
