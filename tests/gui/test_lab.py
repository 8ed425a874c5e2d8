"""The lab screen, driven as a lab technician uses it: today's worklist,
a test's form with its unit and the patient's normal range, values flagged
as they are typed, refusals under their field, saving; and the critical
result as the clinician then sees it, in the queue and in the consultation."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from clinic.actor import Actor
from clinic.clock import clinic_today
from clinic.enums import Role, Sex, VisitStatus
from clinic.lab.models import LabResult
from clinic.org.models import Branch
from clinic.store import LocalStore
from desktop.main_window import MainWindow
from desktop.screens.consultation import ConsultationScreen
from desktop.screens.lab import LabScreen
from desktop.screens.queue.screen import QueueScreen
from tests.conftest import make_actor
from tests.gui.conftest import MakeContext, shown
from tests.lab_data import (
    CLINICIAN,
    TECHNICIAN,
    add_user,
    visit_status,
    waiting_for_lab,
)


@pytest.fixture
def actors(store: LocalStore, branch: Branch) -> dict[Role, Actor]:
    actors = {role: make_actor(store, branch, role) for role in Role}
    add_user(store, actors[Role.CLINICAL_OFFICER], CLINICIAN)
    return actors


def lab_screen(qtbot: QtBot, make_context: MakeContext, store: LocalStore) -> LabScreen:
    ctx = make_context(Role.LAB_TECHNICIAN, TECHNICIAN)
    add_user(store, ctx.actor(), TECHNICIAN)
    screen = shown(qtbot, LabScreen(ctx))
    return screen


def rows(screen: LabScreen) -> list[list[str]]:
    model = screen.model
    return [
        [str(model.index(r, c).data()) for c in range(model.columnCount())]
        for r in range(model.rowCount())
    ]


def pick(qtbot: QtBot, screen: LabScreen, row: int) -> None:
    screen.table.selectRow(row)
    qtbot.waitUntil(lambda: screen.detail.isVisible() and bool(screen.form.rows))


def edit(screen: LabScreen, code: str) -> QLineEdit:
    found = screen.form.findChild(QLineEdit, code)
    assert found is not None
    return found


def label(screen: LabScreen, name: str) -> QLabel:
    found = screen.form.findChild(QLabel, name)
    assert found is not None
    return found


def tmp_settings(store: LocalStore) -> Path:
    return Path(store.path).parent / "settings.ini"


def results_count(store: LocalStore) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(LabResult)) or 0)


def test_the_worklist_lists_todays_tests_oldest_first_with_patient_and_clinician(
    qtbot: QtBot, make_context: MakeContext, store: LocalStore, actors: dict[Role, Actor]
) -> None:
    today = clinic_today()
    waiting_for_lab(store, actors, ["Malaria RDT", "Hb"], day=today, name=("Mary", "Otieno"))
    waiting_for_lab(store, actors, ["Urinalysis"], day=today, name=("Juma", "Mwangi"))
    screen = lab_screen(qtbot, make_context, store)
    qtbot.waitUntil(lambda: screen.model.rowCount() == 3)
    table = rows(screen)
    assert [(r[2], r[4], r[5], r[6]) for r in table] == [
        ("Mary Otieno", "Malaria RDT", CLINICIAN, "To do"),
        ("Mary Otieno", "Hb", CLINICIAN, "To do"),
        ("Juma Mwangi", "Urinalysis", CLINICIAN, "To do"),
    ]
    assert screen.summary.text() == "3 test(s) waiting"
    assert not screen.detail.isVisible()


def test_a_critical_haemoglobin_is_flagged_as_typed_saved_and_sends_the_visit_back(
    qtbot: QtBot, make_context: MakeContext, store: LocalStore, actors: dict[Role, Actor]
) -> None:
    visit = waiting_for_lab(store, actors, ["Haemoglobin (Hb)"], day=clinic_today(), sex=Sex.MALE)
    screen = lab_screen(qtbot, make_context, store)
    qtbot.waitUntil(lambda: screen.model.rowCount() == 1)
    pick(qtbot, screen, 0)
    assert "Mary Otieno" in screen.patient.text() and "Male" in screen.patient.text()
    assert label(screen, "hb_range").text() == "13.5\N{EN DASH}17.5"
    assert any(w.text() == "g/dL" for w in screen.form.findChildren(QLabel))

    hb = edit(screen, "hb")
    qtbot.keyClicks(hb, "14.2")
    assert label(screen, "hb_flag").text() == "Normal"
    hb.clear()
    qtbot.keyClicks(hb, "6.2")
    assert label(screen, "hb_flag").text() == "Critical low"
    assert "#c62828" in hb.styleSheet()

    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.message.isVisible())
    assert "Critical result: Haemoglobin 6.2 g/dL" in screen.message.text()
    assert results_count(store) == 1
    assert visit_status(store, visit.id) == VisitStatus.IN_CONSULTATION
    qtbot.waitUntil(lambda: screen.model.rowCount() == 0)
    assert screen.entered.text().startswith(f"Entered by {TECHNICIAN} at ")

    screen.show_done.setChecked(True)
    qtbot.waitUntil(lambda: screen.model.rowCount() == 1)
    assert rows(screen)[0][6] == "Critical result"


def test_an_impossible_value_is_refused_under_its_field_and_nothing_is_written(
    qtbot: QtBot, make_context: MakeContext, store: LocalStore, actors: dict[Role, Actor]
) -> None:
    visit = waiting_for_lab(store, actors, ["Urinalysis"], day=clinic_today())
    screen = lab_screen(qtbot, make_context, store)
    qtbot.waitUntil(lambda: screen.model.rowCount() == 1)
    pick(qtbot, screen, 0)
    qtbot.keyClicks(edit(screen, "ph"), "14")
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: label(screen, "ph_error").isVisible())
    assert "pH 14 is impossible" in label(screen, "ph_error").text()
    assert label(screen, "protein_error").text() == "Enter the protein"
    assert not label(screen, "microscopy_error").isVisible()
    assert results_count(store) == 0
    assert visit_status(store, visit.id) == VisitStatus.WAITING_LAB


def test_a_coded_result_is_chosen_and_an_abnormal_one_marked(
    qtbot: QtBot, make_context: MakeContext, store: LocalStore, actors: dict[Role, Actor]
) -> None:
    visit = waiting_for_lab(store, actors, ["Malaria RDT"], day=clinic_today())
    screen = lab_screen(qtbot, make_context, store)
    qtbot.waitUntil(lambda: screen.model.rowCount() == 1)
    pick(qtbot, screen, 0)
    combo = screen.form.findChild(QComboBox, "result")
    assert combo is not None
    assert [combo.itemText(i) for i in range(1, combo.count())] == [
        "Negative",
        "Positive",
        "Invalid",
    ]
    combo.setCurrentIndex(combo.findData("POSITIVE"))
    assert label(screen, "result_flag").text() == "Abnormal"
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.message.isVisible())
    assert screen.message.text() == "Results saved. The visit went back to the clinician."
    assert visit_status(store, visit.id) == VisitStatus.IN_CONSULTATION


def test_the_clinician_sees_a_critical_result_in_the_queue_and_beside_the_request(
    qtbot: QtBot,
    make_context: MakeContext,
    store: LocalStore,
    actors: dict[Role, Actor],
) -> None:
    today = clinic_today()
    visit = waiting_for_lab(store, actors, ["Random blood sugar (RBS)", "Malaria RDT"], day=today)
    calm = waiting_for_lab(store, actors, ["Hb"], day=today, name=("Juma", "Mwangi"))
    screen = lab_screen(qtbot, make_context, store)
    qtbot.waitUntil(lambda: screen.model.rowCount() == 3)
    pick(qtbot, screen, 0)
    qtbot.keyClicks(edit(screen, "glucose"), "2.1")
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.model.rowCount() == 2)

    clinician = make_context(Role.CLINICAL_OFFICER, CLINICIAN)
    queue = shown(qtbot, QueueScreen(clinician))
    qtbot.waitUntil(lambda: queue.model.rowCount() == 2)
    statuses = {
        queue.model.entries[r].visit_id: str(queue.model.index(r, 5).data())
        for r in range(queue.model.rowCount())
    }
    assert "critical lab result" in statuses[visit.id]
    assert "critical lab result" not in statuses[calm.id]

    consultation = shown(qtbot, ConsultationScreen(clinician))
    consultation.open_visit(visit.id)
    beside = consultation.findChild(QLabel, "lab_results")
    assert beside is not None
    qtbot.waitUntil(lambda: beside.isVisible())
    text = beside.text()
    assert "Random blood sugar (RBS)" in text and "Critical" in text
    assert "Glucose 2.1 mmol/L (Critical low)" in text
    assert "Malaria RDT</b>: <i>waiting for the lab</i>" in text


def test_the_lab_opens_a_visit_from_the_queue_at_its_first_test_to_do(
    qtbot: QtBot, make_context: MakeContext, store: LocalStore, actors: dict[Role, Actor]
) -> None:
    today = clinic_today()
    waiting_for_lab(store, actors, ["Hb"], day=today)
    second = waiting_for_lab(store, actors, ["Widal test"], day=today, name=("Juma", "Mwangi"))
    ctx = make_context(Role.LAB_TECHNICIAN, TECHNICIAN)
    window = MainWindow(ctx, QSettings(str(tmp_settings(store)), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    queue = window.show_screen("queue")
    assert isinstance(queue, QueueScreen)
    qtbot.waitUntil(lambda: queue.model.rowCount() == 2)
    queue.table.selectRow(
        next(r for r, e in enumerate(queue.model.entries) if e.visit_id == second.id)
    )
    queue.open_selected()
    lab = window.current_screen()
    assert isinstance(lab, LabScreen)
    qtbot.waitUntil(lambda: lab.detail.isVisible() and bool(lab.form.rows))
    assert "Widal test" in lab.test.text() and "Juma Mwangi" in lab.patient.text()


def test_an_admin_sets_a_tests_ranges_in_the_catalogue_tab_and_the_lab_flags_by_them(
    qtbot: QtBot, make_context: MakeContext, store: LocalStore, actors: dict[Role, Actor]
) -> None:
    technician = lab_screen(qtbot, make_context, store)
    assert technician.catalogue is None
    admin = shown(qtbot, LabScreen(make_context(Role.ADMIN, "Peter Mwangi")))
    assert admin.catalogue is not None
    panel = admin.catalogue
    admin.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: panel.tests.count() > 10)
    row = next(r for r in range(panel.tests.count()) if "LAB-RBS" in panel.tests.item(r).text())
    panel.tests.setCurrentRow(row)
    assert '"normal_high": 7.8' in panel.editor.toPlainText()

    panel.editor.setPlainText(
        panel.editor.toPlainText().replace('"normal_high": 7.8', '"normal_high": ')
    )
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    assert panel.message.isVisible() and panel.message.text().startswith("Line ")

    panel.editor.setPlainText(
        panel.editor.toPlainText().replace('"normal_high": ', '"normal_high": "high"')
    )
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "normal_high" in panel.message.text())
    assert panel.message.text() == "test.fields[0].bands[0].normal_high: write a number"

    panel.editor.setPlainText(
        panel.editor.toPlainText().replace('"normal_high": "high"', '"normal_high": 11.1')
    )
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.message.text().startswith("Saved LAB-RBS"))
    assert "LAB-RBS  (clinic's version)" in panel.tests.currentItem().text()

    visit = waiting_for_lab(store, actors, ["RBS"], day=clinic_today())
    technician.refresh()
    qtbot.waitUntil(lambda: technician.model.rowCount() == 1)
    pick(qtbot, technician, 0)
    assert label(technician, "glucose_range").text() == "3.9\N{EN DASH}11.1"
    qtbot.keyClicks(edit(technician, "glucose"), "9.5")
    assert label(technician, "glucose_flag").text() == "Normal"
    assert visit_status(store, visit.id) == VisitStatus.WAITING_LAB
