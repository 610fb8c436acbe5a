"""The settings: the TOML file, its errors, precedence (flag > environment > file > default), writing."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from quiz import config
from quiz.config import ConfigError, Settings

NEUTRAL = {"LANG": "C.UTF-8"}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "config.toml"


def test_no_file_gives_the_defaults_from_the_model(path: Path) -> None:
    loaded = config.load(env=NEUTRAL, path=path)
    assert loaded.settings == Settings(lang="en")
    assert loaded.sources["desired_retention"] == "default"
    assert loaded.sources["lang"] == "locale"
    assert Settings().learning_deltas == (timedelta(minutes=1), timedelta(minutes=10))


def test_the_path_comes_from_attnquiz_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ATTNQUIZ_CONFIG", str(tmp_path / "elsewhere.toml"))
    assert config.config_path() == tmp_path / "elsewhere.toml"
    monkeypatch.delenv("ATTNQUIZ_CONFIG")
    assert config.config_path().name == "config.toml"
    assert "attnquiz" in config.config_path().parts


def test_flag_beats_environment_beats_file_beats_default(path: Path) -> None:
    write(path, 'lang = "zh"\ndesired_retention = 0.8\nmaximum_interval = 100\nnew_per_day = 7\n')
    env = {**NEUTRAL, "ATTNQUIZ_LANG": "en", "ATTNQUIZ_MAXIMUM_INTERVAL": "30"}
    loaded = config.load(flags={"lang": "zh", "plain": True}, env=env, path=path)
    s = loaded.settings
    assert (s.lang, s.desired_retention, s.maximum_interval, s.new_per_day, s.plain, s.pause) == (
        "zh", 0.8, 30, 7, True, True)
    assert loaded.sources == {
        "lang": "flag --lang", "banks": "default", "plain": "flag --plain", "pause": "default",
        "desired_retention": "file", "maximum_interval": "env ATTNQUIZ_MAXIMUM_INTERVAL",
        "learning_steps": "default", "relearning_steps": "default", "new_per_day": "file",
        "fsrs_parameters": "default",
    }


def test_environment_language_accepts_locale_spellings(path: Path) -> None:
    loaded = config.load(env={"ATTNQUIZ_LANG": "zh_CN.UTF-8"}, path=path)
    assert loaded.settings.lang == "zh" and loaded.sources["lang"] == "env ATTNQUIZ_LANG"
    assert config.load(env={"LC_ALL": "zh_TW.UTF-8", "LANG": "en_US"}, path=path).settings.lang == "zh"
    assert config.load(env={}, path=path).sources["lang"] == "default"


def test_banks_add_up_and_the_file_s_relative_paths_are_relative_to_it(path: Path) -> None:
    write(path, 'banks = ["mine", "/abs/theirs.yaml"]\n')
    loaded = config.load(flags={"banks": ("flag.yaml",)}, env={"ATTNQUIZ_BANKS": f"a{os.pathsep}b"}, path=path)
    assert loaded.settings.banks == (str(path.parent / "mine"), "/abs/theirs.yaml", "a", "b", "flag.yaml")
    assert loaded.sources["banks"] == "file + env ATTNQUIZ_BANKS + flag --bank"


@pytest.mark.parametrize(("text", "line", "message"), [
    ("lang = 'en'\ndesired_retention = = 0.8\n", 2, "Invalid value"),
    ("lang = 'en'\nlang = 'zh'\n", 2, "Cannot overwrite a value"),
    ("new_per_day = 3\n\nlearning_steps = [\"1m\",\n", 3, "Invalid value"),
], ids=["bad-value", "duplicate-key", "unclosed-array"])
def test_a_toml_syntax_error_is_one_line_with_the_file_and_line(path: Path, text: str, line: int,
                                                                message: str) -> None:
    write(path, text)
    with pytest.raises(ConfigError) as caught:
        config.load(env=NEUTRAL, path=path)
    shown = caught.value.format_message()
    assert shown.startswith(f"{path}:{line}: {message}")
    assert "\n" not in shown and "(at line" not in shown


@pytest.mark.parametrize(("text", "expected"), [
    ("# retention\ndesired_retension = 0.85\n", ":2: unknown setting 'desired_retension' (did you mean "
                                                "'desired_retention'?)"),
    ("new_per_day = 5\nmax_interval = 30\n", ":2: unknown setting 'max_interval' (did you mean 'maximum_interval'?)"),
    ("plain = true\n\n[scheduler]\nx = 1\n", ":3: unknown setting 'scheduler' (known settings: lang, banks, "),
], ids=["typo", "abbreviation", "table"])
def test_an_unknown_key_is_an_error_that_suggests_the_closest_one(path: Path, text: str, expected: str) -> None:
    write(path, text)
    with pytest.raises(ConfigError, match="^" + str(path).replace("\\", "\\\\")) as caught:
        config.load(env=NEUTRAL, path=path)
    assert caught.value.format_message().startswith(f"{path}{expected}")


@pytest.mark.parametrize(("line", "expected"), [
    ("desired_retention = 0.5", "desired_retention must be a number from 0.7 to 0.99"),
    ("desired_retention = '0.9'", "desired_retention must be a number from 0.7 to 0.99"),
    ("maximum_interval = 0", "maximum_interval must be a whole number of at least 1"),
    ("maximum_interval = 3.5", "maximum_interval must be a whole number of at least 1"),
    ("new_per_day = -1", "new_per_day must be a whole number of at least 0"),
    ("plain = 'yes'", "plain must be true or false"),
    ("lang = 'fr'", "lang must be one of: en, zh"),
    ("learning_steps = ['1m', 'ten minutes']", "learning_steps 'ten minutes' is not a step"),
    ("banks = 'one.yaml'", "banks must be a list of non-empty strings"),
    ("fsrs_parameters = [1.0, 2.0]", "fsrs_parameters must hold 21 numbers, not 2"),
], ids=lambda v: v.split(" ")[0])
def test_a_bad_value_names_the_line_and_the_broken_key_is_not_defaulted(path: Path, line: str,
                                                                       expected: str) -> None:
    write(path, f"# my settings\n{line}\n")
    with pytest.raises(ConfigError) as caught:
        config.load(env=NEUTRAL, path=path)
    assert caught.value.format_message().startswith(f"{path}:2: {expected}")


def test_a_bad_environment_value_names_the_variable(path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^ATTNQUIZ_DESIRED_RETENTION=high: must be a number from 0.7 to 0.99$"):
        config.load(env={"ATTNQUIZ_DESIRED_RETENTION": "high"}, path=path)
    loaded = config.load(env={"ATTNQUIZ_PLAIN": "yes", "ATTNQUIZ_LEARNING_STEPS": "30s, 5m, 1h"}, path=path)
    assert loaded.settings.plain is True
    assert loaded.settings.learning_deltas == (timedelta(seconds=30), timedelta(minutes=5), timedelta(hours=1))


def test_set_keeps_the_user_s_comments_and_layout(path: Path) -> None:
    write(path, "# My attnquiz settings\n\ndesired_retention = 0.85  # a little lower\n\n"
                "# banks I wrote\nbanks = [\"~/banks\"]\n")
    assert config.set_value(path, "desired_retention", "0.9") == 0.9
    assert config.set_value(path, "learning_steps", "1m, 1h") == ("1m", "1h")
    assert config.set_value(path, "pause", "off") is False
    assert path.read_text(encoding="utf-8") == (
        "# My attnquiz settings\n\ndesired_retention = 0.9  # a little lower\n\n"
        "# banks I wrote\nbanks = [\"~/banks\"]\nlearning_steps = [\"1m\", \"1h\"]\npause = false\n")
    config.unset_value(path, "pause")
    assert "pause" not in path.read_text(encoding="utf-8")
    assert config.load(env=NEUTRAL, path=path).settings.learning_steps == ("1m", "1h")


def test_set_creates_the_file_with_a_header(tmp_path: Path) -> None:
    path = tmp_path / "new" / "config.toml"
    config.set_value(path, "lang", "zh")
    text = path.read_text(encoding="utf-8")
    assert text.startswith(config.FILE_HEADER) and text.endswith('lang = "zh"\n')
    assert config.load(env=NEUTRAL, path=path).settings.lang == "zh"


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("desired_retention", "1.2", "desired_retention = 1.2: must be a number from 0.7 to 0.99; nothing was written"),
    ("new_per_dya", "5", "Unknown setting 'new_per_dya' (did you mean 'new_per_day'?)"),
    ("learning_steps", "1m,soon", "learning_steps = 1m,soon: 'soon' is not a step"),
])
def test_set_refuses_a_bad_value_and_writes_nothing(path: Path, key: str, value: str, expected: str) -> None:
    original = "# keep me\nnew_per_day = 3\n"
    write(path, original)
    with pytest.raises(ConfigError) as caught:
        config.set_value(path, key, value)
    assert caught.value.format_message().startswith(expected)
    assert path.read_text(encoding="utf-8") == original


def test_set_on_a_broken_file_reports_it_and_leaves_it_alone(path: Path) -> None:
    original = "new_per_day = = 3\n"
    write(path, original)
    with pytest.raises(ConfigError, match=":1: Invalid value"):
        config.set_value(path, "lang", "zh")
    assert path.read_text(encoding="utf-8") == original


def test_an_unwritable_place_is_one_line_and_nothing_is_left_behind(tmp_path: Path) -> None:
    blocker = write(tmp_path / "not-a-folder", "a file where a folder should be\n")
    with pytest.raises(ConfigError, match=r"^Cannot write the settings file .*config.toml: Not a directory$"):
        config.set_value(blocker / "config.toml", "new_per_day", "4")
    assert blocker.read_text(encoding="utf-8") == "a file where a folder should be\n"
    assert [p.name for p in tmp_path.iterdir()] == ["not-a-folder"]


def test_a_settings_path_that_is_a_folder_cannot_be_written(tmp_path: Path) -> None:
    (tmp_path / "config.toml").mkdir()
    with pytest.raises(ConfigError, match=r"^Cannot read the settings file .*config.toml: Is a directory$"):
        config.set_value(tmp_path / "config.toml", "lang", "zh")


def test_fitted_parameters_round_trip(path: Path) -> None:
    from fsrs.scheduler import DEFAULT_PARAMETERS

    text = "[" + ", ".join(str(p) for p in DEFAULT_PARAMETERS) + "]"
    config.set_value(path, "fsrs_parameters", text)
    assert config.load(env=NEUTRAL, path=path).settings.fsrs_parameters == tuple(DEFAULT_PARAMETERS)
    with pytest.raises(ConfigError, match="parameter 0 must be from"):
        config.set_value(path, "fsrs_parameters", "[" + ", ".join(["-5.0"] + [str(p) for p in DEFAULT_PARAMETERS[1:]]) + "]")


def test_every_setting_is_described_in_both_languages() -> None:
    from quiz.i18n import catalogue

    for key in config.KEYS:
        assert set(catalogue()[f"config.about.{key}"]) == {"en", "zh"}
