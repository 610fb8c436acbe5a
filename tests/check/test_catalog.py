"""exercises.yaml: valid, both languages, cheap names, consistent with the tests and the mistakes."""

from __future__ import annotations

import subprocess
import sys

import pydantic
import pytest

from quiz.check import catalog
from quiz.check.catalog import ExerciseFile
from quiz.check.registry import builtin
from tests.conftest import subprocess_env

NAMES = ("softmax", "causal_mask", "scaled_dot_product_attention", "multi_head_attention", "kv_cache",
         "decode_step", "grouped_query_attention", "flash_attention", "rope", "sliding_window_cache", "paged_kv_cache",
         "speculative_verify", "attention_backward", "mla_decode", "beam_reorder", "linear_attention")


def test_names_in_order() -> None:
    assert catalog.exercise_names() == NAMES
    assert [exercise.id for exercise in builtin()] == list(NAMES)


def test_exercise_names_is_cheap() -> None:
    code = ("import sys; from quiz.check.catalog import exercise_names; exercise_names(); "
            "print(sorted(m for m in ('numpy', 'rich', 'questionary') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=subprocess_env()).stdout
    assert out.strip() == "[]"


CORE = NAMES[:8]


def test_points_add_up_to_100_for_each_eight_and_the_costly_tests_are_gated() -> None:
    specs = builtin().specs()
    assert sum(spec.points for spec in specs.values() if spec.id in CORE) == 100
    assert sum(spec.points for spec in specs.values() if spec.id not in CORE) == 100  # the serving canon
    gated = {(spec.id, test.id) for spec in specs.values() for test in spec.tests if test.gated}
    assert gated == {("decode_step", "speed"), ("flash_attention", "memory"), ("paged_kv_cache", "append_cost"),
                     ("mla_decode", "absorbed")}


def test_every_exercise_has_a_difficulty_and_its_functions_are_named() -> None:
    specs = builtin().specs()
    assert all(spec.difficulty in (1, 2, 3) for spec in specs.values())
    assert specs["rope"].names == ("apply_rope", "rope_attention")
    assert specs["speculative_verify"].names == ("speculative_verify", "crop_kv")
    assert specs["linear_attention"].names == ("linear_attention", "linear_attention_step")
    assert specs["softmax"].names == ("softmax",)


@pytest.mark.parametrize("name", NAMES, ids=NAMES)
def test_mistakes_in_yaml_are_the_catalogue(name: str) -> None:
    spec = next(spec for spec in catalog.exercise_file().exercises if spec.id == name)  # its own, in YAML order
    assert [m.id for m in spec.mistakes] == list(builtin()[name].variants)
    common = [m.id for m in catalog.exercise_file().common_mistakes]
    assert [m.id for m in builtin()[name].spec.mistakes] == [m.id for m in spec.mistakes] + common
    assert len({test.id for test in spec.tests}) == len(spec.tests)


def test_the_defined_name_comes_from_the_signature() -> None:
    specs = builtin().specs()
    assert specs["kv_cache"].name == "KVCache" and specs["softmax"].name == "softmax"
    assert specs["kv_cache"].kind == "class" and [m.signature for m in specs["kv_cache"].methods][1] == \
        "def update(self, k, v):"


def _raw() -> dict:
    import copy

    return copy.deepcopy(catalog._raw())


def test_an_unknown_key_is_rejected() -> None:
    data = _raw()
    data["exercises"][0]["hnit"] = {"en": "x", "zh": "x"}
    with pytest.raises(pydantic.ValidationError, match="hnit"):
        ExerciseFile.model_validate(data)


def test_a_missing_translation_is_rejected() -> None:
    data = _raw()
    del data["exercises"][2]["mistakes"][0]["hint"]["zh"]
    with pytest.raises(pydantic.ValidationError, match="zh"):
        ExerciseFile.model_validate(data)


@pytest.mark.parametrize(("builds_on", "wrong"), [(["decode_step"], "decode_step"), (["sofmax"], "sofmax")],
                         ids=["a-later-exercise", "an-unknown-one"])
def test_builds_on_names_only_exercises_listed_before(builds_on: list[str], wrong: str) -> None:
    assert catalog.exercise_file().exercises[3].builds_on == ("scaled_dot_product_attention",)  # the shipped one
    data = _raw()
    data["exercises"][3]["builds_on"] = builds_on  # multi_head_attention
    with pytest.raises(pydantic.ValidationError, match=f"multi_head_attention: builds_on \\['{wrong}'\\] must name"):
        ExerciseFile.model_validate(data)


def test_docs_list_every_test_and_every_mistake() -> None:
    from tests.conftest import REPO

    docs = (REPO / "docs" / "checker.md").read_text(encoding="utf-8")
    for spec in builtin().specs().values():
        for item in (*spec.tests, *spec.mistakes):
            assert f"`{item.id}`" in docs, (spec.id, item.id)
