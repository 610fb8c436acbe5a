"""Every numeric answer in questions/ is recomputed here from the configuration its prompt states.

MODELS holds the published configurations (the config.json files on the Hugging Face Hub,
cross-checked against the papers). Each numeric question has an entry in FACTS: how to
recompute its answer, and the inputs its prompt must state. The tests check that the
answer matches the recomputed value within a tolerance no looser than 1%, that the prompt
(in both languages) states every input, that the explanation (in both languages) shows the
inputs, an equals sign and the result, and that any question naming a real model states
that model's numbers correctly and cites its configuration in `source`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest

from quiz.bank import models
from quiz.bank.loader import load_paths
from quiz.check.catalog import exercise_names
from tests.conftest import REPO

KiB, MiB, GiB = 2**10, 2**20, 2**30


@dataclass(frozen=True)
class Model:
    """The attention-relevant part of a published model configuration."""

    config: str  # where the numbers come from
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    d_model: int
    extra: dict[str, int] = field(default_factory=dict)


HF = "https://huggingface.co/"
MODELS = {
    "Llama-2-7B": Model(HF + "meta-llama/Llama-2-7b-hf/blob/main/config.json", layers=32, heads=32, kv_heads=32,
                        head_dim=128, d_model=4096, extra={"context": 4096}),
    "Llama-2-70B": Model(HF + "meta-llama/Llama-2-70b-hf/blob/main/config.json", layers=80, heads=64, kv_heads=8,
                         head_dim=128, d_model=8192, extra={"context": 4096}),
    "Llama-3-8B": Model(HF + "meta-llama/Meta-Llama-3-8B/blob/main/config.json", layers=32, heads=32, kv_heads=8,
                        head_dim=128, d_model=4096, extra={"context": 8192, "rope_theta": 500000}),
    "Mistral-7B": Model(HF + "mistralai/Mistral-7B-v0.1/blob/main/config.json", layers=32, heads=32, kv_heads=8,
                        head_dim=128, d_model=4096, extra={"sliding_window": 4096}),
    # MLA: no KV heads as such; kv_heads/head_dim are those of the equivalent MHA (128 heads of 128).
    "DeepSeek-V2": Model(HF + "deepseek-ai/DeepSeek-V2/blob/main/config.json", layers=60, heads=128, kv_heads=128,
                         head_dim=128, d_model=5120,
                         extra={"kv_lora_rank": 512, "qk_rope_head_dim": 64, "qk_nope_head_dim": 128,
                                "v_head_dim": 128}),
    "T5-base": Model(HF + "google-t5/t5-base/blob/main/config.json", layers=12, heads=12, kv_heads=12, head_dim=64,
                     d_model=768),
}
L27, L270, L38, MIS, DSV2, T5B = (MODELS[n] for n in MODELS)


def kv_bytes(m: Model, tokens: int = 1, batch: int = 1, bytes_per: float = 2, kv_heads: int | None = None,
             layers: int | None = None) -> float:
    """2 (K and V) × layers × KV heads × head_dim × bytes per element × tokens × batch."""
    return (2 * (m.layers if layers is None else layers) * (m.kv_heads if kv_heads is None else kv_heads)
            * m.head_dim * bytes_per * tokens * batch)


def kv_heads_per_gpu(m: Model, tp: int) -> int:
    """vLLM's ModelConfig.get_num_kv_heads: split over the GPUs, replicated when there are fewer than GPUs."""
    return max(1, m.kv_heads // tp)


def expected_tokens_per_round(alpha: float, gamma: int) -> float:
    """Speculative decoding: tokens per target forward, summed over where the first rejection falls."""
    p_first_rejection = [alpha**k * (1 - alpha) for k in range(gamma)]  # k drafts accepted, then a rejection
    return sum((k + 1) * p for k, p in enumerate(p_first_rejection)) + (gamma + 1) * alpha**gamma


def lse_merge_weights(lses: list[float]) -> list[float]:
    """The weight of each partial attention output when merging by log-sum-exp (Flash-Decoding, ring attention)."""
    total = math.log(sum(math.exp(x) for x in lses))
    return [math.exp(x - total) for x in lses]


def softmax_plus_one(scores: list[float]) -> list[float]:
    """exp(x_i) / (1 + sum_j exp(x_j)): softmax with an implicit zero logit."""
    denominator = 1 + sum(math.exp(x) for x in scores)
    return [math.exp(x) / denominator for x in scores]


def attention_crossover(d_model: int, mlp_ratio: int) -> float:
    """Context n at which attention's 4·n·d FLOPs per token equal projections (8·d²) plus MLP (4·ratio·d²)."""
    rest = 8 * d_model**2 + 2 * 2 * mlp_ratio * d_model**2
    return rest / (4 * d_model)


def online_softmax_sum(blocks: list[list[float]]) -> float:
    """The running sum l of an online softmax, fed block by block (FlashAttention's recurrence)."""
    m, l = -math.inf, 0.0
    for block in blocks:
        m_new = max(m, max(block))
        l = l * math.exp(m - m_new) + sum(math.exp(s - m_new) for s in block)
        m = m_new
    return l


def alibi_slopes(n_heads: int) -> list[float]:
    """ALiBi's slopes for a power-of-two head count (Press et al.'s get_slopes)."""
    start = 2 ** (-(2 ** -(math.log2(n_heads) - 3)))
    return [start * start**i for i in range(n_heads)]


def causal_pairs(n: int) -> int:
    return int(np.count_nonzero(np.tril(np.ones((n, n), dtype=bool))))


@dataclass(frozen=True)
class Fact:
    value: Callable[[], float]
    given: tuple[str, ...]  # numbers (or phrases) the prompt states and the explanation uses


def _mla_per_layer(m: Model) -> int:
    return m.extra["kv_lora_rank"] + m.extra["qk_rope_head_dim"]


FACTS: dict[str, Fact] = {
    # attention basics
    "basics-scaling-variance": Fact(lambda: math.sqrt(64), ("64",)),
    "basics-softmax-fp16-overflow": Fact(lambda: math.log(65504), ("65504",)),
    "basics-temperature-value": Fact(lambda: float(np.exp(2 / 2) / (np.exp(2 / 2) + np.exp(0 / 2))), ("[2, 0]",)),
    # multi-head
    "mha-head-dim": Fact(lambda: L27.d_model / L27.heads, ("4096", "32")),
    "mha-params-llama2-7b": Fact(lambda: 4 * L27.d_model**2 / 1e6, ("4096",)),
    "mha-params-llama2-70b": Fact(
        lambda: (2 * L270.d_model**2 + 2 * L270.d_model * L270.kv_heads * L270.head_dim) / 1e6,
        ("8192", "8", "128")),
    # masks
    "mask-causal-pairs": Fact(lambda: causal_pairs(4096), ("4096",)),
    # KV cache
    "kv-llama2-7b-per-token": Fact(lambda: kv_bytes(L27) / KiB, ("32", "128")),
    "kv-llama2-7b-full-context": Fact(lambda: kv_bytes(L27, tokens=L27.extra["context"]) / GiB, ("32", "128", "4096")),
    "kv-llama2-70b-per-token": Fact(lambda: kv_bytes(L270) / KiB, ("80", "8", "128")),
    "kv-llama2-70b-batch": Fact(lambda: kv_bytes(L270, tokens=4096, batch=8) / GiB, ("80", "8", "128", "4096")),
    "kv-llama3-8b-context": Fact(lambda: kv_bytes(L38, tokens=L38.extra["context"]) / GiB, ("32", "8", "128", "8192")),
    "kv-llama3-8b-max-batch": Fact(lambda: (40 * GiB) // kv_bytes(L38, tokens=8192), ("32", "8", "128", "40", "8192")),
    "kv-decode-latency-bound": Fact(lambda: 7.0e9 * 2 / 2.0e12 * 1e3, ("7.0", "2.0")),
    "kv-ridge-batch": Fact(lambda: 312e12 / 2.0e12, ("312", "2.0")),
    # shrinking the cache
    "kvc-gqa-ratio-llama2-70b": Fact(lambda: kv_bytes(L270, kv_heads=L270.heads) / kv_bytes(L270), ("64", "8")),
    "kvc-gqa-group-llama3-8b": Fact(lambda: L38.heads / L38.kv_heads, ("32", "8")),
    "kvc-mla-bytes-per-token": Fact(lambda: _mla_per_layer(DSV2) * DSV2.layers * 2 / KiB, ("60", "512", "64")),
    "kvc-mla-vs-mha": Fact(lambda: 2 * DSV2.heads * DSV2.extra["v_head_dim"] / _mla_per_layer(DSV2),
                           ("128", "512", "64")),
    "kvc-quant-llama3-8b": Fact(lambda: kv_bytes(L38, tokens=8192, bytes_per=0.5) / MiB, ("32", "8", "128", "8192")),
    "kvc-mistral-rolling-buffer": Fact(lambda: kv_bytes(MIS, tokens=min(32768, MIS.extra["sliding_window"])) / MiB,
                                       ("32", "8", "128", "4096", "32768")),
    "kvc-mistral-attention-span": Fact(lambda: MIS.layers * MIS.extra["sliding_window"], ("32", "4096")),
    "kvc-paged-waste": Fact(lambda: math.ceil(1000 / 16) * 16 - 1000, ("16", "1000")),
    # efficient attention
    "eff-online-softmax-sum": Fact(lambda: online_softmax_sum([[1, 2], [3]]), ("[1, 2]", "[3]")),
    "eff-score-matrix-memory": Fact(lambda: 4096 * 4096 * 32 * 2 / GiB, ("4096", "32")),
    # positions
    "pos-rope-wavelength": Fact(lambda: 2 * math.pi / 10000 ** (-2 * 63 / 128), ("10000", "128")),
    "pos-alibi-slope": Fact(lambda: -alibi_slopes(8)[4 - 1] * 10, ("8", "10")),
    "eff-lse-memory": Fact(lambda: 4096 * 32 * 4 / KiB, ("4096", "32")),
    # serving
    "srv-spec-expected-tokens": Fact(lambda: expected_tokens_per_round(alpha=0.8, gamma=4), ("4", "0.8")),
    "srv-spec-rollback-length": Fact(lambda: 100 + 3, ("100", "5", "3")),
    "srv-chunked-prefill-iterations": Fact(lambda: math.ceil(4800 / (512 - 32)), ("512", "32", "4800")),
    "srv-beam-shared-blocks": Fact(lambda: (4 - 1) * math.ceil(1024 / 16), ("4", "1024", "16")),
    "srv-block-bytes-llama3-8b": Fact(lambda: kv_bytes(L38, tokens=16) / L38.layers / KiB, ("8", "128", "16")),
    "srv-disaggregation-transfer": Fact(lambda: kv_bytes(L38, tokens=8192) / 50e9 * 1e3, ("8192", "50")),
    "srv-tp8-kv-per-gpu": Fact(lambda: kv_bytes(L270, kv_heads=kv_heads_per_gpu(L270, tp=8)) / KiB, ("80", "8", "128")),
    "srv-tp16-replication": Fact(lambda: 16 / L270.kv_heads, ("16", "8")),
    "srv-pp-stage-cache": Fact(lambda: kv_bytes(L270, layers=L270.layers // 4) / KiB, ("80", "4", "8", "128")),
    # long context
    "lc-pi-position": Fact(lambda: 20000 / (32768 / 4096), ("4096", "32768", "20000")),
    "lc-ntk-base": Fact(lambda: 10000 * 8 ** (128 / (128 - 2)), ("10000", "128", "8")),
    "lc-yarn-temperature": Fact(lambda: 0.1 * math.log(8) + 1, ("0.1", "8")),
    "lc-linear-state-bytes": Fact(lambda: 32 * 32 * 64 * 64 * 2 / MiB, ("32", "64")),
    "lc-window-ratio": Fact(lambda: (4096 * 4096) / (4096 * 512), ("4096", "512")),
    "lc-strided-keys": Fact(lambda: 2 * math.isqrt(16384), ("16384",)),
    "lc-h2o-budget": Fact(lambda: kv_bytes(L38, tokens=8192) * 0.2 / MiB, ("8192", "20")),
    "lc-ring-transfers": Fact(lambda: 8 - 1, ("8",)),
    "lc-lse-merge": Fact(lambda: lse_merge_weights([2.0, 0.0])[0], ("2", "0")),
    "lc-softmax-one-mass": Fact(lambda: sum(softmax_plus_one([0.0, 0.0])), ("[0, 0]",)),
    # design choices
    "design-fc-params": Fact(lambda: (1024 * 1024) ** 2 / 1e12, ("1024",)),
    "design-cross-cache-t5-base": Fact(lambda: kv_bytes(T5B, tokens=512) / MiB, ("12", "768", "512")),
    "design-attention-mlp-crossover": Fact(lambda: attention_crossover(d_model=4096, mlp_ratio=4), ("4096", "8", "16", "4")),
    "design-kv-outgrows-weights": Fact(lambda: 6.74e9 * 2 / kv_bytes(L27), ("6.74", "512")),
}

MODEL_PATTERNS = {  # how prompts state a configuration, per language: field -> regexes
    "en": {
        "layers": [r"(\d+) layers"],
        "heads": [r"(\d+) (?:query |attention )?heads", r"(\d+) heads"],
        "kv_heads": [r"(\d+) KV heads"],
        "head_dim": [r"head_dim (\d+)"],
        "d_model": [r"d_model (?:\(hidden_size\) )?(\d+)"],
        "sliding_window": [r"W = (\d+)", r"sliding window (\d+)"],
    },
    "zh": {
        "layers": [r"(\d+) 层"],
        "heads": [r"(\d+) 个 (?:query )?头", r"头数为 (\d+)", r"(\d+) 个头"],
        "kv_heads": [r"(\d+) 个 KV 头"],
        "head_dim": [r"head_dim (?:为 )?(\d+)"],
        "d_model": [r"d_model(?:（hidden_size）)?(?:为 )?\s*(\d+)"],
        "sliding_window": [r"W = (\d+)", r"滑动窗口 (\d+)"],
    },
}


QUESTIONS = [q for _, q in load_paths([REPO / "questions"], known_exercises=exercise_names()).questions()]
NUMERIC = [q for q in QUESTIONS if isinstance(q, models.NumericQuestion)]


def _plain(text: str) -> str:
    """Text with thousands separators dropped and runs of space collapsed."""
    return " ".join(re.sub(r"(?<=\d),(?=\d{3}\b)", "", text).split())


def _mentions(text: str, given: str) -> bool:
    if re.fullmatch(r"[\d.]+", given):
        return re.search(rf"(?<![\d.]){re.escape(given)}(?![\d]|\.\d)", _plain(text)) is not None
    return given in text


def _reaches(text: str, answer: float, tolerance: float) -> bool:
    """Whether the text states a number equal to the answer (within its tolerance)."""
    numbers = re.findall(r"[-−]?\d+(?:\.\d+)?", _plain(text))
    return any(abs(float(n.replace("−", "-")) - answer) <= max(tolerance, 1e-9) for n in numbers)


def test_every_numeric_question_has_a_recomputation() -> None:
    assert sorted(q.id for q in NUMERIC) == sorted(FACTS)


@pytest.mark.parametrize("question", NUMERIC, ids=lambda q: q.id)
def test_answer_matches_the_recomputed_value(question: models.NumericQuestion) -> None:
    expected = float(FACTS[question.id].value())
    assert abs(question.answer - expected) <= question.tolerance, (question.answer, expected)
    assert question.tolerance <= 0.01 * abs(expected), "a tolerance looser than 1% could hide a wrong answer"


@pytest.mark.parametrize("question", NUMERIC, ids=lambda q: q.id)
def test_prompt_states_the_inputs_and_explanation_shows_the_computation(question: models.NumericQuestion) -> None:
    fact = FACTS[question.id]
    for lang in ("en", "zh"):
        prompt, explanation = question.prompt[lang], question.explanation[lang]
        assert [g for g in fact.given if not _mentions(prompt, g)] == [], f"prompt ({lang}) does not state them"
        assert [g for g in fact.given if not _mentions(explanation, g)] == [], f"explanation ({lang}) skips them"
        assert "=" in explanation, f"explanation ({lang}) shows no computation"
        assert _reaches(explanation, question.answer, question.tolerance), f"explanation ({lang}) misses the answer"


def _stated(text: str, lang: str) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {}
    for name, patterns in MODEL_PATTERNS[lang].items():
        for pattern in patterns:
            for match in re.finditer(pattern, _plain(text)):
                found.setdefault(name, set()).add(int(match.group(1)))
    return found


MODEL_QUESTIONS = [(q, name) for q in QUESTIONS for name in MODELS if name in q.prompt["en"]]


def test_every_model_is_asked_about() -> None:
    assert {name for _, name in MODEL_QUESTIONS} == set(MODELS)


@pytest.mark.parametrize(("question", "name"), MODEL_QUESTIONS, ids=lambda v: v if isinstance(v, str) else v.id)
def test_prompts_state_published_configurations(question: models.AnyQuestion, name: str) -> None:
    model = MODELS[name]
    assert question.source and model.config in question.source, f"source must cite {model.config}"
    for lang in ("en", "zh"):
        assert name in question.prompt[lang]
        stated = _stated(question.prompt[lang], lang)
        for field_name, values in stated.items():
            published = model.extra[field_name] if field_name in model.extra else getattr(model, field_name)
            assert values == {published}, (lang, field_name, values)


def test_model_table_is_self_consistent() -> None:
    for name, model in MODELS.items():
        assert model.heads % model.kv_heads == 0, name
        if name != "DeepSeek-V2":
            assert model.heads * model.head_dim == model.d_model, name
    assert alibi_slopes(8) == [2.0**-k for k in range(1, 9)]
    assert online_softmax_sum([[1, 2, 3]]) == pytest.approx(online_softmax_sum([[1], [2], [3]]))
    # the closed forms quoted in the explanations agree with the direct computations
    assert expected_tokens_per_round(0.8, 4) == pytest.approx((1 - 0.8**5) / (1 - 0.8))
    assert sum(lse_merge_weights([2.0, 0.0, -1.0])) == pytest.approx(1.0)
    assert kv_heads_per_gpu(L270, tp=16) == kv_heads_per_gpu(L270, tp=8) == 1
    scores = np.array([0.3, -1.2])
    zero_sink = np.exp(np.append(scores, 0.0)) / np.exp(np.append(scores, 0.0)).sum()  # prepend a zero logit
    assert softmax_plus_one(list(scores)) == pytest.approx(list(zero_sink[:2]))
