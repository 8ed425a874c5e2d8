"""The Patients screen, driven as reception drives it: typing into the real
widgets (offscreen) on a real local store, and checking what the screen
shows: cell texts, labels, the errors under the fields."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QTableView, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from clinic.actor import Actor
from clinic.billing.models import Invoice
from clinic.enums import InvoiceStatus, Role, Sex, VisitStatus
from clinic.numbering.service import add_lease
from clinic.org.models import Branch
from clinic.patients import importer
from clinic.patients.models import Patient
from clinic.patients.service import PatientDetails, register_patient, update_patient
from clinic.rules.numbers import NumberKind
from clinic.store import LocalStore
from clinic.visits.models import Diagnosis, Visit
from desktop.app import apply_style
from desktop.context import AppContext
from desktop.screens.patients import PatientsScreen
from desktop.screens.patients.register import PatientDialog
from desktop.screens.patients.screen import (
    GIVING_WAY,
    NAME_COLUMN,
    OP_COLUMN,
    SEX_COLUMN,
    SHA_COLUMN,
    WIDEST_OP_NUMBER,
)
from tests.conftest import make_actor
from tests.gui.conftest import MakeContext

WAIT_MS = 5000
AGE_COLUMN = 3


# --- helpers -----------------------------------------------------------------


@pytest.fixture
def reception(store: LocalStore, branch: Branch) -> Actor:
    """A receptionist actor with a leased block of OP numbers."""
    with store.write() as session:
        add_lease(session, store.device_id, NumberKind.OP, date.today().year, 1, 1000)
    return make_actor(store, branch, Role.RECEPTIONIST)


def register(store: LocalStore, actor: Actor, today: date, **details: Any) -> Patient:
    with store.write() as session:
        return register_patient(
            PatientDetails(**details), session=session, actor=actor, today=today
        ).patient


def patient_count(store: LocalStore) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(Patient)) or 0)


def open_screen(qtbot: QtBot, ctx: AppContext, height: int = 700, **kwargs: Any) -> PatientsScreen:
    screen = PatientsScreen(ctx, **kwargs)
    qtbot.addWidget(screen)
    screen.resize(1200, height)
    screen.show()
    qtbot.waitExposed(screen)
    screen.activateWindow()
    qtbot.waitUntil(screen.isActiveWindow, timeout=WAIT_MS)
    return screen


def rows(view: QTableView) -> list[list[str]]:
    """The cell texts of a table view, as shown."""
    model = view.model()
    return [
        [str(model.index(r, c).data() or "") for c in range(model.columnCount())]
        for r in range(model.rowCount())
    ]


def names(view: QTableView) -> list[str]:
    return [row[1] for row in rows(view)]


def search(qtbot: QtBot, screen: PatientsScreen, text: str) -> None:
    """Type ``text`` into an emptied search box and wait for its answer."""
    screen.search_box.clear()
    with qtbot.waitSignal(screen.sig_search_done, timeout=WAIT_MS):
        qtbot.keyClicks(screen.search_box, text)


def new_dialog(qtbot: QtBot, screen: PatientsScreen) -> PatientDialog:
    qtbot.mouseClick(screen.new_button, Qt.MouseButton.LeftButton)
    dialog = screen.dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    return dialog


def visible_dialogs() -> list[QWidget]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, PatientDialog)]


# --- searching ---------------------------------------------------------------


def test_search_as_you_type_by_name_op_number_and_phone(
    qtbot: QtBot, make_context: MakeContext, store: LocalStore, reception: Actor
) -> None:
    ctx = make_context(Role.RECEPTIONIST)
    today = ctx.today()
    grace = register(
        store,
        reception,
        today,
        first_name="Grace",
        last_name="Wambui",
        sex=Sex.FEMALE,
        age="27yrs",
        phone="0722114455",
        residence="Limuru",
    )
    register(store, reception, today, first_name="Peter", last_name="Kimani", phone="0733221908")
    screen = open_screen(qtbot, ctx)

    search(qtbot, screen, "wamb")
    assert names(screen.table) == ["Grace Wambui"]
    assert rows(screen.table)[0][:6] == [
        grace.op_number,
        "Grace Wambui",
        "Female",
        "~27 y",
        "0722 114 455",
        "Limuru",
    ]
    assert screen.status.text() == "1 patient found"

    serial = grace.op_number.split("-")[2]  # "000001"
    search(qtbot, screen, serial)
    assert names(screen.table) == ["Grace Wambui"]

    search(qtbot, screen, "114455")
    assert names(screen.table) == ["Grace Wambui"]

    search(qtbot, screen, "nobody")
    assert names(screen.table) == []
    assert screen.status.text() == "0 patients found. Ctrl+N registers a new patient."


def test_one_character_asks_for_more(
    qtbot: QtBot, make_context: MakeContext, store: LocalStore, reception: Actor
) -> None:
    ctx = make_context()
    register(store, reception, ctx.today(), first_name="Grace")
    screen = open_screen(qtbot, ctx)
    qtbot.waitUntil(lambda: names(screen.table) == ["Grace"], timeout=WAIT_MS)

    qtbot.keyClicks(screen.search_box, "g")
    qtbot.waitUntil(lambda: screen.status.text() == "Type at least 2 characters", timeout=WAIT_MS)
    assert rows(screen.table) == []


def test_empty_query_lists_patients_a_page_at_a_time(
    qtbot: QtBot, make_context: MakeContext, store: LocalStore, reception: Actor
) -> None:
    ctx = make_context()
    first_names = [f"Patient{chr(ord('a') + i // 26)}{chr(ord('a') + i % 26)}" for i in range(25)]
    with store.write() as session:
        for first_name in first_names:
            register_patient(
                PatientDetails(first_name=first_name, last_name="Otieno"),
                session=session,
                actor=reception,
                today=ctx.today(),
            )
    screen = open_screen(qtbot, ctx, height=300, page_size=10)

    qtbot.waitUntil(lambda: screen.model.rowCount() == 10, timeout=WAIT_MS)
    assert names(screen.table) == [f"{n} Otieno" for n in first_names[:10]]
    assert screen.model.canFetchMore()

    screen.table.scrollToBottom()
    qtbot.waitUntil(lambda: screen.model.rowCount() == 20, timeout=WAIT_MS)
    assert names(screen.table)[10:] == [f"{n} Otieno" for n in first_names[10:20]]

    screen.table.scrollToBottom()
    qtbot.waitUntil(lambda: screen.model.rowCount() == 25, timeout=WAIT_MS)
    assert not screen.model.canFetchMore()
    assert names(screen.table)[-1] == f"{first_names[-1]} Otieno"


def test_changes_from_other_pcs_show_in_the_list_without_losing_the_place(
    qtbot: QtBot, make_context: MakeContext, store: LocalStore, reception: Actor
) -> None:
    ctx = make_context()
    first_names = [f"Patient{chr(ord('a') + i // 26)}{chr(ord('a') + i % 26)}" for i in range(25)]
    with store.write() as session:
        patients = [
            register_patient(
                PatientDetails(first_name=first_name, last_name="Otieno", residence="Kayole"),
                session=session,
                actor=reception,
                today=ctx.today(),
            ).patient
            for first_name in first_names
        ]
    screen = open_screen(qtbot, ctx, height=300, page_size=10)
    while screen.model.rowCount() < 25:
        screen.table.scrollToBottom()
        qtbot.waitUntil(lambda: not screen.model.loading, timeout=WAIT_MS)
    screen.table.selectRow(20)
    screen.table.scrollTo(screen.model.index(15, 0), QTableView.ScrollHint.PositionAtTop)
    qtbot.waitUntil(lambda: screen.table.verticalScrollBar().value() > 0, timeout=WAIT_MS)
    scrolled = screen.table.verticalScrollBar().value()
    blanked: list[int] = []
    screen.model.modelReset.connect(lambda: blanked.append(screen.model.rowCount()))

    with store.write() as session:  # as a pull writes them
        update_patient(
            patients[18].id, {"residence": "Ruai"}, session=session, actor=reception,
            today=ctx.today(),
        )  # fmt: skip
        register_patient(
            PatientDetails(first_name="Achieng", last_name="Otieno"),
            session=session, actor=reception, today=ctx.today(),
        )  # fmt: skip
    screen.refresh()

    qtbot.waitUntil(lambda: screen.model.rowCount() == 26, timeout=WAIT_MS)
    shown = rows(screen.table)
    assert shown[-1][1] == "Achieng Otieno"
    assert [row[5] for row in shown[17:20]] == ["Kayole", "Ruai", "Kayole"]
    assert screen.table.currentIndex().row() == 20
    assert screen.table.verticalScrollBar().value() == scrolled
    assert blanked == []

    search(qtbot, screen, "Patientas")
    assert names(screen.table)[0] == "Patientas Otieno"
    blanked.clear()
    with store.write() as session:
        update_patient(
            patients[18].id, {"phone": "0711908877"}, session=session, actor=reception,
            today=ctx.today(),
        )  # fmt: skip
    with qtbot.waitSignal(screen.sig_search_done, timeout=WAIT_MS):
        screen.refresh()
    assert rows(screen.table)[0][4] == "0711 908 877"
    assert blanked == []


def test_enter_in_the_search_box_opens_the_patient_and_esc_returns(
    qtbot: QtBot, make_context: MakeContext, store: LocalStore, reception: Actor
) -> None:
    ctx = make_context()
    register(store, reception, ctx.today(), first_name="Grace", last_name="Wambui")
    screen = open_screen(qtbot, ctx)
    search(qtbot, screen, "grace")

    with qtbot.waitSignal(screen.sig_patient_opened, timeout=WAIT_MS):
        qtbot.keyClick(screen.search_box, Qt.Key.Key_Return)
    page = screen.page
    assert page is not None
    qtbot.waitUntil(lambda: page.name_label.text() == "Grace Wambui", timeout=WAIT_MS)
    assert page.isVisible() and not screen.table.isVisible()

    qtbot.keyClick(page, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: screen.table.isVisible(), timeout=WAIT_MS)
    assert screen.search_box.hasFocus()


def test_enter_typed_straight_after_an_op_number_opens_that_patient(
    qtbot: QtBot, make_context: MakeContext, store: LocalStore, reception: Actor
) -> None:
    ctx = make_context()
    register(store, reception, ctx.today(), first_name="Grace")
    peter = register(store, reception, ctx.today(), first_name="Peter")
    screen = open_screen(qtbot, ctx)

    with qtbot.waitSignal(screen.sig_patient_opened, timeout=WAIT_MS) as opened:
        qtbot.keyClicks(screen.search_box, peter.op_number)
        qtbot.keyClick(screen.search_box, Qt.Key.Key_Return)
    assert opened.args == [peter.id]
    page = screen.page
    assert page is not None
    qtbot.waitUntil(lambda: page.name_label.text() == "Peter", timeout=WAIT_MS)


def test_enter_on_a_row_asks_the_navigator_to_open_the_patient(
    qtbot: QtBot, make_context: MakeContext, store: LocalStore, reception: Actor
) -> None:
    opened: list[uuid.UUID] = []

    class Navigator:
        def has_screen(self, key: str) -> bool:
            return key == "patients"

        def open_screen(self, key: str) -> None: ...

        def open_patient(self, patient_id: uuid.UUID) -> None:
            opened.append(patient_id)

        def open_visit(self, screen_key: str, visit_id: uuid.UUID) -> None: ...

        def show_message(self, text: str, seconds: int = 5) -> None: ...

    ctx = make_context()
    ctx.navigator = Navigator()
    grace = register(store, reception, ctx.today(), first_name="Grace")
    screen = open_screen(qtbot, ctx)
    search(qtbot, screen, "grace")

    qtbot.keyClick(screen.search_box, Qt.Key.Key_Down)
    assert screen.table.hasFocus()
    qtbot.keyClick(screen.table, Qt.Key.Key_Return)
    assert opened == [grace.id]


# --- registering -------------------------------------------------------------


def test_bad_phone_and_no_first_name_are_shown_under_their_fields(
    qtbot: QtBot, make_context: MakeContext, store: LocalStore
) -> None:
    screen = open_screen(qtbot, make_context())
    dialog = new_dialog(qtbot, screen)
    qtbot.keyClicks(dialog.last_name, "Otieno")
    qtbot.keyClicks(dialog.phone, "7139876")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: dialog.error_text("phone") != "", timeout=WAIT_MS)
    assert dialog.error_text("phone") == (
        "7139876 has 7 digits; a Kenyan number has 9 after the leading 0"
        " (07xx xxx xxx or 01xx xxx xxx)"
    )
    assert dialog.error_text("first_name") == "A first name is needed"
    assert dialog.error_text("last_name") == ""
    assert dialog.isVisible()
    assert dialog.first_name.hasFocus()
    assert patient_count(store) == 0


def test_bad_age_is_shown_under_the_age(
    qtbot: QtBot, make_context: MakeContext, store: LocalStore
) -> None:
    screen = open_screen(qtbot, make_context())
    dialog = new_dialog(qtbot, screen)
    qtbot.keyClicks(dialog.first_name, "Samuel")
    qtbot.keyClicks(dialog.age, "7 parsecs")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: dialog.error_text("age") != "", timeout=WAIT_MS)
    assert "'parsecs' is not understood" in dialog.error_text("age")
    assert patient_count(store) == 0


def test_registering_a_new_patient_shows_the_op_number(
    qtbot: QtBot, make_context: MakeContext, store: LocalStore, reception: Actor
) -> None:
    ctx = make_context()
    screen = open_screen(qtbot, ctx)
    dialog = new_dialog(qtbot, screen)
    qtbot.keyClicks(dialog.first_name, "amina")
    qtbot.keyClicks(dialog.last_name, "Hassan")
    dialog.sex.setCurrentIndex(dialog.sex.findText("Female"))
    qtbot.keyClicks(dialog.age, "33yrs")
    qtbot.keyClicks(dialog.phone, "0712 345 678")
    qtbot.keyClicks(dialog.residence, "Tigoni")
    qtbot.keyClick(dialog.residence, Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: screen.page is not None, timeout=WAIT_MS)
    page = screen.page
    assert page is not None
    qtbot.waitUntil(lambda: page.name_label.text() == "Amina Hassan", timeout=WAIT_MS)
    assert not dialog.isVisible()
    op_number = page.detail_text("op_number")
    assert op_number.startswith(f"OP-{ctx.today().year}-000001-")
    assert page.message.text() == f"Registered Amina Hassan with OP number {op_number}."
    assert page.detail_text("age") == "~33 y"
    assert page.detail_text("date_of_birth").endswith("(estimated)")
    assert page.detail_text("phone") == "0712 345 678"
    assert patient_count(store) == 1


def test_a_shared_phone_shows_the_duplicate_and_opens_it_instead(
    qtbot: QtBot, make_context: MakeContext, store: LocalStore, reception: Actor
) -> None:
    ctx = make_context()
    grace = register(
        store, reception, ctx.today(), first_name="Grace", last_name="Wambui", phone="0722114455"
    )
    screen = open_screen(qtbot, ctx)
    dialog = new_dialog(qtbot, screen)
    qtbot.keyClicks(dialog.first_name, "Mary")
    qtbot.keyClicks(dialog.phone, "722 114 455")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(dialog.duplicates_box.isVisible, timeout=WAIT_MS)
    assert dialog.duplicate_rows() == [
        ["Grace Wambui", grace.op_number, "", "0722 114 455", "same phone"]
    ]
    assert dialog.message.text().startswith("Nothing is registered yet.")
    assert patient_count(store) == 1

    with qtbot.waitSignal(screen.sig_patient_opened, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.open_instead, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    page = screen.page
    assert page is not None
    qtbot.waitUntil(lambda: page.detail_text("op_number") == grace.op_number, timeout=WAIT_MS)
    assert page.name_label.text() == "Grace Wambui"
    assert patient_count(store) == 1


def test_register_anyway_registers_despite_the_duplicate(
    qtbot: QtBot, make_context: MakeContext, store: LocalStore, reception: Actor
) -> None:
    ctx = make_context()
    register(store, reception, ctx.today(), first_name="Grace", phone="0722114455")
    screen = open_screen(qtbot, ctx)
    dialog = new_dialog(qtbot, screen)
    qtbot.keyClicks(dialog.first_name, "Mary")
    qtbot.keyClicks(dialog.phone, "0722114455")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.duplicates_box.isVisible, timeout=WAIT_MS)

    qtbot.mouseClick(dialog.register_anyway, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.page is not None, timeout=WAIT_MS)
    page = screen.page
    assert page is not None
    qtbot.waitUntil(lambda: page.name_label.text() == "Mary", timeout=WAIT_MS)
    assert page.detail_text("phone") == "0722 114 455"
    assert patient_count(store) == 2


def test_edit_changes_only_the_changed_field(
    qtbot: QtBot, make_context: MakeContext, store: LocalStore, reception: Actor
) -> None:
    ctx = make_context()
    grace = register(
        store,
        reception,
        ctx.today(),
        first_name="Grace",
        last_name="Wambui",
        phone="0722114455",
        residence="Limuru",
    )
    screen = open_screen(qtbot, ctx)
    screen.open_patient(grace.id)
    page = screen.page
    assert page is not None
    qtbot.waitUntil(lambda: page.detail_text("residence") == "Limuru", timeout=WAIT_MS)

    qtbot.mouseClick(page.edit_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    assert dialog.phone.text() == "0722 114 455"
    dialog.residence.clear()
    qtbot.keyClicks(dialog.residence, "Tigoni")
    assert dialog.changes() == {"residence": "Tigoni"}
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: page.detail_text("residence") == "Tigoni", timeout=WAIT_MS)
    assert page.message.text() == "Saved."
    assert page.detail_text("phone") == "0722 114 455"
    with store.session() as session:
        saved = session.get(Patient, grace.id)
        assert saved is not None
        assert (saved.residence, saved.phone) == ("Tigoni", "+254722114455")


def test_an_edit_with_a_bad_phone_is_refused_under_the_field(
    qtbot: QtBot, make_context: MakeContext, store: LocalStore, reception: Actor
) -> None:
    ctx = make_context()
    grace = register(store, reception, ctx.today(), first_name="Grace", phone="0722114455")
    screen = open_screen(qtbot, ctx)
    screen.open_patient(grace.id)
    page = screen.page
    assert page is not None
    qtbot.waitUntil(lambda: page.data is not None, timeout=WAIT_MS)
    page.edit()
    dialog = page.dialog
    assert dialog is not None
    dialog.phone.clear()
    qtbot.keyClicks(dialog.phone, "12345")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: dialog.error_text("phone") != "", timeout=WAIT_MS)
    assert "12345" in dialog.error_text("phone")
    with store.session() as session:
        saved = session.get(Patient, grace.id)
        assert saved is not None and saved.phone == "+254722114455"


# --- the patient page ----------------------------------------------------------


def _patient_with_history(store: LocalStore, reception: Actor, branch: Branch) -> Patient:
    today = date.today()
    patient = register(
        store,
        reception,
        today,
        first_name="Halima",
        last_name="Abdi",
        sex=Sex.FEMALE,
        date_of_birth=date(1990, 3, 12),
        national_id="12345678",
        sha_number="SHA-12345",
        sha_principal_number="SHA-99999",
        residence="Kamandura",
        next_of_kin_name="Ali Abdi",
        next_of_kin_phone="0733221908",
        next_of_kin_relationship="husband",
        legacy_number="015/25",
        flagged_fields=["phone"],
    )
    issued = datetime.now(UTC)
    with store.write() as session:
        visit = Visit(
            patient_id=patient.id,
            branch_id=branch.id,
            visit_date=date(2026, 3, 2),
            is_new=True,
            status=VisitStatus.COMPLETED,
        )
        session.add(visit)
        session.flush()
        session.add(
            Diagnosis(visit_id=visit.id, code_system="ICD-10", code="B54", description="Malaria")
        )
        for total, paid, status in (
            (150_000, 25_000, InvoiceStatus.PARTIALLY_PAID),
            (10_000, 10_000, InvoiceStatus.PAID),
            (99_900, 0, InvoiceStatus.CANCELLED),
        ):
            session.add(
                Invoice(
                    visit_id=visit.id,
                    patient_id=patient.id,
                    branch_id=branch.id,
                    status=status,
                    total_cents=total,
                    paid_cents=paid,
                    issued_at=issued - timedelta(days=1),
                )
            )
    return patient


def test_patient_page_shows_details_balance_and_history(
    qtbot: QtBot, make_context: MakeContext, store: LocalStore, reception: Actor, branch: Branch
) -> None:
    patient = _patient_with_history(store, reception, branch)
    screen = open_screen(qtbot, make_context(Role.CLINICAL_OFFICER))
    screen.open_patient(patient.id)
    page = screen.page
    assert page is not None
    qtbot.waitUntil(lambda: page.data is not None, timeout=WAIT_MS)

    shown = {name: page.detail_text(name) for name in page.detail_labels}
    assert shown["op_number"] == patient.op_number
    assert shown["legacy_number"] == "015/25"
    assert shown["sex"] == "Female"
    assert shown["date_of_birth"] == "12/03/1990"
    assert shown["national_id"] == "12345678"
    assert shown["sha_number"] == "SHA-12345"
    assert shown["sha_principal_number"] == "SHA-99999"
    assert shown["next_of_kin_name"] == "Ali Abdi"
    assert shown["next_of_kin_phone"] == "0733 221 908"
    assert shown["phone"] == "not given — needs checking"
    assert page.balance_label.text() == "KES 1,250.00"
    assert page.visit_headers() == ["Date", "New / revisit", "Status", "Diagnoses"]
    assert page.visit_rows() == [["02/03/2026", "New", "Completed", "B54"]]
    assert not page.edit_button.isVisible()
    assert not page.open_visit_button.isVisible()


def test_a_cashier_does_not_see_diagnoses(
    qtbot: QtBot, make_context: MakeContext, store: LocalStore, reception: Actor, branch: Branch
) -> None:
    patient = _patient_with_history(store, reception, branch)
    screen = open_screen(qtbot, make_context(Role.CASHIER))
    screen.open_patient(patient.id)
    page = screen.page
    assert page is not None
    qtbot.waitUntil(lambda: page.data is not None, timeout=WAIT_MS)

    assert page.visit_headers() == ["Date", "New / revisit", "Status"]
    assert page.visit_rows() == [["02/03/2026", "New", "Completed"]]
    assert page.balance_label.text() == "KES 1,250.00"


def test_reception_opens_todays_visit_once(
    qtbot: QtBot, make_context: MakeContext, store: LocalStore, reception: Actor
) -> None:
    ctx = make_context(Role.RECEPTIONIST)
    grace = register(store, reception, ctx.today(), first_name="Grace", last_name="Wambui")
    screen = open_screen(qtbot, ctx)
    screen.open_patient(grace.id)
    page = screen.page
    assert page is not None
    qtbot.waitUntil(lambda: page.data is not None, timeout=WAIT_MS)
    assert page.no_visits.isVisible()

    qtbot.mouseClick(page.open_visit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(page.visit_rows()) == 1, timeout=WAIT_MS)
    assert page.message.text() == "Visit opened: number 1 in today's queue."
    assert page.visit_rows() == [
        [f"{ctx.today():%d/%m/%Y}", "New", "Waiting for triage", ""]
    ]  # no claim

    qtbot.mouseClick(page.open_visit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "already has a visit today" in page.message.text(), timeout=WAIT_MS)
    assert page.message.text() == (
        f"Grace Wambui ({grace.op_number}) already has a visit today; open that one"
    )


# --- roles and keyboard ----------------------------------------------------------


def test_a_nurse_cannot_register_or_import(qtbot: QtBot, make_context: MakeContext) -> None:
    screen = open_screen(qtbot, make_context(Role.NURSE))
    assert not screen.new_button.isVisible()
    assert not screen.import_button.isVisible()
    qtbot.keyClick(screen.search_box, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert visible_dialogs() == []


def test_a_receptionist_sees_new_patient_and_import(
    qtbot: QtBot, make_context: MakeContext
) -> None:
    screen = open_screen(qtbot, make_context(Role.RECEPTIONIST))
    assert screen.new_button.isVisible() and screen.new_button.text() == "New patient"
    assert screen.import_button.isVisible()
    assert screen.search_box.placeholderText() == "Name, OP number, phone, ID or SHA number"


def test_ctrl_f_focuses_search_ctrl_n_opens_the_dialog_and_esc_closes_it(
    qtbot: QtBot, make_context: MakeContext
) -> None:
    screen = open_screen(qtbot, make_context())
    screen.table.setFocus()
    assert not screen.search_box.hasFocus()
    qtbot.keyClick(screen.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert screen.search_box.hasFocus()

    qtbot.keyClick(screen.search_box, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = screen.dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    assert dialog.windowTitle() == "Register a new patient"
    qtbot.waitUntil(dialog.first_name.hasFocus, timeout=WAIT_MS)

    qtbot.keyClick(dialog.first_name, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)


def test_the_register_form_tabs_in_reading_order(qtbot: QtBot, make_context: MakeContext) -> None:
    screen = open_screen(qtbot, make_context())
    dialog = new_dialog(qtbot, screen)
    qtbot.waitUntil(dialog.first_name.hasFocus, timeout=WAIT_MS)
    order = []
    for _ in range(9):
        widget = QApplication.focusWidget()
        order.append(widget.objectName() if widget is not None else "")
        qtbot.keyClick(widget, Qt.Key.Key_Tab)
    assert order == [
        "first_name",
        "middle_name",
        "last_name",
        "sex",
        "dob_unknown",
        "age",
        "phone",
        "residence",
        "national_id",
    ]


# --- importing the paper register ---------------------------------------------------


def _previewed(qtbot: QtBot, screen: PatientsScreen, register_file: Path) -> Any:
    """The screen's import dialog, showing ``register_file``'s preview."""
    qtbot.mouseClick(screen.import_button, Qt.MouseButton.LeftButton)
    dialog = screen.import_dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    with qtbot.waitSignal(dialog.sig_preview_ready, timeout=WAIT_MS):
        dialog.load_file(register_file)
    return dialog


def test_import_previews_problems_then_reports_them(
    qtbot: QtBot, make_context: MakeContext, store: LocalStore, tmp_path: Path
) -> None:
    register_file = tmp_path / "register.csv"
    register_file.write_text(
        "NAME,AGE,RESIDENCE,NUMBER,PHONE NUMBER\n"
        "grace wambui,27yrs,limuru,011/25,722114455\n"
        "samuel otieno,7mhts,manguo,014/25,7139876\n"
        ",12yrs,ndeiya,016/25,0720123456\n",
        encoding="utf-8",
    )
    screen = open_screen(qtbot, make_context())
    dialog = _previewed(qtbot, screen, register_file)
    assert dialog.table_rows(dialog.preview_table)[1] == [
        "3",
        "samuel otieno",
        "7mhts",
        "manguo",
        "014/25",
        "7139876",
    ]
    bad_phone = (
        "7139876 has 7 digits; a Kenyan number has 9 after the leading 0"
        " (07xx xxx xxx or 01xx xxx xxx)"
    )
    assert dialog.table_rows(dialog.problems_table) == [
        ["3", "phone", "7139876", bad_phone, "patient imported without it"],
        ["4", "name", "", "no name given", "row not imported"],
    ]
    assert dialog.problems_box.title() == "Problems found (nothing imported yet)"
    assert dialog.summary_label.text().startswith("Rows: 3  ·  would be imported: 2  ·")
    assert patient_count(store) == 0

    with qtbot.waitSignal(dialog.sig_imported, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert dialog.problems_box.title() == "Import report"
    assert dialog.summary_label.text() == (
        "Rows read: 3  ·  imported: 2  ·  already imported (skipped): 0  ·  rejected: 1"
        "  ·  values flagged for review: 1"
    )
    assert dialog.table_rows(dialog.problems_table)[0] == [
        "3",
        "phone",
        "7139876",
        bad_phone,
        "patient imported without it",
    ]
    assert not dialog.import_button.isEnabled()
    assert patient_count(store) == 2
    qtbot.waitUntil(
        lambda: names(screen.table) == ["Grace Wambui", "Samuel Otieno"], timeout=WAIT_MS
    )


def test_numbers_and_sexes_show_whole_in_the_apps_own_style(
    qtbot: QtBot, make_context: MakeContext, store: LocalStore, reception: Actor
) -> None:
    """Provisional OP numbers (a PC that imported a register shows thousands)
    and "Sex not recorded" fit their columns in the style sheet's font."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_style(app)
    try:
        shown = register(
            store, reception, date(2026, 3, 2), first_name="Wanjiku", last_name="Njenga"
        )
        screen = open_screen(qtbot, make_context(), height=400)
        qtbot.waitUntil(lambda: names(screen.table) == ["Wanjiku Njenga"], timeout=WAIT_MS)
        metrics = screen.table.fontMetrics()
        header = screen.table.horizontalHeader()
        cells = rows(screen.table)[0]
        assert cells[OP_COLUMN] == shown.op_number
        assert cells[SEX_COLUMN] == "Sex not recorded"
        for column, text in ((OP_COLUMN, WIDEST_OP_NUMBER), (SEX_COLUMN, cells[SEX_COLUMN])):
            assert header.sectionSize(column) > metrics.horizontalAdvance(text), text
    finally:
        app.setStyleSheet("")


