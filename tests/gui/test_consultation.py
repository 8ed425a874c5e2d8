"""The consultation screen, driven as a clinical officer uses it: pick the
patient, write the notes, find diagnoses, prescribe, request tests, save a
draft, sign, amend."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from clinic.actor import Actor
from clinic.clock import clinic_today
from clinic.enums import Role, Sex, VisitStatus
from clinic.org.models import Branch
from clinic.patients.service import PatientDetails, register_patient
from clinic.store import LocalStore
from clinic.visits.models import Amendment, Diagnosis, Prescription, Visit
from clinic.visits.service import (
    ConsultationNotes,
    PrescriptionInput,
    move_visit,
    open_visit,
    record_consultation,
    record_triage,
    sign_visit,
)
from desktop.screens.consultation import ConsultationScreen
from desktop.screens.consultation.amendments import AmendDialog
from desktop.screens.consultation.orders import OrdersTable
from tests.conftest import make_actor
from tests.gui.conftest import MakeContext, shown

S = VisitStatus


def add_visit(
    store: LocalStore,
    actor: Actor,
    first: str,
    last: str,
    *,
    triage: dict[str, float] | None = None,
) -> uuid.UUID:
    """A patient registered today with today's visit, triaged when given readings."""
    today = clinic_today()
    with store.write() as session:
        patient = register_patient(
            PatientDetails(
                first_name=first, last_name=last, date_of_birth=date(1979, 6, 1), sex=Sex.MALE
            ),
            session=session,
            actor=actor,
            today=today,
        ).patient
        visit_id = open_visit(patient.id, session=session, actor=actor, today=today).id
    if triage is not None:
        with store.write() as session:
            record_triage(visit_id, triage, session=session, actor=actor)
    return visit_id


def visit_row(store: LocalStore, visit_id: uuid.UUID) -> Visit:
    with store.session() as session:
        visit = session.get(Visit, visit_id)
        assert visit is not None
        return visit


def answer_dialog(button_text: str) -> list[str]:
    """Click ``button_text`` on the next modal message box; the list gets
    the box's text when it was answered."""
    seen: list[str] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(10, answer)
            return
        seen.append(box.text())
        for button in box.buttons():
            if button.text().replace("&", "") == button_text:
                button.click()
                return
        raise AssertionError(f"no button {button_text!r} on {box.text()!r}")

    QTimer.singleShot(0, answer)
    return seen


def reactivate(qtbot: QtBot, window: QWidget) -> None:
    """The offscreen platform leaves no window active after a modal box
    closes (a desktop's window manager gives the focus back)."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)


def type_cell(qtbot: QtBot, orders: OrdersTable, row: int, column: int, text: str) -> None:
    """Type into a table cell as a person does: select it, type, Enter."""
    table = orders.table
    table.setFocus()
    table.setCurrentCell(row, column)
    item = table.item(row, column)
    assert item is not None
    table.editItem(item)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit)
    editor.selectAll()
    qtbot.keyClicks(editor, text)
    popup = QApplication.activePopupWidget()
    if popup is not None:  # a suggestion is offered: Enter takes it
        qtbot.keyClick(popup, Qt.Key.Key_Return)
        reactivate(qtbot, orders.window())
    qtbot.keyClick(editor, Qt.Key.Key_Return)


def add_prescription(qtbot: QtBot, screen: ConsultationScreen, *values: str) -> None:
    qtbot.mouseClick(screen.prescriptions.add_button, Qt.MouseButton.LeftButton)
    row = screen.prescriptions.table.rowCount() - 1
    for column, value in enumerate(values):
        type_cell(qtbot, screen.prescriptions, row, column, value)


def table_rows(orders: OrdersTable) -> list[list[str]]:
    table = orders.table
    return [
        [orders.cell(row, column.key) for column in orders.columns]
        for row in range(table.rowCount())
    ]


@pytest.fixture
def clinician_screen(qtbot: QtBot, make_context: MakeContext) -> Iterator[ConsultationScreen]:
    yield shown(qtbot, ConsultationScreen(make_context(Role.CLINICAL_OFFICER, "Daniel Mutua")))


@pytest.fixture
def opened(
    qtbot: QtBot, clinician_screen: ConsultationScreen, store: LocalStore, receptionist: Actor
) -> tuple[ConsultationScreen, uuid.UUID]:
    """The screen with Peter Njoroge's triaged visit open."""
    visit_id = add_visit(
        store,
        receptionist,
        "Peter",
        "Njoroge",
        triage={"temperature_c": 39.5, "pulse_bpm": 96, "weight_kg": 70},
    )
    clinician_screen.open_visit(visit_id)
    qtbot.waitUntil(lambda: clinician_screen.header.name.text() == "Peter Njoroge")
    return clinician_screen, visit_id


