"""The price list, for admins: every service with today's price and its SHA
intervention code; add a service, rename it, set its SHA code, take it off
the list or back on, and give it a new price from a date. These are
written on this PC like any other work (the billing service's rules, its
outbox and audit) and reach the other PCs at the next sync."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)

from clinic.billing.service import create_service, list_services, set_price, update_service
from clinic.enums import ServiceKind
from clinic.errors import FieldError, InvalidValue, NotAllowed, ValidationFailed
from clinic.rules.money import format_kes, parse_kes
from desktop.context import AppContext
from desktop.display import service_kind_text
from desktop.screens.base import Screen
from desktop.widgets import ErrorForm, fill_table, rows_table, selected_row


@dataclass(frozen=True)
class PriceRow:
    id: uuid.UUID
    code: str
    name: str
    kind: ServiceKind
    price_cents: int | None
    sha_intervention_code: str | None
    active: bool


class PricesScreen(Screen):
    key = "prices"

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.rows: list[PriceRow] = []
        heading = QLabel(self.tr("Price list"))
        heading.setObjectName("heading")
        new = QPushButton(self.tr("New service"))
        new.clicked.connect(self.new_service)
        top = QHBoxLayout()
        top.addWidget(heading, 1)
        top.addWidget(new)
        self.table = rows_table(
            [
                self.tr("Code"),
                self.tr("Service"),
                self.tr("Kind"),
                self.tr("Price today"),
                self.tr("SHA code"),
                self.tr("On the list"),
            ],
            stretch=1,
        )
        self.table.itemSelectionChanged.connect(self._show_selected)

        self.code = QLineEdit()
        self.name = QLineEdit()
        self.kind = QComboBox()
        for kind in ServiceKind:
            self.kind.addItem(service_kind_text(kind), kind.value)
        self.price = QLineEdit()
        self.price.setPlaceholderText(self.tr("KES, e.g. 1,500"))
        self.sha_code = QLineEdit()
        self.sha_code.setPlaceholderText(self.tr("SHA intervention code, if SHA pays"))
        self.active = QCheckBox(self.tr("On the price list"))
        self.form = ErrorForm(QFormLayout())
        self.form.add("code", self.tr("Code"), self.code)
        self.form.add("name", self.tr("Service"), self.name)
        self.form.add("kind", self.tr("Kind"), self.kind)
        self.form.add("price_cents", self.tr("Price"), self.price)
        self.form.add("sha_intervention_code", self.tr("SHA code"), self.sha_code)
        self.form.add("active", "", self.active)
        self.save = QPushButton(self.tr("Add service"))
        self.save.setDefault(True)
        self.save.clicked.connect(self.save_service)
        self.editor = QGroupBox(self.tr("New service"))
        editor_layout = QVBoxLayout(self.editor)
        editor_layout.addLayout(self.form.layout)
        editor_layout.addWidget(self.save)

        self.new_price = QLineEdit()
        self.new_price.setPlaceholderText(self.tr("KES"))
        self.price_from = QDateEdit()
        self.price_from.setCalendarPopup(True)
        self.price_from.setDisplayFormat("dd MMM yyyy")
        self.price_form = ErrorForm(QFormLayout())
        self.price_form.add("price_cents", self.tr("New price"), self.new_price)
        self.price_form.add("effective_from", self.tr("From"), self.price_from)
        self.set_price_button = QPushButton(self.tr("Set the new price"))
        self.set_price_button.clicked.connect(self.set_new_price)
        self.pricing = QGroupBox(self.tr("A new price from a date"))
        pricing_layout = QVBoxLayout(self.pricing)
        note = QLabel(self.tr("Bills already made keep their prices, and so do days gone by."))
        note.setWordWrap(True)
        pricing_layout.addWidget(note)
        pricing_layout.addLayout(self.price_form.layout)
        pricing_layout.addWidget(self.set_price_button)

        self.outcome = QLabel()
        self.outcome.setObjectName("outcome")
        self.outcome.setWordWrap(True)
        side = QVBoxLayout()
        side.addWidget(self.editor)
        side.addWidget(self.pricing)
        side.addWidget(self.outcome)
        side.addStretch(1)
        columns = QHBoxLayout()
        columns.addWidget(self.table, 1)
        columns.addLayout(side)
        self.editor.setFixedWidth(380)
        self.pricing.setFixedWidth(380)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(columns, 1)
        self.new_service()

    def title(self) -> str:
        return self.tr("Price list")

    def refresh(self) -> None:
        today = self.ctx.today()

        def load() -> list[PriceRow]:
            with self.ctx.store.session() as session:
                return [
                    PriceRow(
                        p.service.id,
                        p.service.code,
                        p.service.name,
                        p.service.kind,
                        p.price_cents,
                        p.service.sha_intervention_code,
                        p.service.active,
                    )
                    for p in list_services(session=session, day=today, include_inactive=True)
                ]

        self.ctx.db.submit(load, self._show)

    def _show(self, rows: list[PriceRow]) -> None:
        self.rows = rows
        fill_table(
            self.table,
            [
                [
                    row.code,
                    row.name,
                    service_kind_text(row.kind),
                    format_kes(row.price_cents) if row.price_cents is not None else "",
                    row.sha_intervention_code or "",
                    self.tr("yes") if row.active else self.tr("no"),
                ]
                for row in rows
            ],
        )

    def selected_service(self) -> PriceRow | None:
        row = selected_row(self.table)
        return self.rows[row] if row is not None else None

    def _show_selected(self) -> None:
        row = self.selected_service()
        if row is None:
            return
        self.form.clear_errors()
        self.price_form.clear_errors()
        self.editor.setTitle(self.tr("Change %1").replace("%1", row.code))
        self.code.setText(row.code)
        self.name.setText(row.name)
        self.kind.setCurrentIndex(self.kind.findData(row.kind.value))
        self.sha_code.setText(row.sha_intervention_code or "")
        self.active.setChecked(row.active)
        for field in (self.code, self.kind, self.price):
            field.setEnabled(False)
        self.price.setText(format_kes(row.price_cents) if row.price_cents is not None else "")
        self.active.setEnabled(True)
        self.pricing.setEnabled(True)
        self.save.setText(self.tr("Save changes"))

    def new_service(self) -> None:
        self.table.clearSelection()
        self.form.clear_errors()
        self.editor.setTitle(self.tr("New service"))
        for field in (self.code, self.name, self.price, self.sha_code):
            field.clear()
            field.setEnabled(True)
        self.kind.setEnabled(True)
        self.active.setChecked(True)
        self.active.setEnabled(False)
        self.pricing.setEnabled(False)
        self.price_from.setDate(QDate.currentDate().addDays(1))
        self.save.setText(self.tr("Add service"))

    # --- writing -----------------------------------------------------------

    def save_service(self) -> None:
        row = self.selected_service()
        actor, today = self.ctx.actor(), self.ctx.today()
        code, name = self.code.text(), self.name.text()
        kind, sha_code = str(self.kind.currentData()), self.sha_code.text().strip()
        active, price = self.active.isChecked(), self.price.text()

        def add() -> str:
            cents = parse_kes(price, "price_cents")
            with self.ctx.store.write() as session:
                return create_service(
                    code, name, kind, cents, session=session, actor=actor,
                    effective_from=today, sha_intervention_code=sha_code or None,
                ).code  # fmt: skip

        def change(service_id: uuid.UUID) -> str:
            with self.ctx.store.write() as session:
                return update_service(
                    service_id, session=session, actor=actor, name=name,
                    sha_intervention_code=sha_code or None, clear_sha_code=not sha_code,
                    active=active,
                ).code  # fmt: skip

        work = add if row is None else (lambda: change(row.id))
        self.ctx.db.submit(work, self._saved, lambda error: self._refused(self.form, error))

    def set_new_price(self) -> None:
        row = self.selected_service()
        if row is None:
            return
        actor, today = self.ctx.actor(), self.ctx.today()
        text, starts = self.new_price.text(), self.price_from.date().toPython()
        assert isinstance(starts, date)

        def work() -> str:
            cents = parse_kes(text, "price_cents")
            with self.ctx.store.write() as session:
                set_price(row.id, cents, starts, session=session, actor=actor, today=today)
            return row.code

        self.price_form.clear_errors()
        self.ctx.db.submit(work, self._saved, lambda error: self._refused(self.price_form, error))

    def _saved(self, code: str) -> None:
        self.ctx.saved()
        self.form.clear_errors()
        self.price_form.clear_errors()
        self.new_price.clear()
        self.outcome.setText(self.tr("Saved %1; it reaches the other PCs at the next sync.")
                             .replace("%1", code))  # fmt: skip
        self.refresh()

    def _refused(self, form: ErrorForm, error: BaseException) -> None:
        if isinstance(error, ValidationFailed):
            problems = error.errors
        elif isinstance(error, InvalidValue):
            problems = [FieldError(error.field, error.reason)]
        elif isinstance(error, NotAllowed):
            self.outcome.setText(str(error))
            return
        else:
            raise error
        unplaced = form.show_errors(problems)
        self.outcome.setText("; ".join(unplaced))
