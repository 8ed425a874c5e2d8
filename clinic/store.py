"""The PC's local store: the one place its SQLite file is opened.

Health data lives here, so opening it is kept in one function
(:func:`open_local_store`), which encrypts it at rest with SQLCipher
(``clinic.cipher``; its key as ``clinic.store_key`` says) and encrypts in
place a store an older version left plain. Every connection gets WAL,
foreign keys, a 10 s busy timeout and ``synchronous=FULL`` (a power cut
loses no committed write).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import create_engine, event, select
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from clinic import cipher
from clinic.cipher import StoreState, store_state
from clinic.db import uuid7
from clinic.journal.models import StoreSetting
from clinic.patients.search_index import NUMBER_COLUMNS, Numbers
from clinic.rules.numbers import number_search_key
from clinic.store_key import has_key, load_key, save_new_key

DATA_DIR_ENV = "SETH_CLINIC_DATA_DIR"
STORE_FILE = "clinic.sqlite3"
STORE_FILE_SUFFIXES = ("", "-wal", "-shm", "-journal", cipher.ENCRYPTING_SUFFIX)
"""The store file and SQLite's files beside it."""
DEVICE_ID_KEY = "device_id"
FOLDER_MODE = 0o700
FILE_MODE = 0o600


def resolve_data_dir(given: str | os.PathLike[str] | None) -> Path:
    """``--data-dir``, else ``SETH_CLINIC_DATA_DIR``, else the platform's user
    data folder."""
    if given:
        return Path(given)
    from_env = os.environ.get(DATA_DIR_ENV)
    if from_env:
        return Path(from_env)
    return Path(platformdirs.user_data_dir("seth-clinic", appauthor=False))


def _search_key(value: str | None) -> str | None:
    # What the search triggers of a store older than local migration 0015 call.
    return None if value is None else number_search_key(value)


# The MOH 705 reads each visit's patient's date of birth from the
# (id, date_of_birth) index alone; SQLite's planner takes it over the primary
# key's index only when sqlite_stat1 says it finds one row per id. The row
# written says just that, with the table size SQLite assumes without
# statistics, so it holds for a store of any size and changes no other plan.
# Dropping an index drops its statistics, so opening the store writes them
# (also after a data set built with its indexes set aside) and so does the
# end of a bulk load.
PATIENT_AGES_INDEX = "ix_patients_id_date_of_birth"
PATIENT_AGES_STATISTICS = (
    "ANALYZE sqlite_schema",  # makes sqlite_stat1 if the store has none
    f"DELETE FROM sqlite_stat1 WHERE idx = '{PATIENT_AGES_INDEX}'",
    "INSERT INTO sqlite_stat1 (tbl, idx, stat)"
    f" VALUES ('patients', '{PATIENT_AGES_INDEX}', '1000000 1 1')",
    "ANALYZE sqlite_schema",  # this connection reads them again; new ones read them on opening
)


def create_sqlite_engine(path: Path, key: bytes | None = None) -> Engine:
    """An engine on an SQLite file with the store's connection settings,
    encrypted with ``key`` (SQLCipher; StoreKeyRefused on connecting when
    the key does not open the file), or a plain SQLite file without one
    (the benchmarks' data sets, made plain by ``bench.generate``).

    Transactions begin with a plain ``BEGIN``; a session for writing (see
    :meth:`LocalStore.write`) begins ``BEGIN IMMEDIATE`` so it takes the write
    lock up front and never fails half-way on a lock another writer took.
    Foreign keys are checked at the commit (``defer_foreign_keys``: a
    service's rows are flushed together, in an order that need not put a
    row before the rows that point at it), except in a transaction begun
    with the execution option ``foreign_keys=False``; a connection going
    back to the pool has them on again.
    """
    if key is None:
        engine = create_engine(f"sqlite:///{path}")
    else:
        engine = create_engine(
            f"sqlite:///{path}", module=cipher.DBAPI, creator=lambda: cipher.connect(path, key)
        )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.create_function("number_search_key", 1, _search_key, deterministic=True)
        for numbers in Numbers:
            if numbers.function is not None:
                dbapi_connection.create_function(
                    numbers.function, len(NUMBER_COLUMNS), numbers.text, deterministic=True
                )
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if not options.get("foreign_keys", True):
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # outside a transaction only
        connection.exec_driver_sql("BEGIN IMMEDIATE" if options.get("begin_immediate") else "BEGIN")
        connection.exec_driver_sql("PRAGMA defer_foreign_keys=ON")  # until the commit

    @event.listens_for(engine, "checkin")
    def _checkin(dbapi_connection: Any, _record: Any) -> None:
        if dbapi_connection is not None:
            dbapi_connection.execute("PRAGMA foreign_keys=ON")

    return engine


