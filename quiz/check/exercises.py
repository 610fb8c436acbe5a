"""The tests of each exercise: inputs, the hidden reference answer, the comparison, the diagnosis.

A test is a function of a ``Context``: it builds fresh random inputs from ``ctx.rng``, calls
the solution in the sandbox, and hands what came back to ``ctx.check``, which computes the
expected answer with the exercise's oracle (a reference function, in this process), demands
exactly the expected kind, shape and dtype, finite values within the dtype's tolerance, and
on a wrong answer evaluates the known mistakes (``mistakes.py``) on the same inputs to name
the closest one. A wrong answer raises ``Wrong``; returning means the test passed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from quiz.check import mistakes
from quiz.check import references as ref
from quiz.check.catalog import Tolerance, exercises
from quiz.check.verdicts import MemoryResult, Mismatch, SpeedResult
from quiz.i18n import t

DIAGNOSIS_SLACK = 10.0  # a wrong output matches a known mistake within this many tolerances


class Wrong(Exception):
    """The solution's answer is wrong (or too slow, or too big): why, and what explains it."""

    def __init__(self, message: str, mismatch: Mismatch | None = None, diagnosis: str | None = None,
                 speed: SpeedResult | None = None, memory: MemoryResult | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.mismatch = mismatch
        self.diagnosis = diagnosis
        self.speed = speed
        self.memory = memory


class OutOfTime(Exception):
    """A test made of many calls ran past its time budget (each call has its own timeout too)."""


@dataclass
class Context:
    """What a test needs: the solution's sandbox, a random generator, tolerances, limits."""

    sandbox: Any  # quiz.check.sandbox.Sandbox with the solution loaded
    rng: np.random.Generator
    tolerance: dict[str, Tolerance]
    exercise: str
    source: Path | None = None  # the solution file, for tests that need a sandbox of their own
    timeout: float = 10.0
    trusted: Callable[[], Any] | None = None  # a sandbox with references.py loaded, started on demand

    def normal(self, shape: Sequence[int], dtype: type = np.float64, scale: float = 1.0) -> np.ndarray:
        return (self.rng.standard_normal(tuple(shape)) * scale).astype(dtype)

    def size(self, low: int, high: int) -> int:
        """A random size in [low, high]."""
        return int(self.rng.integers(low, high + 1))

    def weights(self, d_in: int, d_out: int, dtype: type = np.float64) -> np.ndarray:
        return self.normal((d_in, d_out), dtype, scale=d_in ** -0.5)

    def check(self, got: Any, *args: Any, what: str = "", **kwargs: Any) -> None:
        """Raise Wrong unless `got` is what the oracle returns for these arguments."""
        expected = ORACLES[self.exercise](*args, **kwargs)
        problem = compare(got, expected, self.tolerance)
        if problem is None:
            return
        message, mismatch = problem
        diagnosis = diagnose(self.exercise, args, kwargs, got, expected, self.tolerance)
        raise Wrong(f"{what}: {message}" if what else message, mismatch, diagnosis)


# --- oracles: what the answer must be, with the arguments the mistakes in mistakes.py take ---


def kv_update(k_chunks: list[np.ndarray], v_chunks: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Everything a cache holds after these updates, each (B, H, total, hd)."""
    return np.concatenate(k_chunks, axis=2), np.concatenate(v_chunks, axis=2)


def decode_rows(x_all, new, w_q, w_k, w_v, w_o, n_heads):
    """The last `new` rows of causal attention over the whole sequence so far: (B, new, D)."""
    full = ref.multi_head_attention(x_all, w_q, w_k, w_v, w_o, n_heads, ref.causal_mask(x_all.shape[1]))
    return full[:, -new:]


def flash_expected(q, k, v, block_size=64, causal=False):
    return ref.scaled_dot_product_attention(q, k, v, ref.causal_mask(q.shape[-2]) if causal else None)


ORACLES: dict[str, Callable[..., Any]] = {
    "softmax": ref.softmax,
    "causal_mask": ref.causal_mask,
    "scaled_dot_product_attention": ref.scaled_dot_product_attention,
    "multi_head_attention": ref.multi_head_attention,
    "kv_cache": kv_update,
    "decode_step": decode_rows,
    "grouped_query_attention": ref.grouped_query_attention,
    "flash_attention": flash_expected,
}


# --- comparing an answer with the expected one ---


def describe(value: Any) -> str:
    """What kind of thing a solution returned, for a message."""
    if isinstance(value, np.ndarray):
        return t("check.kind_array", shape=shape_text(value.shape), dtype=value.dtype)
    if isinstance(value, (tuple, list)):
        return t("check.kind_sequence", kind=type(value).__name__, n=len(value))
    if value is None:
        return "None"
    if isinstance(value, (bool, int, float, str)):
        return t("check.kind_scalar", kind=type(value).__name__)
    return t("check.kind_object")


def shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def compare(got: Any, expected: Any, tolerance: dict[str, Tolerance]) -> tuple[str, Mismatch | None] | None:
    """None when `got` is right; else a one-line reason and, for wrong values, their numbers."""
    if isinstance(expected, tuple):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return t("check.not_pair", got=describe(got), n=len(expected)), None
        for name, part, want in zip("kv", got, expected):
            problem = compare(part, want, tolerance)
            if problem is not None:
                return f"{name}: {problem[0]}", problem[1]
        return None
    if not isinstance(got, np.ndarray):
        return t("check.not_array", got=describe(got), shape=shape_text(expected.shape), dtype=expected.dtype), None
    if got.dtype != expected.dtype:
        key = ("check.dtype_bool" if expected.dtype == np.bool_ else
               "check.dtype_promoted" if (got.dtype, expected.dtype) == (np.float64, np.float32) else "check.dtype")
        return t(key, got=got.dtype, expected=expected.dtype), None
    if got.shape != expected.shape:
        return t("check.shape", got=shape_text(got.shape), expected=shape_text(expected.shape)), None
    if expected.dtype == np.bool_:
        wrong = got != expected
        if not wrong.any():
            return None
        index = _first(wrong)
        mismatch = Mismatch(1.0, 1.0, index, bool(got[index]), bool(expected[index]), int(wrong.sum()), got.size)
        return t("check.bool_values", count=mismatch.count, size=got.size, index=shape_text(index),
                 got=mismatch.got, expected=mismatch.expected), mismatch
    tol = tolerance[expected.dtype.name]
    g, e = got.astype(np.float64), expected.astype(np.float64)
    bad = ~np.isfinite(g) & np.isfinite(e)
    if bad.any():
        index = _first(bad)
        return t("check.not_finite", count=int(bad.sum()), size=got.size, index=shape_text(index),
                 got=float(g[index])), None
    with np.errstate(invalid="ignore"):
        error = np.abs(g - e)
        wrong = ~(error <= tol.atol + tol.rtol * np.abs(e)) & ~(g == e)
    if not wrong.any():
        return None
    index = _first(wrong)
    finite = np.isfinite(error)
    sizable = finite & (np.abs(e) > tol.atol)  # a relative error means something only away from 0
    rel = error[sizable] / np.abs(e[sizable])
    mismatch = Mismatch(float(error[finite].max(initial=0.0)), float(rel.max(initial=0.0)), index,
                        float(g[index]), float(e[index]), int(wrong.sum()), got.size)
    return t("check.values", count=mismatch.count, size=mismatch.size, abs=mismatch.max_abs, rel=mismatch.max_rel,
             index=shape_text(index), got=mismatch.got, expected=mismatch.expected), mismatch


def _first(flags: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(flags)), flags.shape))


def _distance(got: Any, candidate: Any, tolerance: dict[str, Tolerance]) -> float | None:
    """How many tolerances `got` is from a wrong variant's output, or None if it is not that variant."""
    if isinstance(candidate, tuple):
        if not isinstance(got, (tuple, list)) or len(got) != len(candidate):
            return None
        parts = [_distance(g, c, tolerance) for g, c in zip(got, candidate)]
        return None if None in parts else max(parts)  # type: ignore[type-var]
    if not isinstance(got, np.ndarray) or not isinstance(candidate, np.ndarray) or got.shape != candidate.shape:
        return None
    if got.dtype == np.bool_ or candidate.dtype == np.bool_:
        return 0.0 if got.dtype == candidate.dtype and np.array_equal(got, candidate) else None
    tol = tolerance.get(got.dtype.name) or tolerance["float32"]
    g, c = got.astype(np.float64), candidate.astype(np.float64)
    g_ok, c_ok = np.isfinite(g), np.isfinite(c)
    if (g_ok & ~c_ok).any():
        return None
    # NaN where the variant has numbers: allowed in a few places, but a variant with the same NaNs is closer
    penalty = 0.0
    if (~g_ok & c_ok).any():
        if g_ok.mean() < 0.5:
            return None
        penalty = 2 * DIAGNOSIS_SLACK
    both = g_ok & c_ok
    if not both.any():
        return penalty
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = np.abs(g[both] - c[both]) / (tol.atol + tol.rtol * np.abs(c[both]))
    worst = float(scaled.max())
    return worst + penalty if worst <= DIAGNOSIS_SLACK else None


def _constant(output: Any) -> bool:
    if isinstance(output, tuple):
        return all(_constant(part) for part in output)
    return isinstance(output, np.ndarray) and output.size > 0 and bool(np.all(output == output.flat[0]))


def diagnose(exercise: str, args: tuple, kwargs: dict, got: Any, expected: Any,
             tolerance: dict[str, Tolerance]) -> str | None:
    """The id of the known mistake whose output on these inputs is closest to `got`, if any is close."""
    best: tuple[float, str] | None = None
    for mistake, output in mistakes.candidates(exercise, args, kwargs):
        if compare(output, expected, tolerance) is None or _constant(output):
            continue  # the mistake makes no difference on these inputs, or its output tells nothing (all equal)
        distance = _distance(got, output, tolerance)
        if distance is not None and (best is None or distance < best[0]):
            best = (distance, mistake)
    return best[1] if best else None


# --- the tests ---

Test = Callable[[Context], "dict[str, Any] | None"]  # may return extra Verdict fields (speed, memory)
TESTS: dict[str, dict[str, Test]] = {}


def case(exercise: str, test_id: str) -> Callable[[Test], Test]:
    def register(function: Test) -> Test:
        TESTS.setdefault(exercise, {})[test_id] = function
        return function

    return register


def _call(ctx: Context, *args: Any, **kwargs: Any) -> Any:
    """Call the exercise's function in the solution's sandbox."""
    return ctx.sandbox.call(exercises()[ctx.exercise].name, *args, **kwargs)


def _random_shape(ctx: Context, ndim_low: int = 2, ndim_high: int = 3) -> tuple[int, ...]:
    return tuple(ctx.size(2, 7) for _ in range(ctx.size(ndim_low, ndim_high)))


# softmax


@case("softmax", "random_f64")
def softmax_random_f64(ctx: Context) -> None:
    x = ctx.normal(_random_shape(ctx), np.float64, scale=3)
    ctx.check(_call(ctx, x), x)


@case("softmax", "random_f32")
def softmax_random_f32(ctx: Context) -> None:
    x = ctx.normal(_random_shape(ctx), np.float32, scale=3)
    ctx.check(_call(ctx, x), x)


@case("softmax", "axis")
def softmax_axis(ctx: Context) -> None:
    x = ctx.normal(_random_shape(ctx, 3, 3), np.float64, scale=3)
    axis = ctx.size(0, 1)
    ctx.check(_call(ctx, x, axis=axis), x, axis=axis, what=f"axis={axis}")


@case("softmax", "large_logits")
def softmax_large_logits(ctx: Context) -> None:
    for dtype in (np.float32, np.float64):
        x = (ctx.rng.uniform(-1e4, 1e4, (ctx.size(2, 5), ctx.size(3, 8)))).astype(dtype)
        x[:, 0] = 1e4  # every row reaches the magnitude
        ctx.check(_call(ctx, x), x, what=np.dtype(dtype).name)


@case("softmax", "neg_inf")
def softmax_neg_inf(ctx: Context) -> None:
    x = ctx.normal((ctx.size(2, 5), ctx.size(3, 8)), np.float64, scale=3)
    x[ctx.rng.random(x.shape) < 0.4] = -np.inf
    x[:, -1] = ctx.normal(x.shape[:1])  # at least one finite entry per row
    ctx.check(_call(ctx, x), x)


@case("softmax", "length_1")
def softmax_length_1(ctx: Context) -> None:
    x = ctx.normal((ctx.size(2, 5), 1), np.float64)
    ctx.check(_call(ctx, x), x)


# causal_mask


@case("causal_mask", "square")
def causal_mask_square(ctx: Context) -> None:
    lq = ctx.size(2, 9)
    ctx.check(_call(ctx, lq), lq, what=f"causal_mask({lq})")


@case("causal_mask", "decode_offset")
def causal_mask_decode_offset(ctx: Context) -> None:
    lq = ctx.size(2, 5)
    lk = lq + ctx.size(1, 6)
    ctx.check(_call(ctx, lq, lk), lq, lk, what=f"causal_mask({lq}, {lk})")


@case("causal_mask", "length_1")
def causal_mask_length_1(ctx: Context) -> None:
    ctx.check(_call(ctx, 1), 1, what="causal_mask(1)")
    lk = ctx.size(2, 9)
    ctx.check(_call(ctx, 1, lk), 1, lk, what=f"causal_mask(1, {lk})")


@case("causal_mask", "no_key_rows")
def causal_mask_no_key_rows(ctx: Context) -> None:
    lk = ctx.size(2, 5)
    lq = lk + ctx.size(1, 4)
    ctx.check(_call(ctx, lq, lk), lq, lk, what=f"causal_mask({lq}, {lk})")


# scaled_dot_product_attention


def _qkv(ctx: Context, lead: tuple[int, ...], lq: int, lk: int, dtype: type = np.float64,
         kv_lead: tuple[int, ...] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    dk = ctx.size(3, 8)
    dv = dk + ctx.size(1, 3)  # dv != dk and sqrt(dv) != dk, so scaling by the wrong one shows
    kv_lead = lead if kv_lead is None else kv_lead
    return (ctx.normal(lead + (lq, dk), dtype), ctx.normal(kv_lead + (lk, dk), dtype),
            ctx.normal(kv_lead + (lk, dv), dtype))


def _two_lengths(ctx: Context) -> tuple[int, int]:
    lq = ctx.size(2, 8)
    return lq, lq + ctx.size(1, 4)


@case("scaled_dot_product_attention", "random_f64")
def sdpa_random_f64(ctx: Context) -> None:
    q, k, v = _qkv(ctx, (ctx.size(1, 3),), *_two_lengths(ctx))
    ctx.check(_call(ctx, q, k, v), q, k, v)


@case("scaled_dot_product_attention", "random_f32")
def sdpa_random_f32(ctx: Context) -> None:
    q, k, v = _qkv(ctx, (ctx.size(1, 3),), *_two_lengths(ctx), dtype=np.float32)
    ctx.check(_call(ctx, q, k, v), q, k, v)


@case("scaled_dot_product_attention", "batch_dims")
def sdpa_batch_dims(ctx: Context) -> None:
    heads = ctx.size(2, 3)
    q, k, v = _qkv(ctx, (2, heads), *_two_lengths(ctx), kv_lead=(heads,))  # k, v broadcast over the batch
    ctx.check(_call(ctx, q, k, v), q, k, v)


@case("scaled_dot_product_attention", "causal")
def sdpa_causal(ctx: Context) -> None:
    lq, lk = _two_lengths(ctx)
    q, k, v = _qkv(ctx, (ctx.size(1, 3),), lq, lk)
    mask = ref.causal_mask(lq, lk)  # (Lq, Lk), broadcast over the batch
    ctx.check(_call(ctx, q, k, v, mask), q, k, v, mask)


@case("scaled_dot_product_attention", "padding_mask")
def sdpa_padding_mask(ctx: Context) -> None:
    batch, heads, length = ctx.size(2, 3), 2, ctx.size(3, 8)
    q, k, v = _qkv(ctx, (batch, heads), length, length)
    valid = ctx.rng.integers(1, length + 1, size=batch)  # each sequence keeps its first `valid` keys
    mask = (np.arange(length)[None, :] < valid[:, None])[:, None, None, :]  # (B, 1, 1, L)
    ctx.check(_call(ctx, q, k, v, mask), q, k, v, mask)


@case("scaled_dot_product_attention", "no_key_rows")
def sdpa_no_key_rows(ctx: Context) -> None:
    lq, lk = _two_lengths(ctx)
    q, k, v = _qkv(ctx, (ctx.size(1, 2),), lq, lk)
    mask = ctx.rng.random((lq, lk)) < 0.6
    mask[np.arange(lq), ctx.rng.integers(0, lk, size=lq)] = True  # every row may attend something...
    mask[ctx.rng.permutation(lq)[:max(1, lq // 3)]] = False  # ...except these rows
    ctx.check(_call(ctx, q, k, v, mask), q, k, v, mask)


@case("scaled_dot_product_attention", "large_logits")
def sdpa_large_logits(ctx: Context) -> None:
    q, k, v = _qkv(ctx, (ctx.size(1, 2),), *_two_lengths(ctx))
    q, k = q * 100, k * 100  # scores of magnitude about 1e4
    ctx.check(_call(ctx, q, k, v), q, k, v)


@case("scaled_dot_product_attention", "length_1")
def sdpa_length_1(ctx: Context) -> None:
    q, k, v = _qkv(ctx, (ctx.size(1, 3),), 1, 1)
    ctx.check(_call(ctx, q, k, v), q, k, v)


# multi_head_attention


def _mha_inputs(ctx: Context, dtype: type = np.float64, length: int | None = None, heads: int | None = None):
    batch = ctx.size(1, 3)
    length = ctx.size(2, 8) if length is None else length
    heads = int(ctx.rng.choice([2, 3, 4])) if heads is None else heads
    d = heads * ctx.size(2, 5)
    x = ctx.normal((batch, length, d), dtype)
    return x, *(ctx.weights(d, d, dtype) for _ in range(4)), heads


@case("multi_head_attention", "random_f64")
def mha_random_f64(ctx: Context) -> None:
    args = _mha_inputs(ctx)
    ctx.check(_call(ctx, *args), *args)


@case("multi_head_attention", "random_f32")
def mha_random_f32(ctx: Context) -> None:
    args = _mha_inputs(ctx, np.float32)
    ctx.check(_call(ctx, *args), *args)


@case("multi_head_attention", "causal")
def mha_causal(ctx: Context) -> None:
    args = _mha_inputs(ctx)
    mask = ref.causal_mask(args[0].shape[1])  # (L, L)
    ctx.check(_call(ctx, *args, mask), *args, mask)


@case("multi_head_attention", "padding_mask")
def mha_padding_mask(ctx: Context) -> None:
    args = _mha_inputs(ctx)
    batch, length, _ = args[0].shape
    valid = ctx.rng.integers(1, length + 1, size=batch)
    mask = (np.arange(length)[None, :] < valid[:, None])[:, None, None, :]  # (B, 1, 1, L)
    ctx.check(_call(ctx, *args, mask), *args, mask)


@case("multi_head_attention", "length_1")
def mha_length_1(ctx: Context) -> None:
    args = _mha_inputs(ctx, length=1)
    ctx.check(_call(ctx, *args), *args)


@case("multi_head_attention", "one_head")
def mha_one_head(ctx: Context) -> None:
    args = _mha_inputs(ctx, heads=1)
    ctx.check(_call(ctx, *args), *args)


# KVCache


def _new_cache(ctx: Context) -> Any:
    return ctx.sandbox.call("KVCache")


def _expect_len(ctx: Context, cache: Any, expected: int, updates: int) -> None:
    got = ctx.sandbox.length(cache)
    if got != expected:
        diagnosis = "len_counts_updates" if got == updates and updates != expected else None
        raise Wrong(t("check.len", got=got, expected=expected), diagnosis=diagnosis)


def _fill_cache(ctx: Context, dtype: type, news: list[int]) -> None:
    batch, heads, hd = ctx.size(1, 2), ctx.size(1, 3), ctx.size(2, 5)
    cache = _new_cache(ctx)
    k_chunks: list[np.ndarray] = []
    v_chunks: list[np.ndarray] = []
    for n, new in enumerate(news, start=1):
        k_chunks.append(ctx.normal((batch, heads, new, hd), dtype))
        v_chunks.append(ctx.normal((batch, heads, new, hd), dtype))
        got = ctx.sandbox.call_method(cache, "update", k_chunks[-1], v_chunks[-1])
        ctx.check(got, list(k_chunks), list(v_chunks), what=t("check.at_update", n=n, new=new))
        _expect_len(ctx, cache, sum(news[:n]), n)


@case("kv_cache", "empty")
def kv_empty(ctx: Context) -> None:
    _expect_len(ctx, _new_cache(ctx), 0, 0)


@case("kv_cache", "prefill_and_steps")
def kv_prefill_and_steps(ctx: Context) -> None:
    _fill_cache(ctx, np.float64, [ctx.size(2, 4), 1, 1, 1])


@case("kv_cache", "float32")
def kv_float32(ctx: Context) -> None:
    _fill_cache(ctx, np.float32, [ctx.size(2, 4), 1])


@case("kv_cache", "separate_caches")
def kv_separate_caches(ctx: Context) -> None:
    first, second = _new_cache(ctx), _new_cache(ctx)
    hd = ctx.size(2, 5)
    ka, va = ctx.normal((1, 2, 3, hd)), ctx.normal((1, 2, 3, hd))
    kb, vb = ctx.normal((1, 2, 2, hd)), ctx.normal((1, 2, 2, hd))
    ctx.sandbox.call_method(first, "update", ka, va)
    got = ctx.sandbox.call_method(second, "update", kb, vb)
    problem = compare(got, kv_update([kb], [vb]), ctx.tolerance)
    if problem is not None:
        shared = _distance(got, kv_update([ka, kb], [va, vb]), ctx.tolerance) is not None
        raise Wrong(t("check.second_cache", problem=problem[0]), problem[1], "shared_state" if shared else None)
    for cache, expected in ((first, 3), (second, 2)):
        got_len = ctx.sandbox.length(cache)
        if got_len != expected:
            diagnosis = {1: "len_counts_updates", 5: "shared_state"}.get(got_len)  # 1 update each; 3 + 2 shared
            raise Wrong(t("check.len", got=got_len, expected=expected), diagnosis=diagnosis)


# decode_step


def _decode(ctx: Context, dtype: type, news: list[int]) -> None:
    if "KVCache" not in ctx.sandbox.info.defined:
        raise Wrong(t("check.needs_cache"))
    batch, heads = ctx.size(1, 2), ctx.size(2, 3)
    d = heads * ctx.size(2, 4)
    x = ctx.normal((batch, sum(news), d), dtype)  # (B, total, D): the whole sequence, fed in pieces
    weights = [ctx.weights(d, d, dtype) for _ in range(4)]
    cache = _new_cache(ctx)
    end = 0
    for n, new in enumerate(news, start=1):
        got = ctx.sandbox.call("decode_step", x[:, end:end + new], cache, *weights, heads)
        end += new
        ctx.check(got, x[:, :end], new, *weights, heads, what=t("check.at_step", n=n, new=new, total=end))


@case("decode_step", "prefill_then_steps")
def decode_prefill_then_steps(ctx: Context) -> None:
    _decode(ctx, np.float64, [ctx.size(2, 4)] + [1] * ctx.size(3, 5))


@case("decode_step", "single_steps")
def decode_single_steps(ctx: Context) -> None:
    _decode(ctx, np.float64, [1] * ctx.size(4, 6))


@case("decode_step", "float32")
def decode_float32(ctx: Context) -> None:
    _decode(ctx, np.float32, [ctx.size(2, 3), 1, 1])


# grouped_query_attention


def _gqa_inputs(ctx: Context, dtype: type = np.float64, kv: str = "grouped"):
    heads, kv_heads = [(4, 2), (6, 3), (6, 2), (8, 4)][ctx.size(0, 3)]
    kv_heads = {"grouped": kv_heads, "one": 1, "all": heads}[kv]
    hd = ctx.size(2, 4)
    d = heads * hd
    x = ctx.normal((ctx.size(1, 2), ctx.size(2, 7), d), dtype)
    w_q, w_o = ctx.weights(d, d, dtype), ctx.weights(d, d, dtype)
    w_k, w_v = ctx.weights(d, kv_heads * hd, dtype), ctx.weights(d, kv_heads * hd, dtype)
    return x, w_q, w_k, w_v, w_o, heads, kv_heads


@case("grouped_query_attention", "random_f64")
def gqa_random_f64(ctx: Context) -> None:
    args = _gqa_inputs(ctx)
    ctx.check(_call(ctx, *args), *args)


@case("grouped_query_attention", "random_f32")
def gqa_random_f32(ctx: Context) -> None:
    args = _gqa_inputs(ctx, np.float32)
    ctx.check(_call(ctx, *args), *args)


@case("grouped_query_attention", "mqa")
def gqa_mqa(ctx: Context) -> None:
    args = _gqa_inputs(ctx, kv="one")
    ctx.check(_call(ctx, *args), *args)


@case("grouped_query_attention", "as_mha")
def gqa_as_mha(ctx: Context) -> None:
    args = _gqa_inputs(ctx, kv="all")
    ctx.check(_call(ctx, *args), *args)


@case("grouped_query_attention", "causal")
def gqa_causal(ctx: Context) -> None:
    args = _gqa_inputs(ctx)
    mask = ref.causal_mask(args[0].shape[1])
    ctx.check(_call(ctx, *args, mask), *args, mask)


# flash_attention


def _flash_inputs(ctx: Context, length: int, dtype: type = np.float64, lead: tuple[int, ...] | None = None):
    lead = (ctx.size(1, 2),) if lead is None else lead
    d = ctx.size(4, 8)
    dv = d + ctx.size(1, 3)
    return ctx.normal(lead + (length, d), dtype), ctx.normal(lead + (length, d), dtype), ctx.normal(
        lead + (length, dv), dtype)


def _awkward_length(ctx: Context, block: int) -> int:
    """A length of 2 to 4 blocks that is not a multiple of the block size."""
    return block * ctx.size(2, 3) + ctx.size(1, block - 1)


@case("flash_attention", "random_f64")
def flash_random_f64(ctx: Context) -> None:
    block = 16
    q, k, v = _flash_inputs(ctx, _awkward_length(ctx, block))
    ctx.check(_call(ctx, q, k, v, block_size=block), q, k, v, block_size=block)


@case("flash_attention", "causal")
def flash_causal(ctx: Context) -> None:
    block = 16
    q, k, v = _flash_inputs(ctx, _awkward_length(ctx, block))
    got = _call(ctx, q, k, v, block_size=block, causal=True)
    ctx.check(got, q, k, v, block_size=block, causal=True)


@case("flash_attention", "random_f32")
def flash_random_f32(ctx: Context) -> None:
    block = 8
    q, k, v = _flash_inputs(ctx, _awkward_length(ctx, block), np.float32)
    ctx.check(_call(ctx, q, k, v, block_size=block), q, k, v, block_size=block)


@case("flash_attention", "batch_dims")
def flash_batch_dims(ctx: Context) -> None:
    block = 8
    q, k, v = _flash_inputs(ctx, _awkward_length(ctx, block), lead=(2, ctx.size(2, 3)))
    got = _call(ctx, q, k, v, block_size=block, causal=True)
    ctx.check(got, q, k, v, block_size=block, causal=True)


@case("flash_attention", "length_1")
def flash_length_1(ctx: Context) -> None:
    q, k, v = _flash_inputs(ctx, 1)
    ctx.check(_call(ctx, q, k, v, block_size=8), q, k, v, block_size=8)


@case("flash_attention", "big_block")
def flash_big_block(ctx: Context) -> None:
    q, k, v = _flash_inputs(ctx, ctx.size(5, 40))
    ctx.check(_call(ctx, q, k, v), q, k, v)  # the default block_size=64 is larger than L