def test_the_name_keeps_its_room_on_a_small_screen_and_the_ids_give_way(
    qtbot: QtBot, make_context: MakeContext, store: LocalStore, reception: Actor
) -> None:
    """At 1024 px the main window leaves the screen about 830 px: SHA number
    and National ID are hidden rather than the table scrolling sideways
    with the name squeezed, and they come back when the window widens."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_style(app)
    try:
        register(
            store, reception, date(2026, 3, 2), first_name="Wanjiku", middle_name="Cynthia",
            last_name="Nderitu", national_id="12345678", sha_number="CR1234567890",
        )  # fmt: skip
        screen = open_screen(qtbot, make_context())
        qtbot.waitUntil(lambda: names(screen.table) == ["Wanjiku Cynthia Nderitu"], timeout=WAIT_MS)
        table, header = screen.table, screen.table.horizontalHeader()
        name_width = header.sectionSize(NAME_COLUMN)

        def fits() -> bool:
            return table.horizontalScrollBar().maximum() == 0

        screen.resize(834, 700)
        qtbot.waitUntil(lambda: all(table.isColumnHidden(c) for c in GIVING_WAY), timeout=WAIT_MS)
        qtbot.waitUntil(fits, timeout=WAIT_MS)
        name = table.fontMetrics().horizontalAdvance("Wanjiku Cynthia Nderitu")
        assert header.sectionSize(NAME_COLUMN) > name
        assert not any(table.isColumnHidden(c) for c in range(GIVING_WAY[-1]))

        screen.resize(1600, 700)
        qtbot.waitUntil(lambda: not any(map(table.isColumnHidden, GIVING_WAY)), timeout=WAIT_MS)
        qtbot.waitUntil(fits, timeout=WAIT_MS)
        assert header.sectionSize(NAME_COLUMN) > name_width
    finally:
        app.setStyleSheet("")


def test_a_hit_found_by_a_number_not_in_its_row_says_it_on_hover(
    qtbot: QtBot, make_context: MakeContext, store: LocalStore, reception: Actor
) -> None:
    """The legacy number has no column, and National ID and SHA number give
    way on a small screen: a row's tooltip gives the ones the patient has,
    so a hit found by one of them says why. The estimated age keeps its
    own tooltip; a patient with none of them has no tooltip."""
    register(
        store, reception, date(2026, 3, 2), first_name="Nancy", last_name="Korir", age="9yrs",
        legacy_number="057/17", sha_number="CR1375745282811",
    )  # fmt: skip
    register(store, reception, date(2026, 3, 2), first_name="Isaac", last_name="Mwendwa")
    screen = open_screen(qtbot, make_context())
    search(qtbot, screen, "7574")
    qtbot.waitUntil(lambda: names(screen.table) == ["Nancy Korir"], timeout=WAIT_MS)
    model = screen.table.model()
    tip = Qt.ItemDataRole.ToolTipRole

    for column in (OP_COLUMN, NAME_COLUMN, SHA_COLUMN):
        assert model.data(model.index(0, column), tip) == (
            "Legacy number: 057/17\nSHA number: CR1375745282811"
        )
    assert model.data(model.index(0, AGE_COLUMN), tip) == (
        "Estimated from an age as written; the date of birth is not known"
    )

    search(qtbot, screen, "mwendwa")
    qtbot.waitUntil(lambda: names(screen.table) == ["Isaac Mwendwa"], timeout=WAIT_MS)
    assert model.data(model.index(0, NAME_COLUMN), tip) is None


FIVE_ROWS = (
    "NAME,AGE,RESIDENCE,NUMBER,PHONE NUMBER\n"
    "grace wambui,27yrs,limuru,011/25,722114455\n"
    "samuel otieno,40yrs,manguo,014/25,733114455\n"
    "halima abdi,19yrs,ndeiya,016/25,0720123456\n"
    "kiprono langat,51yrs,ruai,017/25,0711223344\n"
    "mercy achieng,33yrs,kayole,018/25,\n"
)


@pytest.fixture
def five_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A register of five rows, imported two rows a part."""
    monkeypatch.setattr(importer, "ROWS_PER_PART", 2)
    register_file = tmp_path / "register.csv"
    register_file.write_text(FIVE_ROWS, encoding="utf-8")
    return register_file


