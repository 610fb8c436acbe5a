"""Derived data kept between runs in the user's cache folder, used only while its sources are unchanged.

An entry is one JSON file in ``quiz.paths.data_path("cache")`` (ATTNQUIZ_CACHE, else the
platform's user cache folder) holding a value and the files it was derived from, each with
the digest of its content (BLAKE2b of the bytes: an edit that keeps a file's size and
modification time is still seen; a missing file is a state of its own), and attnquiz's version.
``cached`` returns the stored value when every source still has the digest it had, else
builds the value and stores it, unless a source changed while it was being built.

The cache is only a shortcut: a missing, unreadable, corrupt or unwritable entry, or one from
another version, is rebuilt without a word, so deleting the folder loses nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FORMAT = 1
"""The layout of an entry file; a change makes every older entry a miss."""


@dataclass(frozen=True)
class Built:
    """What a build made: the value (JSON types), the further files it turned out to read (a bank
    exercise's reference file), which the entry depends on too, and whether to store it at all."""

    value: Any
    also_read: Sequence[Path] = ()
    keep: bool = True


def digest(path: Path) -> str | None:
    """The digest of the file's bytes; None when it cannot be read (missing, a folder, no permission)."""
    try:
        return hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()
    except OSError:
        return None


def cached(name: str, sources: Sequence[Path], build: Callable[[], Built]) -> Any:
    """The value derived from the `sources` files: from the entry `name` when it is still good, else
    built (and stored, if the build says so). Either way the caller gets the value as the cache gives
    it back (JSON's types: lists, never tuples)."""
    from quiz import __version__

    entry_path = _entry_path(name)
    current = [(str(path), digest(path)) for path in sources]
    entry = _read(entry_path)
    if entry is not None and _still_good(entry, current, __version__):
        return entry["value"]
    built = build()
    value = json.loads(json.dumps(built.value, ensure_ascii=False))
    if built.keep and [(str(path), digest(path)) for path in sources] == current:  # unchanged while building
        entry = {"format": FORMAT, "version": __version__, "value": value,
                 "sources": [*current, *((str(path), digest(path)) for path in built.also_read)]}
        _write(entry_path, entry)
    return value


def _still_good(entry: dict[str, Any], current: list[tuple[str, str | None]], version: str) -> bool:
    """Whether the entry is of this format and version, for these sources, and every file it found still
    has its digest (an entry in any other shape is not good)."""
    if entry.get("format") != FORMAT or entry.get("version") != version or "value" not in entry:
        return False
    try:
        stored = [(str(path), known) for path, known in entry["sources"]]
    except (KeyError, TypeError, ValueError):
        return False
    return stored[: len(current)] == current and all(digest(Path(path)) == known
                                                      for path, known in stored[len(current):])


def _entry_path(name: str) -> Path:
    from quiz.paths import data_path

    return data_path("cache") / f"{name}.json"


def _read(path: Path) -> dict[str, Any] | None:
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return entry if isinstance(entry, dict) else None


def _write(path: Path, entry: dict[str, Any]) -> None:
    from quiz import files

    try:
        files.write_text(path, json.dumps(entry, ensure_ascii=False), mkdir=True, keep_mode=False, durable=False)
    except OSError:
        pass  # a cache that cannot be written only costs the next run the time of a build
