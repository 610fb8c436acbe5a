"""Finding the submissions in a class folder: one NAME.py or NAME/ per student.

A submission is a ``NAME.py`` file or a ``NAME/`` folder (hidden ones, ``__pycache__`` and
``__MACOSX`` aside). Any other entry (notes.txt, README.md, .DS_Store, a .zip) is not a student:
it is listed as ignored, never graded, and does not change the run's exit status."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from quiz.errors import AttnquizError
from quiz.i18n import t

_SNIFF_BYTES = 8192
_SKIPPED_NAMES = {"__pycache__", "__MACOSX"}

# Finding the submissions


@dataclass(frozen=True)
class Submission:
    """One student's entry in the submissions folder; `problem` says why it cannot be graded."""

    student: str
    source: str  # as found in the folder: "alice.py" or "alice/"
    path: Path | None = None  # the solution file to check
    problem: str = ""


@dataclass(frozen=True)
class ClassFolder:
    """What a class folder holds: the submissions, and the entries that are not one."""

    submissions: list[Submission]
    ignored: list[str]  # names as found ("notes.txt", ".DS_Store", "__pycache__/"), sorted


def scan_folder(folder: Path, *, filename: str = "solution.py", exclude: Path | None = None) -> ClassFolder:
    """Every student's submission in `folder`, sorted by name (bad ones carry a `problem`), and the
    entries that are not submissions; a folder with no submission at all is a usage error."""
    if not folder.is_dir():
        raise AttnquizError(t("grade.not_a_folder", path=folder))
    root = folder.resolve()
    found: list[Submission] = []
    ignored: list[str] = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if exclude is not None and not entry.is_symlink() and entry.resolve() == exclude.resolve():
            continue  # the --out folder inside the submissions folder
        if _is_submission(entry):
            found.append(_submission(entry, root, filename))
        else:
            ignored.append(entry.name + "/" if entry.is_dir() else entry.name)
    if not found:
        raise AttnquizError(t("grade.empty", path=folder) if not ignored else
                            t("grade.empty_ignored", path=folder, names=", ".join(ignored)))
    return ClassFolder(_flag_duplicates(found), ignored)


def find_submissions(folder: Path, *, filename: str = "solution.py", exclude: Path | None = None) -> list[Submission]:
    """Every student's submission in `folder` (scan_folder's), sorted by name."""
    return scan_folder(folder, filename=filename, exclude=exclude).submissions


def _is_submission(entry: Path) -> bool:
    """A NAME.py file or a NAME/ folder (a symlink counts by its name, or as a folder if it points to one)."""
    if entry.name.startswith(".") or entry.name in _SKIPPED_NAMES:
        return False
    return entry.suffix == ".py" or entry.is_dir()


def _submission(entry: Path, root: Path, filename: str) -> Submission:
    is_folder = entry.is_dir()
    student = entry.name if is_folder else entry.stem
    source = entry.name + "/" if is_folder else entry.name
    if entry.is_symlink():
        if not entry.exists():
            return Submission(student, source, problem=t("grade.broken_link"))
        if not entry.resolve().is_relative_to(root):
            return Submission(student, source, problem=t("grade.link_outside"))
    if is_folder:
        path, problem = _file_in_folder(entry, filename)
        if path is None:
            return Submission(student, source, problem=problem)
        if not path.resolve().is_relative_to(root):
            return Submission(student, source, problem=t("grade.link_outside"))
    elif entry.is_file():
        path = entry
    else:  # a NAME.py that is a socket, a device...
        return Submission(student, source, problem=t("grade.not_python"))
    problem = _unreadable(path)
    return Submission(student, source, path if not problem else None, problem)


def _file_in_folder(folder: Path, filename: str) -> tuple[Path | None, str]:
    named = folder / filename
    if named.is_file():
        return named, ""
    scripts = sorted(p for p in folder.iterdir() if p.suffix == ".py" and p.is_file())
    if len(scripts) == 1:
        return scripts[0], ""
    if not scripts:
        return None, t("grade.no_solution", filename=filename)
    return None, t("grade.several_scripts", filename=filename, found=", ".join(p.name for p in scripts))


def _unreadable(path: Path) -> str:
    """Why this file cannot be a Python source ("" when it can be tried)."""
    try:
        with open(path, "rb") as f:
            head = f.read(_SNIFF_BYTES)
    except OSError as exc:
        return t("grade.cannot_read", reason=exc.strerror or str(exc))
    if b"\0" in head:
        return t("grade.binary")
    return ""


def _flag_duplicates(found: list[Submission]) -> list[Submission]:
    """Two entries for one student (alice.py and alice/, or Alice.py and alice.py): neither is graded."""
    by_name: dict[str, list[Submission]] = {}
    for sub in found:
        by_name.setdefault(sub.student.casefold(), []).append(sub)
    flagged = []
    for sub in found:
        twins = by_name[sub.student.casefold()]
        if len(twins) > 1:
            sources = ", ".join(s.source for s in twins)
            sub = Submission(sub.student, sub.source, problem=t("grade.duplicate", sources=sources))
        flagged.append(sub)
    return flagged


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()

