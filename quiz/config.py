"""Settings: one typed model, the TOML file that holds the user's choices, and precedence.

Every setting has a default (``Settings``' field defaults, the single source of truth), may be
set in the configuration file (TOML, ``quiz.paths.data_path("config")``: ATTNQUIZ_CONFIG, else
the platform's user config folder), in an environment variable (``ATTNQUIZ_<KEY>``), and some
by a command-line flag. Precedence: flag > environment > file > default; ``banks`` adds up
(file, then environment, then flags), as extra banks always have. The language falls back to
the locale before the default.

The file is read with tomllib (tomli on Python 3.10) and written with tomlkit, which keeps
the user's comments and layout. A file that cannot be used is an error naming the file and
line (``path:line: message``); its other settings are not used in its place, and neither are
the defaults for the broken key. Unknown keys are errors that suggest the closest known key.
"""

from __future__ import annotations

import contextvars
import difflib
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from quiz.errors import AttnquizError
from quiz.i18n import LANGUAGES, t

RETENTION_RANGE = (0.70, 0.99)
STEP = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


@dataclass(frozen=True)
class Settings:
    """The effective settings of one run."""

    lang: str | None = None
    """Interface language (en or zh); unset: ATTNQUIZ_LANG, else the locale."""
    banks: tuple[str, ...] = ()
    """Extra bank files or folders, besides the built-in ones."""
    plain: bool = False
    """Numbered plain-text prompts and text-only reports."""
    pause: bool = True
    """Wait for Enter after the feedback on each answer."""
    desired_retention: float = 0.90
    """The chance of remembering a question when it comes back (0.70 to 0.99)."""
    maximum_interval: int = 36500
    """The longest wait, in days, before a question comes back."""
    learning_steps: tuple[str, ...] = ("1m", "10m")
    """Waits before a new question's next reviews, such as 1m, 10m, 1h, 1d."""
    relearning_steps: tuple[str, ...] = ("10m",)
    """Waits before a forgotten question's next reviews."""
    new_per_day: int = 20
    """New questions introduced per day in practice (0: none)."""
    fsrs_parameters: tuple[float, ...] = ()
    """FSRS model parameters fitted by `attnquiz optimize` (empty: the FSRS defaults)."""

    @property
    def learning_deltas(self) -> tuple[timedelta, ...]:
        return tuple(step_delta(step) for step in self.learning_steps)

    @property
    def relearning_deltas(self) -> tuple[timedelta, ...]:
        return tuple(step_delta(step) for step in self.relearning_steps)


KEYS: tuple[str, ...] = tuple(f.name for f in fields(Settings))
DEFAULTS = Settings()
FLAGS = {"lang": "--lang", "banks": "--bank", "plain": "--plain", "pause": "--pause/--no-pause"}
"""The command-line flag of each setting that has one (shown as a setting's source)."""


def env_var(key: str) -> str:
    return f"ATTNQUIZ_{key.upper()}"


class ConfigError(AttnquizError):
    """A setting that cannot be used: one line that says where and what to fix."""


class _Invalid(ValueError):
    """A value that a setting does not accept; ``str()`` is the reason, already translated."""


def step_delta(step: str) -> timedelta:
    match = STEP.match(step)
    if not match:
        raise _Invalid(t("config.bad_step", step=step))
    return timedelta(**{_UNITS[match[2]]: float(match[1])})


# --- checking values: each setting's type and range -------------------------------------------


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(t("config.want_bool"))
    return value


def _language(value: Any) -> str:
    if not isinstance(value, str) or value not in LANGUAGES:
        raise _Invalid(t("config.want_choice", choices=", ".join(LANGUAGES)))
    return value


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise _Invalid(t("config.want_strings"))
    return tuple(value)


def _steps(value: Any) -> tuple[str, ...]:
    steps = _strings(value)
    for step in steps:
        step_delta(step)
    return steps


def _retention(value: Any) -> float:
    low, high = RETENTION_RANGE
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise _Invalid(t("config.want_range", low=low, high=high))
    return float(value)


