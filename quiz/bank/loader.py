"""Find bank files, read them, validate them, and report every problem with its place.

Validation never stops at the first problem: YAML-level problems (duplicate keys,
custom tags), schema problems (from the typed models in quiz.bank.models) and problems
across banks (a question id used twice, an unknown exercise) are all collected as
``Problem`` records that print as ``path:line:col: message``.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from quiz.bank import models, source as yamlsource
from quiz.bank.roots import bank_roots, find_bank_files
from quiz.i18n import t

_CHILD_MODELS = {"choices": models.Choice, "key_points": models.KeyPoint, "exercise": models.ExerciseDefinition,
                 "tests": models.ExerciseTestSpec, "mistakes": models.ExerciseMistakeSpec,
                 "array": models.ArraySpec, "integer": models.RangeSpec, "number": models.RangeSpec}
_VALUE_MODELS = {"args": models.ArgumentSpec, "tolerance": models.ToleranceSpec}  # a mapping of these
_UNION_TAGS = {"definition"}  # pydantic's names for the branches of CodeQuestion.exercise
_QUESTION_MODELS = dict(zip(models.QUESTION_TYPES, models.QUESTION_MODELS))
_LANG_FIELDS = {"title", "description", "prompt", "explanation", "text", "errata", "unit", "reference",
                "point", "keywords", "match", "answers", "label", "hint", "doc", "name"}
# Words nearly every answer contains: a keyword that matches one of them ticks its point for free.
COMMON_WORDS = {
    "en": ("the", "and", "that", "this", "with", "from", "because", "which", "there", "their", "have", "more",
           "each", "only", "also", "about", "when", "then", "than", "into", "over", "does", "other", "same",
           "attention", "self-attention", "token", "tokens", "model", "models", "inference", "sequence", "layer",
           "value", "values", "vector", "matrix", "compute", "computation", "time", "number", "size", "input"),
    "zh": ("的", "是", "了", "在", "和", "有", "不", "也", "就", "都", "这", "那", "一个", "我们", "可以", "因为",
           "所以", "如果", "然后", "没有", "注意力", "模型", "计算", "序列", "向量", "矩阵", "输入", "输出", "时候"),
}
_SHORTEST_KEYWORD = 3  # characters after normalisation; a Chinese character counts as two


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    col: int
    message: str
    severity: Literal["error", "warning"] = "error"
    unreadable: bool = False
    """The path is missing or cannot be read (a usage error, exit 2), as opposed to a problem in a bank."""

    def __str__(self) -> str:
        prefix = t("bank.warning_prefix") if self.severity == "warning" else ""
        where = f"{self.path}:{self.line}:{self.col}" if self.line else self.path
        return f"{where}: {prefix}{self.message}"


@dataclass
class Catalog:
    """The valid banks that were loaded, and every problem met on the way."""

    banks: list[models.Bank] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: int = 0
    sources: dict[str, Path] = field(default_factory=dict)  # bank id -> the file it was read from

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def questions(self) -> list[tuple[models.Bank, models.AnyQuestion]]:
        return [(bank, question) for bank in self.banks for question in bank.questions]


def bank_files(paths: Iterable[str | os.PathLike[str]], problems: list[Problem]) -> list[Path]:
    """Expand files and folders (recursively) into bank files; a missing path is a problem."""
    found, missing = find_bank_files(paths)
    problems.extend(Problem(str(path), 0, 0, t("bank.missing_path"), unreadable=True) for path in missing)
    return found


def load_catalog(extra: Sequence[str] = (), *, known_exercises: Collection[str], include_builtin: bool = True) -> Catalog:
    """The built-in banks (unless excluded), then the settings file's banks, ATTNQUIZ_BANKS, then `extra`."""
    return load_paths(bank_roots(extra, include_builtin), known_exercises=known_exercises)


