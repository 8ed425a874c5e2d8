"""The admin's review screens on a real local store (issue 14): the
conflicts inbox with the record beside it, refused changes fixed or
discarded, the audit log searched and verified, and the sync history.
The rows a sync would have pulled (a conflict, a refusal, staff) are put
in the store as the pull writes them; tests/sync/test_review.py takes the
same services through a real server."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QPushButton, QTableWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select, text

from clinic.actor import Actor
from clinic.db import utcnow, uuid7
from clinic.enums import ChangeOperation, Role
from clinic.journal.models import AuditEvent, Conflict, OutboxEntry, RejectedChange, SyncRun
from clinic.org.models import Branch, Device, User
from clinic.patients.models import Patient
from clinic.patients.service import PatientDetails, register_patient, update_patient
from clinic.store import LocalStore
from desktop.main_window import MainWindow
from desktop.screens.admin.audit import AuditScreen
from desktop.screens.admin.conflicts import ConflictsScreen
from desktop.screens.admin.refused import RefusedScreen
from desktop.screens.admin.sync_history import SyncHistoryScreen
from desktop.sync_controller import SyncState
from sync.engine import SyncStatus
from tests.conftest import TODAY
from tests.gui.conftest import MakeContext, shown


def _cells(table: QTableWidget, row: int) -> list[str]:
    return [table.item(row, c).text() for c in range(table.columnCount())]  # type: ignore[union-attr]


def _rows(table: QTableWidget) -> list[list[str]]:
    return [_cells(table, r) for r in range(table.rowCount())]


def _staff(store: LocalStore, branch: Branch, username: str, role: Role) -> Actor:
    """A member of staff as the PC holds them after a pull, and their actor."""
    with store.write() as session:
        user = User(username=username, full_name=username.title(), role=role, branch_id=branch.id)
        session.add(user)
    return Actor(device_id=store.device_id, user_id=user.id, role=role, branch_id=branch.id)


def _register(store: LocalStore, actor: Actor, first: str, last: str, **details: Any) -> uuid.UUID:
    with store.write() as session:
        return register_patient(
            PatientDetails(first_name=first, last_name=last, **details),
            session=session,
            actor=actor,
            today=TODAY,
        ).patient.id


def _patient(store: LocalStore, patient_id: uuid.UUID) -> Patient:
    with store.session() as session:
        patient = session.get(Patient, patient_id)
        assert patient is not None
        return patient


# --- conflicts -----------------------------------------------------------------------


def test_a_conflict_is_shown_with_both_sides_and_the_record_and_can_be_flipped(
    qtbot: QtBot, make_context: MakeContext, store: LocalStore, branch: Branch
) -> None:
    desk = _staff(store, branch, "wanjiru", Role.RECEPTIONIST)
    other = _staff(store, branch, "otieno", Role.RECEPTIONIST)
    grace = _register(store, desk, "Grace", "Wambui", residence="Kisumu")
    won_at = utcnow()
    with store.write() as session:
        front = Device(name="front-desk", branch_id=branch.id)
        back = Device(name="back-office", branch_id=branch.id)
        session.add_all([front, back])
        session.flush()
        session.add(
            Conflict(
                id=uuid7(),
                entity="patients",
                row_id=grace,
                field="residence",
                winning_value="Kisumu",
                losing_value="Kibera",
                winning_device_id=front.id,
                winning_user_id=desk.user_id,
                losing_device_id=back.id,
                losing_user_id=other.user_id,
                losing_at=won_at - timedelta(minutes=3),
                created_at=won_at,
                version=1,
            )
        )
    ctx = make_context(Role.ADMIN, "Head Office")
    screen = shown(qtbot, ConflictsScreen(ctx))
    qtbot.waitUntil(lambda: screen.table.rowCount() == 1)

    op_number = _patient(store, grace).op_number
    row = _cells(screen.table, 0)
    assert row[0] == f"Grace Wambui · {op_number}"
    assert row[1:3] == ["residence", "Kisumu"]
    assert row[3].startswith("wanjiru · ")
    assert row[4] == "Kibera"
    assert row[5].startswith("otieno · ")
    assert screen.count.text() == "1 to settle"
    assert not screen.flip.isEnabled()

    screen.table.selectRow(0)
    qtbot.waitUntil(lambda: screen.record.rowCount() > 0)
    sides = screen.sides.text()
    assert sides.startswith("Residence: kept “Kisumu” (wanjiru on front-desk at ")
    assert "the other value “Kibera” (otieno on back-office at " in sides
    assert screen.record_title.text() == f"Grace Wambui · {op_number} now"
    fields = dict(_rows(screen.record))
    assert fields["first name"] == "Grace" and fields["residence"] == "Kisumu"
    assert "version" not in fields
    (bold,) = [
        screen.record.item(r, 0).text()  # type: ignore[union-attr]
        for r in range(screen.record.rowCount())
        if screen.record.item(r, 0).font().bold()  # type: ignore[union-attr]
    ]
    assert bold == "residence"

    qtbot.mouseClick(screen.flip, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.table.rowCount() == 0)
    assert _patient(store, grace).residence == "Kibera"
    with store.session() as session:
        conflict = session.scalars(select(Conflict)).one()
        assert conflict.resolution == "flipped"
        queued = [
            (e.entity, e.changes.get("residence")) for e in session.scalars(select(OutboxEntry))
        ]
    assert ("patients", "Kibera") in queued
    assert ("conflicts", None) in queued

    screen.settled.setChecked(True)
    qtbot.waitUntil(lambda: screen.table.rowCount() == 1)
    assert _cells(screen.table, 0)[6].startswith("flipped")
    assert screen.count.text() == "1 settled"
    screen.table.selectRow(0)
    assert not screen.keep.isEnabled() and not screen.flip.isEnabled()


def test_the_admins_status_bar_counts_open_the_inbox(
    qtbot: QtBot, make_context: MakeContext, tmp_path: Path
) -> None:
    window = MainWindow(
        make_context(Role.ADMIN), QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    )
    qtbot.addWidget(window)
    window.show()
    status = SyncStatus(
        pending=0, conflicts=3, rejected=2, last_sync=None, last_error=None,
        clock_skew_seconds=None,
    )  # fmt: skip
    window.show_sync_state(SyncState(online=True, status=status))
    assert window.conflicts_label.text() == '<a href="conflicts">3 conflicts</a>'

    window.conflicts_label.linkActivated.emit("conflicts")
    assert window.current_screen().key == "conflicts"
    window.rejected_label.linkActivated.emit("refused")
    assert window.current_screen().key == "refused"


# --- refused changes ---------------------------------------------------------------


def _refused(store: LocalStore, patient_id: uuid.UUID, changes: dict[str, Any]) -> None:
    with store.write() as session:
        session.add(
            RejectedChange(
                id=uuid7(),
                sequence=7,
                entity="patients",
                row_id=patient_id,
                operation=ChangeOperation.UPDATE,
                changes=changes,
                reason="residence: contains a NUL character; remove it",
            )
        )


def _button(screen: RefusedScreen, text: str) -> QPushButton:
    (button,) = [b for b in screen.findChildren(QPushButton) if b.text() == text]
    return button


def test_a_refused_change_is_fixed_in_its_form_and_sent_again(
    qtbot: QtBot, make_context: MakeContext, store: LocalStore, branch: Branch
) -> None:
    desk = _staff(store, branch, "wanjiru", Role.RECEPTIONIST)
    grace = _register(store, desk, "Grace", "Wambui", residence="Kisumu")
    _refused(store, grace, {"residence": "Kibe\x00ra", "date_of_birth": "1990-05-01", "version": 3})
    screen = shown(qtbot, RefusedScreen(make_context(Role.ADMIN)))
    qtbot.waitUntil(lambda: screen.table.rowCount() == 1)
    row = _cells(screen.table, 0)
    assert row[1] == f"Grace Wambui · {_patient(store, grace).op_number}"
    assert row[2] == "date_of_birth, residence"
    assert row[3] == "residence: contains a NUL character; remove it"
    assert not screen.resend.isEnabled()

    screen.table.selectRow(0)
    assert sorted(screen.edits) == ["date_of_birth", "residence"]
    assert screen.reason.text() == row[3]
    assert screen.edits["residence"].text() == "Kibe\x00ra"

    # a fix the column cannot hold is shown next to its field; nothing changes
    screen.edits["date_of_birth"].setText("31/02/1990")
    screen.edits["residence"].setText("Kibera")
    qtbot.mouseClick(screen.resend, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.form.error_text("date_of_birth") != "")
    assert "not valid" in screen.form.error_text("date_of_birth")
    assert _patient(store, grace).residence == "Kisumu"

    screen.edits["date_of_birth"].setText("1990-05-01")
    qtbot.mouseClick(screen.resend, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.table.rowCount() == 0)
    patient = _patient(store, grace)
    assert patient.residence == "Kibera" and str(patient.date_of_birth) == "1990-05-01"
    with store.session() as session:
        (entry,) = [
            e
            for e in session.scalars(select(OutboxEntry))
            if e.row_id == grace and e.operation == ChangeOperation.UPDATE
        ]
        assert entry.changes["residence"] == "Kibera"
        assert session.scalar(select(RejectedChange.resolved_at)) is not None
    assert screen.count.text() == "0 to deal with"


def test_a_discarded_refusal_leaves_the_record_and_an_audit_event(
    qtbot: QtBot, make_context: MakeContext, store: LocalStore, branch: Branch
) -> None:
    desk = _staff(store, branch, "wanjiru", Role.RECEPTIONIST)
    grace = _register(store, desk, "Grace", "Wambui", residence="Kisumu")
    _refused(store, grace, {"residence": "Kibera"})
    screen = shown(qtbot, RefusedScreen(make_context(Role.ADMIN)))
    qtbot.waitUntil(lambda: screen.table.rowCount() == 1)
    screen.table.selectRow(0)
    qtbot.mouseClick(_button(screen, "Discard"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.table.rowCount() == 0)
    assert _patient(store, grace).residence == "Kisumu"
    with store.session() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "discard_rejected")
        ).one()
    assert (event.entity, event.entity_id) == ("patients", grace)
    assert event.before == {"residence": "Kibera"}
    assert event.after == {"refused_because": "residence: contains a NUL character; remove it"}


# --- the audit log ----------------------------------------------------------------


def test_the_log_is_searched_by_user_and_patient_and_shows_before_and_after(
    qtbot: QtBot, make_context: MakeContext, store: LocalStore, branch: Branch
) -> None:
    desk = _staff(store, branch, "wanjiru", Role.RECEPTIONIST)
    night = _staff(store, branch, "otieno", Role.RECEPTIONIST)
    grace = _register(store, desk, "Grace", "Wambui", residence="Kisumu")
    _register(store, night, "Baraka", "Mwangi")
    with store.write() as session:
        update_patient(grace, {"residence": "Nakuru"}, session=session, actor=desk, today=TODAY)
    screen = shown(qtbot, AuditScreen(make_context(Role.ADMIN)))
    qtbot.waitUntil(lambda: screen.user.count() == 3)

    screen.user.setCurrentIndex(screen.user.findText("wanjiru"))
    qtbot.mouseClick(screen.search_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.table.rowCount() == 2)
    assert {r[1] for r in _rows(screen.table)} == {"wanjiru"}
    assert screen.outcome.text().startswith("2 event(s)")
    assert "this PC's log" in screen.outcome.text()

    screen.user.setCurrentIndex(0)
    qtbot.keyClicks(screen.patient, "baraka")
    qtbot.mouseClick(screen.search_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Baraka Mwangi" in screen.outcome.text())
    assert [r[1] for r in _rows(screen.table)] == ["otieno"]

    screen.patient.setText("Grace")
    screen.action.setCurrentText("update_patient")
    qtbot.mouseClick(screen.search_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Grace Wambui" in screen.outcome.text())
    assert screen.table.rowCount() == 1
    screen.table.selectRow(0)
    assert _rows(screen.values)[0] == ["residence", "Kisumu", "Nakuru"]
    assert screen.values_title.text().startswith("update_patient by wanjiru")

    screen.patient.setText("nobody-like-this")
    qtbot.mouseClick(screen.search_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.outcome.text().startswith("No patient matches"))
    assert screen.table.rowCount() == 0

    screen.patient.clear()
    screen.since.setDate(screen.until.date().addDays(1))
    qtbot.mouseClick(screen.search_button, Qt.MouseButton.LeftButton)
    assert "last day comes before the first" in screen.outcome.text()


def test_verify_finds_an_edited_event_in_this_pcs_chain(
    qtbot: QtBot, make_context: MakeContext, store: LocalStore, branch: Branch
) -> None:
    desk = _staff(store, branch, "wanjiru", Role.RECEPTIONIST)
    for name in ("Grace", "Baraka", "Achieng"):
        _register(store, desk, name, "Wambui")
    screen = shown(qtbot, AuditScreen(make_context(Role.ADMIN)))
    qtbot.mouseClick(screen.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "intact" in screen.verdict.text())
    assert screen.verdict.text() == "This PC: all intact (1 chain(s), 3 events)"
    assert _rows(screen.chains)[0][2:] == ["3", "Intact"]

    with store.write() as session:
        session.execute(
            text(
                "UPDATE audit_events SET after = json_set(after, '$.first_name', 'Mallory')"
                " WHERE device_sequence = 2"
            )
        )
    qtbot.mouseClick(screen.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "BROKEN" in screen.verdict.text())
    assert screen.verdict.text() == "This PC: 1 of 1 chains BROKEN"
    assert _rows(screen.chains)[0][3] == "Event 2 was changed after it was written"


# --- sync history ---------------------------------------------------------------------


def test_the_sync_history_shows_what_each_run_moved_and_its_problem(
    qtbot: QtBot, make_context: MakeContext, store: LocalStore
) -> None:
    start = utcnow() - timedelta(hours=1)
    with store.write() as session:
        session.add_all(
            [
                SyncRun(started_at=start, finished_at=start, pushed=12, pulled=340, conflicts=1),
                SyncRun(
                    started_at=start + timedelta(minutes=5),
                    finished_at=start + timedelta(minutes=5),
                    error="The server at http://10.0.0.2:8750 did not answer",
                ),
            ]
        )
    screen = shown(qtbot, SyncHistoryScreen(make_context(Role.ADMIN)))
    qtbot.waitUntil(lambda: screen.runs.rowCount() == 2)
    newest, oldest = _rows(screen.runs)
    assert newest[2:] == ["0", "0", "0", "0", "The server at http://10.0.0.2:8750 did not answer"]
    assert oldest[2:] == ["12", "340", "1", "0", ""]
    assert not screen.sync_now.isEnabled()
