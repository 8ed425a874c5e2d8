"""SQLCipher: connections to an encrypted store, and the encryption in place
of a store an older version left plain.

An encrypted file begins with random bytes where a plain one begins with
SQLite's header (:data:`SQLITE_HEADER`), which is how a plain store is told
apart. Encrypting it (:func:`encrypt_in_place`) writes an encrypted copy
beside it (``sqlcipher_export``), checks that every table has as many rows
as in the original, makes it durable and only then renames it over the
original: a crash at any point leaves the plain store (and a half-made copy,
removed when the encryption starts again) or the encrypted one, never less.
"""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path
from typing import Any

import sqlcipher3.dbapi2 as sqlcipher

from clinic.store_key import KEY_FILE, StoreKeyRefused

DBAPI = sqlcipher
"""SQLCipher's DB-API module (the ``module`` SQLAlchemy's engines are given)."""
SQLITE_HEADER = b"SQLite format 3\x00"
ENCRYPTING_SUFFIX = ".encrypting"
"""The encrypted copy being made beside the store (removed if a crash left one)."""


class StoreState(Enum):
    NEW = "new"
    """No data yet: missing or empty."""
    PLAIN = "plain"
    ENCRYPTED = "encrypted"


def store_state(path: Path) -> StoreState:
    """What the SQLite file at ``path`` holds (a plain store's data may be in
    its ``-wal`` alone while its file is still empty)."""
    try:
        with open(path, "rb") as file:
            start = file.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        start = b""
    if start == SQLITE_HEADER:
        return StoreState.PLAIN
    if start:
        return StoreState.ENCRYPTED
    wal = Path(f"{path}-wal")
    return StoreState.PLAIN if wal.exists() and wal.stat().st_size > 0 else StoreState.NEW


def connect(path: Path | str, key: bytes | None, *, uri: bool = False) -> Any:
    """A DB-API connection to the SQLite file at ``path``: encrypted with
    ``key`` (raw, 32 bytes), or plain when ``key`` is None. Raises
    StoreKeyRefused when the key does not open the file."""
    connection = sqlcipher.connect(str(path), uri=uri, check_same_thread=False)
    connection.execute("PRAGMA cipher_log_level = NONE")  # a wrong key is said once, below
    if key is not None:
        connection.execute(f"PRAGMA key = \"x'{key.hex()}'\"")  # hex digits alone: no injection
    connection.execute("PRAGMA busy_timeout = 10000")
    try:
        connection.execute("SELECT count(*) FROM sqlite_schema").fetchone()
    except sqlcipher.DatabaseError as error:
        connection.close()
        if getattr(error, "sqlite_errorcode", None) != sqlcipher.SQLITE_NOTADB:
            raise  # locked, damaged: not a question of the key
        name = Path(str(path).split("?", 1)[0].removeprefix("file:"))
        raise StoreKeyRefused(
            f"the store's key does not open {name.name}: the key"
            + (" is for another store" if key is not None else " is missing")
            + f" (was {KEY_FILE} copied from another data folder?). Put back this folder's own"
            f" {KEY_FILE}, or restore a backup into a new data folder"
        ) from None
    return connection


def table_rows(connection: Any, schema: str = "main") -> dict[str, int]:
    """Rows in each table of ``schema`` (SQLite's own included: sequences,
    statistics), by name."""
    names = [
        row[0]
        for row in connection.execute(
            f"SELECT name FROM {schema}.sqlite_schema WHERE type = 'table' ORDER BY name"
        )
    ]
    return {
        name: connection.execute(f'SELECT count(*) FROM {schema}."{name}"').fetchone()[0]
        for name in names
    }


def encrypt_in_place(path: Path, key: bytes) -> dict[str, int]:
    """Encrypt the plain store at ``path`` with ``key``, keeping every row;
    returns the rows of each table. Run before anything else opens the
    store (the app's first start after the upgrade). Raises RuntimeError,
    the plain store untouched, when the copy does not hold the same rows."""
    path = Path(path)
    copy = path.with_name(path.name + ENCRYPTING_SUFFIX)
    for leftover in (copy, Path(f"{copy}-journal")):
        leftover.unlink(missing_ok=True)
    os.close(os.open(copy, os.O_RDWR | os.O_CREAT, 0o600))  # born readable by its owner alone
    source = connect(path, None)
    try:
        try:
            source.isolation_level = None
            source.execute("PRAGMA journal_mode = DELETE")  # folds the -wal into the file
            source.execute("PRAGMA locking_mode = EXCLUSIVE")
            source.execute("BEGIN EXCLUSIVE")  # held until closed: nobody writes meanwhile
            rows = table_rows(source)
            version = source.execute("PRAGMA user_version").fetchone()[0]
            source.execute("COMMIT")
            source.execute("ATTACH DATABASE ? AS encrypted KEY ?", (str(copy), f"x'{key.hex()}'"))
            source.execute("SELECT sqlcipher_export('encrypted')")
            source.execute(f"PRAGMA encrypted.user_version = {int(version)}")
            source.execute("DETACH DATABASE encrypted")
        finally:
            source.close()  # before the rename, which Windows refuses over an open file
        check = connect(copy, key)
        try:
            copied = table_rows(check)
        finally:
            check.close()
        if copied != rows:
            differ = sorted(n for n in rows.keys() | copied.keys() if rows.get(n) != copied.get(n))
            raise RuntimeError(
                f"encrypting {path} made a copy with other row counts ({', '.join(differ)});"
                " the plain store is kept as it was"
            )
        _fsync(copy)
        os.replace(copy, path)
        if os.name != "nt":  # Windows opens no folder to sync it
            _fsync(path.parent)
    except BaseException:
        copy.unlink(missing_ok=True)
        raise
    return rows


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
