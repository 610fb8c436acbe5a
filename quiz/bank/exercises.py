"""Code exercises that a bank defines itself: checking the definitions, finding them again.

A code question's ``exercise`` may be a whole definition (quiz.bank.models.ExerciseDefinition):
the function and its parameters, the reference file next to the bank, how each argument is
made, points, tolerance, hints and known mistakes. The bank's model checks the structure;
this module checks what needs more than one field or the file system, for ``attnquiz
validate``: every test gives exactly the function's parameters, ids are unique, fixed array
values are regular, and the reference file exists, is Python, and defines the function (with
those parameters) and every mistake's function. The reference is read with ``ast`` only,
never imported or run here.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quiz.bank import models
from quiz.i18n import t

PathSuffix = tuple[str | int, ...]


@dataclass(frozen=True)
class BankExercise:
    """An exercise defined in a bank, with where its reference file is."""

    definition: models.ExerciseDefinition
    bank_file: Path
    topic: str | None = None  # the topic and difficulty of the code question that defines it
    difficulty: int | None = None

    @property
    def id(self) -> str:
        return self.definition.id

    @property
    def reference(self) -> Path:
        return reference_path(self.bank_file, self.definition)


def reference_path(bank_file: Path, definition: models.ExerciseDefinition) -> Path:
    """The reference file, relative to the bank file's folder."""
    return (bank_file.parent / definition.reference).resolve()


def definitions(catalog: Any) -> dict[str, BankExercise]:
    """Exercise id -> every exercise defined by the valid banks of a Catalog, in bank order."""
    found: dict[str, BankExercise] = {}
    for bank in catalog.banks:
        for question in bank.questions:
            if isinstance(question, models.CodeQuestion) and isinstance(question.exercise,
                                                                         models.ExerciseDefinition):
                found.setdefault(question.exercise.id, BankExercise(question.exercise, catalog.sources[bank.id],
                                                                    question.topic, question.difficulty))
    return found


def definition_problems(
    bank_file: Path, definition: models.ExerciseDefinition, builtin: set[str], seen: dict[str, str],
) -> list[tuple[PathSuffix, bool, str]]:
    """Problems of one definition: (path inside the definition, whether it points at a key, message)."""
    problems: list[tuple[PathSuffix, bool, str]] = []
    if definition.id in builtin:
        problems.append((("id",), False, t("bankex.builtin_id", id=definition.id)))
    elif definition.id in seen:
        problems.append((("id",), False, t("bankex.duplicate_id", id=definition.id, first=seen[definition.id])))
    else:
        seen[definition.id] = str(bank_file)
    problems += _duplicates(definition.params, ("params",), "bankex.duplicate_param")
    problems += _duplicates([test.id for test in definition.tests], ("tests",), "bankex.duplicate_test")
    problems += _duplicates([m.id for m in definition.mistakes], ("mistakes",), "bankex.duplicate_mistake")
    params = list(definition.params)
    for ti, test in enumerate(definition.tests):
        missing = [p for p in params if p not in test.args]
        if missing:
            problems.append((("tests", ti, "args"), False, t("bankex.missing_args", test=test.id,
                                                             names=", ".join(missing))))
        for name, spec in test.args.items():
            if name not in params:
                problems.append((("tests", ti, "args", name), True, t(
                    "bankex.unknown_arg", test=test.id, name=name, params=", ".join(params) or "-")))
            elif spec.array is not None and spec.array.values is not None:
                problem = _values_problem(spec.array.values, spec.array.dtype)
                if problem:
                    problems.append((("tests", ti, "args", name, "array", "values"), False, problem))
    problems += _reference_problems(bank_file, definition)
    return problems


def _duplicates(ids: list[str], where: PathSuffix, key: str) -> list[tuple[PathSuffix, bool, str]]:
    seen: set[str] = set()
    problems = []
    for i, value in enumerate(ids):
        if value in seen:
            problems.append(((*where, i), False, t(key, id=value)))
        seen.add(value)
    return problems


def _values_problem(values: Any, dtype: str) -> str:
    """Why nested lists cannot be an array of this dtype ("" when they can)."""

    def shape_of(node: Any) -> tuple[int, ...] | None:
        if not isinstance(node, list):
            ok = isinstance(node, bool) if dtype == "bool" else (
                isinstance(node, int) and not isinstance(node, bool) if dtype == "int64" else
                isinstance(node, (int, float)) and not isinstance(node, bool))
            return () if ok else None
        shapes = {shape_of(item) for item in node}
        if len(shapes) > 1 or None in shapes:
            return None
        return (len(node), *next(iter(shapes), ()))

    return "" if shape_of(values) is not None else t("bankex.values", dtype=dtype)


def _reference_problems(bank_file: Path, definition: models.ExerciseDefinition) -> list[tuple[PathSuffix, bool, str]]:
    path = reference_path(bank_file, definition)
    where: PathSuffix = ("reference",)
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return [(where, False, t("bankex.reference_missing", path=path))]
    except (OSError, UnicodeDecodeError) as exc:
        return [(where, False, t("bankex.reference_unreadable", path=path, reason=getattr(exc, "strerror", None)
                                 or str(exc)))]
    try:
        tree = ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        return [(where, False, t("bankex.reference_syntax", path=path, line=exc.lineno or 0, reason=exc.msg))]
    functions = {node.name: node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    problems: list[tuple[PathSuffix, bool, str]] = []
    main = functions.get(definition.function)
    if main is None:
        problems.append((("function",), False, t("bankex.reference_lacks", path=path.name,
                                                  name=definition.function)))
    else:
        names = [a.arg for a in (*main.args.posonlyargs, *main.args.args)]
        if names != list(definition.params):
            problems.append((("params",), False, t("bankex.params_differ", path=path.name, name=definition.function,
                                                    found=", ".join(names), params=", ".join(definition.params))))
    for mi, mistake in enumerate(definition.mistakes):
        if mistake.function not in functions:
            problems.append((("mistakes", mi, "function"), False, t("bankex.reference_lacks", path=path.name,
                                                                     name=mistake.function)))
    return problems
