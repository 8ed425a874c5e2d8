"""The admin's Merge patients screen (issue 14): two records found, compared
side by side, merged with the ticked values, and the merge undone."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from clinic.actor import Actor
from clinic.enums import Role
from clinic.patients.models import Patient
from clinic.patients.service import PatientDetails, register_patient
from desktop.context import AppContext
from desktop.main_window import screens_for
from desktop.screens.admin.merge.screen import MergeScreen, PatientPicker
from tests.conftest import TODAY
from tests.gui.conftest import MakeContext, shown


def add(ctx: AppContext, details: PatientDetails) -> uuid.UUID:
    actor = Actor(device_id=ctx.store.device_id, role=Role.RECEPTIONIST, branch_id=None)
    with ctx.store.write() as session:
        return register_patient(details, session=session, actor=actor, today=TODAY).patient.id


def pick(qtbot: QtBot, picker: PatientPicker, query: str) -> None:
    picker.query.setText(query)
    qtbot.keyClick(picker.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: picker.chosen is not None)


def take_cell(screen: MergeScreen, label: str) -> tuple[str, str, Qt.CheckState | None]:
    for row in range(screen.compare.rowCount()):
        if screen.compare.item(row, 0).text() == label:
            take = screen.compare.item(row, 3)
            checkable = bool(take.flags() & Qt.ItemFlag.ItemIsUserCheckable)
            return (
                screen.compare.item(row, 1).text(),
                screen.compare.item(row, 2).text(),
                take.checkState() if checkable else None,
            )
    raise KeyError(label)


@pytest.fixture
def ready(
    qtbot: QtBot, make_context: MakeContext, monkeypatch: pytest.MonkeyPatch
) -> tuple[MergeScreen, uuid.UUID, uuid.UUID]:
    ctx = make_context(Role.ADMIN)
    kept = add(
        ctx,
        PatientDetails(
            first_name="Achieng", last_name="Odhiambo", phone="0712345678", residence="Kibra"
        ),
    )
    duplicate = add(
        ctx,
        PatientDetails(
            first_name="Achieng",
            last_name="Odiambo",
            national_id="23456789",
            residence="Kibera",
            date_of_birth=date(1990, 5, 17),
        ),
    )
    monkeypatch.setattr(QMessageBox, "question", lambda *_a, **_k: QMessageBox.StandardButton.Yes)
    screen = shown(qtbot, MergeScreen(ctx))
    pick(qtbot, screen.kept, "0712345678")
    pick(qtbot, screen.duplicate, "23456789")
    qtbot.waitUntil(lambda: screen.merge_button.isEnabled())
    return screen, kept, duplicate


def test_the_two_records_are_compared_and_missing_values_are_ticked_to_take(
    ready: tuple[MergeScreen, uuid.UUID, uuid.UUID],
) -> None:
    screen, _kept, _duplicate = ready
    assert take_cell(screen, "National ID") == ("", "23456789", Qt.CheckState.Checked)
    assert take_cell(screen, "Residence") == ("Kibra", "Kibera", Qt.CheckState.Unchecked)
    assert take_cell(screen, "Date of birth") == ("", "17/05/1990", Qt.CheckState.Checked)
    assert take_cell(screen, "First name") == ("Achieng", "Achieng", None)
    assert take_cell(screen, "Phone")[2] is None  # the duplicate has none to give
    assert sorted(screen.taken()) == ["date_of_birth", "national_id"]


def test_merging_takes_the_ticked_values_lists_the_merge_and_undo_reverses_it(
    qtbot: QtBot, ready: tuple[MergeScreen, uuid.UUID, uuid.UUID]
) -> None:
    screen, kept, duplicate = ready
    qtbot.mouseClick(screen.merge_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "was merged into" in screen.message.text())
    qtbot.waitUntil(lambda: screen.merges.rowCount() == 1)
    with screen.ctx.store.session() as session:
        kept_row, duplicate_row = session.get(Patient, kept), session.get(Patient, duplicate)
        assert kept_row is not None and duplicate_row is not None
        assert (kept_row.national_id, kept_row.residence) == ("23456789", "Kibra")
        assert kept_row.date_of_birth == date(1990, 5, 17)
        assert duplicate_row.merged_into == kept
    assert screen.merges.item(0, 1).text().startswith(kept_row.op_number)

    screen.merges.selectRow(0)
    qtbot.mouseClick(screen.undo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "of their own again" in screen.message.text())
    qtbot.waitUntil(lambda: screen.merges.rowCount() == 0)
    with screen.ctx.store.session() as session:
        duplicate_row = session.get(Patient, duplicate)
        assert duplicate_row is not None and duplicate_row.merged_into is None


def test_a_record_cannot_be_merged_into_itself(qtbot: QtBot, make_context: MakeContext) -> None:
    ctx = make_context(Role.ADMIN)
    add(ctx, PatientDetails(first_name="Baraka", phone="0722000111"))
    screen = shown(qtbot, MergeScreen(ctx))
    pick(qtbot, screen.kept, "0722000111")
    pick(qtbot, screen.duplicate, "0722000111")
    assert "two different records" in screen.message.text()
    assert not screen.merge_button.isEnabled()


def test_only_an_admin_has_the_screen() -> None:
    for role in Role:
        assert ("merge" in [e.key for e in screens_for(role)]) == (role == Role.ADMIN), role
