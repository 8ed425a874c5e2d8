"""Backups of the PC's local store: a consistent copy while the app runs,
a restore into an empty data folder, and the daily copies kept seven days.

A backup is the store itself, copied by SQLite's online backup API in one
read transaction: other connections go on writing (WAL) and the copy is the
store as it was at one moment. It is written whole or not at all
(:func:`clinic.files.replaced_whole`) and made a self-contained file (no
``-wal`` beside it), readable by its owner alone, and encrypted with the
store's own key: a backup on a USB stick is no easier to read than the
store. Reading or restoring it takes that key (``clinic.store_key``); a
restored store gets a key of its own. A plain backup (made before the store
was encrypted) is restored into an encrypted store.

A restored store holds the device's id and outbox as they were at the
backup, and the device may have gone on (pushing those changes, and more
under the same sequence numbers) since. So a restore marks the store
(:data:`RESTORED_KEY`, with the highest outbox sequence and audit sequence
the backup holds): its next sync pushes what the backup held under the old
device id (the server applies each once, answering a change it has seen
with its row), then enrols as a new device before anything newer leaves
(``sync.engine``), so no sequence number is used twice. For the same reason
the restored store's leased numbers are taken as used up: the device may
have handed them out since, so until its next sync it gives provisional
numbers, which that sync replaces with numbers of a new block.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from contextlib import closing, suppress
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from clinic import cipher
from clinic.cipher import SQLITE_HEADER, StoreState, store_state
from clinic.files import replaced_whole
from clinic.journal.models import AuditEvent, OutboxEntry, StoreSetting
from clinic.migrate import unknown_revisions, upgrade
from clinic.numbering.models import NumberLease
from clinic.numbering.service import SENT_THROUGH_KEY
from clinic.store import (
    DEVICE_ID_KEY,
    FILE_MODE,
    STORE_FILE,
    STORE_FILE_SUFFIXES,
    create_sqlite_engine,
    make_owner_only,
)
from clinic.store_key import KEY_ENV, StoreKeyRefused, load_key, save_new_key

RESTORED_KEY = "restored_from_backup"
"""Set by a restore until the next sync has enrolled the store as a new
device: ``{"device_id", "outbox_through", "audit_through"}``."""
DAILY_FOLDER = "backups"
DAILY_KEEP = 7
DAILY_NAME = re.compile(r"^clinic-(\d{4}-\d{2}-\d{2})\.sqlite3$")


PROGRESS_PAGES = 1024
"""Pages (4 MiB) copied between two progress reports."""
Progress = Callable[[int, int], None]


class BackupRefused(Exception):
    """A backup or restore that cannot be done; the message says why and
    what to do. Nothing was changed."""


@dataclass(frozen=True)
class BackupInfo:
    """What a backup file holds."""

    device_id: str
    revision: str
    outbox_through: int
    audit_through: int
    pending: int
    """Changes the backup holds that had not been pushed when it was taken."""


def backup_store(
    store_path: Path, destination: Path, progress: Progress | None = None
) -> BackupInfo:
    """Copy the store at ``store_path`` to ``destination`` (replaced whole),
    while other connections read and write it. Raises BackupRefused when
    there is no store there, OSError when ``destination`` cannot be written
    (then it is left as it was).

    Without ``progress`` the copy is one step, one read transaction. With
    it the copy goes :data:`PROGRESS_PAGES` pages at a time, calling
    ``progress(copied, total)`` (pages) after each on the calling thread;
    SQLite starts it again when another connection writes in between, so
    the copy is still the store at one moment."""
    if not _holds_a_store(store_path):
        raise BackupRefused(f"{store_path.parent} holds no clinic data to back up")
    destination = Path(destination)
    if destination.resolve() == store_path.resolve():
        raise BackupRefused("the backup file cannot be the store itself; name another file")
    key = load_key(store_path.parent) if store_state(store_path) == StoreState.ENCRYPTED else None
    _note_outbox_copied(store_path, key)
    with replaced_whole(destination) as temporary:
        with (
            closing(_connect(store_path, key)) as source,
            closing(_connect(temporary, key)) as target,
        ):
            if progress is None:
                source.backup(target)  # one step: one read transaction, one moment
            else:
                source.backup(
                    target,
                    pages=PROGRESS_PAGES,
                    progress=lambda _status, left, total: progress(total - left, total),
                )
            target.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
        info = read_backup(temporary, key)
        temporary.chmod(FILE_MODE)
    _note_outbox_copied(store_path, key)
    return info


def _note_outbox_copied(store_path: Path, key: bytes | None) -> None:
    """Note in the store that its outbox entries so far may be held by a
    backup (``SENT_THROUGH_KEY``): none of them changes after, so a restored
    copy pushes each as the store pushed it. Noted before the copy and again
    after it, which covers every entry the copy holds."""
    with closing(_connect(store_path, key)) as connection:
        connection.isolation_level = None
        connection.execute("BEGIN IMMEDIATE")
        try:
            (through,) = connection.execute(
                "SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'outbox'"
            ).fetchone()
            noted = connection.execute(
                "SELECT CAST(value AS INTEGER) FROM store_settings WHERE key = ?",
                (SENT_THROUGH_KEY,),
            ).fetchone()
            if noted is None or noted[0] < through:
                connection.execute(
                    "INSERT INTO store_settings (key, value) VALUES (?, ?)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (SENT_THROUGH_KEY, json.dumps(through)),
                )
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise


def check_starts_with(path: Path, magic: bytes, kind: str) -> None:
    """BackupRefused unless the file at ``path`` can be read and begins with
    ``magic``; ``kind`` names what it should be, for the message."""
    try:
        with path.open("rb") as file:
            start = file.read(len(magic))
    except OSError as error:
        raise BackupRefused(f"cannot read {path}: {error.strerror or error}") from None
    if start != magic:
        raise BackupRefused(f"{path} is not {kind}")


def read_backup(path: Path, key: bytes | None = None) -> BackupInfo:
    """What the backup at ``path`` holds, opened with ``key`` if it is
    encrypted; BackupRefused (saying why) when it is not a sound backup of a
    store, one whose key is not ``key``, or one made by a newer version of
    the program than this one."""
    path = Path(path)
    key = _backup_key(path, key)
    engine = create_engine(
        "sqlite://", module=cipher.DBAPI, creator=lambda: _connect_read_only(path, key)
    )
    try:
        with engine.connect() as connection:
            check = connection.exec_driver_sql("PRAGMA quick_check").scalar()
            if check != "ok":
                raise BackupRefused(f"{path} is damaged ({check}); use another backup")
            revision = connection.exec_driver_sql(
                "SELECT version_num FROM alembic_version"
            ).scalar()
            with Session(connection) as session:
                device = session.scalar(
                    select(StoreSetting.value).where(StoreSetting.key == DEVICE_ID_KEY)
                )
                pending = session.scalar(select(func.count()).select_from(OutboxEntry)) or 0
                outbox_through = connection.exec_driver_sql(
                    "SELECT max(seq) FROM sqlite_sequence WHERE name = 'outbox'"
                ).scalar()
                audit_through = None
                if device is not None:
                    audit_through = session.scalar(
                        select(func.max(AuditEvent.device_sequence)).where(
                            AuditEvent.device_id == uuid.UUID(device)
                        )
                    )
    except StoreKeyRefused:
        raise BackupRefused(
            f"{path} is not a Seth Clinic backup, or one encrypted with another store's key;"
            f" set {KEY_ENV} to the key of the store it was made from"
        ) from None
    except (DBAPIError, ValueError):
        raise BackupRefused(
            f"{path} is not a Seth Clinic backup (it holds no clinic store)"
        ) from None
    finally:
        engine.dispose()
    if revision is None or device is None:
        raise BackupRefused(f"{path} is not a Seth Clinic backup (it holds no clinic store)")
    if unknown_revisions("local", [revision]):
        raise BackupRefused(
            f"{path} was made by a newer version of Seth Clinic (schema {revision});"
            " install that version or newer to restore it"
        )
    return BackupInfo(
        device_id=str(device),
        revision=str(revision),
        outbox_through=int(outbox_through or 0),
        audit_through=int(audit_through or 0),
        pending=int(pending),
    )


def restore_store(backup: Path, data_dir: Path, key: bytes | None = None) -> BackupInfo:
    """Make the store in ``data_dir`` (which must hold none) from ``backup``
    (opened with ``key`` if it is encrypted), encrypted with a key of its
    own, upgraded to this version's schema and marked to enrol as a new
    device at its next sync. Raises BackupRefused (nothing changed) for a
    folder that holds a store, a file that is no backup or one ``key`` does
    not open; OSError when the folder cannot be written."""
    store_path = Path(data_dir) / STORE_FILE
    if _holds_a_store(store_path):
        raise BackupRefused(
            f"{data_dir} already holds a clinic store; restore into an empty data folder"
            " (a new --data-dir), never over a store"
        )
    key = _backup_key(Path(backup), key)
    info = read_backup(backup, key)
    make_owner_only(Path(data_dir))
    own_key = save_new_key(Path(data_dir))
    with replaced_whole(store_path) as temporary:
        with closing(cipher.connect(temporary, own_key, uri=True)) as target:
            target.isolation_level = None
            target.execute(
                "ATTACH DATABASE ? AS backup KEY ?",
                (_read_only_uri(Path(backup)), f"x'{key.hex()}'" if key else ""),
            )
            target.execute("SELECT sqlcipher_export('main', 'backup')")
            version = target.execute("PRAGMA backup.user_version").fetchone()[0]
            target.execute(f"PRAGMA main.user_version = {int(version)}")
            target.execute("DETACH DATABASE backup")
        engine = create_sqlite_engine(temporary, own_key)
        try:
            upgrade(engine, "local")
            with Session(engine) as session, session.begin():
                # A backup of a restored store not synced since keeps the
                # first restore's marker: its old id's numbers end there.
                if session.get(StoreSetting, RESTORED_KEY) is None:
                    marker = {
                        "device_id": info.device_id,
                        "outbox_through": info.outbox_through,
                        "audit_through": info.audit_through,
                    }
                    session.add(StoreSetting(key=RESTORED_KEY, value=marker))
                session.execute(update(NumberLease).values(next=NumberLease.last + 1))
        finally:
            engine.dispose()
        temporary.chmod(FILE_MODE)
    return info


def daily_backup(store_path: Path, today: date, *, keep: int = DAILY_KEEP) -> Path | None:
    """Today's backup in the data folder's ``backups`` folder, unless there
    is one already; the oldest beyond ``keep`` are removed. Returns the new
    file, or None when today's exists. Raises OSError as
    :func:`backup_store`."""
    folder = store_path.parent / DAILY_FOLDER
    folder.mkdir(mode=0o700, exist_ok=True)
    target = folder / f"clinic-{today.isoformat()}.sqlite3"
    made = None
    if not target.exists():
        backup_store(store_path, target)
        made = target
    kept = kept_backups(store_path)
    for old in kept[:-keep] if keep else kept:
        old.path.unlink(missing_ok=True)
    return made


@dataclass(frozen=True)
class DailyBackup:
    day: date
    path: Path
    size: int
    """Bytes."""


def kept_backups(store_path: Path) -> list[DailyBackup]:
    """The daily backups kept beside the store at ``store_path``, oldest
    first."""
    folder = store_path.parent / DAILY_FOLDER
    if not folder.is_dir():
        return []
    kept = []
    for path in folder.iterdir():
        match = DAILY_NAME.match(path.name)
        if match is not None:
            with suppress(FileNotFoundError):
                kept.append(DailyBackup(date.fromisoformat(match[1]), path, path.stat().st_size))
    return sorted(kept, key=lambda backup: backup.day)


def _holds_a_store(store_path: Path) -> bool:
    """Whether a store with data is at ``store_path`` (an empty file, as
    :func:`clinic.store.make_owner_only` leaves, is none)."""
    for suffix in STORE_FILE_SUFFIXES:
        with suppress(FileNotFoundError):
            if Path(f"{store_path}{suffix}").stat().st_size > 0:
                return True
    return False


def _backup_key(path: Path, key: bytes | None) -> bytes | None:
    """The key to open the backup at ``path`` with: None for a plain one;
    BackupRefused for a file that cannot be read, or an encrypted one
    without ``key``."""
    try:
        with path.open("rb") as file:
            start = file.read(len(SQLITE_HEADER))
    except OSError as error:
        raise BackupRefused(f"cannot read {path}: {error.strerror or error}") from None
    if len(start) < len(SQLITE_HEADER):
        raise BackupRefused(f"{path} is not a Seth Clinic backup (it holds no clinic store)")
    if start == SQLITE_HEADER:
        return None
    if key is None:
        raise BackupRefused(
            f"{path} is not a Seth Clinic backup, or one encrypted with the key of the store it"
            f" was made from: set {KEY_ENV} to that key (what store-key printed there)"
        )
    return key


def _read_only_uri(path: Path) -> str:
    """A backup opened so that nothing can change it nor look for a ``-wal``
    beside it (a backup never has one)."""
    return f"{path.resolve().as_uri()}?immutable=1"


def _connect_read_only(path: Path, key: bytes | None) -> Any:
    return cipher.connect(_read_only_uri(path), key, uri=True)


def _connect(path: Path, key: bytes | None) -> Any:
    connection = cipher.connect(path, key)
    connection.execute("PRAGMA busy_timeout=10000")
    return connection
