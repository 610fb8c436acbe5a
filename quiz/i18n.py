"""Interface language: resolving it, and the translated interface strings.

Strings live in ``quiz/locales/*.yaml`` (one file per area), each entry a key with
one text per language. ``t(key, **fields)`` formats the entry for the run's language.
The language comes from ``--lang``, else ``ATTNQUIZ_LANG``, else the locale
(``LC_ALL``, ``LC_MESSAGES``, ``LANG``; ``zh*`` gives Chinese), else English; it is resolved
once per run by ``quiz.context.RunContext``, which binds it here (``bind_language``) in a
context variable, so a thread started with ``contextvars.copy_context()`` speaks the same.
Outside a run (a library call, a test) the environment decides, as above.

Plurals: a field whose format spec holds a ``|`` picks a form by its number, ``#`` standing
for the number: ``{count:# question|# questions}`` gives "1 question", "3 questions" (the
English rule: one for exactly 1, the other form otherwise). Chinese has no plural forms and
writes ``{count} 题``; both languages still take the same fields.
"""

from __future__ import annotations

import contextvars
import functools
import os
import string
from pathlib import Path
from typing import Any

LANGUAGES = ("en", "zh")
DEFAULT_LANGUAGE = "en"

_LOCALES_DIR = Path(__file__).resolve().parent / "locales"
_language: contextvars.ContextVar[str] = contextvars.ContextVar("attnquiz_language")


def normalize_language(value: str | None) -> str | None:
    """Map 'zh_CN.UTF-8', 'zh-Hans', 'EN' and the like to a supported code, else None."""
    if not value:
        return None
    code = value.strip().lower().replace("-", "_").split(".")[0].split("_")[0]
    return code if code in LANGUAGES else None


def resolve_language(explicit: str | None = None) -> str:
    """The language to use: explicit choice, ATTNQUIZ_LANG, the locale, else English."""
    for candidate in (explicit, os.environ.get("ATTNQUIZ_LANG")):
        code = normalize_language(candidate)
        if code:
            return code
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:  # the first one set decides, as in POSIX
            return normalize_language(value) or DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def bind_language(code: str) -> None:
    """The run's language (called by quiz.context.RunContext.activate only)."""
    _language.set(normalize_language(code) or DEFAULT_LANGUAGE)


def current_language() -> str:
    """The language bound for this run, else the environment's."""
    bound = _language.get(None)
    return bound if bound is not None else resolve_language()


@functools.cache
def catalogue() -> dict[str, dict[str, str]]:
    """Every interface string, merged from all files in quiz/locales (kept in quiz.cache while no locale
    file changes: reading the YAML costs every command more than the rest of its start-up)."""
    from quiz import cache

    files = sorted(_LOCALES_DIR.glob("*.yaml"))
    return cache.cached("locales", [*files, Path(__file__)], lambda: cache.Built(_read_catalogue(files)))


def _read_catalogue(files: list[Path]) -> dict[str, dict[str, str]]:
    from quiz.yamlio import safe_load

    merged: dict[str, dict[str, str]] = {}
    for path in files:
        entries = safe_load(path.read_text(encoding="utf-8")) or {}
        duplicated = merged.keys() & entries.keys()
        assert not duplicated, f"{path.name} redefines {sorted(duplicated)}"
        merged.update(entries)
    return merged


def t(key: str, /, _lang: str | None = None, **fields: object) -> str:
    """The interface string `key` in the current language (or `_lang`), formatted with `fields`."""
    entry = catalogue()[key]
    text = entry.get(_lang or current_language()) or entry[DEFAULT_LANGUAGE]
    return _FORMATTER.vformat(text, (), fields) if fields else text


class _PluralFormatter(string.Formatter):
    """str.format, plus ``{n:one|other}`` choosing a form by the number n (``#`` is the number)."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if "|" not in format_spec:
            return super().format_field(value, format_spec)
        one, other = format_spec.split("|", 1)
        return (one if value == 1 else other).replace("#", str(value))


_FORMATTER = _PluralFormatter()


def localize(text: Any, lang: str, fallback: str = DEFAULT_LANGUAGE) -> Any:
    """The `lang` version of a bank's text or text list: a mapping of language to text (falling back
    to English, then any), or one text for every language."""
    if not isinstance(text, dict):
        return text
    if lang in text:
        return text[lang]
    if fallback in text:
        return text[fallback]
    return next(iter(text.values()))
