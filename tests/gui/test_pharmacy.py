"""The pharmacy screen with real widgets on a real store: the worklist,
dispensing part of a line (the rest shown owed, a dispense beyond stock
warned about), a substitution refused without its reason, the label printed
through Qt's print dialog on a small label page, and the stock tab
(receiving, a refused empty receipt, a count with and without a reason,
the low-stock list)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from clinic.actor import Actor
from clinic.billing.service import seed_price_list
from clinic.clock import clinic_today
from clinic.enums import Role
from clinic.journal.models import AuditEvent
from clinic.org.models import Branch, User
from clinic.pharmacy.queries import on_hand
from clinic.store import LocalStore
from desktop.screens.pharmacy import PharmacyScreen
from tests.conftest import TODAY, make_actor
from tests.gui.conftest import MakeContext, shown
from tests.gui.pdf import answer_print_dialog, pdf_page_size_mm, pdf_text
from tests.pharmacy_data import AMOX, drug_id, receive, visit_at_pharmacy


@pytest.fixture
def screen(
    qtbot: QtBot, store: LocalStore, branch: Branch, make_context: MakeContext
) -> PharmacyScreen:
    admin = make_actor(store, branch, Role.ADMIN)
    with store.write() as session:
        seed_price_list(session=session, actor=Actor(device_id=store.device_id))
        visit_at_pharmacy(
            session,
            receptionist=make_actor(store, branch, Role.RECEPTIONIST),
            clinician=make_actor(store, branch, Role.CLINICAL_OFFICER),
            today=TODAY,
            first_name="Wanjiku",
        )
        receive(session, admin, AMOX, 10, "AMX-77", TODAY + timedelta(days=365))
    ctx = make_context(Role.PHARMACIST, "Njeri Pharm")
    with store.write() as session:  # the staff list a PC pulls names the pharmacist
        session.add(
            User(
                id=ctx.user.user_id,
                username=ctx.user.username,
                full_name=ctx.user.full_name,
                role=Role.PHARMACIST,
                branch_id=branch.id,
            )
        )
    return shown(qtbot, PharmacyScreen(ctx))


def _cell(table: QTableWidget, row: int, column: int) -> str:
    item = table.item(row, column)
    return item.text() if item is not None else ""


def _open_first_visit(qtbot: QtBot, screen: PharmacyScreen) -> None:
    panel = screen.dispensing
    qtbot.waitUntil(lambda: panel.worklist.rowCount() == 1)
    assert "Wanjiku" in _cell(panel.worklist, 0, 0)
    panel.worklist.selectRow(0)
    qtbot.waitUntil(lambda: panel.lines.rowCount() == 2 and panel.form_box.isEnabled())


def test_opening_a_visit_is_an_audited_read_of_its_record(
    qtbot: QtBot, screen: PharmacyScreen, store: LocalStore
) -> None:
    _open_first_visit(qtbot, screen)
    first = screen.dispensing.worklist.item(0, 0)
    assert first is not None
    visit_id = first.data(Qt.ItemDataRole.UserRole)
    with store.session() as session:
        reads = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "read_clinical_record", AuditEvent.entity_id == visit_id
            )
        ).all()
    assert [r.after for r in reads] == [{"screen": "pharmacy"}]


def test_part_of_a_line_is_given_the_rest_shown_owed_and_stock_warned(
    qtbot: QtBot, screen: PharmacyScreen, store: LocalStore, branch: Branch
) -> None:
    panel = screen.dispensing
    _open_first_visit(qtbot, screen)
    assert _cell(panel.lines, 0, 0) == "Amoxicillin 500 mg"
    assert panel.quantity.value() == 15
    assert panel.drug.currentText() == "Amoxicillin 500 mg capsule"
    panel.quantity.setValue(12)
    qtbot.keyClicks(panel.counselling, "Finish the course")
    qtbot.mouseClick(panel.dispense_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.message.isVisible() and "owed" in panel.message.text())
    assert "3 still owed" in panel.message.text()
    assert "Only 10 in stock, 12 given" in panel.message.text()
    qtbot.waitUntil(lambda: _cell(panel.lines, 0, 5) == "12")
    assert _cell(panel.lines, 0, 6) == "3"
    assert panel.given.rowCount() == 1
    assert [_cell(panel.given, 0, c) for c in (1, 2, 3, 4)] == [
        "Njeri Pharm",
        "Amoxicillin 500 mg capsule",
        "12",
        "Finish the course",
    ]
    with store.session() as session:
        assert on_hand(session, branch.id, drug_id(session, AMOX)) == -2


def test_another_drug_without_a_reason_is_refused_next_to_the_field(
    qtbot: QtBot, screen: PharmacyScreen
) -> None:
    panel = screen.dispensing
    _open_first_visit(qtbot, screen)
    panel.lines.selectRow(1)
    qtbot.waitUntil(lambda: panel.quantity.value() == 10)
    panel.drug.setCurrentIndex(panel.drug.findText("Ibuprofen 400 mg tablet"))
    qtbot.mouseClick(panel.dispense_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(panel.form.error_text("substitution_reason")))
    assert "not what was prescribed" in panel.form.error_text("substitution_reason")
    assert _cell(panel.lines, 1, 5) == "0"


def test_the_label_prints_on_a_small_label_page(
    qtbot: QtBot, screen: PharmacyScreen, tmp_path: Path
) -> None:
    panel = screen.dispensing
    _open_first_visit(qtbot, screen)
    target = tmp_path / "label.pdf"
    answer_print_dialog(str(target))
    qtbot.mouseClick(panel.label_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(target.exists)
    text = pdf_text(target)
    expected_text = ("Amoxicillin 500 mg capsule", "500 mg, TDS, for 5 days", "Wanjiku", "Odhiambo")
    for expected in (*expected_text, clinic_today().strftime("%d %b %Y")):
        assert expected in text
    size = pdf_page_size_mm(target)
    assert round(size.width()) == 80 and round(size.height()) == 50


def test_the_stock_tab_receives_counts_and_lists_low_stock(
    qtbot: QtBot, screen: PharmacyScreen, store: LocalStore, branch: Branch
) -> None:
    screen.tabs.setCurrentWidget(screen.stock)
    panel = screen.stock
    qtbot.waitUntil(lambda: panel.on_hand.rowCount() > 10)
    amox_row = next(
        r
        for r in range(panel.on_hand.rowCount())
        if _cell(panel.on_hand, r, 0) == "Amoxicillin 500 mg capsule"
    )
    assert _cell(panel.on_hand, amox_row, 1) == "10"
    assert "AMX-77" in _cell(panel.on_hand, amox_row, 4)

    panel.receive.drug.setCurrentIndex(panel.receive.drug.findText("Amoxicillin 500 mg capsule"))
    qtbot.mouseClick(panel.receive_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(panel.receive.form.error_text("quantity")))
    panel.receive_quantity.setValue(90)
    qtbot.keyClicks(panel.receive_batch, "AMX-80")
    qtbot.mouseClick(panel.receive_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _cell(panel.on_hand, amox_row, 1) == "100")

    panel.count.drug.setCurrentIndex(panel.count.drug.findText("Amoxicillin 500 mg capsule"))
    panel.count_batch.setCurrentIndex(
        panel.count_batch.findText("AMX-77", Qt.MatchFlag.MatchStartsWith)
    )
    panel.counted.setValue(7)
    qtbot.mouseClick(panel.count_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(panel.count.form.error_text("reason")))
    qtbot.keyClicks(panel.count_reason, "Three capsules damaged")
    qtbot.mouseClick(panel.count_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _cell(panel.on_hand, amox_row, 1) == "97")

    panel.reorder.drug.setCurrentIndex(panel.reorder.drug.findText("Amoxicillin 500 mg capsule"))
    panel.level.setValue(120)
    qtbot.mouseClick(panel.reorder_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.low.rowCount() == 1)
    assert [_cell(panel.low, 0, c) for c in range(3)] == ["Amoxicillin 500 mg capsule", "97", "120"]
    with store.session() as session:
        assert on_hand(session, branch.id, drug_id(session, AMOX)) == 97


def test_an_expired_batch_is_written_off_from_the_expiring_list(
    qtbot: QtBot, screen: PharmacyScreen, store: LocalStore, branch: Branch
) -> None:
    admin = make_actor(store, branch, Role.ADMIN)
    with store.write() as session:
        receive(session, admin, AMOX, 6, "AMX-OLD", clinic_today() - timedelta(days=2))
    screen.tabs.setCurrentWidget(screen.stock)
    panel = screen.stock
    qtbot.waitUntil(lambda: panel.expiring.rowCount() == 1)
    assert _cell(panel.expiring, 0, 1) == "AMX-OLD"
    assert "(expired)" in _cell(panel.expiring, 0, 2)
    panel.lists.setCurrentIndex(2)
    panel.expiring.selectRow(0)
    qtbot.mouseClick(panel.write_off_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.expiring.rowCount() == 0)
    assert "written off" in panel.message.text()
    with store.session() as session:
        assert on_hand(session, branch.id, drug_id(session, AMOX)) == 10
