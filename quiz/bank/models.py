"""The question-bank format as typed models: what a valid bank is.

A bank file holds ``format_version``, an ``id``, a ``title``, the ``languages`` it
provides and a list of ``questions``. Every text a user reads is a ``Text``: either a
plain string (the same in every language) or a mapping from language code to text.
Unknown keys are rejected everywhere, so a typo is an error, not a silent default.
``Bank.model_json_schema()`` is the JSON Schema that `attnquiz schema` prints.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from quiz.i18n import localize  # noqa: F401 - models.localize, where the texts are defined

FORMAT_VERSION = 1
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]+)?$")
_ID = r"^[a-z0-9][a-z0-9_.-]*$"


def _check_per_language(value: Any, item_ok, item_error: str) -> Any:
    if isinstance(value, dict):
        if not value:
            raise PydanticCustomError("text_empty_mapping", "needs at least one language")
        for lang, item in value.items():
            if not isinstance(lang, str) or not _LANG.match(lang):
                raise PydanticCustomError("bad_language", "'{lang}' is not a language code", {"lang": lang})
            if not item_ok(item):
                raise PydanticCustomError(item_error, "", {"lang": lang})
        return value
    if not item_ok(value):
        raise PydanticCustomError(item_error, "", {"lang": ""})
    return value


def _is_text(item: Any) -> bool:
    return isinstance(item, str) and bool(item.strip())


def _is_str_list(item: Any) -> bool:
    return isinstance(item, list) and bool(item) and all(_is_text(x) for x in item)


def _lang_schema(item: dict[str, Any], title: str) -> dict[str, Any]:
    per_lang = {"type": "object", "propertyNames": {"pattern": _LANG.pattern}, "additionalProperties": item,
                "minProperties": 1}
    return {"title": title, "anyOf": [item, per_lang]}


Text = Annotated[
    Union[str, dict[str, str]],
    BeforeValidator(lambda v: _check_per_language(v, _is_text, "text_type")),
    WithJsonSchema(_lang_schema({"type": "string", "minLength": 1}, "Text (plain, or one per language)")),
]
"""A user-visible text: one string, or a mapping such as ``{en: ..., zh: ...}``."""

TextList = Annotated[
    Union[list[str], dict[str, list[str]]],
    BeforeValidator(lambda v: _check_per_language(v, _is_str_list, "text_list_type")),
    WithJsonSchema(
        _lang_schema({"type": "array", "items": {"type": "string"}, "minItems": 1}, "Strings (plain, or per language)")
    ),
]
"""A list of strings for every language, or one list per language."""

Identifier = Annotated[str, Field(pattern=_ID, max_length=80)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Choice(_Strict):
    text: Text
    correct: bool = False
    explanation: Text | None = None
    """Why this choice is right or wrong; shown after answering in practice mode."""


Phrase = Annotated[str, Field(min_length=1, pattern=r"\S")]
LanguageCode = Annotated[str, Field(pattern=_LANG.pattern)]


def _group(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


Group = Annotated[list[Phrase], BeforeValidator(_group), Field(min_length=1)]
"""Alternatives (synonyms): the group is found when any one of them is. A plain string is a group of one."""


class MatchRule(_Strict):
    """How a key point is recognised in an answer written in one language."""

    all: list[Group] = Field(min_length=1)
    """Every group must be found (all-of parts), each by any one of its alternatives (any-of synonyms)."""
    exclude: list[Phrase] = Field(default_factory=list)
    """Phrases that do not count: the places they match are removed before the groups are searched
    (so `exclude: [self-attention]` stops `self` from matching inside it)."""


class KeyPoint(_Strict):
    point: Text
    keywords: TextList | None = None
    """The simple form: any one of these words ticks the point."""
    match: dict[LanguageCode, MatchRule] | None = None
    """The full form, per language: groups of alternatives that must all be found, and exclusions."""

    @model_validator(mode="after")
    def _one_form(self) -> KeyPoint:
        if (self.keywords is None) == (self.match is None):
            raise PydanticCustomError("key_point_form", "", {})
        return self


class SampleAnswer(_Strict):
    """An answer an author expects to be marked a certain way; `attnquiz validate` marks it."""

    text: Phrase
    ticks: list[Annotated[int, Field(ge=1)]]
    """The numbers (1 = the first) of exactly the key points this answer must tick."""
    wrong: bool = False
    """A wrong answer (a common mistake), as opposed to a correct answer in other words."""


class QuestionBase(_Strict):
    """What every question has, whatever its type."""

    id: Identifier
    topic: Identifier
    tags: list[Identifier] = Field(default_factory=list)
    difficulty: Annotated[int, Field(ge=1, le=3)]
    prompt: Text
    explanation: Text
    """Markdown, shown after the answer in practice mode and in the exam walk-through."""
    source: str | None = None
    """Where the facts come from (paper, model card, configuration file)."""
    errata: Text | None = None
    """What the common (or the source note's) answer gets wrong."""
    hint: Text | None = None
    """A nudge shown on request before answering, in practice and review (it caps the rating at Hard)."""


def _correct_count(choices: list[Choice]) -> int:
    return sum(choice.correct for choice in choices)


class SingleQuestion(QuestionBase):
    type: Literal["single"]
    choices: list[Choice] = Field(min_length=2)

    @field_validator("choices")
    @classmethod
    def _one_correct(cls, choices: list[Choice]) -> list[Choice]:
        if _correct_count(choices) != 1:
            raise PydanticCustomError("single_correct", "", {"count": _correct_count(choices)})
        return choices


class MultipleQuestion(QuestionBase):
    type: Literal["multiple"]
    choices: list[Choice] = Field(min_length=2)

    @field_validator("choices")
    @classmethod
    def _some_correct(cls, choices: list[Choice]) -> list[Choice]:
        if _correct_count(choices) == 0:
            raise PydanticCustomError("no_correct", "", {})
        return choices


class TrueFalseQuestion(QuestionBase):
    type: Literal["truefalse"]
    answer: bool


class ShortQuestion(QuestionBase):
    type: Literal["short"]
    answers: TextList
    """Accepted answers, matched after normalising case, width, spaces and punctuation."""


class NumericQuestion(QuestionBase):
    type: Literal["numeric"]
    answer: float
    tolerance: Annotated[float, Field(ge=0)]
    """Absolute: an answer within answer ± tolerance is right."""
    unit: Text | None = None


class OpenQuestion(QuestionBase):
    type: Literal["open"]
    reference: Text
    """A model answer, shown after the user has written theirs."""
    key_points: list[KeyPoint] = Field(min_length=1)
    sample_answers: dict[LanguageCode, list[SampleAnswer]] = Field(default_factory=dict)
    """Per language: correct answers in other words, and wrong ones, each with the points it must tick."""


PythonName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=80)]
_MAX_ARRAY_ELEMENTS = 1 << 24


