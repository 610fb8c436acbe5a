"""The run context: what every command needs to know about this run, resolved once.

The root group (``quiz.cli``) builds one ``RunContext`` before any command runs and keeps it in
click's ``ctx.obj``; a command's own ``--lang`` replaces it with the language changed. The
context is the only place that decides:

- the interface language: ``--lang``, else ``ATTNQUIZ_LANG``, else the locale, else English
  (``quiz.i18n.resolve_language``). ``activate()`` binds it for ``quiz.i18n.t``;
- colour: only on a terminal, and never when ``NO_COLOR`` is set;
- the terminal width that reports are laid out for.

Commands read these values from the context and pass them on; nothing else consults the
environment for them, and attnquiz's own child processes get them as arguments (``--lang``).
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, replace

from quiz import i18n

MIN_WIDTH, MAX_WIDTH = 80, 160  # reports are laid out within these columns


@dataclass(frozen=True)
class RunContext:
    lang: str
    color: bool  # standard output is a terminal and NO_COLOR is not set
    width: int  # columns for reports, MIN_WIDTH to MAX_WIDTH

    @classmethod
    def resolve(cls, lang: str | None = None) -> RunContext:
        """The context of this process: explicit language or the environment's, colour, width."""
        color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
        width = max(MIN_WIDTH, min(MAX_WIDTH, shutil.get_terminal_size((100, 24)).columns))
        return cls(i18n.resolve_language(lang), color, width)

    def with_language(self, lang: str | None) -> RunContext:
        return self if not lang else replace(self, lang=i18n.resolve_language(lang))

    def activate(self) -> RunContext:
        """Make this context's language the one interface strings are given in; returns self."""
        i18n.bind_language(self.lang)
        return self
