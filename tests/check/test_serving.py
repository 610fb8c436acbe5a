"""The serving exercises' own references, against naive implementations, finite differences and statistics.

Each reference lives in its exercise's module (quiz/check/exercises/<id>.py); these tests check it
against a second implementation written another way (a loop, complex numbers, an L x L matrix),
so that a wrong reference cannot make a right solution fail.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from quiz.check.exercises import attention_backward as backward
from quiz.check.exercises import beam_reorder as beam
from quiz.check.exercises import linear_attention as linear
from quiz.check.exercises import mla_decode as mla
from quiz.check.exercises import paged_kv_cache as paged
from quiz.check.exercises import rope
from quiz.check.exercises import sliding_window_cache as swa
from quiz.check.exercises import speculative_verify as spec
from quiz.check.exercises.speculative_verify import chi2_sf

rng = np.random.default_rng(0)


def test_chi2_sf_known_values():
    assert chi2_sf(3.841458820694124, 1) == pytest.approx(0.05, rel=1e-9)
    assert chi2_sf(11.070497693516351, 5) == pytest.approx(0.05, rel=1e-9)
    assert chi2_sf(9.487729036781154, 4) == pytest.approx(0.05, rel=1e-9)


# rope


def naive_rope_interleaved(x, positions, base=10000.0):
    d = x.shape[-1]
    pairs = x[..., 0::2] + 1j * x[..., 1::2]  # complex number per pair, as Meta's llama does
    theta = np.array([base ** (-2 * i / d) for i in range(d // 2)])
    rotated = pairs * np.exp(1j * np.asarray(positions)[:, None] * theta)
    out = np.empty_like(x)
    out[..., 0::2], out[..., 1::2] = rotated.real, rotated.imag
    return out


@pytest.mark.parametrize("base", [10000.0, 500000.0])
def test_rope_interleaved_is_the_complex_rotation(base):
    x = rng.standard_normal((2, 3, 7, 8))
    pos = np.arange(5, 12)
    assert np.allclose(rope.apply_rope(x, pos, base, interleaved=True), naive_rope_interleaved(x, pos, base))


def test_rope_half_split_is_interleaved_on_permuted_dims():
    d = 10
    x = rng.standard_normal((2, 6, d))
    pos = np.arange(6) * 3
    perm = np.stack([np.arange(d // 2), np.arange(d // 2) + d // 2], axis=1).reshape(-1)  # (0, d/2, 1, d/2+1, ...)
    inter = rope.apply_rope(x[..., perm], pos, interleaved=True)
    half = rope.apply_rope(x, pos, interleaved=False)
    assert np.allclose(half[..., perm], inter)


@pytest.mark.parametrize("interleaved", [False, True])
def test_rope_scores_depend_on_relative_position_only(interleaved):
    q, k = rng.standard_normal(8), rng.standard_normal(8)
    def s(m, n):
        return (rope.apply_rope(q[None], [m], interleaved=interleaved)[0]
                @ rope.apply_rope(k[None], [n], interleaved=interleaved)[0])
    assert s(7, 3) == pytest.approx(s(104, 100))
    assert s(0, 0) == pytest.approx(q @ k)


def test_rope_attention_in_chunks_equals_one_pass():
    b, h, d, dv = 2, 3, 8, 5
    total = 9
    q, k = rng.standard_normal((b, h, total, d)), rng.standard_normal((b, h, total, d))
    v = rng.standard_normal((b, h, total, dv))
    pos = np.arange(total)
    full = rope.attention(rope.apply_rope(q, pos), rope.apply_rope(k, pos), v, rope.causal_mask(total, total))
    kc, vc, end = np.zeros((b, h, 0, d)), np.zeros((b, h, 0, dv)), 0
    for new in [3, 1, 2, 1, 2]:
        out, k_rot = rope.rope_attention(q[:, :, end:end + new], k[:, :, end:end + new], v[:, :, end:end + new], kc, vc)
        assert np.allclose(out, full[:, :, end:end + new])
        assert np.allclose(k_rot, rope.apply_rope(k, pos)[:, :, end:end + new])
        kc, vc = np.concatenate([kc, k_rot], 2), np.concatenate([vc, v[:, :, end:end + new]], 2)
        end += new


def test_rope_float32_stays_float32():
    x = rng.standard_normal((1, 2, 5, 6)).astype(np.float32)
    assert rope.apply_rope(x, np.arange(5)).dtype == np.float32


# sliding window


@pytest.mark.parametrize("window,chunks", [(4, [1] * 17), (4, [3, 1, 5, 2, 1, 9]), (1, [2, 1, 3]), (6, [6, 6, 1])])
def test_sliding_window_equals_windowed_causal_attention(window, chunks):
    b, h, hd = 2, 2, 3
    total = sum(chunks)
    q, k, v = (rng.standard_normal((b, h, total, hd)) for _ in range(3))
    i, j = np.arange(total)[:, None], np.arange(total)[None, :]
    full = rope.attention(q, k, v, (j <= i) & (j > i - window))
    kb, vb = np.zeros((b, h, window, hd)), np.zeros((b, h, window, hd))
    pos = 0
    for new in chunks:
        sl = slice(pos, pos + new)
        out, kb, vb = swa.sliding_window_attention(q[:, :, sl], k[:, :, sl], v[:, :, sl], kb, vb, pos)
        assert np.allclose(out, full[:, :, sl])
        pos += new
        for p in range(max(0, pos - window), pos):  # slot = position mod W
            assert np.array_equal(kb[:, :, p % window], k[:, :, p])
        assert kb.shape == (b, h, window, hd)


# paged


def test_paged_cache_matches_a_contiguous_cache_with_free_and_fork():
    h, hd, bs = 2, 3, 4
    cache = paged.PagedKVCache(16, bs, h, hd)
    contiguous = {}
    def append(seq, new):
        k, v = rng.standard_normal((h, new, hd)), rng.standard_normal((h, new, hd))
        cache.append(seq, k, v)
        old = contiguous.get(seq, (np.zeros((h, 0, hd)),) * 2)
        contiguous[seq] = (np.concatenate([old[0], k], 1), np.concatenate([old[1], v], 1))
    for seq, new in [(0, 5), (1, 4), (0, 3), (2, 1), (1, 1), (0, 1)]:
        append(seq, new)
    for seq, (k, v) in contiguous.items():
        gk, gv = cache.gather(seq)
        assert np.array_equal(gk, k) and np.array_equal(gv, v)
        assert len(cache.block_table(seq)) == -(-k.shape[1] // bs)
    assert cache.num_free_blocks() == 16 - 3 - 2 - 1
    cache.fork(0, 3)  # 9 tokens: 2 full blocks + 1 partial shared
    contiguous[3] = contiguous[0]
    assert cache.num_free_blocks() == 10
    append(3, 2)  # copy-on-write of the partial block
    append(0, 1)
    assert cache.num_free_blocks() == 9
    assert list(cache.block_table(3)[:2]) == list(cache.block_table(0)[:2])
    cache.free(0)
    assert cache.num_free_blocks() == 10  # the shared full blocks still belong to 3
    append(4, 9)
    for seq in (1, 2, 3, 4):
        gk, gv = cache.gather(seq)
        assert np.array_equal(gk, contiguous[seq][0]) and np.array_equal(gv, contiguous[seq][1])
    q = rng.standard_normal((3, h, hd))
    out = cache.attention(q, [3, 1, 4])
    for i, seq in enumerate([3, 1, 4]):
        assert np.allclose(out[i], paged._attend(q[i], *contiguous[seq]))


# speculative


def naive_verify(tokens, q, logits, u, u2, greedy):
    p = spec.softmax(logits)
    out = []
    for row in range(tokens.shape[0]):
        n = 0
        for i, x in enumerate(tokens[row]):
            ok = (x == p[row, i].argmax()) if greedy else (u[row, i] < min(1.0, p[row, i, x] / q[row, i, x]))
            if not ok:
                break
            n += 1
        if greedy:
            nxt = p[row, n].argmax()
        else:
            dist = np.maximum(p[row, n] - q[row, n], 0) if n < tokens.shape[1] else p[row, n]
            dist = dist / dist.sum()
            nxt = int(np.searchsorted(np.cumsum(dist), u2[row], side="right"))
        out.append((n, nxt))
    return np.array(out)


def _draft(b, k, vocab, gen):
    q = spec.softmax(gen.standard_normal((b, k, vocab)) * 1.5)
    tokens = np.array([[gen.choice(vocab, p=q[r, i]) for i in range(k)] for r in range(b)])
    logits = gen.standard_normal((b, k + 1, vocab)) * 1.5
    return tokens, q, logits


@pytest.mark.parametrize("greedy", [False, True])
def test_verify_matches_a_token_by_token_loop(greedy):
    gen = np.random.default_rng(1)
    tokens, q, logits = _draft(200, 4, 7, gen)
    if greedy:
        tokens[:100] = spec.softmax(logits)[:100, :4].argmax(-1)  # some fully accepted rows
    u, u2 = gen.random((200, 4)), gen.random(200)
    n, nxt = spec.speculative_verify(tokens, q, logits, u, u2, greedy)
    assert np.array_equal(np.stack([n, nxt], 1), naive_verify(tokens, q, logits, u, u2, greedy))


def test_speculative_sampling_emits_the_target_distribution():
    """Leviathan et al. 2023, Theorem 1: the first emitted token is distributed as p_1, whatever q is."""
    gen = np.random.default_rng(2026)
    b, k, vocab = 40000, 3, 6
    q1 = spec.softmax(gen.standard_normal(vocab) * 2)
    logits1 = gen.standard_normal(vocab) * 2
    q = np.broadcast_to(q1, (b, k, vocab)).copy()
    logits = np.broadcast_to(logits1, (b, k + 1, vocab)).copy()
    tokens = spec.sample(q.reshape(-1, vocab), gen.random(b * k)).reshape(b, k)
    n, nxt = spec.speculative_verify(tokens, q, logits, gen.random((b, k)), gen.random(b))
    first = np.where(n > 0, tokens[:, 0], nxt)
    counts = np.bincount(first, minlength=vocab)
    expected = spec.softmax(logits1) * b
    stat = float(((counts - expected) ** 2 / expected).sum())
    assert chi2_sf(stat, vocab - 1) > 1e-3
    # the second emitted token (given the first was accepted) is distributed as p_2 too
    second = np.where(n > 1, tokens[:, 1], nxt)[n > 0]
    counts2 = np.bincount(second, minlength=vocab)
    expected2 = spec.softmax(logits1) * len(second)
    assert chi2_sf(float(((counts2 - expected2) ** 2 / expected2).sum()), vocab - 1) > 1e-3
    # and a rule without the residual is visibly wrong with the same samples
    p = spec.softmax(logits1)
    wrong = np.where(n > 0, tokens[:, 0], spec.sample(np.broadcast_to(p, (b, vocab)), gen.random(b)))
    counts3 = np.bincount(wrong, minlength=vocab)
    assert chi2_sf(float(((counts3 - expected) ** 2 / expected).sum()), vocab - 1) < 1e-6


def _log_lower_gamma(a: float, x: float) -> float:
    """log P(a, x), the regularised lower incomplete gamma function, from its power series."""
    term, total, n = 1.0, 1.0, 0
    while term > 1e-17 * total:
        n += 1
        term *= x / (a + n)
        total += term
    return -x + a * np.log(x) - math.lgamma(a + 1) + np.log(total)


def ncx2_cdf(x: float, dof: int, lam: float) -> float:
    """P(X <= x) for a noncentral chi-square variable: a Poisson(lam / 2) mixture of central ones."""
    logs = np.array([-lam / 2 + j * np.log(lam / 2) - math.lgamma(j + 1) + _log_lower_gamma(dof / 2 + j, x / 2)
                     for j in range(int(lam) + 200)]) if lam > 0 else np.array([_log_lower_gamma(dof / 2, x / 2)])
    return float(np.exp(logs.max()) * np.exp(logs - logs.max()).sum())


def test_ncx2_cdf_matches_sampling():
    draws = np.random.default_rng(4).noncentral_chisquare(5, 20.0, 400_000)
    assert ncx2_cdf(25.0, 5, 20.0) == pytest.approx((draws <= 25.0).mean(), abs=3e-3)
    assert ncx2_cdf(11.070497693516351, 5, 0.0) == pytest.approx(0.95, rel=1e-9)


def _distribution_test_design():
    """The distribution test's draft q and target p, drawn as the test draws them."""
    gen = np.random.default_rng(spec.STAT_SEED)
    vocab = 6
    return spec.softmax(gen.standard_normal(vocab) * 2), spec.softmax(gen.standard_normal(vocab) * 2)