def load_paths(paths: Iterable[str | os.PathLike[str]], *, known_exercises: Collection[str],
               authoring: bool = False) -> Catalog:
    """Validate every bank under `paths`; only banks without errors are kept. `known_exercises`: the
    checker's exercise ids, which code questions may name and bank exercises may not reuse (the
    command passes them in: the bank side never imports the checker). `authoring` (validate) also
    runs the authors' own tests: every sample answer marked against its key points, and the keyword
    lint; they are most of the time of a load, and say nothing the quiz needs."""
    catalog = Catalog()
    files = bank_files(paths, catalog.problems)
    catalog.files = len(files)
    first_question: dict[str, tuple[str, int]] = {}
    first_bank: dict[str, tuple[str, int]] = {}
    first_exercise: dict[str, str] = {}
    exercises = set(known_exercises)
    for path in files:
        bank, doc, problems = _load_file(path)
        if doc is not None and isinstance(doc.data, dict):  # ids are checked even when the bank has errors
            problems += _id_checks(str(path), doc, first_bank, first_question)
        if bank is not None and doc is not None:
            problems += _exercise_checks(str(path), bank, doc, exercises)
            if authoring:
                problems += _key_point_checks(str(path), bank, doc)
        problems.sort(key=lambda p: (p.line, p.col))  # in file order (stable: same place, found order)
        if bank is not None and doc is not None:
            problems += _definition_checks(path, bank, doc, exercises, first_exercise)
        catalog.problems += problems
        if bank is not None and not any(p.severity == "error" for p in problems):
            catalog.banks.append(bank)
            catalog.sources[bank.id] = path
    return catalog


def _load_file(path: Path) -> tuple[models.Bank | None, yamlsource.Document | None, list[Problem]]:
    shown = str(path)
    try:
        doc = yamlsource.parse(yamlsource.read_text(path))
    except OSError as exc:
        return None, None, [Problem(shown, 0, 0, t("bank.unreadable", reason=exc.strerror or str(exc)), unreadable=True)]
    except yamlsource.YamlReadError as exc:
        return None, None, [_from_yaml(shown, exc.problem)]
    problems = [_from_yaml(shown, p) for p in doc.problems]
    if not isinstance(doc.data, dict):
        return None, doc, problems + [Problem(shown, 1, 1, t("bank.not_mapping"))]
    try:
        bank = models.Bank.model_validate(doc.data)
    except ValidationError as exc:
        errors = exc.errors()
        suggested = {_data_path(e["loc"], doc.data)[:-1] + (_suggest_key(e, doc),) for e in errors
                     if e["type"] == "extra_forbidden"}
        problems += [_from_pydantic(shown, doc, error) for error in errors
                     if not (error["type"] == "missing" and _data_path(error["loc"], doc.data) in suggested)]
        return None, doc, _sorted(problems)
    problems += _warnings(shown, bank, doc)
    return bank, doc, _sorted(problems)


def _sorted(problems: list[Problem]) -> list[Problem]:
    """In file order, one problem per node (the first found: YAML-level before schema)."""
    seen: set[tuple[int, int]] = set()
    unique = []
    for problem in problems:
        if (problem.line, problem.col) not in seen or not problem.line:
            seen.add((problem.line, problem.col))
            unique.append(problem)
    return sorted(unique, key=lambda p: (p.line, p.col))


def _suggest_key(error: dict[str, Any], doc: yamlsource.Document) -> str | None:
    """For an unknown key, the closest allowed key of the same mapping (or None)."""
    path = _data_path(error["loc"], doc.data)
    model = _model_at(path[:-1], doc.data)
    close = difflib.get_close_matches(str(path[-1]), list(model.model_fields) if model else [], n=1, cutoff=0.6)
    return close[0] if close else None


def _from_yaml(shown: str, problem: yamlsource.YamlProblem) -> Problem:
    return Problem(shown, problem.mark.line, problem.mark.col, t(problem.key, **problem.fields))


def _data_path(loc: tuple[Any, ...], data: Any) -> tuple[Any, ...]:
    """Drop pydantic's union-tag entries from `loc`, keeping only steps into the data."""
    path: list[Any] = []
    for step in loc:
        if isinstance(data, dict) and step in data:
            data = data[step]
            path.append(step)
        elif isinstance(data, list) and isinstance(step, int) and 0 <= step < len(data):
            data = data[step]
            path.append(step)
        elif isinstance(data, dict) and step not in data and step not in _QUESTION_MODELS and step not in _UNION_TAGS:
            path.append(step)  # a missing or extra key: keep it for the message
            break
    return tuple(path)


def _model_at(path: tuple[Any, ...], data: Any) -> type[models.BaseModel] | None:
    """The model class that validates the mapping at `path` (None if unknown)."""
    model: type[models.BaseModel] | None = models.Bank
    node = data
    for i, step in enumerate(path):
        node = node[step] if isinstance(node, (dict, list)) and _has(node, step) else None
        if path[i - 1:i] == ("questions",) and isinstance(step, int):
            model = _QUESTION_MODELS.get(node.get("type")) if isinstance(node, dict) else None
        elif i and path[i - 1] in _VALUE_MODELS and isinstance(path[i - 1], str):
            model = _VALUE_MODELS[path[i - 1]]
        elif step in _CHILD_MODELS and isinstance(step, str):
            model = _CHILD_MODELS[step]
    return model


