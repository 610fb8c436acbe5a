"""The built wheel carries the banks and works from a fresh virtual environment elsewhere."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO, subprocess_env


@pytest.mark.slow
def test_wheel_installs_into_fresh_venv_and_lists_builtin_banks(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(REPO)],
                   check=True, capture_output=True)
    wheel = next(dist.glob("attnquiz-*.whl"))
    banks = sorted(p.name for p in (REPO / "questions").glob("*.yaml"))
    with zipfile.ZipFile(wheel) as archive:
        packaged = sorted(Path(n).name for n in archive.namelist() if n.startswith("quiz/_data/questions/"))
    assert packaged == banks

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    pip = env_dir / "bin" / "pip"
    subprocess.run([str(pip), "install", "-q", str(wheel)], check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run([str(env_dir / "bin" / "attnquiz"), "list"], cwd=elsewhere, capture_output=True,
                            text=True, env=subprocess_env())
    assert result.returncode == 0, result.stderr
    import yaml

    for name in banks:
        bank_id = yaml.safe_load((REPO / "questions" / name).read_text(encoding="utf-8"))["id"]
        assert f"[{bank_id}]" in result.stdout
    assert str(REPO) not in result.stdout
    # the worked solutions ship in the wheel: a pip user sees one
    with zipfile.ZipFile(wheel) as archive:
        solutions = sorted(Path(n).name for n in archive.namelist() if n.startswith("quiz/_data/solutions/"))
    assert solutions == sorted(p.name for p in (REPO / "solutions").glob("*.py"))
    shown = subprocess.run([str(env_dir / "bin" / "attnquiz"), "solution", "softmax", "--yes"], cwd=elsewhere,
                           capture_output=True, text=True, env=subprocess_env())
    assert shown.returncode == 0, shown.stderr
    assert "def softmax(x, axis=-1):" in shown.stdout and "_data/solutions" not in shown.stdout
