"""Read a YAML file safely into plain data, remembering where every node stands.

Only the safe loader is used (the C one where present), and only on the node level:
no custom tag is ever constructed, so ``!!python/object`` and friends are refused,
not executed. Duplicate mapping keys are reported (PyYAML would silently keep the
last one). A UTF-8 BOM and CRLF line ends are accepted.

The result maps each path into the data, such as ``("questions", 3, "prompt")``,
to the 1-based line and column of its value node and, for mapping entries, of its key.
"""

from __future__ import annotations

import contextlib
import gc
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from quiz.yamlio import SafeLoader as _Loader

_STD = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_STD + name for name in ("str", "int", "float", "bool", "null")}
_constructor = yaml.constructor.SafeConstructor()
_YAML12_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)[eE][-+]?[0-9]+$")

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Mark:
    line: int
    col: int


@dataclass
class YamlProblem:
    """A problem found while reading: a message key of quiz/locales and its fields."""

    mark: Mark
    key: str
    fields: dict[str, Any] = field(default_factory=dict)


MIN_BUDGET = 10_000
"""Values a document may always expand to, however short its text (see _parse)."""


@dataclass
class Document:
    data: Any
    value_marks: dict[Path_, Mark]
    key_marks: dict[Path_, Mark]
    problems: list[YamlProblem]
    budget: int = 0  # values still allowed to be built (aliases can repeat a node; see _parse)

    def mark_for(self, path: Path_, *, key: bool = False) -> Mark:
        """The mark of the deepest node of `path` that exists in the document."""
        marks = self.key_marks if key else self.value_marks
        for end in range(len(path), -1, -1):
            mark = marks.get(path[:end]) or self.value_marks.get(path[:end])
            if mark:
                return mark
        return Mark(1, 1)


class YamlReadError(Exception):
    """The file cannot be read as YAML at all (the message key tells why)."""

    def __init__(self, problem: YamlProblem) -> None:
        super().__init__(problem.key)
        self.problem = problem


def _mark(node_mark: Any) -> Mark:
    return Mark(node_mark.line + 1, node_mark.column + 1)


def _shown_tag(tag: str) -> str:
    return "!!" + tag[len(_STD):] if tag.startswith(_STD) else tag


def read_text(path: Path) -> str:
    """Decode a file as UTF-8 (BOM allowed); report the first bad byte's position."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        raise YamlReadError(
            YamlProblem(Mark(line, col), "yaml.not_utf8", {"byte": f"0x{raw[exc.start]:02x}"})
        ) from None


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: parsing makes millions of acyclic objects, and
    the collections they trigger cost more than the parse itself on a large bank."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse(text: str) -> Document:
    """Parse YAML text into plain data with positions, or raise YamlReadError."""
    with _no_gc():
        return _parse(text)


def _parse(text: str) -> Document:
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = _mark(mark) if mark else Mark(1, 1)
        problem = str(exc.problem or exc.context or "").strip()
        tab_at = _leading_tab(text, where.line)
        if tab_at:
            raise YamlReadError(YamlProblem(Mark(where.line, tab_at), "yaml.tab")) from None
        if exc.context and exc.context_mark and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
            problem += f" ({exc.context} started at line {exc.context_mark.line + 1})"
        raise YamlReadError(YamlProblem(where, "yaml.syntax", {"problem": problem})) from None
    except yaml.YAMLError as exc:  # reader errors: control characters and the like
        raise YamlReadError(YamlProblem(Mark(1, 1), "yaml.syntax", {"problem": str(exc)})) from None
    if root is None:
        raise YamlReadError(YamlProblem(Mark(1, 1), "yaml.empty"))
    # Every value needs at least a character of text unless an alias repeats it: a document that
    # expands to more values than it has characters is an alias bomb ("billion laughs"), refused
    # before it takes the memory and the time its expansion would.
    doc = Document(None, {}, {}, [], budget=max(MIN_BUDGET, len(text)))
    doc.data = _build(root, (), doc)
    return doc


def _leading_tab(text: str, line: int) -> int | None:
    """The 1-based column of a tab in the indentation of `line`, if there is one."""
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return None
    content = lines[line - 1]
    indent = content[: len(content) - len(content.lstrip(" \t"))]
    return indent.index("\t") + 1 if "\t" in indent else None


def _build(node: yaml.Node, path: Path_, doc: Document) -> Any:
    doc.budget -= 1
    if doc.budget < 0:
        raise YamlReadError(YamlProblem(_mark(node.start_mark), "yaml.alias_bomb"))
    doc.value_marks[path] = _mark(node.start_mark)
    if isinstance(node, yaml.MappingNode):
        if node.tag != _STD + "map":
            doc.problems.append(YamlProblem(_mark(node.start_mark), "yaml.tag", {"tag": _shown_tag(node.tag)}))
        result: dict[Any, Any] = {}
        first_seen: dict[Any, Mark] = {}
        for key_node, value_node in node.value:
            key_mark = _mark(key_node.start_mark)
            if key_node.tag == _STD + "merge":
                doc.problems.append(YamlProblem(key_mark, "yaml.merge"))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                doc.problems.append(YamlProblem(key_mark, "yaml.complex_key"))
                continue
            key = _scalar(key_node, doc)
            key = key if isinstance(key, (str, int)) else str(key)
            if key in first_seen:
                doc.problems.append(
                    YamlProblem(key_mark, "yaml.duplicate_key", {"key": key, "first": first_seen[key].line})
                )
                continue
            first_seen[key] = key_mark
            doc.key_marks[path + (key,)] = key_mark
            result[key] = _build(value_node, path + (key,), doc)
        return result
    if isinstance(node, yaml.SequenceNode):
        if node.tag != _STD + "seq":
            doc.problems.append(YamlProblem(_mark(node.start_mark), "yaml.tag", {"tag": _shown_tag(node.tag)}))
        return [_build(item, path + (i,), doc) for i, item in enumerate(node.value)]
    return _scalar(node, doc)


def _scalar(node: yaml.ScalarNode, doc: Document) -> Any:
    if node.tag == _STD + "str" and not node.style and _YAML12_FLOAT.match(node.value):
        return float(node.value)  # YAML 1.2 reads 1e-3 as a number; PyYAML (YAML 1.1) as text
    if node.tag in _SCALAR_TAGS:
        return node.value if node.tag == _STD + "str" else _constructor.construct_object(node)
    if node.tag == _STD + "timestamp":  # a date-like plain scalar: keep the text as written
        return node.value
    doc.problems.append(YamlProblem(_mark(node.start_mark), "yaml.tag", {"tag": _shown_tag(node.tag)}))
    return node.value