def _has(node: Any, step: Any) -> bool:
    return step in node if isinstance(node, dict) else isinstance(step, int) and 0 <= step < len(node)


def _question_context(path: tuple[Any, ...], data: Any) -> str:
    if len(path) >= 2 and path[0] == "questions" and isinstance(path[1], int):
        question = data["questions"][path[1]]
        if isinstance(question, dict) and isinstance(question.get("id"), str):
            return t("bank.in_question", id=question["id"])
    return ""


def _from_pydantic(shown: str, doc: yamlsource.Document, error: dict[str, Any]) -> Problem:
    kind = error["type"]
    ctx = dict(error.get("ctx") or {})
    path = _data_path(error["loc"], doc.data)
    name = next((str(s) for s in reversed(path) if isinstance(s, str)), "")
    mark = doc.mark_for(path)
    if path and isinstance(path[-1], int):
        name = t("bank.item", field=name, n=path[-1] + 1)
    if kind == "extra_forbidden":
        model = _model_at(path[:-1], doc.data)
        known = list(model.model_fields) if model else []
        suggestion = _suggest_key(error, doc)
        key = "bank.unknown_key_suggest" if suggestion else "bank.unknown_key"
        message = t(key, key=name, suggestion=suggestion, known=", ".join(known))
        mark = doc.mark_for(path, key=True)
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        found = ctx.get("tag", "")
        close = difflib.get_close_matches(str(found), models.QUESTION_TYPES, n=1, cutoff=0.5)
        types = ", ".join(models.QUESTION_TYPES)
        if kind == "union_tag_not_found":
            message = t("bank.missing_type", types=types)
        elif close:
            message = t("bank.unknown_type_suggest", found=found, suggestion=close[0], types=types)
        else:
            message = t("bank.unknown_type", found=found, types=types)
        mark = doc.mark_for(path + ("type",))
    elif kind == "missing":
        parent = _model_at(path[:-1], doc.data)
        qtype = parent.model_fields["type"].annotation.__args__[0] if parent and "type" in parent.model_fields else ""
        message = t("bank.missing_field_for", field=name, type=qtype) if qtype else t("bank.missing_field", field=name)
    elif f"bank.{kind}" in _catalogue_keys():
        message = t(f"bank.{kind}", field=name, **{k: _shown(v) for k, v in ctx.items()})
    else:
        message = t("bank.invalid_value", field=name, detail=error["msg"])
    return Problem(shown, mark.line, mark.col, _question_context(path, doc.data) + message)


def _shown(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _catalogue_keys() -> set[str]:
    from quiz.i18n import catalogue

    return set(catalogue())


def _warnings(shown: str, bank: models.Bank, doc: yamlsource.Document) -> list[Problem]:
    """Problems that do not stop a bank from being used, but fail `validate --strict`."""
    problems: list[Problem] = []
    wanted = list(bank.languages)

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        if isinstance(node, dict):
            last = path[-1] if path else None
            per_language = node and all(isinstance(k, str) and k in set(wanted) | {"en", "zh"} for k in node)
            if per_language and (last in _LANG_FIELDS or path[-2:-1] == ("topics",)):
                for lang in wanted:
                    if lang not in node:
                        mark = doc.mark_for(path)
                        message = _question_context(path, doc.data) + t("bank.missing_translation", lang=lang,
                                                                        field=last)
                        problems.append(Problem(shown, mark.line, mark.col, message, "warning"))
                return
            for key, value in node.items():
                walk(value, path + (key,))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, path + (i,))

    walk(doc.data, ())
    for qi, question in enumerate(bank.questions):
        if bank.topics and question.topic not in bank.topics:
            mark = doc.mark_for(("questions", qi, "topic"))
            problems.append(Problem(shown, mark.line, mark.col,
                                    t("bank.topic_unnamed", topic=question.topic), "warning"))
        for ci, choice in enumerate(getattr(question, "choices", ())):
            if not choice.correct and choice.explanation is None:
                mark = doc.mark_for(("questions", qi, "choices", ci))
                message = t("bank.in_question", id=question.id) + t("bank.choice_unexplained", n=ci + 1)
                problems.append(Problem(shown, mark.line, mark.col, message, "warning"))
    return problems