def _emitted(q, p, accept, fallback):
    """The first emitted token's distribution: x ~ q kept with probability accept(x), else one from fallback."""
    kept = q * accept  # (V,)
    return kept + (1 - kept.sum()) * fallback / fallback.sum(), kept.sum()


def _mistakes_emit(q, p):
    """mistake -> (what its first emitted token follows, the chance the first draft token is kept), by hand."""
    ratio, residual, argmax = np.minimum(1, p / q), np.maximum(p - q, 0), np.eye(len(p))[p.argmax()]
    return {
        "argmax_acceptance/argmax": _emitted(q, p, argmax, argmax),
        "argmax_acceptance/residual": _emitted(q, p, argmax, residual),
        "no_residual": _emitted(q, p, ratio, p),
        "ratio_inverted": _emitted(q, p, np.minimum(1, q / p), residual),
    }


def test_mistakes_emit_what_the_power_analysis_assumes():
    """The distributions the power analysis uses are what the catalogued variants really emit."""
    q1, p1 = _distribution_test_design()
    gen = np.random.default_rng(5)
    b, k, vocab = 100_000, 3, len(p1)
    q, logits = np.broadcast_to(q1, (b, k, vocab)).copy(), np.broadcast_to(np.log(p1), (b, k + 1, vocab)).copy()
    tokens = spec.sample(q.reshape(-1, vocab), gen.random(b * k)).reshape(b, k)
    args = (tokens, q, logits, gen.random((b, k)), gen.random(b))
    outputs = {"argmax_acceptance/argmax": spec.verify_argmax_acceptance(*args)[0],
               "argmax_acceptance/residual": spec.verify_argmax_acceptance(*args)[1],
               "no_residual": spec.verify_no_residual(*args), "ratio_inverted": spec.verify_ratio_inverted(*args)}
    for name, (emits, kept) in _mistakes_emit(q1, p1).items():
        n, nxt = outputs[name]
        first = np.where(n > 0, tokens[:, 0], nxt)
        assert np.abs(np.bincount(first, minlength=vocab) / b - emits).max() < 0.006, name
        assert (n > 0).mean() == pytest.approx(kept, abs=0.006), name
    n, nxt = spec.speculative_verify(*args)
    assert np.abs(np.bincount(np.where(n > 0, tokens[:, 0], nxt), minlength=vocab) / b - p1).max() < 0.006


