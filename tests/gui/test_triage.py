"""The triage screen, driven as a nurse uses it: pick the next patient,
type the vitals, see them flagged, confirm critical ones, save."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from clinic.actor import Actor
from clinic.clock import clinic_today
from clinic.enums import Role, Sex, VisitStatus
from clinic.patients.service import PatientDetails, register_patient
from clinic.store import LocalStore
from clinic.visits.models import Triage, Visit
from clinic.visits.service import open_visit, record_triage
from desktop.screens.triage import TriageScreen
from tests.gui.conftest import MakeContext, shown


def add_visit(
    store: LocalStore,
    actor: Actor,
    first: str,
    last: str,
    born: date | None = date(1988, 3, 14),
    sex: Sex = Sex.FEMALE,
) -> uuid.UUID:
    """A patient registered today with today's visit opened (REGISTERED)."""
    today = clinic_today()
    with store.write() as session:
        patient = register_patient(
            PatientDetails(first_name=first, last_name=last, date_of_birth=born, sex=sex),
            session=session,
            actor=actor,
            today=today,
        ).patient
        return open_visit(patient.id, session=session, actor=actor, today=today).id


def visit_status(store: LocalStore, visit_id: uuid.UUID) -> VisitStatus:
    with store.session() as session:
        visit = session.get(Visit, visit_id)
        assert visit is not None
        return visit.status


def triage_count(store: LocalStore, visit_id: uuid.UUID) -> int:
    with store.session() as session:
        return (
            session.scalar(
                select(func.count()).select_from(Triage).where(Triage.visit_id == visit_id)
            )
            or 0
        )


def answer_dialog(button_text: str) -> list[str]:
    """Click ``button_text`` on the next modal message box; the list gets
    the box's text when it was answered."""
    seen: list[str] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(10, answer)
            return
        seen.append(f"{box.text()}\n{box.informativeText()}")
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


def background(widget: QWidget) -> QColor:
    """The colour a person sees inside a field (just inside its border)."""
    image = widget.grab().toImage()
    return image.pixelColor(5, image.height() // 2)


@pytest.fixture
def nurse_screen(qtbot: QtBot, make_context: MakeContext) -> Iterator[TriageScreen]:
    yield shown(qtbot, TriageScreen(make_context(Role.NURSE, "Grace Wanjiru")))


@pytest.fixture
def opened(
    qtbot: QtBot, nurse_screen: TriageScreen, store: LocalStore, receptionist: Actor
) -> tuple[TriageScreen, uuid.UUID]:
    """The screen with Mary Otieno's visit open."""
    visit_id = add_visit(store, receptionist, "Mary", "Otieno")
    nurse_screen.open_visit(visit_id)
    qtbot.waitUntil(lambda: nurse_screen.header.name.text() == "Mary Otieno")
    return nurse_screen, visit_id


def field(screen: TriageScreen, name: str) -> QLineEdit:
    return screen.vitals.rows[name].edit


def type_reading(qtbot: QtBot, screen: TriageScreen, name: str, text: str) -> None:
    edit = field(screen, name)
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, text)


def test_waiting_list_shows_registered_patients_and_enter_opens(
    qtbot: QtBot, nurse_screen: TriageScreen, store: LocalStore, receptionist: Actor
) -> None:
    first = add_visit(store, receptionist, "Mary", "Otieno")
    add_visit(store, receptionist, "John", "Kamau", sex=Sex.MALE)
    triaged = add_visit(store, receptionist, "Amina", "Hassan")
    with store.write() as session:
        record_triage(triaged, {"temperature_c": 36.8}, session=session, actor=receptionist)

    nurse_screen.refresh()
    qtbot.waitUntil(lambda: nurse_screen.waiting.patient_names() == ["Mary Otieno", "John Kamau"])

    table = nurse_screen.waiting.table
    table.setFocus()
    table.selectRow(0)
    qtbot.keyClick(table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: nurse_screen.header.name.text() == "Mary Otieno")
    assert nurse_screen.visit_id == first
    details = nurse_screen.header.details.text()
    assert "OP-" in details and "Female" in details and "Age 3" in details
    assert nurse_screen.header.status.text() == "Waiting for triage"
    assert "No vitals recorded yet" in nurse_screen.recorded_empty.text()
    assert nurse_screen.recorded_empty.isVisible()


