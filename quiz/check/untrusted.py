"""Text that came from a sandbox child, made safe to print, store and serialise.

Everything the child sends (exception types and messages, tracebacks, type names, captured
output) is written by the solution: it can be 12 MB long, hold lone surrogates that no
encoder accepts, or carry ANSI escape sequences that redraw the terminal into a fake
"Score 100/100". ``clean`` caps the length first (so the rest of the work is bounded), makes
the text valid UTF-8 (a lone surrogate becomes "?"), and removes control characters (C0
but tab and, where allowed, newline; DEL; C1; the bidirectional overrides behind "Trojan
source" tricks). ``sandbox.py`` applies it to every string before it leaves the Sandbox.
"""

from __future__ import annotations

import re

MESSAGE = 4000  # one message or type name, in characters
TRACEBACK = 16000
OUTPUT = 64 << 10
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_CONTROL_LINE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
ELLIPSIS = " [...]"


def clean(text: object, limit: int = MESSAGE, *, lines: bool = True, keep: str = "head") -> str:
    """`text` capped at `limit` characters, valid UTF-8, without control characters.

    lines=False also removes newlines (one-line fields such as a type name); keep="tail" keeps
    the end of a long text (a traceback ends with the line that matters).
    """
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if len(text) > limit:
        cut = max(0, limit - len(ELLIPSIS))
        text = text[:cut] + ELLIPSIS if keep == "head" else ELLIPSIS.strip() + text[len(text) - cut:]
    text = text.encode("utf-8", "replace").decode("utf-8")  # a lone surrogate -> "?"
    text = text.replace("\r\n", "\n")
    return (_CONTROL if lines else _CONTROL_LINE).sub("", text)
