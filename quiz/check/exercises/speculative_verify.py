"""speculative_verify: verify a draft against the target model (Leviathan et al. 2023, Chen et al. 2023) and crop
the KV cache back to what was accepted."""

from __future__ import annotations

import math

import numpy as np

from quiz.check.unit import Context, Tests, Wrong
from quiz.i18n import t

from quiz.check.exercises._parts import Variants, call, check, diagnose

# --- reference ---


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def sample(weights, u):
    """Inverse-CDF sampling from unnormalised weights: the first token whose cumulative weight exceeds u * total."""
    cdf = np.cumsum(weights, axis=-1)  # (B, V)
    return np.minimum((cdf <= u[:, None] * cdf[:, -1:]).sum(axis=-1), weights.shape[-1] - 1)  # (B,)


def speculative_verify(draft_tokens, draft_probs, target_logits, u_accept, u_sample, greedy=False):
    b, k = draft_tokens.shape
    p = softmax(target_logits.astype(np.float64))  # (B, k+1, V) the target's distributions
    rows = np.arange(b)
    if greedy:
        accepted = draft_tokens == p[:, :k].argmax(axis=-1)  # (B, k)
    else:
        q = draft_probs.astype(np.float64)  # (B, k, V) the draft's distributions
        p_x = np.take_along_axis(p[:, :k], draft_tokens[..., None], axis=-1)[..., 0]  # (B, k) p_i(x_i)
        q_x = np.take_along_axis(q, draft_tokens[..., None], axis=-1)[..., 0]  # (B, k) q_i(x_i)
        accepted = u_accept < p_x / q_x  # (B, k): kept with probability min(1, p / q)
    n = np.cumprod(accepted, axis=1).sum(axis=1)  # (B,) accepted up to the first rejection
    p_n = p[rows, n]  # (B, V) the target at the first rejected position (or the bonus one)
    if greedy:
        return n.astype(np.int64), p_n.argmax(axis=-1).astype(np.int64)
    q_n = np.concatenate([q, np.zeros_like(q[:, :1])], axis=1)[rows, n]  # (B, V), 0 at the bonus position
    residual = np.maximum(p_n - q_n, 0)  # (B, V) max(0, p - q): exactly p at the bonus position
    return n.astype(np.int64), sample(residual, u_sample).astype(np.int64)


def crop_kv(k, v, n_draft, n_accepted):
    keep = k.shape[2] - n_draft + n_accepted  # the prefix and the accepted draft tokens
    return k[:, :, :keep], v[:, :, :keep]  # (B, H, keep, hd)


# --- known mistakes ---


def _verify(draft_tokens, draft_probs, target_logits, u_accept, u_sample, *, accept="ratio", resample="residual",
            bonus_at=None):
    b, k = draft_tokens.shape
    p = softmax(target_logits.astype(np.float64))
    rows = np.arange(b)
    q = draft_probs.astype(np.float64)
    p_draft = p[:, :k]
    p_x = np.take_along_axis(p_draft, draft_tokens[..., None], axis=-1)[..., 0]
    q_x = np.take_along_axis(q, draft_tokens[..., None], axis=-1)[..., 0]
    accepted = {"ratio": u_accept < p_x / q_x, "inverted": u_accept < q_x / p_x,
                "argmax": draft_tokens == p_draft.argmax(axis=-1)}[accept]
    n = np.cumprod(accepted, axis=1).sum(axis=1)
    at = n
    if bonus_at is not None:
        at = np.where(n == k, bonus_at, at)
    p_n = p[rows, at]
    q_n = np.concatenate([q, np.zeros_like(q[:, :1])], axis=1)[rows, np.where(n == k, k, n)]
    weights = {"residual": np.maximum(p_n - q_n, 0), "target": p_n, "argmax": None}[resample]
    token = p_n.argmax(axis=-1) if weights is None else sample(weights, u_sample)
    return n.astype(np.int64), token.astype(np.int64)


def verify_argmax_acceptance(draft_tokens, draft_probs, target_logits, u_accept, u_sample, greedy=False):
    if greedy:
        return None
    args = (draft_tokens, draft_probs, target_logits, u_accept, u_sample)
    return [_verify(*args, accept="argmax", resample="argmax"), _verify(*args, accept="argmax")]


def verify_no_residual(draft_tokens, draft_probs, target_logits, u_accept, u_sample, greedy=False):
    return None if greedy else _verify(draft_tokens, draft_probs, target_logits, u_accept, u_sample, resample="target")


def verify_ratio_inverted(draft_tokens, draft_probs, target_logits, u_accept, u_sample, greedy=False):
    return None if greedy else _verify(draft_tokens, draft_probs, target_logits, u_accept, u_sample, accept="inverted")


