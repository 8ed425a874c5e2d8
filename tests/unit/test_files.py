"""Files written whole or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from clinic.files import replaced_whole, write_whole


def test_a_file_is_replaced_whole(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(b"old")
    assert write_whole(path, b"new contents") == path
    assert path.read_bytes() == b"new contents"
    assert [p.name for p in tmp_path.iterdir()] == ["export.csv"]


def test_a_write_that_fails_half_way_leaves_the_old_file_and_no_litter(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError), replaced_whole(path) as temporary:
        temporary.write_bytes(b"half of the new")
        raise RuntimeError("disk full")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["export.csv"]


def test_a_folder_that_is_not_there_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        write_whole(tmp_path / "missing" / "export.csv", b"x")
