"""A solution's helper modules: the files next to it that it imports, and only those.

A solution may split its code over several files in one folder (``solution.py`` doing
``from utils import stable_softmax``). The checker reads (``ast`` only, nothing is run here)
which top-level modules the solution imports, takes each one that is a ``NAME.py`` file or a
``NAME/`` package in the solution's own folder, follows their imports the same way, and sends
their source texts to the sandbox with the solution's; the sandbox's child imports them from
those texts (it never opens a file for them). Files the solution does not import are not
sent, nor are standard-library names, protected files (the references) or anything past the
caps below. An import nothing provides stays a ModuleNotFoundError the report shows, and
``not_in_sandbox`` tells one of a package the sandbox does not offer (scipy, torch) from one of
a helper module that was not sent.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

MAX_MODULES = 64
MAX_BYTES = 4 << 20  # all helper sources together


@dataclass(frozen=True)
class Helper:
    name: str  # the module's import name: "utils", "mypkg", "mypkg.core"
    path: Path
    source: str
    package: bool = False


def imported_names(source: str) -> set[str]:
    """Top-level module names `source` imports absolutely (an unparsable file imports nothing)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _package_files(folder: Path, name: str) -> list[tuple[str, Path, bool]]:
    found = []
    for path in sorted(folder.rglob("*.py")):
        parts = path.relative_to(folder).with_suffix("").parts
        if any(part.startswith(".") or part == "__pycache__" for part in parts):
            continue
        is_init = parts[-1] == "__init__"
        dotted = ".".join((name, *parts[:-1])) if is_init else ".".join((name, *parts))
        if is_init or (path.parent / "__init__.py").is_file():
            found.append((dotted, path, is_init))
    return found


def helper_modules(solution: Path, protected: Iterable[Path] = ()) -> list[Helper]:
    """The helper modules `solution` imports from its own folder, transitively, in import order."""
    folder = solution.resolve().parent
    guarded = [p.resolve() for p in protected]
    text = _read(solution)
    if text is None:
        return []
    helpers: dict[str, Helper] = {}
    total = 0
    todo = sorted(imported_names(text))
    seen: set[str] = set()
    while todo and len(helpers) < MAX_MODULES:
        name = todo.pop(0)
        if name in seen or name in sys.stdlib_module_names or name == "solution":
            continue
        seen.add(name)
        if (folder / name / "__init__.py").is_file():
            candidates = _package_files(folder / name, name)
        elif (folder / f"{name}.py").is_file():
            candidates = [(name, folder / f"{name}.py", False)]
        else:
            continue
        for dotted, path, package in candidates:
            real = path.resolve()
            if real == solution.resolve() or not real.is_relative_to(folder) or any(
                    real == g or real.is_relative_to(g) for g in guarded):
                continue
            source = _read(path)
            if source is None or total + len(source) > MAX_BYTES or len(helpers) >= MAX_MODULES:
                continue
            total += len(source)
            helpers[dotted] = Helper(dotted, path, source, package)
            todo += sorted(imported_names(source) - seen)
    return list(helpers.values())


def not_in_sandbox(exc_type: str, message: str, solution: Path) -> str | None:
    """The package a ModuleNotFoundError names when the sandbox offers no such thing: a top-level name that is
    neither NumPy, nor in the standard library, nor a helper module next to the solution (scipy, torch)."""
    found = re.match(r"No module named '([A-Za-z_]\w*)", message) if exc_type == "ModuleNotFoundError" else None
    if found is None:
        return None
    name = found.group(1)
    folder = solution.resolve().parent
    if name == "numpy" or name in sys.stdlib_module_names or (folder / f"{name}.py").is_file() or (
            folder / name / "__init__.py").is_file():
        return None
    return name
