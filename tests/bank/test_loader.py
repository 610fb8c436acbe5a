"""The bank validator: a gallery of broken banks, each with the exact messages it must produce."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from quiz.bank.loader import load_catalog, load_paths
from quiz.check.catalog import exercise_names
from quiz.cli import cli

from tests.conftest import REPO

GALLERY = REPO / "tests" / "banks_gallery"
CASES = sorted(p.stem for p in GALLERY.glob("*.expected"))


def _validate(*paths: str, strict: bool = True, env: dict[str, str] | None = None) -> tuple[int, list[str]]:
    result = CliRunner().invoke(cli, ["validate", *(["--strict"] if strict else []), *paths], env=env)
    return result.exit_code, result.output.splitlines()


@pytest.mark.parametrize("case", CASES, ids=CASES)
def test_gallery_bank_gives_exact_messages(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    expected = (GALLERY / f"{case}.expected").read_text(encoding="utf-8").splitlines()
    # duplicate_id only fails next to the bank whose id it repeats
    paths = ["tests/banks_gallery/valid_minimal.yaml"] if case == "duplicate_id" else []
    code, lines = _validate(*paths, f"tests/banks_gallery/{case}.yaml")
    problems, summary = lines[:-1], lines[-1]
    assert problems == expected
    assert code == (1 if expected else 0)
    assert " checked: " in summary


def test_every_gallery_bank_has_expectations() -> None:
    assert {p.stem for p in GALLERY.glob("*.yaml")} == set(CASES)


def test_all_problems_reported_not_only_the_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    code, lines = _validate("tests/banks_gallery/bad_values.yaml", "tests/banks_gallery/empty.yaml")
    assert code == 1
    assert lines[-1] == "2 files checked: 8 errors, 0 warnings"


def test_warnings_fail_only_with_strict(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    assert _validate("tests/banks_gallery/missing_translation.yaml", strict=False)[0] == 0
    assert _validate("tests/banks_gallery/missing_translation.yaml", strict=True)[0] == 1


def test_missing_path_is_one_clear_line_and_a_usage_error(tmp_path: Path) -> None:
    code, lines = _validate(str(tmp_path / "nope.yaml"))
    assert code == 2  # the README's exit codes: 2 for a missing or unreadable file
    assert lines[0] == f"{tmp_path / 'nope.yaml'}: no such file or folder"


def test_a_missing_path_beside_a_valid_bank_still_checks_the_bank(tmp_path: Path) -> None:
    code, lines = _validate(str(GALLERY / "valid_minimal.yaml"), str(tmp_path / "nope.yaml"))
    assert code == 2
    assert lines == [f"{tmp_path / 'nope.yaml'}: no such file or folder", "1 file checked: 1 error, 0 warnings"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(tmp_path: Path) -> None:
    bank = tmp_path / "locked.yaml"
    bank.write_text((GALLERY / "valid_minimal.yaml").read_text())
    bank.chmod(0)
    code, lines = _validate(str(bank))
    assert code == 2 and lines[0] == f"{bank}: cannot read file: Permission denied"


def test_custom_tag_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    bank = tmp_path / "evil.yaml"
    bank.write_text(f'title: !!python/object/apply:os.system ["touch {marker}"]\n')
    code, lines = _validate(str(bank))
    assert code == 1
    assert f"{bank}:1:8: custom tag '!!python/object/apply:os.system' is not allowed (banks are plain data)" in lines
    assert not marker.exists()


def test_folder_is_searched_recursively(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "bank.yml").write_text((GALLERY / "valid_minimal.yaml").read_text())
    (tmp_path / "notes.txt").write_text("not a bank")
    catalog = load_paths([tmp_path], known_exercises=exercise_names())
    assert catalog.files == 1 and [b.id for b in catalog.banks] == ["gallery-valid"]


def test_messages_in_chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    _, lines = _validate("tests/banks_gallery/unknown_key.yaml", env={"ATTNQUIZ_LANG": "zh"})
    assert lines[0] == ("tests/banks_gallery/unknown_key.yaml:10:5: "
                        "题目 'gallery-unknown-key-q1'：未知的键 'promt'；是不是想写 'prompt'？")


def test_extra_banks_from_environment_and_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "other.yaml"
    other.write_text((GALLERY / "valid_minimal.yaml").read_text().replace("gallery-valid", "other"))
    monkeypatch.setenv("ATTNQUIZ_BANKS", str(GALLERY / "valid_minimal.yaml"))
    catalog = load_catalog([str(other)], known_exercises=exercise_names(), include_builtin=False)
    assert [b.id for b in catalog.banks] == ["gallery-valid", "other"]


def test_builtin_banks_are_valid() -> None:
    catalog = load_catalog(known_exercises=exercise_names(), include_builtin=True)
    assert catalog.errors == []


def test_authoring_guide_example_is_a_valid_bank(tmp_path: Path) -> None:
    guide = (REPO / "docs" / "authoring.md").read_text(encoding="utf-8")
    blocks = [part.split("```")[0] for part in guide.split("```yaml\n")[1:]]
    bank = tmp_path / "my-course.yaml"
    bank.write_text(next(block for block in blocks if "format_version" in block), encoding="utf-8")
    code, lines = _validate(str(bank), strict=True)
    assert (code, lines) == (0, ["1 file checked: 0 errors, 0 warnings"])
