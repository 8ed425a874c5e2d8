"""The local store's folder and files are readable by their owner alone,
also a store an older version made readable by others (finding 12: the
store was 0644 in a 0755 folder)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sqlalchemy import text

from clinic.store import STORE_FILE, open_local_store


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _assert_owner_only(data_dir: Path) -> None:
    assert _mode(data_dir) == 0o700
    files = [data_dir / f"{STORE_FILE}{suffix}" for suffix in ("", "-wal", "-shm")]
    assert all(path.exists() for path in files), files
    assert {path.name: _mode(path) for path in files} == {path.name: 0o600 for path in files}


def test_a_new_store_is_its_owners_alone(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        data_dir = tmp_path / "data"
        store = open_local_store(data_dir)
        with store.write() as session:
            session.execute(text("CREATE TABLE scratch (x INTEGER)"))
        _assert_owner_only(data_dir)
        store.close()
    finally:
        os.umask(old_umask)


def test_an_existing_store_readable_by_others_is_made_private_at_open(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    open_local_store(data_dir).close()
    data_dir.chmod(0o755)
    for path in data_dir.iterdir():
        path.chmod(0o644)
    store = open_local_store(data_dir)
    with store.write() as session:
        session.execute(text("CREATE TABLE scratch (x INTEGER)"))
    _assert_owner_only(data_dir)
    store.close()
