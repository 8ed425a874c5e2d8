"""A pulled page's transaction leaves foreign keys unchecked, and no
transaction after it on the same connection does."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from clinic.store import LocalStore

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