def test_units_are_shown_beside_every_vital(opened: tuple[TriageScreen, uuid.UUID]) -> None:
    screen, _ = opened
    units = {
        label.text()
        for label in screen.vitals.findChildren(type(screen.header.name))
        if label.isVisible()
    }
    for unit in ("°C", "bpm", "breaths/min", "mmHg", "%", "kg", "cm", "mmol/L"):
        assert unit in units


def test_high_temperature_is_flagged_as_typed(
    qtbot: QtBot, opened: tuple[TriageScreen, uuid.UUID]
) -> None:
    screen, _ = opened
    edit = field(screen, "temperature_c")
    normal = background(edit)

    type_reading(qtbot, screen, "temperature_c", "39.5")
    assert screen.vitals.flag_shown("temperature_c") == "High"
    amber = background(edit)
    assert amber != normal
    assert amber.red() > 200 and amber.green() > 200 and amber.blue() < 230  # amber

    type_reading(qtbot, screen, "temperature_c", "41")
    assert screen.vitals.flag_shown("temperature_c") == "Critical high"
    red = background(edit)
    assert red.red() > 240 and red.green() < 235 and red != amber

    type_reading(qtbot, screen, "temperature_c", "36.8")
    assert screen.vitals.flag_shown("temperature_c") == "Normal"
    assert background(edit) == normal


def test_child_pulse_is_flagged_against_the_childs_range(
    qtbot: QtBot, nurse_screen: TriageScreen, store: LocalStore, receptionist: Actor
) -> None:
    today = clinic_today()
    child = add_visit(
        store,
        receptionist,
        "Baby",
        "Achieng",
        born=date(today.year - 3, 1, 1) if today.month > 1 else date(today.year - 4, 1, 1),
    )
    nurse_screen.open_visit(child)
    qtbot.waitUntil(lambda: nurse_screen.header.name.text() == "Baby Achieng")
    type_reading(qtbot, nurse_screen, "pulse_bpm", "130")
    assert nurse_screen.vitals.flag_shown("pulse_bpm") == "Normal"  # high for an adult
    assert "Ranges for age 3 y" in nurse_screen.age_note.text()


def test_bmi_appears_once_weight_and_height_are_typed(
    qtbot: QtBot, opened: tuple[TriageScreen, uuid.UUID]
) -> None:
    screen, _ = opened
    assert not screen.bmi.isVisible()
    type_reading(qtbot, screen, "weight_kg", "70")
    assert not screen.bmi.isVisible()
    type_reading(qtbot, screen, "height_cm", "175")
    assert screen.bmi.isVisible()
    assert screen.bmi.text() == "BMI 22.9 kg/m²"


def test_impossible_temperature_shows_the_error_beside_it_and_saves_nothing(
    qtbot: QtBot, opened: tuple[TriageScreen, uuid.UUID], store: LocalStore
) -> None:
    screen, visit_id = opened
    type_reading(qtbot, screen, "temperature_c", "3")
    type_reading(qtbot, screen, "pulse_bpm", "80")
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)

    error = screen.vitals.rows["temperature_c"].error
    assert error.isVisible()
    assert "Temperature 3 °C is impossible" in error.text()
    assert screen.vitals.flag_shown("temperature_c") == ""
    assert QApplication.focusWidget() is field(screen, "temperature_c")
    qtbot.wait(100)
    assert triage_count(store, visit_id) == 0
    assert visit_status(store, visit_id) == VisitStatus.REGISTERED

    type_reading(qtbot, screen, "temperature_c", "37")
    assert not error.isVisible()


