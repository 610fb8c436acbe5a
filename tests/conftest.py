"""Shared fixtures: every test gets its own ATTNQUIZ_HOME and a neutral environment."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ATTNQUIZ = [sys.executable, "-m", "quiz"]
REQUIRE_LEVELS = "REQUIRE_ISOLATION_LEVELS"  # levels whose tests must run, not skip (comma-separated)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh data directory, settings file and cache folder per test; the user's real progress, settings
    and cache are never touched, and no ATTNQUIZ_* setting from the calling shell leaks in."""
    home = tmp_path_factory.mktemp("home")
    for var in [name for name in os.environ if name.startswith("ATTNQUIZ_")]:
        monkeypatch.delenv(var)
    monkeypatch.setenv("ATTNQUIZ_HOME", str(home))
    monkeypatch.setenv("ATTNQUIZ_CONFIG", str(home / "config.toml"))
    monkeypatch.setenv("ATTNQUIZ_CACHE", str(home / "cache"))
    for var in ("LC_ALL", "LC_MESSAGES", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    from quiz import i18n

    from quiz import config

    token = i18n._language.set(i18n.resolve_language())  # the environment above decides, as outside a run
    settings = config._CURRENT.set(None)  # no run's settings yet: read from this test's environment
    yield home
    i18n._language.reset(token)  # whatever the test bound is gone for the next one
    config._CURRENT.reset(settings)


def need_level(level: object) -> None:
    """Skip (with the reason) a test whose isolation level this machine cannot run; in CI the strict level must run."""
    from quiz.check import isolation

    problem = isolation.host().problems.get(level)
    if problem is None:
        return
    if level is isolation.Level.STRICT and os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the strict isolation level: {problem}")
    if level.value in os.environ.get(REQUIRE_LEVELS, "").split(","):  # tests/check/test_levels_elsewhere.py
        pytest.fail(f"this run must have the {level.value} isolation level: {problem}")
    pytest.skip(f"isolation level {level.value} is not available here: {problem}")


def subprocess_env(**extra: str) -> dict[str, str]:
    """The environment for running attnquiz as a child process in tests."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTNQUIZ_")}
    env.update({"ATTNQUIZ_HOME": os.environ["ATTNQUIZ_HOME"], "ATTNQUIZ_CONFIG": os.environ["ATTNQUIZ_CONFIG"],
                "ATTNQUIZ_CACHE": os.environ["ATTNQUIZ_CACHE"], "LANG": "C.UTF-8"})
    env.update(extra)
    return env
