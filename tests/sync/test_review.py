"""What an admin settles after syncs (issue 14), end to end on a real server:
a conflict flipped on the admin's PC lands everywhere; a refused change
fixed and sent again is applied; one let go leaves an audit event the
server holds."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import insert, select, text

from clinic.enums import ChangeOperation, Role
from clinic.errors import InvalidValue, NotAllowed
from clinic.journal.audit import AuditSearch, search_audit
from clinic.journal.models import Conflict, OutboxEntry, RejectedChange
from clinic.journal.records import record_view
from clinic.journal.review import (
    UNSTORABLE,
    dismiss_rejected,
    open_conflicts,
    open_rejections,
    resend_rejected,
    resolve_conflict,
)
from desktop.context import AppContext
from desktop.runner import DbRunner
from desktop.screens.admin.audit import AuditScreen
from desktop.sync_controller import SyncController
from server.database import Database
from sync.engine import sync_status
from tests.sync.conftest import (
    LiveServer,
    MakePc,
    MakeStaff,
    Pc,
    edit_patient,
    local_patient,
    register,
    server_patient,
)

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


def _queue_by_hand(pc: Pc, row_id: uuid.UUID, changes: dict[str, Any]) -> None:
    """A patient change no service would write: the server refuses it."""
    assert pc.user is not None
    with pc.store.write() as session:
        session.execute(
            insert(OutboxEntry).values(
                entity="patients",
                row_id=row_id,
                operation=ChangeOperation.UPDATE,
                changes=changes,
                base_version=1,
                user_id=pc.user.user_id,
            )
        )


def test_a_conflict_flipped_by_the_admin_lands_on_every_pc(
    make_pc: MakePc, make_staff: MakeStaff, central: Database
) -> None:
    reception = make_staff(Role.RECEPTIONIST, "wanjiru")
    admin = make_staff(Role.ADMIN, "head", branch_code=None)
    a, b, office = make_pc("desk-a"), make_pc("desk-b"), make_pc("office")
    a.login(reception)
    b.login(reception)
    office.login(admin)
    grace = register(a, "Grace", "Wambui", phone="0722114455")
    a.engine.sync()
    b.engine.sync()
    edit_patient(b, grace, residence="Kibera")
    edit_patient(a, grace, residence="Kisumu")
    b.engine.sync()
    a.engine.sync()
    office.engine.sync()

    with office.store.session() as session:
        (conflict,) = open_conflicts(session)
        view = record_view("patients", grace, session=session)
    assert (conflict.noun, conflict.field) == ("patient", "residence")
    assert (conflict.winning_value, conflict.losing_value) == ("Kisumu", "Kibera")
    assert conflict.winning_user == conflict.losing_user == "wanjiru"
    assert conflict.winning_device is not None and conflict.losing_device is not None
    assert conflict.lost_at is not None and conflict.lost_at < conflict.won_at
    assert ("residence", "Kisumu") in view.fields and ("first_name", "Grace") in view.fields
    assert not any(name in {"version", "device_id"} for name, _ in view.fields)

    with office.store.write() as session:
        resolve_conflict(conflict.id, keep_losing=True, session=session, actor=office.actor())
    with office.store.write() as session, pytest.raises(NotAllowed):
        resolve_conflict(conflict.id, keep_losing=False, session=session, actor=office.actor())
    office.engine.sync()
    a.engine.sync()
    b.engine.sync()

    assert server_patient(central, grace).residence == "Kibera"
    with central.sessions() as session:
        settled = session.get(Conflict, conflict.id)
        assert settled is not None
        assert (settled.resolution, settled.resolved_by) == ("flipped", admin.id)
    for pc in (a, b, office):
        assert local_patient(pc, grace).residence == "Kibera"
        assert sync_status(pc.store).conflicts == 0
    with office.store.session() as session:
        assert open_conflicts(session) == []
        assert [c.id for c in open_conflicts(session, settled=True)] == [conflict.id]


def test_a_refused_change_fixed_and_sent_again_is_applied(
    make_pc: MakePc, make_staff: MakeStaff, central: Database
) -> None:
    reception = make_staff(Role.RECEPTIONIST, "wanjiru")
    desk = make_pc("desk")
    desk.login(reception)
    grace = register(desk, "Grace", "Wambui", residence="Kibera")
    desk.engine.sync()
    _queue_by_hand(desk, grace, {"residence": "Kisu\x00mu", "national_id": "12345678"})
    report = desk.engine.sync()
    assert len(report.rejected) == 1 and "NUL" in report.rejected[0]

    with desk.store.session() as session:
        (refused,) = open_rejections(session)
    assert refused.fixable == {"residence": "Kisu\x00mu", "national_id": "12345678"}
    assert "NUL" in refused.reason
    with desk.store.write() as session:
        # a fix naming a field the change did not carry changes nothing
        with pytest.raises(InvalidValue) as wrong:
            resend_rejected(
                refused.id, fixes={"phone": "0700"}, session=session, actor=desk.actor()
            )
        assert wrong.value.field == "phone"
    with desk.store.write() as session:
        resend_rejected(
            refused.id, fixes={"residence": "Kisumu"}, session=session, actor=desk.actor()
        )
    assert desk.engine.sync().rejected == []

    on_server = server_patient(central, grace)
    assert (on_server.residence, on_server.national_id) == ("Kisumu", "12345678")
    with desk.store.session() as session:
        assert open_rejections(session) == []
        assert session.scalar(select(RejectedChange.resolved_at)) is not None


def test_a_refused_change_let_go_is_audited_on_the_server(
    make_pc: MakePc, make_staff: MakeStaff, central: Database
) -> None:
    reception = make_staff(Role.RECEPTIONIST, "wanjiru")
    desk = make_pc("desk")
    desk.login(reception)
    grace = register(desk, "Grace", "Wambui", residence="Kibera")
    desk.engine.sync()
    _queue_by_hand(desk, grace, {"residence": "Kisu\x00mu"})
    desk.engine.sync()
    with desk.store.session() as session:
        (refused,) = open_rejections(session)
    with desk.store.write() as session:
        dismiss_rejected(refused.id, session=session, actor=desk.actor())
    with desk.store.write() as session, pytest.raises(NotAllowed):
        dismiss_rejected(refused.id, session=session, actor=desk.actor())
    desk.engine.sync()

    assert server_patient(central, grace).residence == "Kibera"
    assert local_patient(desk, grace).residence == "Kibera"
    with central.sessions() as session:
        (event,) = search_audit(
            AuditSearch(patient_id=grace, action="discard_rejected"), session=session
        )
    assert event.user_id == reception.id and event.username == "wanjiru"
    # the NUL the server refused would stop the PC's audit chain: left out
    assert event.before == {"residence": UNSTORABLE}
    assert event.after == {"refused_because": refused.reason}


def test_the_audit_screen_searches_the_server_and_its_verify_shows_a_deleted_event(
    qtbot: QtBot, make_pc: MakePc, make_staff: MakeStaff, central: Database
) -> None:
    reception = make_staff(Role.RECEPTIONIST, "wanjiru")
    admin = make_staff(Role.ADMIN, "head", branch_code=None)
    desk, office = make_pc("desk"), make_pc("office")
    desk.login(reception)
    for name in ("Grace", "Baraka", "Achieng", "Zawadi"):
        register(desk, name, "Wambui")
    desk.engine.sync()
    office.login(admin)
    assert office.user is not None
    ctx = AppContext(
        store=office.store,
        db=DbRunner(),
        user=office.user,
        sync=SyncController(office.store, office.engine),
    )
    screen = AuditScreen(ctx)
    qtbot.addWidget(screen)
    screen.show()
    try:
        screen.refresh()
        qtbot.waitUntil(lambda: screen.user.findText("wanjiru") > 0)
        screen.user.setCurrentIndex(screen.user.findText("wanjiru"))
        screen.search_button.click()
        # the desk's events live on the server, not on the office PC
        qtbot.waitUntil(lambda: screen.table.rowCount() == 4, timeout=10_000)
        assert "the server (every PC)" in screen.outcome.text()

        with central.engine.begin() as connection:
            connection.execute(
                text("DELETE FROM audit_events WHERE device_id = :d AND device_sequence = 2"),
                {"d": desk.store.device_id},
            )
        screen.verify_button.click()
        qtbot.waitUntil(lambda: "BROKEN" in screen.verdict.text(), timeout=10_000)
        assert screen.verdict.text().startswith("The server: 1 of ")
        assert screen.verdict.text().endswith(" · This PC: no events to check")
        details = [
            screen.chains.item(r, 3).text()  # type: ignore[union-attr]
            for r in range(screen.chains.rowCount())
        ]
        assert "Event 2 is missing (deleted) before event 3" in details
    finally:
        screen.ctx.net.shutdown()
        ctx.db.shutdown()


def test_verify_on_a_pc_finds_its_last_events_deleted_on_the_server(
    qtbot: QtBot, make_pc: MakePc, make_staff: MakeStaff, central: Database
) -> None:
    reception = make_staff(Role.RECEPTIONIST, "wanjiru")
    admin = make_staff(Role.ADMIN, "head", branch_code=None)
    desk = make_pc("desk")
    desk.login(reception)
    for name in ("Grace", "Baraka", "Achieng"):
        register(desk, name, "Wambui")
    desk.login(admin)  # syncs: the server holds all the desk's events
    with central.engine.begin() as connection:
        last = connection.scalar(
            text("SELECT max(device_sequence) FROM audit_events WHERE device_id = :d"),
            {"d": desk.store.device_id},
        )
        # the end of a chain deleted: what is left is whole, only shorter
        connection.execute(
            text("DELETE FROM audit_events WHERE device_id = :d AND device_sequence >= :s"),
            {"d": desk.store.device_id, "s": last - 1},
        )
    assert desk.user is not None
    ctx = AppContext(
        store=desk.store,
        db=DbRunner(),
        user=desk.user,
        sync=SyncController(desk.store, desk.engine),
    )
    screen = AuditScreen(ctx)
    qtbot.addWidget(screen)
    try:
        screen.verify_button.click()
        qtbot.waitUntil(lambda: "BROKEN" in screen.verdict.text(), timeout=10_000)
        assert screen.verdict.text().startswith("The server: 1 of ")
        rows = [
            [screen.chains.item(r, c).text() for c in range(4)]  # type: ignore[union-attr]
            for r in range(screen.chains.rowCount())
        ]
        expected = f"The server no longer holds events {last - 1} to {last} that this PC sent it"
        assert [r[0] for r in rows if r[3].startswith(expected)] == ["the server"]
        assert [r[3] for r in rows if r[0] == "this PC"] == ["Intact"]
    finally:
        screen.ctx.net.shutdown()
        ctx.db.shutdown()


def test_the_audit_search_falls_back_to_the_pcs_log_when_the_server_cannot_be_asked(
    qtbot: QtBot, make_pc: MakePc, make_staff: MakeStaff, live_server: LiveServer
) -> None:
    reception = make_staff(Role.RECEPTIONIST, "wanjiru")
    desk = make_pc("desk")
    desk.login(reception)
    register(desk, "Grace", "Wambui")
    assert desk.user is not None
    ctx = AppContext(
        store=desk.store,
        db=DbRunner(),
        user=desk.user,
        sync=SyncController(desk.store, desk.engine),
    )
    screen = AuditScreen(ctx)
    qtbot.addWidget(screen)
    live_server.stop()
    try:
        screen.search_button.click()
        qtbot.waitUntil(lambda: screen.table.rowCount() == 1, timeout=15_000)
        assert "this PC's log, as the server could not be asked" in screen.outcome.text()
        assert screen.table.item(0, 1).text() == "wanjiru"  # type: ignore[union-attr]
    finally:
        screen.ctx.net.shutdown()
        ctx.db.shutdown()
