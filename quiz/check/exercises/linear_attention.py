"""linear_attention: causal linear attention with the elu + 1 feature map (Katharopoulos et al. 2020), in the
parallel form and in the recurrent form whose constant-size state is its KV cache."""

from __future__ import annotations

import numpy as np

from quiz.check.unit import Context, Tests, Wrong
from quiz.i18n import t

from quiz.check.exercises._parts import Variants, call, check

# --- reference ---


def phi(x):
    return np.where(x > 0, x + 1, np.exp(np.minimum(x, 0)))  # elu(x) + 1, always > 0


def linear_attention(q, k, v):
    fq, fk = phi(q), phi(k)  # (B, H, L, d)
    s = np.cumsum(fk[..., :, None] * v[..., None, :], axis=2)  # (B, H, L, d, dv): S_i = sum_{j <= i} phi(k_j) v_j^T
    z = np.cumsum(fk, axis=2)  # (B, H, L, d): z_i = sum_{j <= i} phi(k_j)
    numerator = np.einsum("bhld,bhlde->bhle", fq, s)  # (B, H, L, dv)
    denominator = np.einsum("bhld,bhld->bhl", fq, z)[..., None]  # (B, H, L, 1), > 0
    return numerator / denominator


def linear_attention_step(q, k, v, state=None):
    b, h, new, d = q.shape
    if state is None:
        state = (np.zeros((b, h, d, v.shape[-1]), q.dtype), np.zeros((b, h, d), q.dtype))
    s, z = state  # (B, H, d, dv), (B, H, d): everything the past contributes, whatever its length
    out = np.empty(q.shape[:-1] + v.shape[-1:], dtype=q.dtype)  # (B, H, new, dv)
    for i in range(new):
        fq, fk = phi(q[:, :, i]), phi(k[:, :, i])  # (B, H, d)
        s = s + fk[..., :, None] * v[:, :, i, None, :]  # (B, H, d, dv)
        z = z + fk  # (B, H, d)
        out[:, :, i] = np.einsum("bhd,bhde->bhe", fq, s) / np.einsum("bhd,bhd->bh", fq, z)[..., None]
    return out, (s, z)


# --- known mistakes ---


def _parallel(q, k, v, *, feature=phi, causal=True, normalise=True, include_self=True):
    fq, fk = feature(q), feature(k)
    length = q.shape[2]
    allowed = np.tril(np.ones((length, length)), k=0 if include_self else -1) if causal else np.ones((length, length))
    sim = (fq @ np.swapaxes(fk, -1, -2)) * allowed  # (B, H, L, L)
    out = sim @ v
    return out / sim.sum(axis=-1, keepdims=True) if normalise else out


def _elu(x):
    return np.where(x > 0, x, np.exp(np.minimum(x, 0)) - 1)


def linear_not_causal(q, k, v):
    return _parallel(q, k, v, causal=False) if q.shape[2] > 1 else None


def linear_no_normaliser(q, k, v):
    return _parallel(q, k, v, normalise=False)


def linear_negative_feature_map(q, k, v):
    return [_parallel(q, k, v, feature=_elu), _parallel(q, k, v, feature=lambda x: x)]


def linear_excludes_self(q, k, v):
    if q.shape[2] < 2:
        return None
    out = _parallel(q, k, v, include_self=False)
    return np.where(np.isfinite(out), out, 0).astype(q.dtype)


PARALLEL_VARIANTS: Variants = {
    "not_causal": linear_not_causal,
    "no_normaliser": linear_no_normaliser,
    "negative_feature_map": linear_negative_feature_map,
    "excludes_self": linear_excludes_self,
}


def _step(q, k, v, state=None, *, feature=phi, normalise=True, update_after=False):
    b, h, new, d = q.shape
    s, z = state if state is not None else (np.zeros((b, h, d, v.shape[-1]), q.dtype), np.zeros((b, h, d), q.dtype))
    out = np.empty(q.shape[:-1] + v.shape[-1:], dtype=q.dtype)
    for i in range(new):
        fq, fk = feature(q[:, :, i]), feature(k[:, :, i])
        if not update_after:
            s, z = s + fk[..., :, None] * v[:, :, i, None, :], z + fk
        num = np.einsum("bhd,bhde->bhe", fq, s)
        den = np.einsum("bhd,bhd->bh", fq, z)[..., None]
        out[:, :, i] = (np.where(den > 0, num, 0) / np.where(den > 0, den, 1)) if normalise else num
        if update_after:
            s, z = s + fk[..., :, None] * v[:, :, i, None, :], z + fk
    return out, (s, z)


def step_no_normaliser(q, k, v, state=None):
    return _step(q, k, v, state, normalise=False)


def step_negative_feature_map(q, k, v, state=None):
    return [_step(q, k, v, state, feature=_elu), _step(q, k, v, state, feature=lambda x: x)]