def test_distribution_sample_size_has_the_documented_power():
    """With spec.SAMPLES verifications, the chi-square test of the first emitted token alone misses each
    known mistake with at most the probability the module's comment states (noncentral chi-square)."""
    q1, p1 = _distribution_test_design()
    dof = len(p1) - 1
    low, high = 0.0, 200.0
    for _ in range(200):  # the statistic above which the test fails
        middle = (low + high) / 2
        low, high = (middle, high) if chi2_sf(middle, dof) > spec.P_VALUE else (low, middle)
    bounds = {"argmax_acceptance/argmax": 1e-22, "argmax_acceptance/residual": 1e-22, "no_residual": 3e-9,
              "ratio_inverted": 1e-300}
    for name, (emits, _) in _mistakes_emit(q1, p1).items():
        noncentrality = spec.SAMPLES * float(((emits - p1) ** 2 / p1).sum())
        assert ncx2_cdf(high, dof, noncentrality) <= bounds[name], name
    assert spec.SAMPLES * p1.min() >= 5  # every expected count large enough for the chi-square approximation


def test_crop_keeps_prefix_and_accepted():
    k = rng.standard_normal((1, 2, 10, 3))
    ck, cv = spec.crop_kv(k, k, 4, 1)
    assert ck.shape[2] == 7 and np.array_equal(ck, k[:, :, :7])