def test_diastolic_above_systolic_is_refused_beside_diastolic(
    qtbot: QtBot, opened: tuple[TriageScreen, uuid.UUID], store: LocalStore
) -> None:
    screen, visit_id = opened
    type_reading(qtbot, screen, "systolic_mmhg", "80")
    type_reading(qtbot, screen, "diastolic_mmhg", "120")
    qtbot.keyClick(screen, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert "must be below systolic" in screen.vitals.error_text("diastolic_mmhg")
    qtbot.wait(100)
    assert triage_count(store, visit_id) == 0


def test_critical_reading_saved_after_confirmation(
    qtbot: QtBot,
    opened: tuple[TriageScreen, uuid.UUID],
    store: LocalStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    screen, visit_id = opened
    type_reading(qtbot, screen, "temperature_c", "41")
    type_reading(qtbot, screen, "pulse_bpm", "88")
    type_reading(qtbot, screen, "spo2_percent", "85")
    screen.notes.setFocus()
    qtbot.keyClicks(screen.notes, "Rigors since morning")

    saves: list[bool] = []
    monkeypatch.setattr(screen.ctx, "saved", lambda: saves.append(True))
    seen = answer_dialog("Save critical readings")
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)

    assert seen and "Temperature 41 °C — Critical high" in seen[0]
    assert "SpO2 85% — Critical low" in seen[0]
    assert "Pulse" not in seen[0]
    qtbot.waitUntil(lambda: screen.waiting.banner.isVisible())
    assert "Vitals saved for Mary Otieno" in screen.waiting.banner.text()
    assert screen.stack.currentWidget() is screen.waiting
    assert saves == [True]  # sync is told
    assert visit_status(store, visit_id) == VisitStatus.TRIAGED
    with store.session() as session:
        saved = session.scalars(select(Triage).where(Triage.visit_id == visit_id)).one()
        assert saved.temperature_c == 41 and saved.pulse_bpm == 88
        assert saved.critical_confirmed and saved.notes == "Rigors since morning"
    qtbot.waitUntil(lambda: "Mary Otieno" not in screen.waiting.patient_names())


def test_critical_reading_not_confirmed_saves_nothing(
    qtbot: QtBot, opened: tuple[TriageScreen, uuid.UUID], store: LocalStore
) -> None:
    screen, visit_id = opened
    type_reading(qtbot, screen, "temperature_c", "41")
    seen = answer_dialog("Go back and check")
    qtbot.keyClick(
        field(screen, "temperature_c"), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier
    )
    assert seen
    qtbot.wait(100)
    assert triage_count(store, visit_id) == 0
    assert visit_status(store, visit_id) == VisitStatus.REGISTERED
    assert screen.stack.currentWidget() is screen.visit_page
    assert field(screen, "temperature_c").text() == "41"


def test_normal_vitals_save_with_ctrl_s_and_show_read_only_when_reopened(
    qtbot: QtBot, opened: tuple[TriageScreen, uuid.UUID], store: LocalStore
) -> None:
    screen, visit_id = opened
    type_reading(qtbot, screen, "temperature_c", "38.1")
    type_reading(qtbot, screen, "weight_kg", "64.5")
    qtbot.keyClick(field(screen, "weight_kg"), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: screen.stack.currentWidget() is screen.waiting)
    assert visit_status(store, visit_id) == VisitStatus.TRIAGED

    screen.open_visit(visit_id)
    qtbot.waitUntil(lambda: screen.recorded.isVisible())
    assert screen.recorded.cell_text("temperature_c") == "38.1  High"
    assert screen.recorded.cell_text("weight_kg") == "64.5"
    assert screen.header.status.text() == "Triaged"
    assert field(screen, "temperature_c").text() == ""


def test_escape_goes_back_to_the_list_and_asks_before_losing_readings(
    qtbot: QtBot, opened: tuple[TriageScreen, uuid.UUID]
) -> None:
    screen, _ = opened
    type_reading(qtbot, screen, "pulse_bpm", "72")
    seen = answer_dialog("Keep editing")
    qtbot.keyClick(field(screen, "pulse_bpm"), Qt.Key.Key_Escape)
    assert seen and "Discard what you typed for Mary Otieno?" in seen[0]
    assert screen.stack.currentWidget() is screen.visit_page

    field(screen, "pulse_bpm").clear()
    reactivate(qtbot, screen)
    qtbot.keyClick(field(screen, "pulse_bpm"), Qt.Key.Key_Escape)
    assert screen.stack.currentWidget() is screen.waiting
    qtbot.waitUntil(lambda: screen.waiting.patient_names() == ["Mary Otieno"])


def test_tab_moves_through_the_vitals_in_order(
    qtbot: QtBot, opened: tuple[TriageScreen, uuid.UUID]
) -> None:
    screen, _ = opened
    names = list(screen.vitals.rows)
    field(screen, names[0]).setFocus()
    for name in names[1:]:
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        assert QApplication.focusWidget() is field(screen, name)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is screen.notes