def search(qtbot: QtBot, screen: ConsultationScreen, text: str, expect: str) -> None:
    picker = screen.picker
    picker.search.setFocus()
    picker.search.clear()
    qtbot.keyClicks(picker.search, text)
    qtbot.waitUntil(
        lambda: any(line.startswith(expect) for line in picker.result_texts()), timeout=10_000
    )


def write_notes(qtbot: QtBot, screen: ConsultationScreen, **notes: str) -> None:
    for name, text in notes.items():
        editor = screen.notes[name]
        editor.setFocus()
        qtbot.keyClicks(editor, text)


def test_waiting_list_shows_the_patients_waiting_for_consultation(
    qtbot: QtBot,
    clinician_screen: ConsultationScreen,
    store: LocalStore,
    branch: Branch,
    receptionist: Actor,
) -> None:
    add_visit(store, receptionist, "Not", "Triaged")
    add_visit(store, receptionist, "Triaged", "Patient", triage={"pulse_bpm": 80})
    waiting = add_visit(store, receptionist, "Sent", "Through")
    pharmacy = add_visit(store, receptionist, "At", "Pharmacy", triage={"pulse_bpm": 80})
    clinician = make_actor(store, branch, Role.CLINICAL_OFFICER)
    notes = ConsultationNotes(
        complaint="Cough",
        diagnoses=["J06.9"],
        prescriptions=[PrescriptionInput("Amoxicillin 250 mg", "250 mg", "TDS", "5 days", 15)],
    )
    with store.write() as session:
        move_visit(waiting, S.WAITING_CONSULTATION, session=session, actor=receptionist)
        record_consultation(pharmacy, notes, session=session, actor=clinician)
        sign_visit(pharmacy, session=session, actor=clinician)
    assert visit_row(store, pharmacy).status == S.WAITING_PHARMACY

    clinician_screen.refresh()
    qtbot.waitUntil(
        lambda: clinician_screen.waiting.patient_names() == ["Triaged Patient", "Sent Through"]
    )
    table = clinician_screen.waiting.table
    table.setFocus()
    table.selectRow(1)
    qtbot.keyClick(table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: clinician_screen.header.name.text() == "Sent Through")
    assert clinician_screen.header.status.text() == "Waiting for consultation"
    assert "No vitals recorded" in clinician_screen.vitals.text()


def test_latest_vitals_are_shown_with_their_flags(
    opened: tuple[ConsultationScreen, uuid.UUID],
) -> None:
    screen, _ = opened
    summary = screen.vitals.text()
    assert "Temperature 39.5 °C (High)" in summary
    assert "Pulse 96 bpm" in summary and "Weight 70 kg" in summary


