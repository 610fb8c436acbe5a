"""The run context: what every command needs to know about this run, resolved once.

The root group (``quiz.cli``) builds one ``RunContext`` before any command runs and keeps it in
click's ``ctx.obj``; a command's own ``--lang`` replaces it with the language changed. The
context is the only place that decides:

- the settings (quiz.config: the settings file, ``ATTNQUIZ_<KEY>`` variables, defaults), read once;
- the interface language: ``--lang``, else ``ATTNQUIZ_LANG``, else the settings file's ``lang``,
  else the locale, else English. ``activate()`` binds it for ``quiz.i18n.t``;
- colour: only on a terminal, and never when ``NO_COLOR`` is set;
- the terminal width that reports are laid out for.

Commands read these values from the context and pass them on; nothing else consults the
environment for them, and attnquiz's own child processes get them as arguments (``--lang``).
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, field, replace

from quiz import config, i18n

MIN_WIDTH, MAX_WIDTH = 80, 160  # reports are laid out within these columns


@dataclass(frozen=True)
class RunContext:
    lang: str
    color: bool  # standard output is a terminal and NO_COLOR is not set
    width: int  # columns for reports, MIN_WIDTH to MAX_WIDTH
    settings: config.Config = field(default_factory=lambda: config.Config(config.DEFAULTS))
    """The settings file, environment and defaults (quiz.config), read once; commands add their flags."""

    @classmethod
    def resolve(cls, lang: str | None = None) -> RunContext:
        """The context of this process: the settings (a broken settings file stops here, one line), the
        language (explicit, ATTNQUIZ_LANG, the settings file, the locale), colour, width."""
        color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
        width = max(MIN_WIDTH, min(MAX_WIDTH, shutil.get_terminal_size((100, 24)).columns))
        settings = config.load(flags={"lang": i18n.normalize_language(lang)})
        return cls(settings.lang, color, width, settings)

    def with_language(self, lang: str | None) -> RunContext:
        if not lang:
            return self
        settings = self.settings.with_flags(lang=i18n.normalize_language(lang) or i18n.DEFAULT_LANGUAGE)
        return replace(self, lang=settings.lang, settings=settings)

    def activate(self) -> RunContext:
        """Make this context's language the one interface strings are given in, and its settings the
        ones the flows read (quiz.config.current); returns self."""
        i18n.bind_language(self.lang)
        config.bind(self.settings)
        return self