def verify_no_bonus_position(draft_tokens, draft_probs, target_logits, u_accept, u_sample, greedy=False):
    k = draft_tokens.shape[1]
    args = (draft_tokens, draft_probs, target_logits, u_accept, u_sample)
    if greedy:
        return [_verify(*args, accept="argmax", resample="argmax", bonus_at=k - 1)]
    return [_verify(*args, bonus_at=k - 1), _verify(*args, resample="target", bonus_at=k - 1)]


VERIFY_VARIANTS: Variants = {
    "argmax_acceptance": verify_argmax_acceptance,
    "no_residual": verify_no_residual,
    "ratio_inverted": verify_ratio_inverted,
    "no_bonus_position": verify_no_bonus_position,
}


def crop_keeps_rejected(k, v, n_draft, n_accepted):
    keep = k.shape[2] - n_draft + n_accepted
    return [(k, v)] + ([(k[:, :, :keep + 1], v[:, :, :keep + 1])] if n_accepted < n_draft else [])


def crop_drops_accepted(k, v, n_draft, n_accepted):
    return None if n_accepted == 0 else (k[:, :, :k.shape[2] - n_draft], v[:, :, :k.shape[2] - n_draft])


CROP_VARIANTS: Variants = {"keeps_rejected": crop_keeps_rejected, "drops_accepted": crop_drops_accepted}


# --- tests ---

TESTS = Tests()



def _draft(rng: np.random.Generator, b: int, k: int, vocab: int, dtype: type = np.float64, sharp: float = 1.5):
    q = softmax(rng.standard_normal((b, k, vocab)) * sharp)  # (B, k, V)
    cdf = np.cumsum(q, axis=-1)
    tokens = np.minimum((cdf <= rng.random((b, k, 1))).sum(axis=-1), vocab - 1).astype(np.int64)  # x_i ~ q_i
    logits = rng.standard_normal((b, k + 1, vocab)) * sharp  # (B, k+1, V)
    return tokens, q.astype(dtype), logits.astype(dtype)


def _verify_call(ctx: Context, args: tuple, greedy: bool, what: str = "") -> None:
    got = call(ctx, "speculative_verify", *args, greedy=greedy)
    check(ctx, got, speculative_verify, VERIFY_VARIANTS, *args, greedy=greedy, names=("n_accepted", "next_token"),
          what=what)