def test_search_by_words_lists_b54_and_enter_adds_it(
    qtbot: QtBot, opened: tuple[ConsultationScreen, uuid.UUID]
) -> None:
    screen, _ = opened
    picker = screen.picker
    search(qtbot, screen, "malaria", "B54")
    row = next(i for i, text in enumerate(picker.result_texts()) if text.startswith("B54"))
    assert picker.result_texts()[row] == "B54  Unspecified malaria"

    qtbot.keyClick(picker.search, Qt.Key.Key_Down)
    assert QApplication.focusWidget() is picker.results
    picker.results.setCurrentRow(row)
    qtbot.keyClick(picker.results, Qt.Key.Key_Return)
    assert picker.chosen_texts() == ["B54  Unspecified malaria  · primary"]
    assert QApplication.focusWidget() is picker.search

    search(qtbot, screen, "J18", "J18")
    rect = picker.results.visualItemRect(picker.results.item(0))
    # A real double-click is a click, then a double-click event.
    qtbot.mouseClick(picker.results.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(picker.results.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert len(picker.chosen_texts()) == 2 and picker.chosen_texts()[1].startswith("J18")

    picker.chosen.setCurrentRow(0)
    qtbot.mouseClick(picker.remove_button, Qt.MouseButton.LeftButton)
    assert picker.chosen_texts()[0].startswith("J18") and "primary" in picker.chosen_texts()[0]


def test_code_typed_and_enter_adds_it_even_before_results_show(
    qtbot: QtBot, opened: tuple[ConsultationScreen, uuid.UUID]
) -> None:
    screen, _ = opened
    picker = screen.picker
    picker.search.setFocus()
    qtbot.keyClicks(picker.search, "a09")
    qtbot.keyClick(picker.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(picker.chosen_texts()), timeout=10_000)
    assert picker.chosen_texts()[0].startswith("A09  ")


def test_icd11_code_is_format_checked(
    qtbot: QtBot, opened: tuple[ConsultationScreen, uuid.UUID]
) -> None:
    screen, _ = opened
    picker = screen.picker
    picker.icd11.setFocus()
    qtbot.keyClicks(picker.icd11, "XY12")
    qtbot.mouseClick(picker.icd11_add, Qt.MouseButton.LeftButton)
    assert picker.icd11_error.isVisible()
    assert "'XY12' is not an ICD-11 stem code" in picker.icd11_error.text()
    assert picker.chosen_texts() == []

    picker.icd11.clear()
    qtbot.keyClicks(picker.icd11, "1f40.z")
    qtbot.keyClick(picker.icd11, Qt.Key.Key_Return)
    assert not picker.icd11_error.isVisible()
    assert picker.chosen_texts() == ["ICD-11 1F40.Z (for SHA)  · primary"]
    assert picker.codes() == ["ICD-11:1F40.Z"]


def test_prescription_with_quantity_zero_shows_the_error_on_its_row(
    qtbot: QtBot, opened: tuple[ConsultationScreen, uuid.UUID], store: LocalStore
) -> None:
    screen, visit_id = opened
    write_notes(qtbot, screen, complaint="Fever for 3 days")
    add_prescription(qtbot, screen, "Paracetamol 500 mg", "1 g", "TDS", "3 days", "18")
    add_prescription(qtbot, screen, "Amoxicillin 500 mg", "500 mg", "TDS", "5 days", "0")
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: screen.prescriptions.error_text() != "")
    assert screen.prescriptions.error_text() == "Row 2: Quantity must be a whole number above 0"
    assert screen.prescriptions.error.isVisible()
    assert "Nothing was saved" in screen.message.text()
    visit = visit_row(store, visit_id)
    assert visit.complaint is None and visit.status == S.TRIAGED

    type_cell(qtbot, screen.prescriptions, 1, 4, "15")
    qtbot.keyClick(screen.notes["plan"], Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "Draft saved" in screen.message.text())
    assert screen.prescriptions.error_text() == ""


def test_blank_lab_request_row_is_ignored_but_a_note_without_test_is_refused(
    qtbot: QtBot, opened: tuple[ConsultationScreen, uuid.UUID]
) -> None:
    screen, _ = opened
    qtbot.mouseClick(screen.labs.add_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(screen.labs.add_button, Qt.MouseButton.LeftButton)
    type_cell(qtbot, screen.labs, 1, 1, "fasting")
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.labs.error_text() != "")
    assert screen.labs.error_text() == "Row 2: Name the test"


def test_save_draft_stores_the_notes_and_reopening_shows_them(
    qtbot: QtBot,
    opened: tuple[ConsultationScreen, uuid.UUID],
    store: LocalStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    screen, visit_id = opened
    write_notes(
        qtbot,
        screen,
        complaint="Fever and headache for 3 days",
        history="No travel",
        examination="Febrile, not pale",
        plan="Antimalarials; review in 3 days",
    )
    search(qtbot, screen, "malaria", "B54")
    screen.picker.results.setCurrentRow(
        next(i for i, t in enumerate(screen.picker.result_texts()) if t.startswith("B54"))
    )
    qtbot.keyClick(screen.picker.results, Qt.Key.Key_Return)
    add_prescription(qtbot, screen, "Artemether/Lumefantrine", "4 tablets", "BD", "3 days", "24")
    qtbot.mouseClick(screen.labs.add_button, Qt.MouseButton.LeftButton)
    type_cell(qtbot, screen.labs, 0, 0, "Malaria RDT")
    saves: list[bool] = []
    monkeypatch.setattr(screen.ctx, "saved", lambda: saves.append(True))
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Draft saved" in screen.message.text())
    qtbot.waitUntil(lambda: screen.header.status.text() == "In consultation")
    assert saves == [True]  # sync is told

    visit = visit_row(store, visit_id)
    assert visit.complaint == "Fever and headache for 3 days" and visit.signed_at is None

    qtbot.keyClick(screen.notes["plan"], Qt.Key.Key_Escape)  # saved: no question
    assert screen.stack.currentWidget() is screen.waiting
    screen.open_visit(visit_id)
    qtbot.waitUntil(lambda: screen.notes["complaint"].toPlainText() != "")
    assert screen.notes["complaint"].toPlainText() == "Fever and headache for 3 days"
    assert screen.notes["history"].toPlainText() == "No travel"
    assert screen.notes["examination"].toPlainText() == "Febrile, not pale"
    assert screen.notes["plan"].toPlainText() == "Antimalarials; review in 3 days"
    assert screen.picker.chosen_texts() == ["B54  Unspecified malaria  · primary"]
    assert table_rows(screen.prescriptions) == [
        ["Artemether/Lumefantrine", "4 tablets", "BD", "3 days", "24"]
    ]
    assert table_rows(screen.labs) == [["Malaria RDT", ""]]
    assert not screen.notes["complaint"].isReadOnly()


def test_sign_makes_the_notes_final_and_amendments_are_listed(
    qtbot: QtBot, opened: tuple[ConsultationScreen, uuid.UUID], store: LocalStore
) -> None:
    screen, visit_id = opened
    write_notes(qtbot, screen, complaint="Cough for a week", plan="Amoxicillin; review")
    screen.picker.search.setFocus()
    qtbot.keyClicks(screen.picker.search, "J18.9")
    qtbot.keyClick(screen.picker.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(screen.picker.chosen_texts()), timeout=10_000)
    add_prescription(qtbot, screen, "Amoxicillin 500 mg", "500 mg", "TDS", "5 days", "15")

    seen = answer_dialog("Sign")
    qtbot.mouseClick(screen.sign_button, Qt.MouseButton.LeftButton)
    assert seen == ["Signing makes the notes final; changes after this are amendments."]
    qtbot.waitUntil(lambda: screen.header.status.text() == "Waiting for pharmacy")
    visit = visit_row(store, visit_id)
    assert visit.status == S.WAITING_PHARMACY and visit.signed_at is not None

    assert screen.notes["plan"].isReadOnly() and screen.notes["complaint"].isReadOnly()
    assert not screen.save_button.isVisible() and not screen.sign_button.isVisible()
    assert not screen.picker.search.isVisible() and not screen.prescriptions.add_button.isVisible()
    assert screen.signed_note.text().startswith("Signed ")
    assert screen.amendments_empty.isVisible()
    assert screen.amend_button.isVisible()

    qtbot.mouseClick(screen.amend_button, Qt.MouseButton.LeftButton)
    dialog = screen.findChild(AmendDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.choose("plan")
    assert dialog.now_reads.toPlainText() == "Amoxicillin; review"
    dialog.new_value.setFocus()
    dialog.new_value.selectAll()
    qtbot.keyClicks(dialog.new_value, "Amoxicillin; review in 5 days")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.form.error_text("reason") != "")
    assert dialog.form.error_text("reason") == "Say why the signed visit is amended"
    with store.session() as session:
        assert session.scalars(select(Amendment)).all() == []

    qtbot.keyClicks(dialog.reason, "Review date was missing")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.findChild(AmendDialog) is None)
    qtbot.waitUntil(lambda: screen.amendments.rowCount() == 1)
    when, note, change, reason = screen.amendments.rows()[0]
    assert note == "Plan"
    assert change == "Amoxicillin; review  →  Amoxicillin; review in 5 days"
    assert reason == "Review date was missing"
    assert when.startswith(clinic_today().strftime("%d %b %Y"))
    assert screen.notes["plan"].toPlainText() == "Amoxicillin; review"  # signed text stays
    assert "amended" in screen.note_labels["plan"].text()
    assert visit_row(store, visit_id).plan == "Amoxicillin; review"


def test_signing_without_a_diagnosis_is_refused_next_to_the_diagnoses(
    qtbot: QtBot, opened: tuple[ConsultationScreen, uuid.UUID], store: LocalStore
) -> None:
    screen, visit_id = opened
    write_notes(qtbot, screen, complaint="Back pain")
    answer_dialog("Sign")
    qtbot.mouseClick(screen.sign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.picker.chosen_slot.error.isVisible())
    assert screen.picker.chosen_slot.error.text() == "Add at least one diagnosis before signing"
    assert "saved but not signed" in screen.message.text()
    visit = visit_row(store, visit_id)
    assert visit.signed_at is None and visit.complaint == "Back pain"
    assert not screen.notes["complaint"].isReadOnly()


def test_cancelling_the_sign_question_signs_nothing(
    qtbot: QtBot, opened: tuple[ConsultationScreen, uuid.UUID], store: LocalStore
) -> None:
    screen, visit_id = opened
    write_notes(qtbot, screen, complaint="Headache")
    answer_dialog("Cancel")
    qtbot.mouseClick(screen.sign_button, Qt.MouseButton.LeftButton)
    qtbot.wait(100)
    visit = visit_row(store, visit_id)
    assert visit.signed_at is None and visit.complaint is None
    with store.session() as session:
        assert session.scalars(select(Diagnosis)).all() == []
        assert session.scalars(select(Prescription)).all() == []


def test_escape_with_unsaved_notes_asks_first(
    qtbot: QtBot, opened: tuple[ConsultationScreen, uuid.UUID]
) -> None:
    screen, _ = opened
    write_notes(qtbot, screen, history="Asthmatic")
    seen = answer_dialog("Discard")
    qtbot.keyClick(screen.notes["history"], Qt.Key.Key_Escape)
    assert seen == ["Discard what you typed for Peter Njoroge?"]
    assert screen.stack.currentWidget() is screen.waiting


def test_escape_in_a_table_cell_cancels_the_cell_not_the_visit(
    qtbot: QtBot, opened: tuple[ConsultationScreen, uuid.UUID]
) -> None:
    screen, _ = opened
    reactivate(qtbot, screen)
    qtbot.mouseClick(screen.prescriptions.add_button, Qt.MouseButton.LeftButton)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit)
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert screen.stack.currentWidget() is screen.visit_page


def test_tab_moves_from_note_to_note(
    qtbot: QtBot, opened: tuple[ConsultationScreen, uuid.UUID]
) -> None:
    screen, _ = opened
    screen.notes["complaint"].setFocus()
    for name in ("history", "examination", "plan"):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        assert QApplication.focusWidget() is screen.notes[name]
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is screen.picker.search