class ToleranceSpec(_Strict):
    atol: Annotated[float, Field(ge=0)]
    rtol: Annotated[float, Field(ge=0)]
    """A value is right when |got - expected| <= atol + rtol * |expected|."""


class ArraySpec(_Strict):
    """A NumPy array argument: random with this shape, dtype and distribution, or fixed `values`."""

    shape: list[Annotated[int, Field(ge=0)]] = Field(default_factory=list, max_length=8)
    dtype: Literal["float32", "float64", "int64", "bool"] = "float64"
    distribution: Literal["normal", "uniform"] = "normal"
    """Floats: normal(mean, std) or uniform[low, high); int64: integers in [low, high]; bool: True with p."""
    mean: float = 0.0
    std: Annotated[float, Field(ge=0)] = 1.0
    low: float = 0.0
    high: float = 1.0
    p: Annotated[float, Field(ge=0, le=1)] = 0.5
    values: list[Any] | None = None
    """Fixed contents (nested lists), instead of random ones; `shape` is then taken from them."""

    @model_validator(mode="after")
    def _consistent(self) -> ArraySpec:
        size = 1
        for n in self.shape:
            size *= n
        if size > _MAX_ARRAY_ELEMENTS:
            raise PydanticCustomError("array_too_big", "", {"size": size, "limit": _MAX_ARRAY_ELEMENTS})
        if self.low > self.high or (self.low == self.high and self.dtype != "int64" and
                                    self.distribution == "uniform"):
            raise PydanticCustomError("range_order", "", {"low": self.low, "high": self.high})
        return self


class RangeSpec(_Strict):
    """A random number in [low, high] (for `integer`, both ends included)."""

    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> RangeSpec:
        if self.low > self.high:
            raise PydanticCustomError("range_order", "", {"low": self.low, "high": self.high})
        return self


class ArgumentSpec(_Strict):
    """How one argument is made for a test: exactly one of array, integer, number, value."""

    array: ArraySpec | None = None
    integer: RangeSpec | None = None
    number: RangeSpec | None = None
    value: Union[bool, int, float, str, None] = None
    """A fixed value, passed as is (null is Python's None)."""

    @model_validator(mode="after")
    def _exactly_one(self) -> ArgumentSpec:
        given = [name for name in ("array", "integer", "number", "value") if name in self.model_fields_set]
        if len(given) != 1:
            raise PydanticCustomError("argument_kind", "", {"given": ", ".join(given) or "-"})
        return self


