"""The admin's price list screen (issue 14): services added, changed and
priced from a date on this PC, as synced writes with their outbox entries;
bad values shown next to their fields, writing nothing."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import QDate, Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from clinic.billing.models import Service
from clinic.billing.service import price_on
from clinic.enums import Role
from clinic.journal.models import OutboxEntry
from desktop.main_window import screens_for
from desktop.screens.admin.prices import PricesScreen
from tests.gui.conftest import MakeContext, shown


def _cells(screen: PricesScreen) -> list[list[str]]:
    table = screen.table
    return [
        [item.text() if (item := table.item(r, c)) else "" for c in range(table.columnCount())]
        for r in range(table.rowCount())
    ]


def _outbox(screen: PricesScreen) -> list[str]:
    with screen.ctx.store.session() as session:
        return list(session.scalars(select(OutboxEntry.entity).order_by(OutboxEntry.sequence)))


def _add_tsh(qtbot: QtBot, screen: PricesScreen) -> None:
    qtbot.keyClicks(screen.code, "lab-tsh")
    qtbot.keyClicks(screen.name, "Thyroid stimulating hormone")
    screen.kind.setCurrentIndex(screen.kind.findData("lab"))
    qtbot.keyClicks(screen.price, "1,500")
    qtbot.keyClicks(screen.sha_code, "SHA-LAB-77")
    qtbot.mouseClick(screen.save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.table.rowCount() == 1)


def test_an_admin_adds_a_service_and_prices_it_from_a_date(
    qtbot: QtBot, make_context: MakeContext
) -> None:
    screen = shown(qtbot, PricesScreen(make_context(Role.ADMIN)))

    _add_tsh(qtbot, screen)

    assert _cells(screen) == [
        ["LAB-TSH", "Thyroid stimulating hormone", "Lab", "KES 1,500.00", "SHA-LAB-77", "yes"]
    ]
    assert "Saved LAB-TSH" in screen.outcome.text()
    assert _outbox(screen) == ["services", "service_prices"]

    screen.table.selectRow(0)
    assert not screen.code.isEnabled() and screen.pricing.isEnabled()
    screen.sha_code.clear()
    qtbot.mouseClick(screen.save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _cells(screen)[0][4] == "")
    starts = screen.ctx.today() + timedelta(days=7)
    screen.table.selectRow(0)
    qtbot.keyClicks(screen.new_price, "1800")
    screen.price_from.setDate(QDate(starts.year, starts.month, starts.day))
    qtbot.mouseClick(screen.set_price_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(_outbox(screen)) == 4)

    with screen.ctx.store.session() as session:
        service = session.scalars(select(Service)).one()
        assert service.sha_intervention_code is None
        assert price_on(service.id, screen.ctx.today(), session=session) == 1500_00
        assert price_on(service.id, starts, session=session) == 1800_00
    assert _cells(screen)[0][3] == "KES 1,500.00"


def test_bad_values_show_next_to_their_fields_and_write_nothing(
    qtbot: QtBot, make_context: MakeContext
) -> None:
    screen = shown(qtbot, PricesScreen(make_context(Role.ADMIN)))
    _add_tsh(qtbot, screen)
    before = _outbox(screen)

    screen.new_service()
    qtbot.keyClicks(screen.code, "LAB-TSH")
    qtbot.keyClicks(screen.name, "Again")
    qtbot.keyClicks(screen.price, "100")
    qtbot.mouseClick(screen.save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(screen.form.error_text("code")))
    assert "already on the price list" in screen.form.error_text("code")

    screen.table.selectRow(0)
    qtbot.keyClicks(screen.new_price, "cheap")
    qtbot.mouseClick(screen.set_price_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(screen.price_form.error_text("price_cents")))
    yesterday = screen.ctx.today() - timedelta(days=1)
    screen.new_price.setText("100")
    screen.price_from.setDate(QDate(yesterday.year, yesterday.month, yesterday.day))
    qtbot.mouseClick(screen.set_price_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "past days keep" in screen.price_form.error_text("effective_from"))

    assert _outbox(screen) == before
    with screen.ctx.store.session() as session:
        assert session.scalar(select(func.count()).select_from(Service)) == 1


def test_only_admins_have_the_admins_desk() -> None:
    desk = {"users", "devices", "branches", "prices", "backup"}
    for role in Role:
        keys = {entry.key for entry in screens_for(role)}
        assert (desk <= keys) if role == Role.ADMIN else not (desk & keys), role
