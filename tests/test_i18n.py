"""Interface strings: every key in both languages, with the same fields; language resolution."""

from __future__ import annotations

import re
import string

import pytest

from quiz import i18n
from quiz.paths import data_path
from tests.conftest import REPO


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(i18n.catalogue()), ids=str)
def test_every_string_has_english_and_chinese_with_the_same_fields(key: str) -> None:
    entry = i18n.catalogue()[key]
    assert set(entry) >= {"en", "zh"}
    assert entry["en"].strip() and entry["zh"].strip()
    assert _fields(entry["en"]) == _fields(entry["zh"])


def test_every_key_used_in_code_exists() -> None:
    used = set()
    for path in (REPO / "quiz").rglob("*.py"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_][\w.]*)["']""", path.read_text(encoding="utf-8")))
    assert used, "no t() calls found"
    assert sorted(used - set(i18n.catalogue())) == []


@pytest.mark.parametrize(
    ("explicit", "env", "expected"),
    [
        ("zh", {"ATTNQUIZ_LANG": "en"}, "zh"),
        (None, {"ATTNQUIZ_LANG": "zh-Hans"}, "zh"),
        (None, {"LANG": "zh_CN.UTF-8"}, "zh"),
        (None, {"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
        (None, {"LANG": "fr_FR.UTF-8"}, "en"),
        ("klingon", {}, "en"),
        (None, {}, "en"),
    ],
    ids=["flag-wins", "env-var", "locale", "lc-all-first", "unsupported-locale", "unsupported-flag", "default"],
)
def test_resolve_language(explicit: str | None, env: dict[str, str], expected: str,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("ATTNQUIZ_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert i18n.resolve_language(explicit) == expected


def test_t_formats_in_the_current_language() -> None:
    i18n.bind_language("zh")
    assert i18n.t("bank.no_questions") == "题库中没有题目"
    assert i18n.t("bank.no_questions", _lang="en") == "the bank has no questions"


def test_no_string_writes_a_plural_as_s_in_brackets() -> None:
    assert sorted(key for key, entry in i18n.catalogue().items()
                  if any("(s)" in text or "（s）" in text for text in entry.values())) == []


@pytest.mark.parametrize(("count", "expected"), [(0, "0 errors"), (1, "1 error"), (3, "3 errors")])
def test_a_plural_form_is_chosen_by_the_number(count: int, expected: str) -> None:
    assert i18n.t("validate.summary", _lang="en", files=1, errors=count, warnings=2) == \
        f"1 file checked: {expected}, 2 warnings"
    assert i18n.t("validate.summary", _lang="zh", files=1, errors=count, warnings=2) == \
        f"已检查 1 个文件：{count} 个错误，2 个警告"


def test_plain_format_specs_still_format_numbers() -> None:
    assert i18n.t("check.speed_timeout", _lang="en", steps=256, seconds=2.345) == \
        "256 decoding steps took 2.3 s, over the time allowed"
    assert i18n.t("check.speed_timeout", _lang="zh", steps=256, seconds=2.345) == "256 步解码用了 2.3 秒，超出允许的时间"


def test_the_catalogue_from_the_cache_is_the_one_the_yaml_files_give() -> None:
    files = sorted(i18n._LOCALES_DIR.glob("*.yaml"))
    fresh = i18n._read_catalogue(files)
    i18n.catalogue.cache_clear()
    try:
        first = i18n.catalogue()  # this test's cache folder is empty: read and stored
        i18n.catalogue.cache_clear()
        assert (data_path("cache") / "locales.json").is_file()
        assert first == i18n.catalogue() == fresh
    finally:
        i18n.catalogue.cache_clear()