def _uniforms(ctx: Context, b: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    return ctx.rng.random((b, k)), ctx.rng.random(b)


@TESTS.case("greedy")
def test_greedy(ctx: Context) -> None:
    b, k, vocab = ctx.size(30, 60), ctx.size(2, 5), ctx.size(5, 12)
    tokens, q, logits = _draft(ctx.rng, b, k, vocab)
    agree = softmax(logits)[:, :k].argmax(axis=-1)
    keep = ctx.rng.random((b, k)) < 0.7
    tokens = np.where(keep, agree, tokens)  # long accepted runs, some drafts entirely right
    tokens[: b // 4] = agree[: b // 4]
    _verify_call(ctx, (tokens, q, logits, *_uniforms(ctx, b, k)), greedy=True)


@TESTS.case("sampling_f64")
def test_sampling_f64(ctx: Context) -> None:
    b, k, vocab = ctx.size(40, 80), ctx.size(2, 5), ctx.size(5, 12)
    tokens, q, logits = _draft(ctx.rng, b, k, vocab)
    _verify_call(ctx, (tokens, q, logits, *_uniforms(ctx, b, k)), greedy=False)


@TESTS.case("sampling_f32")
def test_sampling_f32(ctx: Context) -> None:
    b, k, vocab = ctx.size(40, 80), ctx.size(2, 4), ctx.size(5, 12)
    tokens, q, logits = _draft(ctx.rng, b, k, vocab, np.float32)
    _verify_call(ctx, (tokens, q, logits, *_uniforms(ctx, b, k)), greedy=False)


@TESTS.case("all_accepted")
def test_all_accepted(ctx: Context) -> None:
    b, k, vocab = ctx.size(20, 40), ctx.size(2, 4), ctx.size(5, 10)
    tokens, q, logits = _draft(ctx.rng, b, k, vocab)
    logits[:, :k] = np.log(q)  # the target agrees with the draft: every draft token is kept
    _verify_call(ctx, (tokens, q, logits, *_uniforms(ctx, b, k)), greedy=False, what="p = q")


@TESTS.case("one_token")
def test_one_token(ctx: Context) -> None:
    b, vocab = ctx.size(20, 40), ctx.size(2, 6)
    tokens, q, logits = _draft(ctx.rng, b, 1, vocab)
    _verify_call(ctx, (tokens, q, logits, *_uniforms(ctx, b, 1)), greedy=False, what="k = 1")


# The sample size comes from the power of the chi-square test (5 degrees of freedom, fails below P_VALUE)
# against what each known mistake emits with this q and p (tests/check/test_serving.py computes it from
# the noncentral chi-square): a right sampler fails with probability P_VALUE per emitted token (at most 2e-4
# for the two; with STAT_SEED the reference gets p = 0.90 and 0.61), and one test of the first token misses
# no_residual (the weakest: noncentrality 0.057 per sample) with probability 3e-9, argmax acceptance 1e-22,
# the inverted ratio < 1e-300. A solution's verification loops over the rows: its time grows with SAMPLES.
SAMPLES = 2000
STAT_SEED = 20230518  # fixed: the same draws in every run, so a right solution always passes
P_VALUE = 1e-4


def chi2_sf(x: float, dof: int) -> float:
    """P(X > x) for a chi-square variable with an integer number of degrees of freedom."""
    half = x / 2
    if dof % 2 == 0:
        term, total = math.exp(-half), 0.0
        for i in range(dof // 2):
            total += term
            term *= half / (i + 1)
        return total
    total, term = math.erfc(math.sqrt(half)), math.sqrt(half) * math.exp(-half) * 2 / math.sqrt(math.pi)
    for i in range(1, (dof + 1) // 2):
        total += term
        term *= half / (i + 0.5)
    return total


@TESTS.case("distribution")
def test_distribution(ctx: Context) -> None:
    """Whatever the draft, the tokens emitted follow the target distribution (Leviathan et al., Theorem 1)."""
    rng = np.random.default_rng(STAT_SEED)
    k, vocab = 3, 6
    q1 = softmax(rng.standard_normal(vocab) * 2)  # (V,) one draft distribution...
    p1 = softmax(rng.standard_normal(vocab) * 2)  # (V,) ...and one target distribution, at every position
    q = np.broadcast_to(q1, (SAMPLES, k, vocab)).copy()
    logits = np.broadcast_to(np.log(p1), (SAMPLES, k + 1, vocab)).copy()
    tokens = sample(q.reshape(-1, vocab), rng.random(SAMPLES * k)).reshape(SAMPLES, k).astype(np.int64)
    args = (tokens, q, logits, rng.random((SAMPLES, k)), rng.random(SAMPLES))
    got = call(ctx, "speculative_verify", *args)
    if not (isinstance(got, (tuple, list)) and len(got) == 2 and all(isinstance(g, np.ndarray) and g.shape == (SAMPLES,)
                                                                       and g.dtype.kind == "i" for g in got)):
        check(ctx, got, speculative_verify, VERIFY_VARIANTS, *args, names=("n_accepted", "next_token"))
        return
    n, nxt = got
    emitted = [np.where(n > 0, tokens[:, 0], nxt), np.where(n > 1, tokens[:, 1], nxt)[n > 0]]
    for which, tokens_at in enumerate(emitted, start=1):
        counts = np.bincount(np.clip(tokens_at, 0, vocab - 1), minlength=vocab)
        expected = p1 * len(tokens_at)
        stat = float(((counts - expected) ** 2 / expected).sum())
        p_value = chi2_sf(stat, vocab - 1)
        if p_value < P_VALUE:
            diagnosis = diagnose(VERIFY_VARIANTS, args, {}, got, speculative_verify(*args),
                                 ("n_accepted", "next_token"), ctx)
            raise Wrong(t("exercise.spec_distribution", which=which, n=len(tokens_at), stat=stat, p=p_value,
                          counts=counts.tolist(), expected=[round(e) for e in expected]), diagnosis=diagnosis)
    return None


@TESTS.case("crop")
def test_crop(ctx: Context) -> None:
    b, h, hd = ctx.size(1, 2), ctx.size(1, 3), ctx.size(2, 4)
    for n, (prefix, n_draft) in enumerate([(ctx.size(2, 6), 4), (ctx.size(2, 6), 3), (1, 1)], start=1):
        k = ctx.normal((b, h, prefix + n_draft, hd))
        v = ctx.normal((b, h, prefix + n_draft, hd + 1))
        for n_accepted in sorted({0, int(ctx.rng.integers(1, n_draft + 1)), n_draft}):
            got = call(ctx, "crop_kv", k, v, n_draft, n_accepted)
            check(ctx, got, crop_kv, CROP_VARIANTS, k, v, n_draft, n_accepted, names=("k", "v"),
                  what=f"crop_kv(..., n_draft={n_draft}, n_accepted={n_accepted})")

# every mistake, with the variant of speculative_verify where it has one (test_crop uses CROP_VARIANTS)
VARIANTS = {**VERIFY_VARIANTS, **{mistake: None for mistake in CROP_VARIANTS}}
ERRORS: dict[str, str] = {}
ORACLE = speculative_verify
