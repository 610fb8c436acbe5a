"""`grade --similarity`: which submissions share code beyond the starter, with the matching regions.

The comparison is copydetect's (PyPI; the winnowing fingerprints MOSS uses, from "Winnowing:
Local Algorithms for Document Fingerprinting", Schleimer, Wilkerson and Aiken 2003): each file
is tokenised by Pygments with names, functions, classes and strings normalised (renaming a
variable or reflowing the code changes nothing), its k-grams hashed and winnowed. Fingerprints
of the starter files ``attnquiz new`` writes (in every interface language, for the exercises
graded) are boilerplate: code every student was given never counts as shared. A pair's
similarity is the share of each file's fingerprinted tokens found in the other; the pair's
score is the larger of the two.

Outputs, in --out: ``similarity.csv`` (every pair, most similar first: student_a, student_b,
similarity, similarity_a, similarity_b, shared_tokens) and ``similarity.html`` (the closest pairs
side by side, the shared regions highlighted; all text escaped).
"""

from __future__ import annotations

import html
import io
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quiz.errors import AttnquizError
from quiz.i18n import t

SIMILARITY_CSV = "similarity.csv"
SIMILARITY_HTML = "similarity.html"
NOISE = 25  # copydetect's defaults: matches shorter than this many normalised characters are noise
GUARANTEE = 30  # ... and matches this long are always found
SHOWN_PAIRS = 20
FIELDS = ("student_a", "student_b", "similarity", "similarity_a", "similarity_b", "shared_tokens")


@dataclass(frozen=True)
class Pair:
    student_a: str
    student_b: str
    similarity_a: float  # share of a's fingerprinted code found in b
    similarity_b: float
    shared_tokens: int
    slices_a: Any  # 2 x N array: starts and ends of the shared regions in a's text
    slices_b: Any

    @property
    def similarity(self) -> float:
        return max(self.similarity_a, self.similarity_b)

    def row(self) -> dict[str, Any]:
        return {"student_a": self.student_a, "student_b": self.student_b, "similarity": round(self.similarity, 4),
                "similarity_a": round(self.similarity_a, 4), "similarity_b": round(self.similarity_b, 4),
                "shared_tokens": self.shared_tokens}


def _copydetect() -> Any:
    try:
        import copydetect
    except ImportError:
        raise AttnquizError(t("similarity.not_installed")) from None
    return copydetect


def starter_texts(exercises: Sequence[str], banks: Sequence[str] = ()) -> list[str]:
    """The starter file `attnquiz new` writes for these exercises (the banks' too), in every interface language."""
    from quiz.check.registry import for_banks
    from quiz.check.starter import starter_text
    from quiz.i18n import LANGUAGES, bind_language, current_language

    registry = for_banks(tuple(banks))
    chosen = [exercise.spec for exercise in registry.select(tuple(exercises) or registry.named)]
    before = current_language()
    try:
        texts = []
        for lang in LANGUAGES:
            bind_language(lang)
            texts.append(starter_text(chosen))
        return texts
    finally:
        bind_language(before)


def compare(sources: dict[str, str], boilerplate: Sequence[str] = ()) -> list[Pair]:
    """Every pair of `sources` (student -> code), most similar first; code in `boilerplate` is not counted."""
    import numpy as np

    detect = _copydetect()

    def fingerprint(text: str, bp: Any = None) -> Any:
        return detect.CodeFingerprint("solution.py", NOISE, GUARANTEE - NOISE + 1, boilerplate=bp,
                                      fp=io.StringIO(text))

    starter_hashes = sorted({h for text in boilerplate for h in fingerprint(text).hashes})
    bp = np.array(starter_hashes, dtype=np.int64) if starter_hashes else None
    prints = {student: fingerprint(text, bp) for student, text in sources.items()}
    pairs = []
    for a, b in itertools.combinations(sorted(prints), 2):
        shared, (sim_a, sim_b), (slices_a, slices_b) = detect.compare_files(prints[a], prints[b])
        pairs.append(Pair(a, b, float(sim_a), float(sim_b), int(shared), slices_a, slices_b))
    return sorted(pairs, key=lambda p: (-p.similarity, p.student_a, p.student_b))


def submission_text(path: Path, folder: bool) -> str:
    """A submission's code: the solution, then (for a NAME/ folder) the helper modules it imports."""
    from quiz.check.helpers import helper_modules

    text = path.read_text(encoding="utf-8", errors="replace")
    if folder:
        text += "".join(f"\n\n# --- {h.path.name}\n{h.source}" for h in helper_modules(path))
    return text


def check_available() -> None:
    """Stop before grading when the library is missing (not after an hour of checks)."""
    _copydetect()


def write_similarity(folder: Path, submissions: Sequence[Any], settings: Any,
                     replace: Callable[[str, Callable[[Any], Any]], None]) -> Pair | None:
    """Compare the class's submissions, write similarity.csv and similarity.html; the closest pair."""
    import csv

    sources = {sub.student: submission_text(sub.path, sub.source.endswith("/")) for sub in submissions
               if sub.path is not None}
    pairs = compare(sources, starter_texts(settings.exercises, settings.banks))

    def write_csv(f: Any) -> None:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(pair.row() for pair in pairs)

    replace(SIMILARITY_CSV, write_csv)
    replace(SIMILARITY_HTML, lambda f: f.write(report_html(pairs, sources)))
    return pairs[0] if pairs and pairs[0].shared_tokens else None


def _highlighted(text: str, slices: Any) -> str:
    if slices is None or len(slices) == 0 or len(slices[0]) == 0:
        return html.escape(text)
    out, last = [], 0
    for start, end in zip(slices[0], slices[1]):
        start, end = int(start), int(end)
        out += [html.escape(text[last:start]), "<mark>", html.escape(text[start:end]), "</mark>"]
        last = end
    out.append(html.escape(text[last:]))
    return "".join(out)


def report_html(pairs: Sequence[Pair], sources: dict[str, str], top: int = SHOWN_PAIRS) -> str:
    """The closest pairs side by side with the shared regions marked (a standalone page, no scripts)."""
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(t('similarity.title'))}</title>",
        "<style>body{font-family:sans-serif;margin:2em}table.pair{width:100%;table-layout:fixed;"
        "border-collapse:collapse}td{vertical-align:top;border:1px solid #ccc;padding:.5em}"
        "pre{white-space:pre-wrap;font-size:12px}mark{background:#ffd54f}</style></head><body>",
        f"<h1>{html.escape(t('similarity.title'))}</h1>",
        f"<p>{html.escape(t('similarity.explain', noise=NOISE))}</p>",
    ]
    for pair in list(pairs)[:top]:
        if pair.shared_tokens == 0:
            break
        parts.append(f"<h2>{html.escape(pair.student_a)} &harr; {html.escape(pair.student_b)}: "
                     f"{pair.similarity:.0%}</h2>")
        parts.append('<table class="pair"><tr>')
        for student, share, slices in ((pair.student_a, pair.similarity_a, pair.slices_a),
                                       (pair.student_b, pair.similarity_b, pair.slices_b)):
            parts.append(f"<td><b>{html.escape(student)}</b> ({share:.0%})"
                         f"<pre>{_highlighted(sources[student], slices)}</pre></td>")
        parts.append("</tr></table>")
    if not pairs or pairs[0].shared_tokens == 0:
        parts.append(f"<p>{html.escape(t('similarity.none'))}</p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