class ExerciseTestSpec(_Strict):
    id: Identifier
    points: Annotated[float, Field(gt=0)] = 1.0
    label: Text | None = None
    """What the report calls this test (default: its id)."""
    args: dict[str, ArgumentSpec]
    """One entry per parameter of the function: how to make that argument."""


class ExerciseMistakeSpec(_Strict):
    id: Identifier
    function: PythonName
    """A function in the reference file that makes this mistake; a wrong answer that matches its
    output is diagnosed as this mistake."""
    name: Text
    hint: Text


class ExerciseDefinition(_Strict):
    """A code exercise defined in the bank itself, checked like the built-in ones."""

    id: Identifier
    """The exercise id, as `attnquiz check --exercise` takes it."""
    title: Text
    function: PythonName
    """The function the solution file must define."""
    params: list[PythonName]
    reference: Annotated[str, Field(min_length=1)]
    """The Python file (relative to the bank) defining the correct `function`: keep it away from students."""
    doc: Text | None = None
    """The task, the shapes, written into the starter file by `attnquiz new`."""
    hints: list[Text] = Field(default_factory=list, max_length=9)
    """Shown one level at a time on request (`attnquiz hint`, the quiz's code loop), never in the starter."""
    tolerance: dict[Literal["float32", "float64"], ToleranceSpec] = Field(default_factory=dict)
    """Per output dtype; the checker's defaults where not given."""
    tests: list[ExerciseTestSpec] = Field(min_length=1)
    mistakes: list[ExerciseMistakeSpec] = Field(default_factory=list)


def _exercise_kind(value: Any) -> str:
    return "definition" if isinstance(value, (dict, ExerciseDefinition)) else "id"


class CodeQuestion(QuestionBase):
    type: Literal["code"]
    exercise: Annotated[
        Union[Annotated[Identifier, Tag("id")], Annotated[ExerciseDefinition, Tag("definition")]],
        Discriminator(_exercise_kind),
    ]
    """The id of a checker exercise, as `attnquiz check --exercise` takes it, or a new exercise's definition."""

    @property
    def exercise_id(self) -> str:
        return self.exercise if isinstance(self.exercise, str) else self.exercise.id


QUESTION_MODELS: tuple[type[QuestionBase], ...] = (
    SingleQuestion, MultipleQuestion, TrueFalseQuestion, ShortQuestion, NumericQuestion, OpenQuestion, CodeQuestion,
)
"""Every question type, written once: the bank's union, the type names and the quiz's behaviours
(quiz.practice.question_types) all come from this tuple."""
QUESTION_TYPES: tuple[str, ...] = tuple(m.model_fields["type"].annotation.__args__[0] for m in QUESTION_MODELS)  # type: ignore[union-attr]
AnyQuestion = Union[QUESTION_MODELS]  # type: ignore[valid-type]
Question = Annotated[AnyQuestion, Field(discriminator="type")]


def _unique_languages(langs: list[str]) -> list[str]:
    if len(set(langs)) != len(langs):
        raise PydanticCustomError("duplicate_language", "", {})
    return langs


class Bank(_Strict):
    format_version: int
    id: Identifier
    title: Text
    description: Text | None = None
    languages: Annotated[list[Annotated[str, Field(pattern=_LANG.pattern)]], Field(min_length=1),
                         AfterValidator(_unique_languages)]
    topics: dict[str, Text] = Field(default_factory=dict)
    """Display names of the topic ids used in this bank."""
    questions: list[Question]

    @field_validator("format_version")
    @classmethod
    def _known_version(cls, version: int) -> int:
        if version != FORMAT_VERSION:
            raise PydanticCustomError("format_version", "", {"found": version, "supported": FORMAT_VERSION})
        return version

    @field_validator("questions")
    @classmethod
    def _not_empty(cls, questions: list[Any]) -> list[Any]:
        if not questions:
            raise PydanticCustomError("no_questions", "", {})
        return questions


def json_schema() -> str:
    """The JSON Schema (draft 2020-12) of a bank file, as indented JSON text."""
    import json

    schema = Bank.model_json_schema()
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://attnquiz.invalid/schema/bank-v1.json",
        "title": "attnquiz question bank",
        **{k: v for k, v in schema.items() if k != "title"},
    }
    return json.dumps(schema, indent=2, ensure_ascii=False)