def test_an_import_goes_a_part_at_a_time_and_other_work_runs_between_parts(
    qtbot: QtBot, make_context: MakeContext, store: LocalStore, five_rows: Path
) -> None:
    ctx = make_context()
    screen = open_screen(qtbot, ctx)
    dialog = _previewed(qtbot, screen, five_rows)
    seen: list[int] = []

    with qtbot.waitSignal(dialog.sig_imported, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
        # Asked of the database thread while the first part is under way
        # (a search, a save): it runs before the second part, not after all.
        ctx.db.submit(lambda: patient_count(store), seen.append)
    assert seen == [2]
    assert patient_count(store) == 5
    assert dialog.summary_label.text() == (
        "Rows read: 5  ·  imported: 5  ·  already imported (skipped): 0  ·  rejected: 0"
        "  ·  values flagged for review: 0"
    )
    assert dialog.message.text() == "Imported 5 patients."


def test_the_preview_goes_a_part_at_a_time_and_finds_repeats_across_parts(
    qtbot: QtBot, make_context: MakeContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "ROWS_PER_PART", 2)
    register_file = tmp_path / "register.csv"
    register_file.write_text(
        "NAME,AGE,RESIDENCE,NUMBER,PHONE NUMBER\n"
        "grace wambui,27yrs,limuru,011/25,722114455\n"
        "samuel otieno,40yrs,manguo,014/25,733114455\n"
        "halima abdi,19yrs,ndeiya,016/25,0720123456\n"
        "grace wambui,27yrs,limuru,011/25,722114455\n",
        encoding="utf-8",
    )
    ctx = make_context()
    screen = open_screen(qtbot, ctx)
    qtbot.mouseClick(screen.import_button, Qt.MouseButton.LeftButton)
    dialog = screen.import_dialog
    assert dialog is not None
    seen: list[str] = []
    answered_first: list[bool] = []
    dialog.sig_preview_ready.connect(lambda _preview: answered_first.append(bool(seen)))

    with qtbot.waitSignal(dialog.sig_preview_ready, timeout=WAIT_MS):
        dialog.load_file(register_file)
        # Asked of the database thread as the file is read: not kept
        # waiting for the whole dry run.
        ctx.db.submit(lambda: "searched", seen.append)
    assert answered_first == [True]
    assert dialog.table_rows(dialog.problems_table) == [
        ["5", "number", "011/25", "number 011/25 is also on line 2 of this file",
         "row skipped as a repeat"],
    ]  # fmt: skip
    assert dialog.summary_label.text().startswith(
        "Rows: 4  ·  would be imported: 3  ·  already imported (skipped): 1  ·"
    )


def test_an_import_that_stops_part_way_keeps_the_parts_before_and_says_so(
    qtbot: QtBot,
    make_context: MakeContext,
    store: LocalStore,
    five_rows: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    register_patients = importer.register_patients

    def failing_for_halima(patients: list[Any], **kwargs: Any) -> list[uuid.UUID]:
        if any(p.values["first_name"] == "Halima" for p in patients):
            raise OSError("disk full")
        return register_patients(patients, **kwargs)

    screen = open_screen(qtbot, make_context())
    dialog = _previewed(qtbot, screen, five_rows)
    monkeypatch.setattr(importer, "register_patients", failing_for_halima)

    with qtbot.waitSignal(dialog.sig_failed, timeout=WAIT_MS) as failed:
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    said = (
        "The import stopped at the rows from line 4: disk full. The 2 patients imported"
        " before them are kept: import the same file again to import the rest."
    )
    assert failed.args == [said]
    assert dialog.message.text() == said
    assert dialog.problems_box.title() == "Problems found"  # not "nothing imported yet"
    assert patient_count(store) == 2
    assert dialog.import_button.isEnabled()

    monkeypatch.setattr(importer, "register_patients", register_patients)
    with qtbot.waitSignal(dialog.sig_imported, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert dialog.summary_label.text() == (
        "Rows read: 5  ·  imported: 3  ·  already imported (skipped): 2  ·  rejected: 0"
        "  ·  values flagged for review: 0"
    )
    assert patient_count(store) == 5


def test_import_of_an_unreadable_file_says_why(
    qtbot: QtBot, make_context: MakeContext, tmp_path: Path
) -> None:
    bad = tmp_path / "register.csv"
    bad.write_text("NAME,AGE\ngrace,27\n", encoding="utf-8")
    screen = open_screen(qtbot, make_context())
    screen.import_register()
    dialog = screen.import_dialog
    assert dialog is not None
    with qtbot.waitSignal(dialog.sig_failed, timeout=WAIT_MS):
        dialog.load_file(bad)
    assert "has no RESIDENCE, NUMBER, PHONE NUMBER columns" in dialog.message.text()
    assert not dialog.import_button.isEnabled()
