"""The quiz's one link to the checker: write a starter file, run `attnquiz check` on it.

Code questions name a checker exercise. The quiz runs the checker's documented command
line (`attnquiz new EXERCISE -o PATH`, `attnquiz check --exercise EXERCISE PATH`, exit
0 when every test passes) in a child process, so it depends only on that contract and the
checker's own sandbox applies. Until the checker's command module (quiz.cli.check)
exists, ``available()`` is False and the quiz leaves code questions out, saying so.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from quiz.i18n import current_language


def available() -> bool:
    """Whether this installation has `attnquiz check` and `attnquiz new`."""
    return importlib.util.find_spec("quiz.cli.check") is not None


def _attnquiz(*args: str) -> int:
    env = {**os.environ, "ATTNQUIZ_LANG": current_language()}
    return subprocess.run([sys.executable, "-m", "quiz", *args], env=env, check=False).returncode


class CodeCheck:
    """Runs the checker for code questions.

    Starter files go to `folder` (the current one by default). An exercise defined in a
    bank (not built in) is checked with the quiz's extra `banks` passed on as --bank.
    """

    def __init__(self, folder: Path | None = None, banks: tuple[str, ...] = ()) -> None:
        self.folder = folder
        self.banks = banks

    def starter_path(self, exercise: str) -> Path:
        return (self.folder or Path.cwd()) / f"attnquiz_{exercise}.py"

    def _bank_args(self, custom: bool) -> list[str]:
        return [arg for bank in self.banks for arg in ("--bank", bank)] if custom else []

    def write_starter(self, exercise: str, path: Path, custom: bool = False) -> bool:
        return _attnquiz("new", *self._bank_args(custom), exercise, "-o", str(path)) == 0

    def run_check(self, exercise: str, path: Path, custom: bool = False) -> bool:
        """True when every test of `exercise` passes on the file at `path` (the output goes to the terminal)."""
        return _attnquiz("check", *self._bank_args(custom), "--exercise", exercise, str(path)) == 0
