"""Known wrong variants of each exercise, used to name the likely mistake in a wrong answer.

Each variant takes the same arguments as the exercise's oracle in ``exercises.py`` (for most
exercises that is the reference function itself) and returns what a solution with that one
mistake returns, or a list of such outputs when the mistake has several forms (a wrong axis).
The parent evaluates them on the inputs the solution got; the closest one within tolerance is
the diagnosis. The names and hints, in English and Chinese, live in ``exercises.yaml`` under
each exercise's ``mistakes``; a few mistakes (such as a cache whose ``len`` counts calls) are
recognised by a test itself and have no variant here.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from quiz.check import references as ref


def _softmax(x, axis=-1):
    return ref.softmax(x, axis)


def _masked_softmax(scores, mask, fill=-np.inf, axis=-1, guard=True):
    """Softmax along `axis` with masked entries set to `fill` first; a slice with nothing allowed
    gives zeros (guard=True, as the task asks) or NaN (guard=False)."""
    if mask is not None:
        scores = np.where(mask, scores, fill)
    top = np.max(scores, axis=axis, keepdims=True)
    if guard:
        top = np.where(np.isfinite(top), top, 0)
    e = np.exp(scores - top)
    total = np.sum(e, axis=axis, keepdims=True)
    return e / (np.where(total > 0, total, 1) if guard else total)


# --- softmax(x, axis=-1) ---


def softmax_no_max_shift(x, axis=-1):
    e = np.exp(x)
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax_wrong_axis(x, axis=-1):
    chosen = axis % x.ndim
    return [_softmax(x, other) for other in range(x.ndim) if other != chosen]


def softmax_axis_ignored(x, axis=-1):
    return _softmax(x, -1) if axis % x.ndim != x.ndim - 1 else None


def softmax_global_sum(x, axis=-1):
    shifted_globally = np.exp(x - np.max(x))
    shifted_per_row = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return [shifted_globally / np.sum(shifted_globally), shifted_per_row / np.sum(shifted_per_row)]


def softmax_log_softmax(x, axis=-1):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def softmax_no_normalize(x, axis=-1):
    return np.exp(x - np.max(x, axis=axis, keepdims=True))


# --- causal_mask(lq, lk=None) ---


def _positions(lq, lk):
    lk = lq if lk is None else lk
    return np.arange(lq)[:, None], np.arange(lk)[None, :], lk - lq


def causal_mask_inverted(lq, lk=None):
    return ~ref.causal_mask(lq, lk)


def causal_mask_not_aligned(lq, lk=None):
    i, j, _ = _positions(lq, lk)
    return j <= i


def causal_mask_strict(lq, lk=None):
    i, j, offset = _positions(lq, lk)
    return j < i + offset


def causal_mask_transposed(lq, lk=None):
    i, j, offset = _positions(lq, lk)
    return j >= i + offset


# --- scaled_dot_product_attention(q, k, v, mask=None) ---


def _attention(q, k, v, mask=None, scale=None, fill=-np.inf, axis=-1, guard=True):
    scale = q.shape[-1] ** -0.5 if scale is None else scale
    scores = q @ np.swapaxes(k, -1, -2) * scale
    return _masked_softmax(scores, mask, fill, axis, guard) @ v


def sdpa_no_scale(q, k, v, mask=None):
    return _attention(q, k, v, mask, scale=1.0)


def sdpa_scale_by_d(q, k, v, mask=None):
    return _attention(q, k, v, mask, scale=1.0 / q.shape[-1])


def sdpa_scale_by_dv(q, k, v, mask=None):
    return _attention(q, k, v, mask, scale=v.shape[-1] ** -0.5) if v.shape[-1] != q.shape[-1] else None


def sdpa_softmax_over_queries(q, k, v, mask=None):
    return _attention(q, k, v, mask, axis=-2)


def sdpa_mask_inverted(q, k, v, mask=None):
    return None if mask is None else ref.scaled_dot_product_attention(q, k, v, ~mask)


def sdpa_mask_ignored(q, k, v, mask=None):
    return None if mask is None else ref.scaled_dot_product_attention(q, k, v)


def sdpa_mask_after_softmax(q, k, v, mask=None):
    if mask is None:
        return None
    weights = _masked_softmax(q @ np.swapaxes(k, -1, -2) / q.shape[-1] ** 0.5, None)
    return (weights * mask) @ v


def sdpa_no_key_rows_uniform(q, k, v, mask=None):
    return None if mask is None else _attention(q, k, v, mask, fill=-1e9)


def sdpa_no_key_rows_nan(q, k, v, mask=None):
    return None if mask is None else _attention(q, k, v, mask, guard=False)


# --- multi_head_attention(x, w_q, w_k, w_v, w_o, n_heads, mask=None) ---


def _mha(x, w_q, w_k, w_v, w_o, n_heads, mask=None, *, split=ref.split_heads, merge=ref.merge_heads,
         attend=ref.scaled_dot_product_attention, project_out=True, transpose_weights=False):
    if transpose_weights:
        w_q, w_k, w_v, w_o = w_q.T, w_k.T, w_v.T, w_o.T
    heads = attend(split(x @ w_q, n_heads), split(x @ w_k, n_heads), split(x @ w_v, n_heads), mask)
    return merge(heads) @ w_o if project_out else merge(heads)


def _split_no_transpose(x, n_heads):
    b, l, d = x.shape
    return x.reshape(b, n_heads, l, d // n_heads)


def _merge_no_transpose(x):
    b, h, l, hd = x.shape
    return x.reshape(b, l, h * hd)


def _split_interleaved(x, n_heads):
    b, l, d = x.shape
    return x.reshape(b, l, d // n_heads, n_heads).transpose(0, 3, 1, 2)


def _merge_interleaved(x):
    b, h, l, hd = x.shape
    return x.transpose(0, 2, 3, 1).reshape(b, l, h * hd)


def _scaled_by_d_model(d_model):
    return lambda q, k, v, mask=None: _attention(q, k, v, mask, scale=d_model ** -0.5)


def mha_no_scale(x, w_q, w_k, w_v, w_o, n_heads, mask=None):
    return _mha(x, w_q, w_k, w_v, w_o, n_heads, mask, attend=sdpa_no_scale)


def mha_scale_by_d_model(x, w_q, w_k, w_v, w_o, n_heads, mask=None):
    if n_heads == 1:
        return None
    return _mha(x, w_q, w_k, w_v, w_o, n_heads, mask, attend=_scaled_by_d_model(x.shape[-1]))


def mha_split_no_transpose(x, w_q, w_k, w_v, w_o, n_heads, mask=None):
    return _mha(x, w_q, w_k, w_v, w_o, n_heads, mask, split=_split_no_transpose, merge=_merge_no_transpose)


def mha_merge_no_transpose(x, w_q, w_k, w_v, w_o, n_heads, mask=None):
    return _mha(x, w_q, w_k, w_v, w_o, n_heads, mask, merge=_merge_no_transpose)


def mha_heads_interleaved(x, w_q, w_k, w_v, w_o, n_heads, mask=None):
    return _mha(x, w_q, w_k, w_v, w_o, n_heads, mask, split=_split_interleaved, merge=_merge_interleaved)


def mha_no_w_o(x, w_q, w_k, w_v, w_o, n_heads, mask=None):
    return _mha(x, w_q, w_k, w_v, w_o, n_heads, mask, project_out=False)


def mha_weights_transposed(x, w_q, w_k, w_v, w_o, n_heads, mask=None):
    return _mha(x, w_q, w_k, w_v, w_o, n_heads, mask, transpose_weights=True)


def mha_softmax_over_queries(x, w_q, w_k, w_v, w_o, n_heads, mask=None):
    return _mha(x, w_q, w_k, w_v, w_o, n_heads, mask, attend=sdpa_softmax_over_queries)


def mha_mask_inverted(x, w_q, w_k, w_v, w_o, n_heads, mask=None):
    return None if mask is None else _mha(x, w_q, w_k, w_v, w_o, n_heads, ~mask)


def mha_mask_ignored(x, w_q, w_k, w_v, w_o, n_heads, mask=None):
    return None if mask is None else _mha(x, w_q, w_k, w_v, w_o, n_heads)


# --- KVCache: the oracle is kv_update(k_chunks, v_chunks) -> (k_all, v_all) ---


def kv_wrong_axis(k_chunks, v_chunks):
    found = []
    for axis in (0, 1, 3):
        try:
            found.append((np.concatenate(k_chunks, axis), np.concatenate(v_chunks, axis)))
        except ValueError:  # chunks of different lengths do not stack on this axis (the solution raised too)
            continue
    return found or None


def kv_returns_new_only(k_chunks, v_chunks):
    return (k_chunks[-1], v_chunks[-1]) if len(k_chunks) > 1 else None


# --- decode_step: the oracle is decode_rows(x_all, new, w_q, w_k, w_v, w_o, n_heads) ---


def _rows(x_all, new, w_q, w_k, w_v, w_o, n_heads, mask, **variant):
    return _mha(x_all, w_q, w_k, w_v, w_o, n_heads, mask, **variant)[:, -new:]


def decode_mask_not_aligned(x_all, new, w_q, w_k, w_v, w_o, n_heads):
    total = x_all.shape[1]
    if new == total:
        return None
    mask = np.zeros((total, total), dtype=bool)
    mask[-new:] = causal_mask_not_aligned(new, total)  # the rows that matter
    return _rows(x_all, new, w_q, w_k, w_v, w_o, n_heads, mask)


def decode_no_mask(x_all, new, w_q, w_k, w_v, w_o, n_heads):
    if new == 1:
        return None
    mask = ref.causal_mask(x_all.shape[1])
    mask[-new:, -new:] = True  # the new tokens see each other both ways
    return _rows(x_all, new, w_q, w_k, w_v, w_o, n_heads, mask)


def decode_only_new_tokens(x_all, new, w_q, w_k, w_v, w_o, n_heads):
    if new == x_all.shape[1]:
        return None
    return ref.multi_head_attention(x_all[:, -new:], w_q, w_k, w_v, w_o, n_heads, ref.causal_mask(new))


def decode_no_scale(x_all, new, w_q, w_k, w_v, w_o, n_heads):
    return _rows(x_all, new, w_q, w_k, w_v, w_o, n_heads, ref.causal_mask(x_all.shape[1]), attend=sdpa_no_scale)


def decode_scale_by_d_model(x_all, new, w_q, w_k, w_v, w_o, n_heads):
    attend = _scaled_by_d_model(x_all.shape[-1])
    return _rows(x_all, new, w_q, w_k, w_v, w_o, n_heads, ref.causal_mask(x_all.shape[1]), attend=attend)


def decode_no_w_o(x_all, new, w_q, w_k, w_v, w_o, n_heads):
    return _rows(x_all, new, w_q, w_k, w_v, w_o, n_heads, ref.causal_mask(x_all.shape[1]), project_out=False)


# --- grouped_query_attention(x, w_q, w_k, w_v, w_o, n_heads, n_kv_heads, mask=None) ---


def _gqa(x, w_q, w_k, w_v, w_o, n_heads, n_kv_heads, mask=None, *, expand="repeat",
         attend=ref.scaled_dot_product_attention, project_out=True):
    q = ref.split_heads(x @ w_q, n_heads)
    k = ref.split_heads(x @ w_k, n_kv_heads)
    v = ref.split_heads(x @ w_v, n_kv_heads)
    group = n_heads // n_kv_heads
    if expand == "repeat":
        k, v = np.repeat(k, group, axis=1), np.repeat(v, group, axis=1)
    else:
        k, v = np.tile(k, (1, group, 1, 1)), np.tile(v, (1, group, 1, 1))
    heads = ref.merge_heads(attend(q, k, v, mask))
    return heads @ w_o if project_out else heads


def gqa_kv_head_modulo(x, w_q, w_k, w_v, w_o, n_heads, n_kv_heads, mask=None):
    if n_kv_heads in (1, n_heads):
        return None
    return _gqa(x, w_q, w_k, w_v, w_o, n_heads, n_kv_heads, mask, expand="tile")


def gqa_no_scale(x, w_q, w_k, w_v, w_o, n_heads, n_kv_heads, mask=None):
    return _gqa(x, w_q, w_k, w_v, w_o, n_heads, n_kv_heads, mask, attend=sdpa_no_scale)


def gqa_scale_by_d_model(x, w_q, w_k, w_v, w_o, n_heads, n_kv_heads, mask=None):
    attend = _scaled_by_d_model(x.shape[-1])
    return _gqa(x, w_q, w_k, w_v, w_o, n_heads, n_kv_heads, mask, attend=attend)


def gqa_no_w_o(x, w_q, w_k, w_v, w_o, n_heads, n_kv_heads, mask=None):
    return _gqa(x, w_q, w_k, w_v, w_o, n_heads, n_kv_heads, mask, project_out=False)


# --- flash_attention(q, k, v, block_size=64, causal=False) ---


def _flash(q, k, v, block_size, causal, *, rescale=True, divide=True, local_causal=False, scale=None,
           skip_future=False):
    length, d = q.shape[-2], q.shape[-1]
    scale = d ** -0.5 if scale is None else scale
    out = np.zeros(q.shape[:-1] + v.shape[-1:], dtype=q.dtype)
    full = ref.causal_mask(length)
    for qs in range(0, length, block_size):
        qb = q[..., qs:qs + block_size, :] * scale
        m = np.full(qb.shape[:-1] + (1,), -np.inf, dtype=q.dtype)
        s = np.zeros_like(m)
        acc = np.zeros(qb.shape[:-1] + v.shape[-1:], dtype=q.dtype)
        for ks in range(0, length, block_size):
            if causal and skip_future and ks >= qs + block_size:
                break
            scores = qb @ np.swapaxes(k[..., ks:ks + block_size, :], -1, -2)
            if causal:
                allowed = (np.tri(*scores.shape[-2:], dtype=bool) if local_causal
                           else full[qs:qs + block_size, ks:ks + block_size])
                if not allowed.any():
                    continue
                scores = np.where(allowed, scores, -np.inf)
            m_new = np.maximum(m, scores.max(axis=-1, keepdims=True))
            p = np.exp(scores - m_new)
            correction = np.exp(m - m_new) if rescale else 1.0
            s = s * correction + p.sum(axis=-1, keepdims=True)
            acc = acc * correction + p @ v[..., ks:ks + block_size, :]
            m = m_new
        out[..., qs:qs + block_size, :] = acc / s if divide else acc
    return out


def flash_no_rescale(q, k, v, block_size=64, causal=False):
    return _flash(q, k, v, block_size, causal, rescale=False) if q.shape[-2] > block_size else None


def flash_no_final_divide(q, k, v, block_size=64, causal=False):
    return _flash(q, k, v, block_size, causal, divide=False)


def flash_per_block_softmax(q, k, v, block_size=64, causal=False):
    if k.shape[-2] <= block_size:
        return None
    length = k.shape[-2]
    full = ref.causal_mask(length)
    out = 0
    for ks in range(0, length, block_size):
        mask = full[:, ks:ks + block_size] if causal else None
        out = out + ref.scaled_dot_product_attention(q, k[..., ks:ks + block_size, :], v[..., ks:ks + block_size, :],
                                                     mask)
    return out


def flash_causal_ignored(q, k, v, block_size=64, causal=False):
    return ref.scaled_dot_product_attention(q, k, v) if causal else None


def flash_block_local_causal(q, k, v, block_size=64, causal=False):
    if not causal or q.shape[-2] <= block_size:
        return None
    return [_flash(q, k, v, block_size, causal, local_causal=True, skip_future=skip) for skip in (True, False)]


def flash_no_scale(q, k, v, block_size=64, causal=False):
    return _flash(q, k, v, block_size, causal, scale=1.0)


Variant = Callable[..., object]

# exercise -> mistake id -> variant (None: the mistake is recognised by a test, not by an output)
VARIANTS: dict[str, dict[str, Variant | None]] = {
    "softmax": {
        "no_max_shift": softmax_no_max_shift,
        "axis_ignored": softmax_axis_ignored,  # before wrong_axis: the more specific reading of a tie
        "wrong_axis": softmax_wrong_axis,
        "global_sum": softmax_global_sum,
        "log_softmax": softmax_log_softmax,
        "no_normalize": softmax_no_normalize,
    },
    "causal_mask": {
        "inverted": causal_mask_inverted,
        "not_aligned": causal_mask_not_aligned,
        "strict": causal_mask_strict,
        "transposed": causal_mask_transposed,
    },
    "scaled_dot_product_attention": {
        "no_scale": sdpa_no_scale,
        "scale_by_d": sdpa_scale_by_d,
        "scale_by_dv": sdpa_scale_by_dv,
        "softmax_over_queries": sdpa_softmax_over_queries,
        "mask_inverted": sdpa_mask_inverted,
        "mask_ignored": sdpa_mask_ignored,
        "mask_after_softmax": sdpa_mask_after_softmax,
        "no_key_rows_uniform": sdpa_no_key_rows_uniform,
        "no_key_rows_nan": sdpa_no_key_rows_nan,
        "k_transposed": None,
    },
    "multi_head_attention": {
        "no_scale": mha_no_scale,
        "scale_by_d_model": mha_scale_by_d_model,
        "split_no_transpose": mha_split_no_transpose,
        "merge_no_transpose": mha_merge_no_transpose,
        "heads_interleaved": mha_heads_interleaved,
        "no_w_o": mha_no_w_o,
        "weights_transposed": mha_weights_transposed,
        "softmax_over_queries": mha_softmax_over_queries,
        "mask_inverted": mha_mask_inverted,
        "mask_ignored": mha_mask_ignored,
    },
    "kv_cache": {
        "wrong_axis": kv_wrong_axis,
        "returns_new_only": kv_returns_new_only,
        "len_counts_updates": None,
        "shared_state": None,
    },
    "decode_step": {
        "mask_not_aligned": decode_mask_not_aligned,
        "no_mask": decode_no_mask,
        "only_new_tokens": decode_only_new_tokens,
        "no_scale": decode_no_scale,
        "scale_by_d_model": decode_scale_by_d_model,
        "no_w_o": decode_no_w_o,
        "recomputes_prefix": None,
    },
    "grouped_query_attention": {
        "kv_head_modulo": gqa_kv_head_modulo,
        "no_scale": gqa_no_scale,
        "scale_by_d_model": gqa_scale_by_d_model,
        "no_w_o": gqa_no_w_o,
    },
    "flash_attention": {
        "no_rescale": flash_no_rescale,
        "no_final_divide": flash_no_final_divide,
        "per_block_softmax": flash_per_block_softmax,
        "causal_ignored": flash_causal_ignored,
        "block_local_causal": flash_block_local_causal,
        "no_scale": flash_no_scale,
        "full_matrix": None,
    },
}


# exercise -> mistake id -> a pattern of the exception message that this mistake typically raises
ERRORS: dict[str, dict[str, str]] = {
    "scaled_dot_product_attention": {
        "k_transposed": r"mismatch in its core dimension|could not be broadcast together with remapped shapes"},
    "kv_cache": {"wrong_axis": r"except for the concatenation axis must match"},
}


def from_error(exercise: str, message: str) -> str | None:
    """The mistake that typically raises this exception message, if one is known."""
    import re

    return next((mistake for mistake, pattern in ERRORS.get(exercise, {}).items()
                 if re.search(pattern, message)), None)


def candidates(exercise: str, args: tuple, kwargs: dict) -> list[tuple[str, object]]:
    """(mistake id, wrong output) for every variant of `exercise` that applies to these inputs."""
    found: list[tuple[str, object]] = []
    with np.errstate(all="ignore"):
        for mistake, variant in VARIANTS.get(exercise, {}).items():
            if variant is None:
                continue
            try:
                outputs = variant(*args, **kwargs)
            except (ValueError, IndexError):  # the variant does not apply to these shapes
                continue
            if outputs is None:
                continue
            for output in outputs if isinstance(outputs, list) else [outputs]:
                found.append((mistake, output))
    return found
