"""A submission's private copy: what is checked, and the digest of exactly that text.

Before its check, each submission is copied into a fresh private folder (``tempfile.mkdtemp``:
a unique name, mode 0700): a ``NAME.py`` entry alone; for a ``NAME/`` folder (and Gradescope's
submission folder) the Python files of the solution's own folder, which hold the helper modules
it may import, and nothing else: no classmate's file, no grade output, no link out of the
folder, no file past the caps below. The check process runs on the copy, from inside that
folder, so the checker's helper-module search only ever sees the student's own files, and
names them as the student does (``alice.py``, ``bob/solution.py``).

The digest is taken from the bytes written into the copy: for a lone file, the SHA-256 of the
file (what ``sha256sum alice.py`` prints); for several files, the SHA-256 of every file's name
and digest in name order. It is taken again after the check: a copy that changed while it was
checked (only possible below the strict isolation level) is not trusted.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from quiz.grade.submissions import Submission

MAX_FILES = 256
MAX_BYTES = 16 << 20  # all of one submission's Python files together
_SKIPPED = {"__pycache__", "__MACOSX"}


@dataclass(frozen=True)
class Snapshot:
    folder: Path  # the private copy's top folder (the check runs from here)
    solution: str  # the solution's path inside it, as the student names it: "alice.py", "bob/solution.py"
    digest: str  # of the bytes copied
    names: tuple[str, ...] = ()  # every file copied


def submission_files(sub: Submission) -> list[tuple[str, Path]]:
    """(name in the copy, original path) of every file a submission consists of, in name order."""
    assert sub.path is not None, sub.problem
    if not sub.source.endswith("/"):  # a NAME.py entry: its neighbours are other students' files
        return [(sub.path.name, sub.path)]
    home = sub.path.parent
    prefix = sub.source if sub.path.parent.name == sub.source.rstrip("/") else ""
    found: list[tuple[str, Path]] = []
    for folder, dirs, names in os.walk(home):  # links are not followed into, nor copied
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIPPED)
        for name in sorted(names):
            path = Path(folder) / name
            if name.endswith(".py") and not name.startswith(".") and not path.is_symlink() and path.is_file():
                found.append((prefix + path.relative_to(home).as_posix(), path))
    solution = prefix + sub.path.name
    found.sort(key=lambda item: (item[0] != solution, item[0]))  # the solution first: it is always copied
    return found[:MAX_FILES]


def digest_of(contents: list[tuple[str, bytes]]) -> str:
    if len(contents) == 1:
        return hashlib.sha256(contents[0][1]).hexdigest()
    total = hashlib.sha256()
    for name, data in sorted(contents):
        total.update(name.encode("utf-8") + b"\0" + hashlib.sha256(data).hexdigest().encode() + b"\n")
    return total.hexdigest()


def read_submission(sub: Submission) -> list[tuple[str, bytes]]:
    """The submission's files as they are now (the solution first, then its folder's Python files, capped)."""
    contents: list[tuple[str, bytes]] = []
    size = 0
    for name, path in submission_files(sub):
        data = path.read_bytes()
        if contents and size + len(data) > MAX_BYTES:
            continue
        size += len(data)
        contents.append((name, data))
    return contents


def current_digest(sub: Submission) -> str:
    """The digest the submission has now (what resuming compares with the journal)."""
    return digest_of(read_submission(sub))


def take(contents: list[tuple[str, bytes]], parent: str | None = None) -> Snapshot:
    """Write a submission's files (read_submission) into a new private folder; the caller removes it
    (raises OSError)."""
    folder = Path(tempfile.mkdtemp(prefix="attnquiz-submission-", dir=parent))
    for name, data in contents:
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with open(descriptor, "wb") as handle:
            handle.write(data)
    return Snapshot(folder, contents[0][0], digest_of(contents), tuple(name for name, _ in contents))


def digest_now(snapshot: Snapshot) -> str:
    """The copy's digest as it is now (after the check), "" when a file is gone."""
    try:
        return digest_of([(name, (snapshot.folder / name).read_bytes()) for name in snapshot.names])
    except OSError:
        return ""
