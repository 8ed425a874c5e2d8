"""A pulled page's transaction leaves foreign keys unchecked, and no
transaction after it on the same connection does."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from clinic.store import LocalStore, save_settings

ORPHAN = text(
    "INSERT INTO service_prices (service_id, price_cents, effective_from, id, created_at,"
    " updated_at, version) VALUES (:service, 100, '2026-11-26', :id, '2026-11-26 07:00:00.000000',"
    " '2026-11-26 07:00:00.000000', 1)"
)


def checked(session: Session) -> bool:
    return bool(session.execute(text("PRAGMA foreign_keys")).scalar())


def test_a_pulled_page_is_written_unchecked_and_the_next_write_is_checked(
    store: LocalStore,
) -> None:
    with store.write(check_foreign_keys=False) as session:
        assert not checked(session)
        session.execute(ORPHAN, {"service": uuid.uuid4().hex, "id": uuid.uuid4().hex})

    for _ in range(3):  # whichever pooled connection comes next
        with pytest.raises(IntegrityError), store.write() as session:
            assert checked(session)
            session.execute(ORPHAN, {"service": uuid.uuid4().hex, "id": uuid.uuid4().hex})
    with store.session() as session:
        assert checked(session)


def test_the_device_id_is_read_once_and_a_new_one_kept_when_its_write_commits(
    store: LocalStore,
) -> None:
    """Every save and sync run asks for the device id: read from the store
    once, then kept; a new id (a restored or copied folder enrolling) is
    kept once its transaction commits, and a rolled-back one never is."""
    first = store.device_id
    with store.write() as session:
        session.execute(
            text("UPDATE store_settings SET value = :id WHERE key = 'device_id'"),
            {"id": f'"{uuid.uuid4()}"'},
        )
    assert store.device_id == first  # kept, not read again

    new = uuid.uuid4()
    with store.write() as session:
        store.set_device_id(session, new)
        assert store.device_id == first  # until the commit
    assert store.device_id == new
    assert store.get_setting("device_id") == str(new)

    with pytest.raises(RuntimeError), store.write() as session:
        store.set_device_id(session, uuid.uuid4())
        raise RuntimeError("the enrolment failed")
    assert store.device_id == new
    assert store.get_setting("device_id") == str(new)


def test_settings_are_saved_in_one_statement_new_or_replaced(store: LocalStore) -> None:
    with store.write() as session:
        save_settings(session, {"sync_cursor": "a", "clock_skew_seconds": 1.5})
    with store.write() as session:
        save_settings(session, {"sync_cursor": "b", "former_device_ids": ["x"]})
    assert store.get_settings("sync_cursor", "clock_skew_seconds", "former_device_ids", "none") == {
        "sync_cursor": "b",
        "clock_skew_seconds": 1.5,
        "former_device_ids": ["x"],
    }
