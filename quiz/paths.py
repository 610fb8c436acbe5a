"""The one place that knows where data lives.

Built-in banks and the worked solutions ship inside the package (``quiz/_data/questions``
and ``quiz/_data/solutions`` in a wheel) or sit at the top of a source checkout
(``questions/``, ``solutions/``, for an editable install). The user's
own data (progress database, backups) lives under ``ATTNQUIZ_HOME`` if set, else the
platform's user data directory. The settings file is ``ATTNQUIZ_CONFIG`` if set, else
``config.toml`` in the platform's user config directory. What can be rebuilt at any time
(quiz.cache) is kept in ``ATTNQUIZ_CACHE`` if set, else the platform's user cache directory.
The checker's exercise specs are ``quiz/check/exercises.yaml``. Tests set the three
environment variables to temporary paths.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

DataKind = Literal["builtin_banks", "solutions", "exercises", "home", "database", "backups", "config", "cache"]

_PACKAGE_DIR = Path(__file__).resolve().parent


def data_path(kind: DataKind) -> Path:
    """Return the path for one kind of data; folders are not created here."""
    if kind in ("builtin_banks", "solutions"):
        folder = "questions" if kind == "builtin_banks" else "solutions"
        packaged = _PACKAGE_DIR / "_data" / folder
        return packaged if packaged.is_dir() else _PACKAGE_DIR.parent / folder
    if kind == "exercises":
        return _PACKAGE_DIR / "check" / "exercises.yaml"
    if kind == "cache":
        chosen = os.environ.get("ATTNQUIZ_CACHE")
        if chosen:
            return Path(chosen).expanduser()
        import platformdirs

        return platformdirs.user_cache_path("attnquiz", appauthor=False)
    if kind == "config":
        chosen = os.environ.get("ATTNQUIZ_CONFIG")
        if chosen:
            return Path(chosen).expanduser()
        import platformdirs

        return platformdirs.user_config_path("attnquiz", appauthor=False) / "config.toml"
    override = os.environ.get("ATTNQUIZ_HOME")
    if override:
        home = Path(override).expanduser()
    else:
        import platformdirs

        home = platformdirs.user_data_path("attnquiz", appauthor=False)
    if kind == "home":
        return home
    if kind == "database":
        return home / "progress.sqlite3"
    if kind == "backups":
        return home / "backups"
    raise ValueError(f"unknown data kind {kind!r}")
