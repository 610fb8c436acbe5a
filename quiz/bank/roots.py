"""Where the banks are: the built-in folder, the settings file's banks, ATTNQUIZ_BANKS, --bank.

Only paths here (no YAML, no models), so a command that needs no bank loaded, or takes its
banks from the cache (quiz.bank.index), finds them cheaply; quiz.bank.loader reads what is found.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from quiz.paths import data_path

BANK_SUFFIXES = (".yaml", ".yml")


def extra_bank_paths(cli_paths: Sequence[str] = ()) -> list[str]:
    """Banks named by the settings file's `banks`, ATTNQUIZ_BANKS (an os.pathsep-separated list),
    then --bank (quiz.config: extra banks add up)."""
    from quiz import config

    return list(config.current().with_flags(banks=tuple(cli_paths)).settings.banks)


def bank_roots(extra: Sequence[str] = (), include_builtin: bool = True) -> list[str]:
    """The built-in banks (unless excluded), then the settings file's banks, ATTNQUIZ_BANKS, then `extra`."""
    return ([str(data_path("builtin_banks"))] if include_builtin else []) + extra_bank_paths(extra)


def find_bank_files(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[Path], list[Path]]:
    """Files and folders (searched recursively) expanded into bank files, in order; and the paths that
    do not exist."""
    found: list[Path] = []
    missing: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in BANK_SUFFIXES and p.is_file()))
        elif path.is_file():
            found.append(path)
        else:
            missing.append(path)
    return found, missing
