"""Several PCs working offline on the same patients, then syncing in
different orders: they all end with the server's rows; edits of different
fields merge; the same field edited twice is won by the change that reached
the server last, and the losing value is kept in a Conflict every PC pulls
(DESIGN.md, Sync 4)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from clinic.enums import Role
from clinic.journal.models import Conflict, OutboxEntry
from clinic.patients.models import Patient
from clinic.visits.models import Visit
from clinic.visits.service import open_visit
from server.database import Database
from sync.engine import SyncReport, sync_status
from tests.conftest import TODAY
from tests.sync.conftest import (
    MakePc,
    MakeStaff,
    Pc,
    assert_converged,
    edit_patient,
    local_patient,
    register,
    server_patient,
)

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


def conflicts_on_server(central: Database) -> list[tuple[Any, ...]]:
    with central.sessions() as session:
        return [
            (c.entity, c.row_id, c.field, c.winning_value, c.losing_value)
            for c in session.scalars(select(Conflict).order_by(Conflict.created_at, Conflict.id))
        ]


def conflicts_on(pc: Pc) -> list[tuple[Any, ...]]:
    with pc.store.session() as session:
        return [
            (c.entity, c.row_id, c.field, c.winning_value, c.losing_value)
            for c in session.scalars(select(Conflict).order_by(Conflict.created_at, Conflict.id))
        ]


def open_visit_on(pc: Pc, patient_id: uuid.UUID) -> uuid.UUID:
    with pc.store.write() as session:
        return open_visit(patient_id, session=session, actor=pc.actor(), today=TODAY).id


def pcs_logged_in(make_pc: MakePc, make_staff: MakeStaff, names: str) -> dict[str, Pc]:
    reception = make_staff(Role.RECEPTIONIST, "wanjiru")
    pcs = {name: make_pc(name) for name in names}
    for pc in pcs.values():
        pc.login(reception)
    return pcs


def sync_all_twice(pcs: list[Pc]) -> None:
    for _ in range(2):
        for pc in pcs:
            pc.engine.sync()


def test_different_fields_edited_on_two_pcs_are_both_kept_without_a_conflict(
    make_pc: MakePc, make_staff: MakeStaff, central: Database
) -> None:
    pcs = pcs_logged_in(make_pc, make_staff, "ab")
    a, b = pcs["a"], pcs["b"]
    grace = register(a, "Grace", "Wambui", phone="0722114455", residence="Kibera")
    a.engine.sync()
    b.engine.sync()

    edit_patient(a, grace, phone="0733000111")
    edit_patient(b, grace, residence="Langata")
    b.engine.sync()
    a.engine.sync()
    sync_all_twice([a, b])

    on_server = server_patient(central, grace)
    assert (on_server.phone, on_server.residence) == ("+254733000111", "Langata")
    assert on_server.version == 3
    assert conflicts_on_server(central) == []
    assert_converged(central, [a, b])
    for pc in (a, b):
        assert sync_status(pc.store).conflicts == 0
        assert sync_status(pc.store).pending == 0


def test_the_same_field_edited_on_two_pcs_is_won_by_the_later_push_and_kept_as_a_conflict(
    make_pc: MakePc, make_staff: MakeStaff, central: Database
) -> None:
    pcs = pcs_logged_in(make_pc, make_staff, "abc")
    a, b, c = pcs["a"], pcs["b"], pcs["c"]
    grace = register(a, "Grace", "Wambui", phone="0722114455")
    a.engine.sync()
    b.engine.sync()

    # a edits first by the clock, but b's change reaches the server first:
    # the order of arrival decides, never the PCs' clocks.
    edit_patient(a, grace, phone="0733000111", residence="Kibera")
    edit_patient(b, grace, phone="0744000222")
    b.engine.sync()
    a.engine.sync()
    sync_all_twice([a, b, c])

    winner, loser = "+254733000111", "+254744000222"
    on_server = server_patient(central, grace)
    assert (on_server.phone, on_server.residence) == (winner, "Kibera")
    assert conflicts_on_server(central) == [("patients", grace, "phone", winner, loser)]
    with central.sessions() as session:
        (conflict,) = session.scalars(select(Conflict))
        # both sides named: a's change won when it arrived, b's lost, earlier
        assert conflict.winning_device_id == a.store.device_id
        assert conflict.losing_device_id == b.store.device_id
        assert conflict.winning_user_id == conflict.losing_user_id == a.actor().user_id
        assert conflict.losing_at is not None and conflict.losing_at < conflict.created_at
    assert_converged(central, [a, b, c])
    for pc in (a, b, c):
        # Reception PCs count the conflict; only admins see its values.
        assert conflicts_on(pc) == [("patients", grace, "phone", None, None)]
        assert local_patient(pc, grace).phone == winner
        assert sync_status(pc.store).conflicts == 1


@pytest.mark.parametrize("order", ["abc", "cba"])
def test_three_pcs_working_offline_converge_whatever_the_order_they_sync_in(
    make_pc: MakePc, make_staff: MakeStaff, central: Database, order: str
) -> None:
    pcs = pcs_logged_in(make_pc, make_staff, "abc")
    a, b, c = pcs["a"], pcs["b"], pcs["c"]
    s1 = register(a, "Grace", "Wambui", phone="0722114455", residence="Kibera")
    s2 = register(a, "Mercy", "Auma")
    s3 = register(a, "John", "Kamau", residence="Thika")
    a.engine.sync()
    b.engine.sync()
    c.engine.sync()

    new = {
        "a": [register(a, "Faith", "Njeri"), register(a, "Peter", "Otieno")],
        "b": [register(b, "Ann", "Chebet"), register(b, "Moses", "Kiprop")],
        "c": [register(c, "Joy", "Wanjiku")],
    }
    visits = [open_visit_on(a, new["a"][0]), open_visit_on(b, s1)]
    edit_patient(a, s1, phone="0733000111")
    edit_patient(b, s1, phone="0744000222")
    edit_patient(c, s1, residence="Nakuru")
    edit_patient(a, s2, last_name="Akinyi")
    edit_patient(b, s2, last_name="Atieno")
    edit_patient(c, s2, last_name="Achieng")
    edit_patient(a, s3, residence="Kisumu")
    edit_patient(b, s3, next_of_kin_name="Otieno")

    for name in order:
        pcs[name].engine.sync()
    sync_all_twice([pcs[name] for name in reversed(order)])

    phones = {"a": "+254733000111", "b": "+254744000222"}
    last_names = {"a": "Akinyi", "b": "Atieno", "c": "Achieng"}
    phone_order = [n for n in order if n in phones]
    name_order = list(order)
    expected_conflicts = {
        ("patients", s1, "phone", phones[phone_order[1]], phones[phone_order[0]]),
        ("patients", s2, "last_name", last_names[name_order[1]], last_names[name_order[0]]),
        ("patients", s2, "last_name", last_names[name_order[2]], last_names[name_order[1]]),
    }
    assert set(conflicts_on_server(central)) == expected_conflicts
    assert len(conflicts_on_server(central)) == 3

    p1, p2, p3 = (server_patient(central, p) for p in (s1, s2, s3))
    assert (p1.phone, p1.residence) == (phones[phone_order[1]], "Nakuru")
    assert p2.last_name == last_names[name_order[2]]
    assert (p3.residence, p3.next_of_kin_name) == ("Kisumu", "Otieno")
    with central.sessions() as session:
        patient_ids = set(session.scalars(select(Patient.id)))
        visit_ids = set(session.scalars(select(Visit.id)))
    assert patient_ids == {s1, s2, s3, *new["a"], *new["b"], *new["c"]}
    assert visit_ids == set(visits)
    assert_converged(central, [a, b, c])
    for pc in (a, b, c):
        status = sync_status(pc.store)
        assert (status.pending, status.conflicts, status.rejected) == (0, 3, 0)


def test_a_pull_never_overwrites_a_local_change_waiting_to_be_pushed(
    make_pc: MakePc, make_staff: MakeStaff, central: Database
) -> None:
    pcs = pcs_logged_in(make_pc, make_staff, "ab")
    a, b = pcs["a"], pcs["b"]
    grace = register(a, "Grace", "Wambui", phone="0722114455", residence="Kibera")
    a.engine.sync()
    b.engine.sync()

    edit_patient(b, grace, residence="Langata")
    edit_patient(a, grace, phone="0733000111", residence="Kisumu", middle_name="Atieno")
    a.engine.sync()
    b.engine.pull(SyncReport())

    merged = local_patient(b, grace)
    assert (merged.phone, merged.middle_name, merged.residence) == (
        "+254733000111",
        "Atieno",
        "Langata",
    )
    with b.store.session() as session:
        waiting = [(e.entity, e.row_id, e.changes) for e in session.scalars(select(OutboxEntry))]
    assert waiting == [("patients", grace, {"residence": "Langata"})]

    b.engine.sync()
    a.engine.sync()
    on_server = server_patient(central, grace)
    assert (on_server.phone, on_server.middle_name, on_server.residence) == (
        "+254733000111",
        "Atieno",
        "Langata",
    )
    assert conflicts_on_server(central) == [("patients", grace, "residence", "Langata", "Kisumu")]
    assert_converged(central, [a, b])
