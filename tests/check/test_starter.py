"""Starter files: every signature, a docstring with the task and shapes (hints only on request), NotImplementedError bodies."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from quiz.check.registry import builtin
from quiz.check.runner import CheckOptions, run_check
from quiz.check.starter import starter_text
from quiz.check.verdicts import Status
from quiz.i18n import bind_language


def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef | ast.ClassDef]:
    return {node.name: node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}


def test_the_starter_defines_every_exercise_with_its_signature_and_docstring_but_no_hint() -> None:
    text = starter_text(list(builtin().specs().values()))
    tree = ast.parse(text)
    defined = _functions(tree)
    for spec in builtin().specs().values():
        node = defined[spec.name]
        head = text.splitlines()[node.lineno - 1]
        assert head == spec.signature
        doc = ast.get_docstring(node)
        assert spec.doc.en.splitlines()[0] in doc and f"`attnquiz hint {spec.id}`" in doc
        assert len(spec.hints) >= 2 and not any(hint.en in text for hint in spec.hints)
    update = next(n for n in defined["KVCache"].body if isinstance(n, ast.FunctionDef) and n.name == "update")
    assert isinstance(update.body[-1], ast.Raise) and ast.unparse(update.body[-1]) == "raise NotImplementedError"
    assert "attnquiz check solution.py" in ast.get_docstring(tree)


def test_a_subset_in_chinese() -> None:
    bind_language("zh")
    text = starter_text([exercise.spec for exercise in builtin().select(("flash_attention", "softmax"))], "mine.py")
    assert list(_functions(ast.parse(text))) == ["softmax", "flash_attention"]  # catalogue order
    assert "attnquiz check mine.py" in text and "逐级显示提示" in text and "沿 `axis` 计算 x 的 softmax" in text


@pytest.fixture()
def untouched(tmp_path: Path) -> Path:
    path = tmp_path / "solution.py"
    path.write_text(starter_text(list(builtin().specs().values())), encoding="utf-8")
    return path


def test_an_untouched_starter_checks_as_not_implemented_everywhere(untouched: Path) -> None:
    result = run_check(untouched, CheckOptions(seed=1))
    assert result.load_error is None and result.tests
    assert {verdict.status for verdict in result.tests} == {Status.NOT_IMPLEMENTED}
    assert result.score == 0 and result.max_score == 200 and int(result.exit_status) == 1
    assert result.output == ""