def _whole(minimum: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise _Invalid(t("config.want_int", minimum=minimum))
        return value

    return check


def _parameters(value: Any) -> tuple[float, ...]:
    if not isinstance(value, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        raise _Invalid(t("config.want_numbers"))
    if not value:
        return ()
    from fsrs.scheduler import LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS

    if len(value) != len(LOWER_BOUNDS_PARAMETERS):
        raise _Invalid(t("config.want_parameters", n=len(LOWER_BOUNDS_PARAMETERS), got=len(value)))
    for index, (v, low, high) in enumerate(zip(value, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS)):
        if not low <= v <= high:
            raise _Invalid(t("config.parameter_range", index=index, low=low, high=high))
    return tuple(float(v) for v in value)


CHECKS: dict[str, Callable[[Any], Any]] = {
    "lang": _language,
    "banks": _strings,
    "plain": _bool,
    "pause": _bool,
    "desired_retention": _retention,
    "maximum_interval": _whole(1),
    "learning_steps": _steps,
    "relearning_steps": _steps,
    "new_per_day": _whole(0),
    "fsrs_parameters": _parameters,
}
assert set(CHECKS) == set(KEYS), "every setting needs a check"
_LISTS = {"banks", "learning_steps", "relearning_steps", "fsrs_parameters"}
_BOOL_WORDS = {"true": True, "yes": True, "on": True, "1": True, "false": False, "no": False, "off": False, "0": False}


def check_value(key: str, value: Any) -> Any:
    """`value` as setting `key` holds it (a TOML value: str, int, float, bool or a list of them)."""
    return CHECKS[key](value)


def parse_text(key: str, text: str, list_separator: str = ",") -> Any:
    """A setting's value typed as text (an environment variable, `config set`), checked.

    A TOML value is read as TOML (``0.85``, ``true``, ``["1m", "10m"]``); anything else is a
    bare string, and for a list setting a `list_separator`-separated list.
    """
    text = text.strip()
    default = getattr(DEFAULTS, key)
    try:
        value: Any = _tomllib().loads(f"v = {text}")["v"]
    except _tomllib().TOMLDecodeError:
        value = text
    if isinstance(default, bool) and isinstance(value, (str, int)) and str(value).lower() in _BOOL_WORDS:
        value = _BOOL_WORDS[str(value).lower()]
    if key in _LISTS and not isinstance(value, list):
        value = [part.strip() for part in str(value).split(list_separator) if part.strip()]
    return check_value(key, value)


def to_toml(key: str, value: Any) -> Any:
    """A checked value as it is written to the file."""
    return list(value) if isinstance(value, tuple) else value


# --- the file ---------------------------------------------------------------------------------


def _tomllib():  # noqa: ANN202 - the standard library's tomllib, or tomli (its backport) on Python 3.10
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10 only
        import tomli as tomllib
    return tomllib


_AT = re.compile(r"\s*\(at (?:line (\d+), column \d+|end of document)\)\s*$")


def _position(exc: ValueError, source: str) -> tuple[int, str]:
    """The line of a TOML syntax error (the last line for one at the end) and its message."""
    text = str(getattr(exc, "msg", None) or exc)
    match = _AT.search(text)
    line = getattr(exc, "lineno", None) or (int(match[1]) if match and match[1] else len(source.splitlines()))
    return line, _AT.sub("", text)


def config_path() -> Path:
    from quiz.paths import data_path

    return data_path("config")


def suggest(key: str) -> str | None:
    """The known key closest to a misspelt one, if any is close."""
    close = difflib.get_close_matches(key.lower().replace("-", "_"), KEYS, n=1, cutoff=0.6)
    return close[0] if close else None


def _key_line(text: str, key: str) -> int:
    """The line (1-based) where `key` is assigned at the top of the file (0 if not found)."""
    pattern = re.compile(rf"""^\s*(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')\s*=""")
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("["):
            break
        if pattern.match(line):
            return number
    return 0


def _table_line(text: str, name: str) -> int:
    pattern = re.compile(rf"^\s*\[+\s*{re.escape(name)}\b")
    return next((n for n, line in enumerate(text.splitlines(), start=1) if pattern.match(line)), 0)


def _where(path: Path, line: int) -> str:
    return f"{path}:{line}" if line else str(path)


def read_file(path: Path) -> dict[str, Any]:
    """The settings the file at `path` sets, checked (empty when there is no file)."""
    toml = _tomllib()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(t("config.unreadable", path=path, reason=getattr(exc, "strerror", None) or exc)) from None
    try:
        data = toml.loads(text)
    except toml.TOMLDecodeError as exc:
        line, message = _position(exc, text)
        raise ConfigError(t("config.bad_toml", where=_where(path, line), message=message)) from None
    settings: dict[str, Any] = {}
    for key, value in data.items():
        if key not in CHECKS:
            line = _table_line(text, key) if isinstance(value, dict) else _key_line(text, key)
            close = suggest(key)
            hint = t("config.did_you_mean", key=close) if close else t("config.known_keys", keys=", ".join(KEYS))
            raise ConfigError(t("config.unknown_key", where=_where(path, line), key=key, hint=hint))
        try:
            settings[key] = check_value(key, value)
        except _Invalid as exc:
            raise ConfigError(t("config.bad_value", where=_where(path, _key_line(text, key)), key=key,
                                reason=exc)) from None
    return settings


FILE_HEADER = """\
# attnquiz settings (`attnquiz config` shows every setting and where it comes from).
# Precedence: command-line flag > environment variable (ATTNQUIZ_<KEY>) > this file > default.
"""


def write_setting(path: Path, key: str, value: Any | None) -> None:
    """Set `key` to `value` in the file (None removes it), keeping everything else as written.

    The new text is written to a temporary file beside the old one and moved into place, so a
    failed write leaves the old file whole.
    """
    import tomlkit

    try:
        text = path.read_text(encoding="utf-8") if path.exists() else FILE_HEADER
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(t("config.unreadable", path=path, reason=getattr(exc, "strerror", None) or exc)) from None
    read_file(path) if path.exists() else None  # a broken file is reported, not overwritten
    document = tomlkit.parse(text)
    if value is None:
        document.pop(key, None)
    else:
        document[key] = to_toml(key, value)
    _replace(path, tomlkit.dumps(document))


def _replace(path: Path, text: str) -> None:
    from quiz import files

    try:
        files.write_text(path, text, mkdir=True)
    except OSError as exc:
        raise ConfigError(t("config.cannot_write", path=path, reason=files.os_reason(exc, path))) from None


# --- precedence -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    """The effective settings, where each came from, and the layers they were computed from."""

    settings: Settings
    sources: Mapping[str, str] = field(default_factory=dict)
    """key -> 'default', 'file', 'locale', 'env ATTNQUIZ_X', 'flag --x' (or several joined by ' + ')."""
    path: Path = Path()
    file_values: Mapping[str, Any] = field(default_factory=dict)
    env_values: Mapping[str, Any] = field(default_factory=dict)
    locale: tuple[str, str] = ("en", "default")
    """The language the locale asks for, and its source ('locale' or 'default')."""
    flags: Mapping[str, Any] = field(default_factory=dict)

    @property
    def lang(self) -> str:
        assert self.settings.lang is not None, "load() always resolves the language"
        return self.settings.lang

    def with_flags(self, **flags: Any) -> Config:
        """These settings with a command's flags on top (a flag left unset, None or (), changes nothing)."""
        given = {key: value for key, value in flags.items() if value is not None and value != ()}
        for key, value in given.items():
            assert key in CHECKS, f"no setting {key!r}"
            given[key] = check_value(key, to_toml(key, value))
        return _combine(self.path, self.file_values, self.env_values, self.locale, {**self.flags, **given})


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in KEYS:
        name = env_var(key)
        text = env.get(name)
        if text is None or (key == "lang" and not text.strip()):
            continue
        if key == "lang":  # as before: 'zh_CN.UTF-8' and the like are accepted
            from quiz.i18n import normalize_language

            text = normalize_language(text) or text
        try:
            values[key] = parse_text(key, text, list_separator=os.pathsep if key == "banks" else ",")
        except _Invalid as exc:
            raise ConfigError(t("config.bad_env", name=name, value=text, reason=exc)) from None
    return values


def load(flags: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None,
         path: Path | None = None) -> Config:
    """The settings of this run: `flags` (only those the user gave) > `env` > the file > defaults.

    The program reads them once, in the run context (quiz.context); commands add their flags
    with ``Config.with_flags``.
    """
    env = os.environ if env is None else env
    path = path or config_path()
    base = _combine(path, read_file(path), _from_env(env), _locale_language(env), {})
    return base.with_flags(**(flags or {}))


def _combine(path: Path, file_values: Mapping[str, Any], env_values: Mapping[str, Any], locale: tuple[str, str],
             flags: Mapping[str, Any]) -> Config:
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for key in KEYS:
        layers = [("file", file_values), (f"env {env_var(key)}", env_values), (f"flag {FLAGS.get(key)}", flags)]
        given = [(source, layer[key]) for source, layer in layers if key in layer]
        if key == "banks":  # extra banks add up; a relative path in the file is relative to the file
            banks = [*[_file_relative(path, b) for b in file_values.get("banks", ())],
                     *env_values.get("banks", ()), *flags.get("banks", ())]
            values[key] = tuple(banks)
            sources[key] = " + ".join(source for source, _ in given) or "default"
        elif given:
            sources[key], values[key] = given[-1]
    if "lang" not in values:
        values["lang"], sources["lang"] = locale
    for key in KEYS:
        sources.setdefault(key, "default")
    return Config(replace(DEFAULTS, **values), sources, path, file_values, env_values, locale, flags)


def _locale_language(env: Mapping[str, str]) -> tuple[str, str]:
    """The language the locale asks for (the first of LC_ALL, LC_MESSAGES, LANG that is set, as in
    POSIX), else English; and its source."""
    from quiz.i18n import DEFAULT_LANGUAGE, normalize_language

    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if env.get(var):
            return normalize_language(env[var]) or DEFAULT_LANGUAGE, "locale"
    return DEFAULT_LANGUAGE, "default"


def _file_relative(path: Path, bank: str) -> str:
    expanded = Path(bank).expanduser()
    return str(expanded if expanded.is_absolute() else (path.parent / expanded))


def shown(value: Any) -> str:
    """A setting's value as `attnquiz config` prints it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value) or "(none)"
    if isinstance(value, float):
        return f"{value:g}"
    return "(unset)" if value is None else str(value)


def unknown_key(key: str) -> ConfigError:
    close = suggest(key)
    hint = t("config.did_you_mean", key=close) if close else t("config.known_keys", keys=", ".join(KEYS))
    return ConfigError(t("config.unknown_setting", key=key, hint=hint))


def set_value(path: Path, key: str, text: str) -> Any:
    """`attnquiz config set KEY VALUE`: check the value, write it; the value as now set."""
    if key not in CHECKS:
        raise unknown_key(key)
    try:
        value = parse_text(key, text)
    except _Invalid as exc:
        raise ConfigError(t("config.bad_set", key=key, value=text, reason=exc)) from None
    write_setting(path, key, value)
    return value


def unset_value(path: Path, key: str) -> None:
    if key not in CHECKS:
        raise unknown_key(key)
    write_setting(path, key, None)




_CURRENT: contextvars.ContextVar[Config | None] = contextvars.ContextVar("attnquiz_config", default=None)


def bind(config: Config) -> None:
    """The settings of this run (called by quiz.context.RunContext.activate only)."""
    _CURRENT.set(config)


def current() -> Config:
    """The settings the run context read (read here when there is no run, as in a library call)."""
    bound = _CURRENT.get()
    return bound if bound is not None else load()
