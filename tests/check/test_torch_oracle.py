"""PyTorch as an outside oracle: the checker's answers and the gallery's verdicts, judged by torch.

Everything the checker calls "expected" comes from its own NumPy oracles (quiz/check/references.py
and each exercise's module), and the third-party gallery's passing verdicts are confirmed by an
einsum oracle in test_third_party_gallery.py. Both were written by us; here PyTorch's own operators
(softmax, scaled_dot_product_attention with enable_gqa, nn.MultiheadAttention, autograd) judge
them. PyTorch is a test-only extra (`pip install -e '.[oracle]'`; on this machine kind
`pip install torch==2.13.0` takes the CPU wheel on disk): without it these tests skip, saying so.
"""

from __future__ import annotations

import numpy as np
import pytest

from quiz.check import references as ref
from quiz.check.registry import builtin
from tests.check.test_third_party_gallery import EXPECTED, _load

torch = pytest.importorskip(
    "torch", reason="PyTorch is the optional outside oracle: pip install -e '.[oracle]' (not in the test extra: "
                    "it is large, and the einsum oracle covers CI)")
F = torch.nn.functional

RNG = np.random.default_rng(20261201)
TOL = {np.float64: dict(rtol=1e-9, atol=1e-10), np.float32: dict(rtol=1e-4, atol=1e-5)}


def _t(a: np.ndarray):
    return torch.from_numpy(np.ascontiguousarray(a))


def _close(got, expected, dtype=np.float64) -> None:
    expected = expected.detach().numpy() if hasattr(expected, "detach") else expected
    assert got.shape == expected.shape, (got.shape, expected.shape)
    np.testing.assert_allclose(got, expected, **TOL[dtype])


