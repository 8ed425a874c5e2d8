"""A new PC's first sync: a bulk load whose store must end up exactly as
one whose rows came one by one, and which finishes after being cut off."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

import sync.apply
import sync.engine
from clinic.enums import Role
from clinic.journal.models import ChangeLogEntry
from clinic.journal.service import log_central_change
from clinic.patients.models import Patient
from clinic.patients.search import search_patients
from clinic.store import connect_raw
from server.database import Database
from sync.apply import BULK_LOAD_KEY, INDEX_AT_ONCE_FROM
from sync.auth import login_online
from sync.engine import SyncEngine, SyncReport
from sync.transport import Transport, Unreachable
from tests.central import PASSWORD
from tests.conftest import StoreTemplate
from tests.sync.conftest import (
    LiveServer,
    MakePc,
    MakeStaff,
    Pc,
    assert_converged,
    edit_patient,
    local_patient,
    register,
)
from tests.sync.faults import KillClient
from tests.sync.test_cursor import spelled

PATIENTS = INDEX_AT_ONCE_FROM + 30
SEARCHES = ("kamau", "wanj", "0722", "OP-2026", "2026-0000")


def schema(path: Path) -> set[tuple[str, str, str]]:
    """The store's indexes and triggers with their SQL."""
    with connect_raw(path) as connection:
        return set(
            connection.execute(
                "SELECT type, name, coalesce(sql, '') FROM sqlite_master"
                " WHERE type IN ('index', 'trigger')"
            )
        )


def search_index(pc: Pc) -> dict[str, list[tuple[str, str]]]:
    """Both search tables' entries by patient, after FTS5's own check."""
    with connect_raw(pc.store.path) as connection:
        entries = {}
        for table, column in (
            ("patient_search_names", "names"),
            ("patient_search_numbers", "numbers"),
        ):
            connection.execute(f"INSERT INTO {table} ({table}) VALUES ('integrity-check')")
            entries[table] = connection.execute(
                f"SELECT patient_id, {column} FROM {table} ORDER BY patient_id"
            ).fetchall()
        return entries


def found(pc: Pc, query: str) -> list[str]:
    with pc.store.session() as session:
        return sorted(hit.op_number for hit in search_patients(query, session=session, limit=500))


def register_many(pc: Pc, count: int) -> None:
    for number in range(count):
        register(
            pc,
            ["Wanjiru", "Achieng", "Chebet"][number % 3],
            f"Kamau {spelled(number)}",
            phone=f"07221{number:05d}",
        )


@pytest.fixture
def collector_seen(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bool, bool]]:
    """(bulk, cycle collector on) for every pulled page applied."""
    seen: list[tuple[bool, bool]] = []

    def apply_tables(*args: Any, bulk: bool = False) -> int:
        seen.append((bulk, gc.isenabled()))
        return sync.apply.apply_tables(*args, bulk=bulk)

    monkeypatch.setattr(sync.engine, "apply_tables", apply_tables)
    return seen


@pytest.mark.parametrize("first", [True, False], ids=["first sync", "later pull"])
def test_many_patients_pulled_at_once_leave_the_store_as_if_they_came_one_by_one(
    first: bool,
    make_pc: MakePc,
    make_staff: MakeStaff,
    store_template: StoreTemplate,
    collector_seen: list[tuple[bool, bool]],
) -> None:
    """A first sync is a bulk load; a later page of over a hundred new
    patients indexes them together. Either way the store ends up as one
    whose patients were registered there, through the triggers. A bulk
    load runs with Python's cycle collector paused, and only that."""
    reception = make_staff(Role.RECEPTIONIST, "wanjiru")
    desk = make_pc("desk")
    desk.login(reception)
    new = make_pc("new")
    if not first:
        new.login(reception)
    register_many(desk, PATIENTS)
    desk.engine.sync()

    if first:
        new.login(reception)
    else:
        assert new.engine.sync().pulled >= INDEX_AT_ONCE_FROM

    assert new.store.get_setting(BULK_LOAD_KEY) is None
    assert schema(new.store.path) == schema(store_template.path)
    assert search_index(new) == search_index(desk)
    for query in SEARCHES:
        assert found(new, query) == found(desk, query), query
    assert len(found(new, "kamau")) == PATIENTS
    # The insert trigger is back: a patient registered now is found at once.
    register(new, "Zawadi", "Otieno")
    assert len(found(new, "zawadi")) == 1
    assert {bulk for bulk, _on in collector_seen} == {True, False}
    assert all(on is not bulk for bulk, on in collector_seen)
    assert gc.isenabled()


