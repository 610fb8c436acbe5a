"""Names of the built-in checker exercises, cheap to import (no NumPy)."""

from __future__ import annotations

EXERCISES = (
    "softmax",
    "causal_mask",
    "scaled_dot_product_attention",
    "multi_head_attention",
    "kv_cache",
    "decode_step",
    "grouped_query_attention",
    "flash_attention",
)


def exercise_names() -> tuple[str, ...]:
    """Exercise ids that a code question's `exercise` field may name."""
    return EXERCISES