def _torch_mha(x, w_q, w_k, w_v, w_o, n_heads, allowed=None):
    """nn.MultiheadAttention loaded with the same weights (it computes x @ W.T, so the transposes)."""
    d = x.shape[-1]
    layer = torch.nn.MultiheadAttention(d, n_heads, bias=False, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        layer.in_proj_weight.copy_(_t(np.concatenate([w_q.T, w_k.T, w_v.T])))
        layer.out_proj.weight.copy_(_t(w_o.T))
        blocked = None if allowed is None else _t(~allowed)  # torch: True = may NOT attend
        out, _ = layer(_t(x), _t(x), _t(x), attn_mask=blocked, need_weights=False)
    return out


def _weights(d_in, d_out):
    return RNG.standard_normal((d_in, d_out)) / np.sqrt(d_in)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_agrees_with_torch(dtype) -> None:
    x = (RNG.standard_normal((3, 4, 5)) * 3).astype(dtype)
    x[1] *= 1000  # rows of very different magnitude
    x[0, 0, 1] = -np.inf
    for axis in (-1, 0, 1):
        _close(builtin()["softmax"].oracle(x, axis=axis), torch.softmax(_t(x), dim=axis), dtype)


def test_causal_mask_agrees_with_torch_for_square_and_end_aligned_for_decoding() -> None:
    square = ref.causal_mask(6)
    assert np.array_equal(square, np.tril(np.ones((6, 6), dtype=bool)))
    q, k, v = (_t(RNG.standard_normal((1, 2, 6, 4))) for _ in range(3))
    _close(ref.scaled_dot_product_attention(q.numpy(), k.numpy(), v.numpy(), square),
           F.scaled_dot_product_attention(q, k, v, is_causal=True))
    # 2 new queries over 5 keys: the new rows are the last two rows of the square mask (torch's
    # is_causal aligns top-left instead, which is the wrong mask for decoding after a prefix)
    assert np.array_equal(ref.causal_mask(2, 5), np.tril(np.ones((5, 5), dtype=bool))[-2:])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_scaled_dot_product_attention_agrees_with_torch(dtype) -> None:
    q = RNG.standard_normal((2, 3, 5, 4)).astype(dtype)
    k = RNG.standard_normal((2, 3, 7, 4)).astype(dtype)
    v = RNG.standard_normal((2, 3, 7, 6)).astype(dtype)  # dv != d
    allowed = RNG.random((5, 7)) < 0.6
    allowed[:, 0] = True  # every row keeps a key: torch gives NaN for a row with none
    oracle = builtin()["scaled_dot_product_attention"].oracle
    for mask in (None, allowed):
        expected = F.scaled_dot_product_attention(_t(q), _t(k), _t(v), attn_mask=None if mask is None else _t(mask))
        _close(oracle(q, k, v, mask), expected, dtype)


def test_multi_head_attention_agrees_with_torch_multihead_attention() -> None:
    d, heads = 12, 3
    x = RNG.standard_normal((2, 6, d))
    ws = [_weights(d, d) for _ in range(4)]
    oracle = builtin()["multi_head_attention"].oracle
    for mask in (None, ref.causal_mask(6)):
        _close(oracle(x, *ws, heads, mask), _torch_mha(x, *ws, heads, mask))


@pytest.mark.parametrize(("n_heads", "n_kv_heads"), [(4, 2), (6, 1), (4, 4)])
def test_grouped_query_attention_agrees_with_torch_enable_gqa(n_heads, n_kv_heads) -> None:
    hd, length = 3, 6
    d = n_heads * hd
    x = RNG.standard_normal((2, length, d))
    w_q, w_k, w_v, w_o = _weights(d, d), _weights(d, n_kv_heads * hd), _weights(d, n_kv_heads * hd), _weights(d, d)
    q, k, v = (_t(ref.split_heads(x @ w, h)) for w, h in ((w_q, n_heads), (w_k, n_kv_heads), (w_v, n_kv_heads)))
    for causal in (False, True):
        heads = F.scaled_dot_product_attention(q, k, v, is_causal=causal, enable_gqa=True)
        expected = ref.merge_heads(heads.numpy()) @ w_o
        got = builtin()["grouped_query_attention"].oracle(x, w_q, w_k, w_v, w_o, n_heads, n_kv_heads,
                                                          ref.causal_mask(length) if causal else None)
        _close(got, expected)


def test_decode_step_oracle_agrees_with_torch_over_the_whole_prefix() -> None:
    d, heads = 12, 3
    x = RNG.standard_normal((2, 9, d))
    ws = [_weights(d, d) for _ in range(4)]
    full = _torch_mha(x, *ws, heads, ref.causal_mask(9))
    for new in (1, 3):
        _close(builtin()["decode_step"].oracle(x, new, *ws, heads), full[:, -new:])
    cache, outputs = ref.KVCache(capacity=2), []
    for start, stop in ((0, 4), (4, 5), (5, 7), (7, 9)):  # a prefix, then chunks, through the cache
        outputs.append(ref.decode_step(x[:, start:stop], cache, *ws, heads))
    _close(np.concatenate(outputs, axis=1), full)


@pytest.mark.parametrize("causal", [False, True])
def test_flash_attention_agrees_with_torch(causal) -> None:
    q, k = RNG.standard_normal((2, 70, 8)), RNG.standard_normal((2, 70, 8))
    v = RNG.standard_normal((2, 70, 5))
    expected = F.scaled_dot_product_attention(_t(q), _t(k), _t(v), is_causal=causal)
    _close(builtin()["flash_attention"].oracle(q, k, v, block_size=16, causal=causal), expected)
    _close(ref.flash_attention(q, k, v, block_size=16, causal=causal), expected)


@pytest.mark.parametrize("causal", [False, True])
def test_attention_backward_agrees_with_torch_autograd(causal) -> None:
    q, k = RNG.standard_normal((2, 4, 5)), RNG.standard_normal((2, 6, 5))
    v, d_out = RNG.standard_normal((2, 6, 3)), RNG.standard_normal((2, 4, 3))
    tq, tk, tv = (_t(a).requires_grad_() for a in (q, k, v))
    allowed = _t(ref.causal_mask(4, 6)) if causal else None
    F.scaled_dot_product_attention(tq, tk, tv, attn_mask=allowed).backward(_t(d_out))
    got = builtin()["attention_backward"].oracle(q, k, v, d_out, causal=causal)
    for mine, theirs in zip(got, (tq.grad, tk.grad, tv.grad)):
        _close(mine, theirs)


def _gallery_against_torch(name: str, exercise: str) -> None:
    module = _load(name)
    d, heads = 12, 3
    x = RNG.standard_normal((2, 6, d))
    ws = [_weights(d, d) for _ in range(4)]
    if exercise == "softmax":
        y = RNG.standard_normal((3, 4, 5)) * 3
        y[1] *= 1000
        for axis in (-1, 0, 1):
            _close(module.softmax(y, axis=axis), torch.softmax(_t(y), dim=axis))
    elif exercise == "multi_head_attention":
        for mask in (None, ref.causal_mask(6)):
            _close(module.multi_head_attention(x, *ws, heads, mask), _torch_mha(x, *ws, heads, mask))
    elif exercise == "grouped_query_attention":  # with as many kv heads as query heads, GQA is MHA
        _close(module.grouped_query_attention(x, *ws, heads, heads, ref.causal_mask(6)),
               _torch_mha(x, *ws, heads, ref.causal_mask(6)))
    elif exercise == "decode_step":
        full, cache, end = _torch_mha(x, *ws, heads, ref.causal_mask(6)), module.KVCache(), 0
        for new in (3, 1, 2):
            _close(module.decode_step(x[:, end:end + new], cache, *ws, heads), full[:, end:end + new])
            end += new
    else:
        raise AssertionError(f"no torch oracle for {exercise}")


PASSING = [(n, e) for n in sorted(EXPECTED) for e, entry in EXPECTED[n].items() if entry["status"] == "passed"]


@pytest.mark.parametrize(("name", "exercise"), PASSING, ids=[f"{n}:{e}" for n, e in PASSING])
def test_every_gallery_pass_is_true_by_torch(name: str, exercise: str) -> None:
    _gallery_against_torch(name, exercise)


@pytest.mark.parametrize(("name", "exercise"), [
    ("picogpt_softmax.py", "softmax"),  # ignores its axis argument
    ("picogpt_mha.py", "multi_head_attention"),  # always causal
    ("rasbt_square_mask_decode.py", "decode_step"),  # the square mask breaks chunks after a prefix
    ("metallama_square_mask_decode.py", "decode_step"),
    ("pytorch_llama_decode.py", "decode_step"),  # no mask at all
])
def test_torch_also_fails_the_documented_bugs(name: str, exercise: str) -> None:
    with pytest.raises((AssertionError, ValueError)):
        _gallery_against_torch(name, exercise)