def step_excludes_self(q, k, v, state=None):
    return _step(q, k, v, state, update_after=True)


STEP_VARIANTS: Variants = {
    "no_normaliser": step_no_normaliser,
    "negative_feature_map": step_negative_feature_map,
    "excludes_self": step_excludes_self,
    "state_grows": None,  # recognised by the size of the state
}



def _flat(result):
    """(out, (S, z)) -> (out, S, z), so that each part is compared and named on its own."""
    if isinstance(result, (tuple, list)) and len(result) == 2 and isinstance(result[1], (tuple, list)):
        return (result[0], *result[1])
    return result


def _flat_of(function):
    def flat(*args, **kwargs):
        outputs = function(*args, **kwargs)
        return [_flat(o) for o in outputs] if isinstance(outputs, list) else None if outputs is None else _flat(outputs)

    return flat


FLAT_STEP_VARIANTS: Variants = {mistake: None if v is None else _flat_of(v) for mistake, v in STEP_VARIANTS.items()}

# --- tests ---

TESTS = Tests()



def _qkv(ctx: Context, dtype: type = np.float64, length: int | None = None):
    b, h, d = ctx.size(1, 2), ctx.size(1, 3), ctx.size(2, 6)
    length = ctx.size(3, 10) if length is None else length
    dv = d + ctx.size(0, 2)
    return ctx.normal((b, h, length, d), dtype), ctx.normal((b, h, length, d), dtype), ctx.normal((b, h, length, dv),
                                                                                                    dtype)


def _parallel_check(ctx: Context, q, k, v) -> None:
    got = call(ctx, "linear_attention", q, k, v)
    check(ctx, got, linear_attention, PARALLEL_VARIANTS, q, k, v)


@TESTS.case("parallel_f64")
def test_parallel_f64(ctx: Context) -> None:
    _parallel_check(ctx, *_qkv(ctx))


@TESTS.case("parallel_f32")
def test_parallel_f32(ctx: Context) -> None:
    _parallel_check(ctx, *_qkv(ctx, np.float32))


@TESTS.case("length_1")
def test_length_1(ctx: Context) -> None:
    _parallel_check(ctx, *_qkv(ctx, length=1))


def _recurrent(ctx: Context, chunks: list[int], dtype: type = np.float64) -> None:
    q, k, v = _qkv(ctx, dtype, sum(chunks))
    b, h, _, d = q.shape
    state, end = None, 0
    for n, new in enumerate(chunks, start=1):
        piece = slice(end, end + new)
        args = (q[:, :, piece], k[:, :, piece], v[:, :, piece], state)
        got = call(ctx, "linear_attention_step", *args)
        _expect_state_size(got, (b, h, d, v.shape[-1]), (b, h, d), end + new)
        _, *state = check(ctx, _flat(got), _flat_of(linear_attention_step), FLAT_STEP_VARIANTS, *args,
                          names=("out", "S", "z"), what=t("exercise.at_chunk", n=n, new=new, pos=end))
        end += new


def _expect_state_size(got, s_shape, z_shape, seen: int) -> None:
    state = got[1] if isinstance(got, (tuple, list)) and len(got) == 2 else None
    if not isinstance(state, (tuple, list)):
        return
    sizes = [part.size for part in state if isinstance(part, np.ndarray)]
    if sum(sizes) > int(np.prod(s_shape)) + int(np.prod(z_shape)):
        raise Wrong(t("exercise.linear_state", got=sum(sizes), expected=int(np.prod(s_shape)) + int(np.prod(z_shape)),
                      seen=seen), diagnosis="state_grows")


@TESTS.case("recurrent")
def test_recurrent(ctx: Context) -> None:
    _recurrent(ctx, [1, 1, ctx.size(2, 4), 1, 1])


@TESTS.case("recurrent_f32")
def test_recurrent_f32(ctx: Context) -> None:
    _recurrent(ctx, [ctx.size(2, 4), 1, 1], np.float32)


@TESTS.case("memory")
def test_memory(ctx: Context) -> None:
    """After 48 positions the state is still (B, H, d, dv) + (B, H, d), its size checked after every call.

    A state that keeps the keys and values (d + dv numbers per position) is over the d x dv + d of S and z
    by position 4 at these sizes (d <= 6, dv <= d + 2), and grows with every call after: three single steps,
    a chunk to position 44, four single steps cover it in 8 calls rather than 48 (each call costs a round trip).
    """
    _recurrent(ctx, [1, 1, 1, 41, 1, 1, 1, 1])

# every mistake, with the variant of linear_attention where it has one (the step tests use STEP_VARIANTS)
VARIANTS = {**PARALLEL_VARIANTS, **{mistake: None for mistake in STEP_VARIANTS if mistake not in PARALLEL_VARIANTS}}
ERRORS: dict[str, str] = {}
ORACLE = linear_attention