# attention backward


def forward(q, k, v, causal):
    return backward.forward(q, k, v, causal)


@pytest.mark.parametrize("causal", [False, True])
def test_attention_backward_against_finite_differences(causal):
    q, k = rng.standard_normal((2, 4, 5)), rng.standard_normal((2, 6, 5))
    v, d_out = rng.standard_normal((2, 6, 3)), rng.standard_normal((2, 4, 3))
    grads = backward.attention_backward(q, k, v, d_out, causal)
    eps = 1e-6
    for which, x in enumerate((q, k, v)):
        numeric = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            plus, minus = [a.copy() for a in (q, k, v)], [a.copy() for a in (q, k, v)]
            plus[which][idx] += eps
            minus[which][idx] -= eps
            numeric[idx] = ((forward(*plus, causal) - forward(*minus, causal)) * d_out).sum() / (2 * eps)
        assert np.allclose(grads[which], numeric, atol=1e-7), which


# MLA


@pytest.mark.parametrize("chunks", [[1] * 5, [4, 1, 3]])
def test_mla_absorbed_equals_expanded(chunks):
    b, dm, h, d_c, d_n, d_r, d_v = 2, 16, 4, 6, 3, 4, 5
    w = [rng.standard_normal(s) * 0.5 for s in [(dm, d_c), (d_c, h * d_n), (d_c, h * d_v), (dm, d_r),
                                             (dm, h * d_n), (dm, h * d_r), (h * d_v, dm)]]
    x = rng.standard_normal((b, sum(chunks), dm))
    c, kr, end = np.zeros((b, 0, d_c)), np.zeros((b, 0, d_r)), 0
    for new in chunks:
        naive = mla.mla_naive(x[:, end:end + new], c, kr, *w, h)
        fast = mla.mla_decode(x[:, end:end + new], c, kr, *w, h)
        for a, f in zip(naive, fast):
            assert np.allclose(a, f)
        c, kr = np.concatenate([c, fast[1]], 1), np.concatenate([kr, fast[2]], 1)
        end += new
    # a one-pass MHA over the expanded heads of the whole sequence gives the same last rows
    whole = mla.mla_naive(x, np.zeros((b, 0, d_c)), np.zeros((b, 0, d_r)), *w, h)[0]
    assert np.allclose(whole[:, -chunks[-1]:], fast[0])