def _id_checks(shown: str, doc: yamlsource.Document, first_bank: dict[str, tuple[str, int]],
               first_question: dict[str, tuple[str, int]]) -> list[Problem]:
    """Bank and question ids unique across every loaded bank. Read from the raw document, so that a
    repeated id is reported even when its question (or its bank) has other errors."""
    problems: list[Problem] = []
    data = doc.data
    if isinstance(data.get("id"), str):
        problems += _repeated(shown, doc, ("id",), data["id"], first_bank, "bank.duplicate_bank_id")
    questions = data.get("questions")
    for qi, question in enumerate(questions if isinstance(questions, list) else []):
        if isinstance(question, dict) and isinstance(question.get("id"), str):
            problems += _repeated(shown, doc, ("questions", qi, "id"), question["id"], first_question,
                                  "bank.duplicate_question_id")
    return problems


def _repeated(shown: str, doc: yamlsource.Document, where: tuple[Any, ...], value: str,
              first: dict[str, tuple[str, int]], key: str) -> list[Problem]:
    """A problem if `value` was seen before (at the place `first` remembers), else remember this place."""
    mark = doc.mark_for(where)
    if value not in first:
        first[value] = (shown, mark.line)
        return []
    return [Problem(shown, mark.line, mark.col, t(key, id=value, first="{}:{}".format(*first[value])))]


def _exercise_checks(shown: str, bank: models.Bank, doc: yamlsource.Document, exercises: set[str]) -> list[Problem]:
    """Code questions name a known exercise."""
    problems: list[Problem] = []
    for qi, question in enumerate(bank.questions):
        if isinstance(question, models.CodeQuestion) and isinstance(question.exercise, str) \
                and question.exercise not in exercises:
            emark = doc.mark_for(("questions", qi, "exercise"))
            close = difflib.get_close_matches(question.exercise, sorted(exercises), n=1)
            problems.append(Problem(shown, emark.line, emark.col, t(
                "bank.unknown_exercise", id=question.exercise,
                hint=t("bank.did_you_mean", suggestion=close[0]) if close else "",
                known=", ".join(sorted(exercises)))))
    return problems


def _definition_checks(path: Path, bank: models.Bank, doc: yamlsource.Document, builtin: set[str],
                       first_exercise: dict[str, str]) -> list[Problem]:
    """Exercises defined in the bank: parameters, ids, and the reference file (quiz.bank.exercises)."""
    from quiz.bank.exercises import definition_problems

    problems = []
    for qi, question in enumerate(bank.questions):
        if isinstance(question, models.CodeQuestion) and isinstance(question.exercise, models.ExerciseDefinition):
            for suffix, key, message in definition_problems(path, question.exercise, builtin, first_exercise):
                mark = doc.mark_for(("questions", qi, "exercise", *suffix), key=key)
                problems.append(Problem(str(path), mark.line, mark.col, t("bank.in_question", id=question.id) + message))
    return sorted(problems, key=lambda p: (p.line, p.col))


def _key_point_checks(shown: str, bank: models.Bank, doc: yamlsource.Document) -> list[Problem]:
    """Open questions: every sample answer ticks exactly its points (errors), keywords lint and samples wanted
    (warnings)."""
    problems: list[Problem] = []
    for qi, question in enumerate(bank.questions):
        found = _hint_lint(question, bank.languages)
        if isinstance(question, models.OpenQuestion):
            found += [*_sample_problems(question), *_keyword_lint(question, bank.languages)]
        where = t("bank.in_question", id=question.id)
        for path, message, severity in found:
            mark = doc.mark_for(("questions", qi, *path))
            problems.append(Problem(shown, mark.line, mark.col, where + message, severity))
    return sorted(problems, key=lambda p: (p.line, p.col))


_HINT_NUMBER = re.compile(r"(?<![\d^.])\d+(?:[.,]\d+)*(?![\d^])")  # a number, not a part of a power such as 2^30


