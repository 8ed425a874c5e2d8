"""The branch's drug stock: on hand per drug with its batches and expiry,
the low-stock and expiring-soon lists, receiving stock, and a count that
records the difference as an adjustment with a reason."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clinic.enums import StockMovementKind
from clinic.errors import FieldError, InvalidValue, NotAllowed
from clinic.pharmacy.queries import DrugStock
from clinic.pharmacy.rules import MAX_STOCK_QUANTITY
from clinic.pharmacy.service import (
    MovementInput,
    count_stock,
    record_movement,
    set_reorder_level,
    write_off_batch,
)
from desktop.context import AppContext
from desktop.screens.patients.calls import submit_for
from desktop.screens.pharmacy.data import StockView, stock_view
from desktop.screens.pharmacy.dispense_panel import (
    combo_index,
    fill,
    read_only_table,
    row_key,
    wide_combo,
)
from desktop.screens.visit_screen import BANNER_ERROR_STYLE, BANNER_OK_STYLE
from desktop.widgets import ErrorForm


def _day(value: date | None) -> str:
    return value.strftime("%d %b %Y") if value is not None else ""


def _batches(drug: DrugStock) -> str:
    return "\n".join(
        f"{b.batch or '—'} · {_day(b.expiry) or '?'} · {b.on_hand}" for b in drug.batches
    )


class DrugForm(QGroupBox):
    """A small form about one drug of the price list, with errors by field."""

    def __init__(self, title: str, name: str) -> None:
        super().__init__(title)
        self.setObjectName(name)
        self.layout_ = QFormLayout(self)
        self.form = ErrorForm(self.layout_)
        self.drug = wide_combo(f"{name}_drug", 16)
        self.form.add("service_id", self.tr("Drug"), self.drug)

    def set_drugs(self, choices: list[tuple[uuid.UUID, str]]) -> None:
        chosen = self.drug.currentData()
        self.drug.clear()
        for service_id, name in choices:
            self.drug.addItem(name, service_id)
        if chosen is not None:
            self.drug.setCurrentIndex(max(0, combo_index(self.drug, chosen)))

    def add_button(self, text: str, name: str, action: Callable[[], None]) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.clicked.connect(action)
        self.layout_.addRow("", button)
        return button


def _quantity(name: str) -> QSpinBox:
    box = QSpinBox()
    box.setObjectName(name)
    box.setRange(0, MAX_STOCK_QUANTITY)
    return box


def _expiry(name: str) -> tuple[QCheckBox, QDateEdit]:
    known = QCheckBox()
    known.setObjectName(f"{name}_known")
    known.setChecked(True)
    edit = QDateEdit()
    edit.setObjectName(name)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("dd MMM yyyy")
    known.toggled.connect(edit.setEnabled)
    return known, edit


class StockPanel(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.view: StockView | None = None
        self.message = QLabel()
        self.message.setObjectName("stock_message")
        self.message.setWordWrap(True)
        self.message.hide()

        self.on_hand = read_only_table(
            [
                self.tr("Drug"),
                self.tr("On hand"),
                self.tr("Reorder at"),
                self.tr("Next expiry"),
                self.tr("Batches · expiry · on hand"),
            ],
            "stock_on_hand",
        )
        self.low = read_only_table(
            [self.tr("Drug"), self.tr("On hand"), self.tr("Reorder at")], "low_stock", stretch=0
        )
        self.expiring = read_only_table(
            [self.tr("Drug"), self.tr("Batch"), self.tr("Expiry"), self.tr("On hand")],
            "expiring_soon",
            stretch=0,
        )
        self.write_off_button = QPushButton(self.tr("&Write off the chosen batch"))
        self.write_off_button.setObjectName("write_off")
        self.write_off_button.clicked.connect(self.write_off)
        expiring_page = QWidget()
        expiring_layout = QVBoxLayout(expiring_page)
        expiring_layout.setContentsMargins(0, 0, 0, 0)
        expiring_layout.addWidget(self.expiring, 1)
        expiring_layout.addWidget(self.write_off_button, 0, Qt.AlignmentFlag.AlignRight)
        lists = QTabWidget()
        lists.setObjectName("stock_lists")
        lists.addTab(self.on_hand, self.tr("On hand"))
        lists.addTab(self.low, self.tr("Low stock"))
        lists.addTab(expiring_page, self.tr("Expiring soon"))
        self.lists = lists

        self.receive = DrugForm(self.tr("Receive stock"), "receive_form")
        self.receive_quantity = _quantity("receive_quantity")
        self.receive.form.add("quantity", self.tr("Quantity"), self.receive_quantity)
        self.receive_batch = QLineEdit()
        self.receive_batch.setObjectName("receive_batch")
        self.receive.form.add("batch", self.tr("Batch"), self.receive_batch)
        self.receive_expiry_known, self.receive_expiry = _expiry("receive_expiry")
        self.receive_expiry.setDate(QDate.currentDate().addYears(1))
        expiry_row = QHBoxLayout()
        expiry_row.addWidget(self.receive_expiry_known)
        expiry_row.addWidget(self.receive_expiry, 1)
        expiry = QWidget()
        expiry.setLayout(expiry_row)
        expiry_row.setContentsMargins(0, 0, 0, 0)
        self.receive.form.add("expiry", self.tr("Expiry"), expiry)
        self.receive_button = self.receive.add_button(
            self.tr("&Receive"), "receive_stock", self.receive_stock
        )

        self.count = DrugForm(self.tr("Count a batch"), "count_form")
        self.count_batch = wide_combo("count_batch", 16)
        self.count.form.add("batch", self.tr("Batch"), self.count_batch)
        self.count.drug.currentIndexChanged.connect(self._count_batches)
        self.counted = _quantity("counted")
        self.count.form.add("counted", self.tr("Counted"), self.counted)
        self.count_reason = QLineEdit()
        self.count_reason.setObjectName("count_reason")
        self.count_reason.setPlaceholderText(self.tr("Why it differs, e.g. breakage"))
        self.count.form.add("reason", self.tr("Reason"), self.count_reason)
        self.count_button = self.count.add_button(
            self.tr("Record &count"), "record_count", self.record_count
        )

        self.reorder = DrugForm(self.tr("Reorder level"), "reorder_form")
        self.level = _quantity("reorder_level")
        self.reorder.form.add("level", self.tr("Reorder at"), self.level)
        self.reorder_button = self.reorder.add_button(
            self.tr("&Set level"), "set_reorder_level", self.set_level
        )

        forms = QHBoxLayout()
        for form in (self.receive, self.count, self.reorder):
            forms.addWidget(form, 1, Qt.AlignmentFlag.AlignTop)
        body = QVBoxLayout()
        body.addWidget(lists, 1)
        body.addLayout(forms)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.message)
        layout.addLayout(body, 1)

    # --- showing --------------------------------------------------------------

    def show_message(self, text: str | None, style: str = BANNER_OK_STYLE) -> None:
        self.message.setText(text or "")
        self.message.setStyleSheet(style)
        self.message.setVisible(bool(text))

    def refresh(self) -> None:
        branch_id = self.ctx.actor().branch_id
        if branch_id is None:
            self.show_message(
                self.tr("Stock belongs to a branch; log in at a branch"), BANNER_ERROR_STYLE
            )
            return
        store, today = self.ctx.store, self.ctx.today()

        def work() -> StockView:
            with store.session() as session:
                return stock_view(session, branch_id, today)

        submit_for(self, self.ctx.db, work, StockPanel._show, StockPanel._failed)

    def _failed(self, error: BaseException) -> None:
        self.show_message(str(error), BANNER_ERROR_STYLE)

    def _show(self, view: StockView) -> None:
        self.view = view
        fill(
            self.on_hand,
            [
                [
                    d.name,
                    str(d.on_hand),
                    "" if d.reorder_level is None else str(d.reorder_level),
                    _day(d.nearest_expiry),
                    _batches(d),
                ]
                for d in view.drugs
            ],
            [d.service_id for d in view.drugs],
        )
        fill(
            self.low,
            [[d.name, str(d.on_hand), str(d.reorder_level)] for d in view.low],
        )
        fill(
            self.expiring,
            [
                [
                    e.name,
                    e.batch,
                    _day(e.expiry) + (" " + self.tr("(expired)") if e.expired else ""),
                    str(e.on_hand),
                ]
                for e in view.expiring
            ],
            [(e.service_id, e.batch, e.expiry, e.name) for e in view.expiring],
        )
        choices = [(c.service_id, c.name) for c in view.choices]
        for form in (self.receive, self.count, self.reorder):
            form.set_drugs(choices)
        self.lists.setTabText(1, self.tr("Low stock (%1)").replace("%1", str(len(view.low))))
        self.lists.setTabText(
            2, self.tr("Expiring soon (%1)").replace("%1", str(len(view.expiring)))
        )
        self._count_batches()

    def _count_batches(self) -> None:
        self.count_batch.clear()
        if self.view is None:
            return
        service_id = self.count.drug.currentData()
        drug = next((d for d in self.view.drugs if d.service_id == service_id), None)
        for b in drug.batches if drug is not None else []:
            self.count_batch.addItem(
                f"{b.batch or '—'} ({_day(b.expiry) or '?'})", (b.batch, b.expiry)
            )
        if self.count_batch.count() == 0:
            self.count_batch.addItem(self.tr("No batch in stock"), ("", None))

    # --- acting ---------------------------------------------------------------

    def _write(self, form: DrugForm | None, work: Callable[[Any], Any], done: str) -> None:
        """Run ``work(session)`` in a write on the database thread; show
        ``done`` and reload, or put the refusal next to its field of
        ``form`` (else above the lists)."""
        ctx = self.ctx

        def run() -> Any:
            with ctx.store.write() as session:
                return work(session)

        def ok(panel: StockPanel, _result: Any) -> None:
            ctx.saved()
            if form is not None:
                form.form.clear_errors()
            panel.show_message(done)
            panel.refresh()

        def refused(panel: StockPanel, error: BaseException) -> None:
            if isinstance(error, InvalidValue) and form is not None:
                unplaced = form.form.show_errors([FieldError(error.field, error.reason)])
                panel.show_message(" ".join(unplaced) or None, BANNER_ERROR_STYLE)
            elif isinstance(error, InvalidValue | NotAllowed | LookupError):
                panel.show_message(str(error), BANNER_ERROR_STYLE)
            else:
                raise error

        submit_for(self, ctx.db, run, ok, refused)

    def receive_stock(self) -> None:
        actor = self.ctx.actor()
        expiry = (
            self.receive_expiry.date().toPython() if self.receive_expiry_known.isChecked() else None
        )
        entry = MovementInput(
            self.receive.drug.currentData(),
            StockMovementKind.RECEIPT,
            self.receive_quantity.value(),
            self.receive_batch.text(),
            expiry,  # type: ignore[arg-type]
        )
        self._write(
            self.receive,
            lambda session: record_movement(entry, session=session, actor=actor),
            self.tr("%1 received").replace("%1", self.receive.drug.currentText()),
        )

    def record_count(self) -> None:
        actor = self.ctx.actor()
        service_id = self.count.drug.currentData()
        batch, expiry = self.count_batch.currentData() or ("", None)
        counted, reason = self.counted.value(), self.count_reason.text()
        self._write(
            self.count,
            lambda session: count_stock(
                service_id, batch, expiry, counted, reason, session=session, actor=actor
            ),
            self.tr("Count recorded for %1").replace("%1", self.count.drug.currentText()),
        )

    def write_off(self) -> None:
        """Write off what is left of the batch chosen on the expiring list."""
        chosen = row_key(self.expiring)
        if chosen is None:
            self.show_message(self.tr("Choose a batch on the list first"), BANNER_ERROR_STYLE)
            return
        service_id, batch, expiry, name = chosen
        actor = self.ctx.actor()
        self._write(
            None,
            lambda session: write_off_batch(
                service_id, batch, expiry, "Expired", session=session, actor=actor
            ),
            self.tr("Batch %1 of %2 written off").replace("%1", batch).replace("%2", name),
        )

    def set_level(self) -> None:
        actor = self.ctx.actor()
        service_id, level = self.reorder.drug.currentData(), self.level.value()
        self._write(
            self.reorder,
            lambda session: set_reorder_level(service_id, level, session=session, actor=actor),
            self.tr("Reorder level set for %1").replace("%1", self.reorder.drug.currentText()),
        )