# beam


def test_reorder_cache_against_a_loop():
    layers, batch, beams, h, length, hd = 2, 3, 4, 2, 5, 3
    k = rng.standard_normal((layers, batch * beams, h, length, hd))
    v = rng.standard_normal(k.shape)
    parents = rng.integers(0, beams, (batch, beams))
    parents[0] = 0  # every hypothesis from the same parent
    nk, nv = beam.reorder_cache(k, v, parents)
    for bi in range(batch):
        for j in range(beams):
            assert np.array_equal(nk[:, bi * beams + j], k[:, bi * beams + parents[bi, j]])
            assert np.array_equal(nv[:, bi * beams + j], v[:, bi * beams + parents[bi, j]])


# linear attention


def naive_linear(q, k, v):
    fq, fk = linear.phi(q), linear.phi(k)
    length = q.shape[2]
    sim = fq @ np.swapaxes(fk, -1, -2) * np.tril(np.ones((length, length)))
    return (sim @ v) / sim.sum(-1, keepdims=True)


def test_linear_attention_parallel_recurrent_and_naive_agree():
    q, k = rng.standard_normal((2, 3, 9, 4)), rng.standard_normal((2, 3, 9, 4))
    v = rng.standard_normal((2, 3, 9, 5))
    par = linear.linear_attention(q, k, v)
    assert np.allclose(par, naive_linear(q, k, v))
    state, end = None, 0
    for new in [1, 3, 1, 4]:
        piece = slice(end, end + new)
        out, state = linear.linear_attention_step(q[:, :, piece], k[:, :, piece], v[:, :, piece], state)
        assert np.allclose(out, par[:, :, end:end + new])
        assert state[0].shape == (2, 3, 4, 5) and state[1].shape == (2, 3, 4)
        end += new


def test_elu_plus_one_is_positive():
    x = np.array([-800.0, -1.0, 0.0, 2.0])
    y = linear.phi(x)
    assert np.all(y >= 0) and np.allclose(y, [np.exp(-800.0), np.exp(-1.0), 1.0, 3.0])
