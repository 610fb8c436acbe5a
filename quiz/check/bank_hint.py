"""Which banks define an exercise id: for the unknown-exercise error, so it can say "add --bank X".

Looks only where a user's banks usually are: the paths in ATTNQUIZ_BANKS (files, or the YAML
files in folders) and the YAML files in the current folder. Files are read with the safe loader
and only looked into (no validation, nothing imported); anything unreadable is skipped.
"""

from __future__ import annotations

import os
from pathlib import Path

MAX_FILES = 200


def _candidates() -> list[Path]:
    found: list[Path] = []
    for entry in [p for p in os.environ.get("ATTNQUIZ_BANKS", "").split(os.pathsep) if p] + ["."]:
        path = Path(entry)
        if path.is_dir():
            found += sorted(p for p in path.glob("*.y*ml") if p.suffix in (".yaml", ".yml"))
        elif path.is_file():
            found.append(path)
    return list(dict.fromkeys(found))[:MAX_FILES]


def _defines(path: Path, exercise_id: str) -> bool:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    questions = data.get("questions") if isinstance(data, dict) else None
    return any(isinstance(q, dict) and isinstance(q.get("exercise"), dict) and q["exercise"].get("id") == exercise_id
               for q in questions or [])


def banks_defining(exercise_id: str) -> list[str]:
    """The bank files (as paths to pass to --bank) whose code questions define `exercise_id`."""
    return [os.path.relpath(path) if not path.is_absolute() else str(path)
            for path in _candidates() if _defines(path, exercise_id)]
