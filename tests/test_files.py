"""quiz.files.write_text: all of the new text or the old file as it was, on a real file system."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from quiz import files


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_writes_new_file_with_the_umask_mode(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    old = os.umask(0o027)
    try:
        files.write_text(target, "één\n")
    finally:
        os.umask(old)
    assert target.read_text(encoding="utf-8") == "één\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert leftovers(tmp_path) == []


def test_replacing_keeps_the_mode_unless_told(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o600)
    files.write_text(target, "new\n")
    assert (target.read_text(encoding="utf-8"), stat.S_IMODE(target.stat().st_mode)) == ("new\n", 0o600)
    old = os.umask(0o022)
    try:
        files.write_text(target, "newer\n", keep_mode=False)
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


@pytest.mark.parametrize(("newline", "expected"), [("", b"a\r\nb\n"), ("\r\n", b"a\r\r\nb\r\n")], ids=["exact", "crlf"])
def test_newline_is_passed_to_the_file(tmp_path: Path, newline: str, expected: bytes) -> None:
    target = tmp_path / "reviews.csv"
    files.write_text(target, "a\r\nb\n", newline=newline)
    assert target.read_bytes() == expected


def test_mkdir_creates_the_folders_and_without_it_nothing_is_created(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "config.toml"
    with pytest.raises(FileNotFoundError):
        files.write_text(target, "x")
    assert not (tmp_path / "a").exists()
    files.write_text(target, "x", mkdir=True)
    assert target.read_text(encoding="utf-8") == "x"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "progress.json"
    target.write_text("the old progress\n", encoding="utf-8")
    with pytest.raises(UnicodeEncodeError):
        files.write_text(target, "half written \udcff")  # a lone surrogate cannot be encoded: fails mid-write
    assert target.read_text(encoding="utf-8") == "the old progress\n"
    assert leftovers(tmp_path) == []


def test_a_folder_in_the_way_fails_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "export.json"
    target.mkdir()
    with pytest.raises(IsADirectoryError):
        files.write_text(target, "x")
    assert leftovers(tmp_path) == []


def test_os_reason_says_not_a_directory_when_a_parent_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("", encoding="utf-8")
    target = tmp_path / "file" / "sub" / "config.toml"
    with pytest.raises(OSError) as caught:
        files.write_text(target, "x", mkdir=True)
    assert files.os_reason(caught.value, target) == "Not a directory"
