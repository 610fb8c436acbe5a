"""Anki export: banks as an .apkg deck package, written with genanki.

Layout: a deck per bank under ``attnquiz::<bank title>``, a sub-deck per topic; a bank with one
topic holds its notes itself, as does the bank's deck for a topic named as the bank. Each question
is one note whose GUID comes from its bank id and question id only, so importing the package
again after the bank was edited (or exported in the other language) updates the notes in
place instead of adding copies. Note types, one per kind of question, with stable ids:

- choice (single, multiple, true/false): prompt and choices; the right ones, why, the explanation;
- answer (short, numeric): prompt; the accepted answers or the number with its tolerance;
- open: prompt; reference answer, key points, explanation;
- code: the task and the `attnquiz check --exercise ID` command that checks a solution.

Texts are Markdown, rendered to HTML by markdown-it-py with raw HTML disabled (a bank's text
can never inject markup). Tags: the question's tags, plus ``attnquiz::<bank>``,
``topic::<topic>``, ``difficulty::<n>`` and ``type::<type>``.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quiz.bank import models
from quiz.i18n import t

if TYPE_CHECKING:
    import genanki

LANG_CHOICES = ("en", "zh", "both")
ROOT_DECK = "attnquiz"
CSS = """\
.card { font-family: -apple-system, "Segoe UI", "Noto Sans", "PingFang SC", sans-serif; font-size: 18px;
        text-align: left; color: #1f2328; background: #ffffff; max-width: 46em; margin: 0 auto; }
.night_mode .card { color: #e6edf3; background: #0d1117; }
.meta { font-size: 13px; color: #57606a; margin-bottom: .6em; }
.choices li { margin: .25em 0; }
.right { color: #1a7f37; } .wrong { color: #cf222e; }
.lang { border: 0; border-top: 1px dashed #8c959f; }
pre, code { font-family: ui-monospace, "SF Mono", Menlo, Consolas, monospace; font-size: 15px; }
pre { background: rgba(127, 127, 127, .12); padding: .6em; overflow-x: auto; }
.source { font-size: 13px; color: #57606a; margin-top: 1em; }
"""


@dataclass(frozen=True)
class NoteType:
    key: str
    fields: tuple[str, ...]
    front: str
    back: str


_META = '<div class="meta">{{Topic}} · {{Kind}}</div>'
_TAIL = ('{{#Explanation}}<hr>{{Explanation}}{{/Explanation}}'
         '{{#Source}}<div class="source">{{Source}}</div>{{/Source}}')
NOTE_TYPES = {
    "choice": NoteType("choice", ("Prompt", "Choices", "Answer", "Explanation", "Source", "Topic", "Kind", "ID"),
                       _META + "{{Prompt}}{{Choices}}",
                       '{{FrontSide}}<hr id="answer">{{Answer}}' + _TAIL),
    "answer": NoteType("answer", ("Prompt", "Answer", "Explanation", "Source", "Topic", "Kind", "ID"),
                       _META + "{{Prompt}}",
                       '{{FrontSide}}<hr id="answer">{{Answer}}' + _TAIL),
    "open": NoteType("open", ("Prompt", "Reference", "Key points", "Explanation", "Source", "Topic", "Kind", "ID"),
                     _META + "{{Prompt}}",
                     '{{FrontSide}}<hr id="answer">{{Reference}}{{#Key points}}<hr>{{Key points}}{{/Key points}}'
                     + _TAIL),
    "code": NoteType("code", ("Prompt", "Check", "Explanation", "Source", "Topic", "Kind", "ID"),
                     _META + "{{Prompt}}",
                     '{{FrontSide}}<hr id="answer">{{Check}}' + _TAIL),
}
KIND_OF = {"single": "choice", "multiple": "choice", "truefalse": "choice", "short": "answer",
           "numeric": "answer", "open": "open", "code": "code"}


def stable_id(*parts: str) -> int:
    """A 31-bit-range id that depends only on `parts` (for note types and decks, which Anki keys by id)."""
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8")).digest()
    return (1 << 30) + int.from_bytes(digest[:4], "big") % (1 << 30)


def note_guid(bank_id: str, question_id: str) -> str:
    import genanki

    return genanki.guid_for("attnquiz", bank_id, question_id)


@functools.cache
def _markdown() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def html(text: str) -> str:
    """Markdown rendered to HTML (raw HTML in the text is shown as text)."""
    from quiz.practice.render import join_cjk_lines

    return _markdown().render(join_cjk_lines(text.strip())).strip()


def inline_html(text: str) -> str:
    """Markdown of one line (a choice, a key point) rendered without the paragraph around it."""
    rendered = html(text)
    if rendered.startswith("<p>") and rendered.endswith("</p>") and rendered.count("<p>") == 1:
        return rendered[3:-4]
    return rendered


class _Texts:
    """A bank's texts in the chosen language, or both (English, then Chinese where it differs)."""

    def __init__(self, lang: str) -> None:
        self.langs = ("en", "zh") if lang == "both" else (lang,)

    def each(self, value: Any) -> list[Any]:
        seen: list[Any] = []
        for lang in self.langs:
            item = models.localize(value, lang)
            if item not in seen:
                seen.append(item)
        return seen

    def block(self, value: Any, render=html) -> str:  # noqa: ANN001 - a text renderer
        return '<hr class="lang">'.join(render(item) for item in self.each(value))

    def interface(self, key: str, **fields: Any) -> str:
        """An interface string in each language, escaped; a field may be a Text (localised too)."""
        import html as html_lib

        texts = []
        for lang in self.langs:
            text = t(key, _lang=lang, **{name: _local(value, lang) for name, value in fields.items()})
            if text not in texts:
                texts.append(text)
        return html_lib.escape(" / ".join(texts))


def _local(value: Any, lang: str) -> Any:
    value = models.localize(value, lang)
    return ", ".join(value) if isinstance(value, list) else value


def _letters(count: int) -> list[str]:
    return [chr(ord("A") + i) for i in range(count)]


def _choice_fields(question: models.AnyQuestion, texts: _Texts) -> tuple[str, str]:
    if isinstance(question, models.TrueFalseQuestion):
        right = texts.interface("prompt.true" if question.answer else "prompt.false")
        listing = (f'<ol class="choices" type="A"><li>{texts.interface("prompt.true")}</li>'
                   f'<li>{texts.interface("prompt.false")}</li></ol>')
        return listing, f'<div class="right">✓ {right}</div>'
    choices = question.choices  # type: ignore[union-attr]
    letters = _letters(len(choices))
    listing = '<ol class="choices" type="A">' + "".join(
        f"<li>{texts.block(choice.text, inline_html)}</li>" for choice in choices) + "</ol>"
    lines = []
    for letter, choice in zip(letters, choices):
        mark, css = ("✓", "right") if choice.correct else ("✗", "wrong")
        why = f" — {texts.block(choice.explanation, inline_html)}" if choice.explanation else ""
        lines.append(f'<li class="{css}">{mark} {letter}. {texts.block(choice.text, inline_html)}{why}</li>')
    return listing, '<ul class="choices">' + "".join(lines) + "</ul>"


def _answer_field(question: models.AnyQuestion, texts: _Texts) -> str:
    from quiz.practice.render import number

    if isinstance(question, models.NumericQuestion):
        unit = question.unit if question.unit is not None else ""
        unit = {lang: f" {models.localize(unit, lang)}" if unit else "" for lang in texts.langs}
        return texts.interface("feedback.numeric_answer", answer=number(question.answer), unit=unit,
                               tolerance=number(question.tolerance))
    assert isinstance(question, models.ShortQuestion)
    return texts.interface("feedback.accepted", answers=question.answers)


def _key_points(question: models.OpenQuestion, texts: _Texts) -> str:
    return "<ol>" + "".join(f"<li>{texts.block(point.point, inline_html)}</li>" for point in question.key_points) \
        + "</ol>"


def _check_field(question: models.CodeQuestion, texts: _Texts) -> str:
    command = f"attnquiz check --exercise {question.exercise_id} solution.py"
    return (f"<p>{texts.interface('anki.code_check')}</p>"
            f"<pre><code>attnquiz new {question.exercise_id}\n{command}</code></pre>")


def note_fields(bank: models.Bank, question: models.AnyQuestion, lang: str, topic: str) -> list[str]:
    """The note's field values, in its note type's field order."""
    import html as html_lib

    texts = _Texts(lang)
    kind = KIND_OF[question.type]
    common_end = [texts.block(question.explanation), html_lib.escape(question.source or ""), html_lib.escape(topic),
                  texts.interface(f"type.{question.type}"), html_lib.escape(f"{bank.id}/{question.id}")]
    prompt = texts.block(question.prompt)
    if kind == "choice":
        choices, answer = _choice_fields(question, texts)
        return [prompt, choices, answer, *common_end]
    if kind == "answer":
        return [prompt, _answer_field(question, texts), *common_end]
    if kind == "open":
        assert isinstance(question, models.OpenQuestion)
        return [prompt, texts.block(question.reference), _key_points(question, texts), *common_end]
    assert isinstance(question, models.CodeQuestion)
    return [prompt, _check_field(question, texts), *common_end]


def tags(bank: models.Bank, question: models.AnyQuestion) -> list[str]:
    return [*question.tags, f"attnquiz::{bank.id}", f"topic::{question.topic}",
            f"difficulty::{question.difficulty}", f"type::{question.type}"]


@functools.cache
def note_model(kind: str) -> genanki.Model:
    import genanki

    spec = NOTE_TYPES[kind]
    return genanki.Model(
        stable_id("attnquiz", "note-type", spec.key),
        f"attnquiz {spec.key}",
        fields=[{"name": name} for name in spec.fields],
        templates=[{"name": f"attnquiz {spec.key}", "qfmt": spec.front, "afmt": spec.back}],
        css=CSS,
        sort_field_index=0,
    )


@dataclass(frozen=True)
class Exported:
    path: Path
    banks: int
    decks: int
    notes: int


def build(banks: Sequence[models.Bank], lang: str) -> tuple[list[genanki.Deck], int]:
    """The decks (a parent per bank, a sub-deck per topic when it has several) and the number of notes."""
    import genanki

    decks: list[genanki.Deck] = []
    notes = 0
    display = "en" if lang == "both" else lang
    for bank in banks:
        title = _deck_name(models.localize(bank.title, display))
        bank_deck = genanki.Deck(stable_id("attnquiz", "deck", bank.id), f"{ROOT_DECK}::{title}")
        decks.append(bank_deck)
        single = len({question.topic for question in bank.questions}) == 1
        topics: dict[str, genanki.Deck] = {}
        for question in bank.questions:
            if question.topic not in topics:
                name = _deck_name(models.localize(bank.topics.get(question.topic, question.topic), display))
                if single or name.casefold() == title.casefold():  # no sub-deck repeating the bank's deck
                    topics[question.topic] = bank_deck
                else:
                    topics[question.topic] = genanki.Deck(stable_id("attnquiz", "deck", bank.id, question.topic),
                                                          f"{ROOT_DECK}::{title}::{name}")
                    decks.append(topics[question.topic])
            topic_name = models.localize(bank.topics.get(question.topic, question.topic), display)
            topics[question.topic].add_note(genanki.Note(
                model=note_model(KIND_OF[question.type]),
                fields=note_fields(bank, question, lang, topic_name),
                tags=tags(bank, question),
                guid=note_guid(bank.id, question.id),
            ))
            notes += 1
    return decks, notes


def _deck_name(name: str) -> str:
    """A deck name part: '::' separates Anki's levels, so it cannot appear inside one."""
    return " ".join(name.replace("::", ":").split())


def export(banks: Sequence[models.Bank], path: Path, lang: str, force: bool = False,
           timestamp: float | None = None) -> Exported:
    """Write the banks to `path` as an .apkg; an existing file is replaced only with `force`.

    The package is built beside the target and moved into place, so a failed export leaves
    an existing file as it was and no partial file behind.
    """
    import sqlite3

    import genanki

    from quiz.errors import AttnquizError

    if path.exists() and not force:
        raise AttnquizError(t("export.exists", path=path))
    if path.is_dir():
        raise AttnquizError(t("export.is_folder", path=path, example=path / "attnquiz.apkg"))
    decks, notes = build(banks, lang)
    package = genanki.Package(decks)
    try:
        folder = path.parent if str(path.parent) else Path(".")
        with tempfile.TemporaryDirectory(prefix=".attnquiz-export-", dir=folder) as work:
            database = Path(work) / "collection.anki2"
            conn = sqlite3.connect(database)
            try:
                import itertools
                import time

                stamp = time.time() if timestamp is None else timestamp
                package.write_to_db(conn.cursor(), stamp, itertools.count(int(stamp * 1000)))
                conn.commit()
            finally:
                conn.close()
            staged = Path(work) / "package.apkg"
            with zipfile.ZipFile(staged, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                archive.write(database, "collection.anki2")
                archive.writestr("media", "{}")
            os.replace(staged, path)
    except OSError as exc:
        from quiz.files import os_reason

        raise AttnquizError(t("export.cannot_write", path=path, reason=os_reason(exc, path))) from None
    return Exported(path, len(banks), len(decks), notes)
