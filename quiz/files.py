"""Writing the user's files: all of the new text, or the old file untouched.

``write_text`` writes a temporary file beside the target (same folder, so the same file
system), flushes it to disk, and moves it over the target with ``os.replace``, which is atomic
on POSIX and Windows: a reader, a crash, a full disk or Ctrl-C half-way leaves either the old
file or the new one, never a part, and the temporary file is removed when anything fails.
Every writer of a user's file (the settings file, progress and review exports, the bank cache)
goes through it. ``os_reason`` words an OSError for the one-line message the user sees.
"""

from __future__ import annotations

import errno
import os
import secrets
from pathlib import Path


def write_text(path: Path, text: str, *, mkdir: bool = False, newline: str | None = None, keep_mode: bool = True,
               durable: bool = True) -> None:
    """Replace `path` with `text` (UTF-8) atomically; raises OSError and leaves nothing behind on failure.

    mkdir: create the missing parent folders first. newline: as for open() (None writes os.linesep for
    each "\\n"; "" writes the text exactly as it is, for CSV and JSON). keep_mode: a file that exists
    keeps its permission bits (a new file gets the usual ones: 0o666 less the umask). durable: fsync
    the new file before it replaces the old one (a cache, rebuilt when lost, can skip it)."""
    folder = path.parent if str(path.parent) else Path(".")
    if mkdir:
        folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{path.name}.{secrets.token_hex(4)}.tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies
    try:
        with open(descriptor, "w", encoding="utf-8", newline=newline) as handle:
            handle.write(text)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        if keep_mode:
            try:
                os.chmod(temporary, path.stat().st_mode & 0o7777)
            except FileNotFoundError:
                pass  # a new file: the mode it was created with
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def os_reason(exc: OSError, path: Path) -> str:
    """Why writing `path` failed, in the system's words ('Not a directory' when a parent is a file)."""
    if isinstance(exc, FileExistsError) and any(p.exists() and not p.is_dir() for p in path.parents):
        return os.strerror(errno.ENOTDIR)
    return exc.strerror or str(exc)