@dataclass
class LocalStore:
    path: Path
    engine: Engine
    _read: sessionmaker[Session]
    _write: sessionmaker[Session]

    def session(self) -> Session:
        """A session for reading (the caller closes it)."""
        return self._read()

    @contextmanager
    def write(self, *, check_foreign_keys: bool = True) -> Iterator[Session]:
        """One write transaction: committed when the block ends, rolled back
        (and nothing written) if it raises. ``check_foreign_keys=False``
        turns SQLite's foreign key checks off for it: for rows that are
        consistent as a whole but arrive in pieces (pulled pages)."""
        if check_foreign_keys:
            session = self._write()
        else:
            session = self._write(
                bind=self.engine.execution_options(begin_immediate=True, foreign_keys=False)
            )
        with session, session.begin():
            yield session

    _device_id: uuid.UUID | None = field(default=None, init=False, repr=False)

    @property
    def device_id(self) -> uuid.UUID:
        """This store's device id, made when the store was created; read
        once, then kept (every sync run and every save asks for it), until
        :meth:`set_device_id` changes it."""
        if self._device_id is None:
            self._device_id = uuid.UUID(self.get_setting(DEVICE_ID_KEY))
        return self._device_id

    def set_device_id(self, session: Session, device_id: uuid.UUID) -> None:
        """Give the store a new device id in ``session``'s write transaction
        (a restored or copied data folder enrolling as a new device); kept
        from the moment the transaction commits."""
        save_settings(session, {DEVICE_ID_KEY: str(device_id)})

        def kept(_session: Session) -> None:
            self._device_id = device_id

        event.listen(session, "after_commit", kept, once=True)

    def get_setting(self, key: str) -> Any:
        with self.session() as session:
            return session.scalar(select(StoreSetting.value).where(StoreSetting.key == key))

    def get_settings(self, *keys: str) -> dict[str, Any]:
        """The settings ``keys`` that are set, by key, in one read."""
        with self.session() as session:
            rows = session.execute(
                select(StoreSetting.key, StoreSetting.value).where(StoreSetting.key.in_(keys))
            )
            return {key: value for key, value in rows}

    def close(self) -> None:
        self.engine.dispose()


_settings_upsert = insert(StoreSetting)
_SAVE_SETTINGS = _settings_upsert.on_conflict_do_update(
    index_elements=[StoreSetting.key], set_={"value": _settings_upsert.excluded.value}
)


def save_settings(session: Session, values: dict[str, Any]) -> None:
    """Set the settings ``values`` (key to value) in ``session``'s write
    transaction: one statement, built once, on the session's connection
    (``session.merge`` reads each row first and goes through the ORM's
    flush: ten times the CPU for the cursor a pulled page moves)."""
    session.connection().execute(
        _SAVE_SETTINGS, [{"key": key, "value": value} for key, value in values.items()]
    )


