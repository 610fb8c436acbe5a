"""The starter file `attnquiz new` writes: every signature, a docstring per function, NotImplementedError bodies.

The texts come from exercises.yaml (the task, the shapes) in the interface language; the hints
are not in the file (they are read on request: `attnquiz hint`), only how to get them.
An untouched starter loads fine and every exercise checks as "not implemented".
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

from quiz.i18n import current_language, t

if TYPE_CHECKING:  # the catalogue's models (pydantic) are not loaded for a suggested command
    from quiz.check.catalog import ExerciseSpec

INDENT = "    "


def _docstring(text: str, indent: str) -> str:
    body = textwrap.indent(text.rstrip(), indent).lstrip()
    return f'{indent}"""{body}\n{indent}"""\n' if "\n" in body else f'{indent}"""{body}"""\n'


def _function(signature: str, doc: str, indent: str) -> str:
    return f"{indent}{signature}\n" + _docstring(doc, indent + INDENT) + f"{indent}{INDENT}raise NotImplementedError\n"


def exercise_text(spec: ExerciseSpec, lang: str, banks: Sequence[str] = ()) -> str:
    """The starter code of one exercise; `banks`: the --bank options its hint command repeats."""
    more = textwrap.fill(t("new.hints", count=len(spec.hints), command=command("hint", spec.id, banks=banks)),
                         width=88, break_long_words=False, break_on_hyphens=False)  # (a command: never cut)
    doc = f"{spec.doc(lang)}\n\n{more}" if spec.hints else spec.doc(lang)
    if spec.kind == "function":
        others = [_function(function.signature, function.doc(lang), "") for function in spec.functions]
        return "\n\n".join([_function(spec.signature, doc, ""), *others])
    methods = "\n".join(_function(method.signature, method.doc(lang), INDENT) for method in spec.methods)
    return f"{spec.signature}\n" + _docstring(doc, INDENT) + "\n" + methods


def command(*argv: str, banks: Sequence[str] = ()) -> str:
    """An `attnquiz` command line to suggest, shell-quoted, repeating the --bank options the user gave
    (a bank's exercise is unknown without them)."""
    import shlex

    return shlex.join(["attnquiz", *argv, *(part for bank in banks for part in ("--bank", str(bank)))])


def check_command(filename: str, banks: Sequence[str] = (), exercises: Sequence[str] = ()) -> str:
    """The `attnquiz check` command that checks a starter: with every --bank that defines its exercises."""
    import shlex

    argv = ["check"]
    for name in exercises:
        argv += ["--exercise", name]
    return f"{command(*argv, banks=banks)} {shlex.quote(filename)}"


def starter_text(chosen: Sequence[ExerciseSpec], filename: str = "solution.py", check: str | None = None,
                 banks: Sequence[str] = ()) -> str:
    """A complete starter file with these exercises, in this order; `check` is the check it tells you to run,
    `banks` the --bank options its hint commands repeat."""
    lang = current_language()
    header = t("new.header", command=check or check_command(filename, banks)).rstrip()
    parts = [f'"""{header}\n"""\n\nimport numpy as np\n']
    parts += [exercise_text(spec, lang, banks) for spec in chosen]
    return "\n\n".join(parts)