def test_patients_a_pc_pushed_come_back_indexed_as_the_server_holds_them(
    make_pc: MakePc, make_staff: MakeStaff, store_template: StoreTemplate, central: Database
) -> None:
    """The page of its own patients a PC pulls after pushing them differs
    from its rows only in the server's times and author: they stay indexed
    as they were; one renamed meanwhile on another PC is indexed anew. The
    store converges and its update trigger is back as it was."""
    reception = make_staff(Role.RECEPTIONIST, "wanjiru")
    desk, office = make_pc("desk"), make_pc("office")
    desk.login(reception)
    office.login(reception)
    register_many(desk, PATIENTS)
    report = SyncReport()
    desk.engine.top_up_numbers(report)
    desk.engine.push(report)
    office.engine.sync()
    with office.store.session() as session:
        renamed = session.scalars(select(Patient.id).limit(1)).one()
    edit_patient(office, renamed, last_name="Zawadi")
    office.engine.sync()

    desk.engine.pull(report)

    assert report.pulled >= PATIENTS
    assert_converged(central, [desk, office], (Patient,))
    assert schema(desk.store.path) == schema(store_template.path)
    assert search_index(desk) == search_index(office)
    for query in (*SEARCHES, "zawadi"):
        assert found(desk, query) == found(office, query), query
    assert found(desk, "zawadi") == [local_patient(desk, renamed).op_number]
    assert len(found(desk, "kamau")) == PATIENTS - 1
    # The update trigger is back: a name changed now is indexed at once.
    edit_patient(desk, renamed, last_name="Otieno")
    assert found(desk, "zawadi") == []
    assert len(found(desk, "otieno")) == 1


class CutOff(httpx.HTTPTransport):
    """A network whose cable is pulled at the ``at``-th pull request, or
    whose PC is killed there (``kill``: no ``except Exception`` sees it)."""

    def __init__(self, at: int, *, kill: bool) -> None:
        super().__init__()
        self.at = at
        self.kill = kill
        self.pulls = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/sync/pull":
            self.pulls += 1
            if self.pulls == self.at:
                if self.kill:
                    raise KillClient
                raise httpx.ConnectError("the cable was pulled", request=request)
        return super().handle_request(request)


def count_patients(pc: Pc) -> int:
    with connect_raw(pc.store.path) as connection:
        count: int = connection.execute("SELECT count(*) FROM patients").fetchone()[0]
        return count


@pytest.mark.parametrize("kill", [False, True], ids=["network cut", "PC killed"])
def test_a_first_sync_stopped_half_way_keeps_a_working_store_and_finishes_later(
    kill: bool,
    make_pc: MakePc,
    make_staff: MakeStaff,
    live_server: LiveServer,
    store_template: StoreTemplate,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reception = make_staff(Role.RECEPTIONIST, "wanjiru")
    desk = make_pc("desk")
    desk.login(reception)
    register_many(desk, PATIENTS)
    desk.engine.sync()
    monkeypatch.setattr("sync.engine.PULL_PAGE", 40)
    fresh = make_pc("fresh")
    login_online(fresh.store, fresh.transport, "wanjiru", PASSWORD)  # not synced yet
    # The clinic's own rows come first (branches, staff, the price list):
    # cut the network two pages into the patients.
    with live_server.database.sessions() as session:
        before = session.scalar(
            select(func.count())
            .select_from(ChangeLogEntry)
            .where(ChangeLogEntry.entity != "patients")
        )
    at = 3 + (before or 0) // 40
    cut = Transport(live_server.url, fresh.store.device_id, transport=CutOff(at=at, kill=kill))

    with pytest.raises(KillClient if kill else Unreachable):
        SyncEngine(fresh.store, cut).pull(SyncReport())
    held = count_patients(fresh)
    assert 0 < held < PATIENTS  # two pages in
    if kill:  # the load is still under way: its note says what to build
        note: Any = fresh.store.get_setting(BULK_LOAD_KEY)
        assert note is not None and note["indexes"]
        assert schema(fresh.store.path) < schema(store_template.path)
        # Opened again with the network down: the first sync it tries ends the load.
        offline = Transport("http://127.0.0.1:9", fresh.store.device_id)
        with pytest.raises(Unreachable):
            SyncEngine(fresh.store, offline).sync()
        offline.close()
    # What came is indexed whole, to work on offline.
    assert fresh.store.get_setting(BULK_LOAD_KEY) is None
    assert schema(fresh.store.path) == schema(store_template.path)
    assert len(found(fresh, "kamau")) == held

    fresh.engine.pull(SyncReport())

    assert fresh.store.get_setting(BULK_LOAD_KEY) is None
    assert schema(fresh.store.path) == schema(store_template.path)
    assert search_index(fresh) == search_index(desk)
    assert found(fresh, "0722") == found(desk, "0722")
    cut.close()


def test_a_page_may_hold_a_row_naming_one_that_comes_in_a_later_page(
    make_pc: MakePc, make_staff: MakeStaff, central: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    reception = make_staff(Role.RECEPTIONIST, "wanjiru")
    desk = make_pc("desk")
    desk.login(reception)
    duplicate = register(desk, "Grace", "Wambui")
    kept = register(desk, "Grace", "Wambui", phone="0722114455")  # registered after
    desk.engine.sync()
    with central.sessions() as session:  # the first is merged into the second
        row = session.get(Patient, duplicate)
        assert row is not None
        row.merged_into = kept
        log_central_change(session, row, ["merged_into"], device_id=None, user_id=None)
        session.commit()
    monkeypatch.setattr("sync.engine.PULL_PAGE", 1)  # the duplicate's page comes first

    new = make_pc("new")
    new.login(reception)

    assert local_patient(new, duplicate).merged_into == kept
    assert found(new, "wambui") == [local_patient(new, kept).op_number]