def make_owner_only(data_dir: Path) -> Path:
    """Make ``data_dir`` (0700) and the store's files in it (0600) readable by
    their owner alone, the store file first created empty if missing so
    that SQLite's own files, which take its mode, are born private too;
    also for a folder an older version left readable by others. Returns the
    store file's path. Raises ``OSError`` as :func:`open_local_store`."""
    data_dir.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    os.chmod(data_dir, FOLDER_MODE)
    path = data_dir / STORE_FILE
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE))
    for suffix in STORE_FILE_SUFFIXES:
        with suppress(FileNotFoundError):
            os.chmod(f"{path}{suffix}", FILE_MODE)
    return path


def store_key_for(path: Path) -> bytes:
    """The key of the store at ``path``: its own for an encrypted store; for
    a new one, or a plain one (then encrypted in place first), the key made
    for it (kept if an earlier start made one and stopped before using it).
    Raises StoreKeyRefused (``clinic.store_key``) when an encrypted store's
    key is missing."""
    state = store_state(path)
    if state == StoreState.ENCRYPTED:
        return load_key(path.parent)
    key = load_key(path.parent) if has_key(path.parent) else save_new_key(path.parent)
    if state == StoreState.PLAIN:
        cipher.encrypt_in_place(path, key)
    return key


def connect_raw(path: Path, *, read_only: bool = False) -> Any:
    """A DB-API connection to the store at ``path`` (with its key if it is
    encrypted), for what reads or checks it below SQLAlchemy: tests and
    benchmarks."""
    key = load_key(path.parent) if store_state(path) == StoreState.ENCRYPTED else None
    if read_only:
        return cipher.connect(f"{path.resolve().as_uri()}?mode=ro", key, uri=True)
    return cipher.connect(path, key)


def store_behind(data_dir: Path) -> bool:
    """Whether the store in ``data_dir`` was made by an older version of
    the app, so that :func:`open_local_store` migrates it first: seconds,
    about 20 at 500,000 patients when a migration makes the search index
    again. A store a newer version made is not: opening it raises
    ``clinic.migrate.NewerDatabase``."""
    from clinic.migrate import VERSION_TABLE, head_revision, unknown_revisions

    path = data_dir / STORE_FILE
    if store_state(path) == StoreState.NEW:
        return False
    connection = connect_raw(path, read_only=True)
    try:
        if not connection.execute(
            "SELECT 1 FROM sqlite_master WHERE name = ?", (VERSION_TABLE,)
        ).fetchall():
            return True
        rows = connection.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchall()
    finally:
        connection.close()
    versions = [version for (version,) in rows]
    return versions != [head_revision("local")] and not unknown_revisions("local", versions)


def open_local_store(data_dir: Path, *, encrypted: bool = True) -> LocalStore:
    """Open (creating or upgrading it first) the store in ``data_dir``,
    encrypted (see :func:`store_key_for`; a plain store is encrypted in place
    first); the folder and the store's files are made its owner's alone first
    (see :func:`make_owner_only`). ``encrypted=False`` opens a plain store as
    it is: the benchmarks' data sets, never the app's.

    Raises ``OSError`` when the folder cannot be created or written,
    StoreKeyRefused when the store's key is missing or wrong,
    ``clinic.migrate.NewerDatabase`` when a newer version made the store.
    """
    from clinic.migrate import upgrade

    path = make_owner_only(data_dir)
    engine = create_sqlite_engine(path, store_key_for(path) if encrypted else None)
    try:
        upgrade(engine, "local")
    except BaseException:
        engine.dispose()
        raise
    store = LocalStore(
        path=path,
        engine=engine,
        _read=sessionmaker(engine, expire_on_commit=False),
        _write=sessionmaker(engine.execution_options(begin_immediate=True), expire_on_commit=False),
    )
    with store.write() as session:
        for statement in PATIENT_AGES_STATISTICS:
            session.connection().exec_driver_sql(statement)
        if session.get(StoreSetting, DEVICE_ID_KEY) is None:
            session.add(StoreSetting(key=DEVICE_ID_KEY, value=str(uuid7())))
    return store