def _hint_lint(question: models.AnyQuestion, languages: list[str]) -> Found:
    """A hint that states the answer (a numeric answer, an accepted short answer, a right choice's text)
    is no nudge: a warning per language."""
    from quiz.practice.normalize import contains_keyword, normalize

    found: Found = []
    for lang in languages if question.hint is not None else []:
        hint = models.localize(question.hint, lang)
        if isinstance(question, models.NumericQuestion):
            numbers = [n for n in _HINT_NUMBER.findall(hint)
                       if abs(float(n.replace(",", "")) - question.answer) <= max(question.tolerance, 1e-9)]
            said = numbers[:1]
        elif isinstance(question, models.ShortQuestion):
            said = [a for a in models.localize(question.answers, lang) if contains_keyword(hint, a)][:1]
        elif isinstance(question, (models.SingleQuestion, models.MultipleQuestion)):
            right = [models.localize(c.text, lang) for c in question.choices if c.correct]
            said = [text for text in right if normalize(text) and normalize(text) in normalize(hint)][:1]
        else:
            said = []
        found += [(("hint",), t("bank.hint_gives_answer", lang=lang, answer=said[0]), "warning")] if said else []
    return found


Found = list[tuple[tuple[Any, ...], str, Literal["error", "warning"]]]


def _sample_problems(question: models.OpenQuestion) -> Found:
    from quiz.practice.marking import mark_key_points

    found: Found = []
    total = len(question.key_points)
    for lang, samples in question.sample_answers.items():
        for si, sample in enumerate(samples):
            path = ("sample_answers", lang, si)
            beyond = [n for n in sample.ticks if n > total]
            if beyond:
                found.append((path + ("ticks",), t("bank.sample_tick_range", n=si + 1, lang=lang, tick=beyond[0],
                                                   total=total), "error"))
                continue
            marks = mark_key_points(question, sample.text, lang)
            got = {i + 1 for i, m in enumerate(marks) if m.ticked}
            want = set(sample.ticks)
            if got != want:
                details = [t("bank.sample_missed", n=n, group=" | ".join(marks[n - 1].missing[0]))
                           for n in sorted(want - got)]
                details += [t("bank.sample_extra", n=n, words=", ".join(marks[n - 1].matched))
                            for n in sorted(got - want)]
                found.append((path, t("bank.sample_failed", n=si + 1, lang=lang, want=_numbers(want),
                                      got=_numbers(got), detail="; ".join(details)), "error"))
    return found


def _numbers(points: set[int]) -> str:
    return ", ".join(map(str, sorted(points))) if points else t("bank.sample_none")


def _keyword_lint(question: models.OpenQuestion, languages: list[str]) -> Found:
    from quiz.practice.marking import match_point, point_rule
    from quiz.practice.normalize import find_keyword, has_cjk, words

    found: Found = []
    for lang in languages:
        samples = question.sample_answers.get(lang, [])
        correct, wrong = sum(not s.wrong for s in samples), sum(s.wrong for s in samples)
        if correct < 2 or wrong < 1:
            path = ("sample_answers",) if question.sample_answers else ("id",)
            found.append((path, t("bank.samples_needed", lang=lang, correct=correct, wrong=wrong), "warning"))
        texts = [models.localize(p.point, lang) for p in question.key_points]
        common = COMMON_WORDS.get(lang, ()) + (COMMON_WORDS["en"] if lang != "en" else ())
        for pi, point in enumerate(question.key_points):
            if point.match is not None and lang not in point.match:
                continue  # the missing translation is reported already
            if point.match is not None:
                groups, _ = point_rule(point, lang)
                path: tuple[Any, ...] = ("key_points", pi, "match", lang)
            else:
                groups, path = [list(models.localize(point.keywords, lang))], ("key_points", pi, "keywords", lang)
            for keyword in (k for group in groups for k in group):
                normal = words(keyword).replace(" ", "")
                word = next((w for w in common if find_keyword(words(w), keyword)), None)
                if len(normal) + sum(map(has_cjk, normal)) < _SHORTEST_KEYWORD:
                    found.append((path, t("bank.keyword_short", n=pi + 1, lang=lang, keyword=keyword, normal=normal),
                                  "warning"))
                elif word is not None:
                    found.append((path, t("bank.keyword_common", n=pi + 1, lang=lang, keyword=keyword, word=word),
                                  "warning"))
            # The point's whole rule must not tick on another point's own statement.
            for other, text in enumerate(texts):
                result = match_point(point, words(text), lang) if other != pi else None
                if result is not None and result.ticked:
                    found.append((path, t("bank.keyword_other_point", n=pi + 1, lang=lang,
                                          keyword="', '".join(result.matched), other=other + 1, text=text), "warning"))
    return found
