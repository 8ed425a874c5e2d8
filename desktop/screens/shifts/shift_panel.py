"""The cashier's own shift at this PC: open it with a float, watch what it
takes, close it with the counted cash, print the cash-up."""

from __future__ import annotations

import uuid

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from clinic.billing.service import close_shift, open_shift
from clinic.errors import InvalidValue, NotAllowed
from clinic.rules.money import format_kes
from desktop.context import AppContext
from desktop.printing import local_time
from desktop.screens.shifts.cash_up_print import print_cash_up, write_cash_up_pdf
from desktop.screens.shifts.close_dialog import CloseShiftDialog
from desktop.screens.shifts.data import ShiftView, my_open_shift, shift_view
from desktop.screens.shifts.labels import variance_colour, variance_text
from desktop.screens.shifts.models import MethodsModel, PaymentsModel
from desktop.screens.shifts.money_edit import MoneyField
from desktop.widgets import ask_save_path

BANNER_OK = (
    "background: #e3f2e1; color: #1b5e20; border: 1px solid #a5d6a7;"
    " border-radius: 3px; padding: 6px 10px;"
)
BANNER_ERROR = (
    "background: #fdecea; color: #b00020; border: 1px solid #f5c6cb;"
    " border-radius: 3px; padding: 6px 10px;"
)


def table_for(model: object, name: str) -> QTableView:
    table = QTableView()
    table.setObjectName(name)
    table.setModel(model)  # type: ignore[arg-type]
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    table.setAlternatingRowColors(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


class ShiftPanel(QWidget):
    """Either the form that opens a shift, or the shift itself (open, or
    just closed with its cash-up)."""

    sig_shift_changed = Signal()
    """A shift was opened or closed here (no payload)."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.shift: ShiftView | None = None
        self.shown_closed: uuid.UUID | None = None
        """A shift closed here, shown with its cash-up until a new one is opened."""
        self.pages = QStackedWidget()
        self.pages.addWidget(self._build_open_form())
        self.pages.addWidget(self._build_shift_view())
        self.message = QLabel()
        self.message.setObjectName("shift_message")
        self.message.setWordWrap(True)
        self.message.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.message)
        layout.addWidget(self.pages, 1)

    # --- building ----------------------------------------------------------

    def _build_open_form(self) -> QWidget:
        page = QWidget()
        box = QGroupBox(self.tr("Open a shift"))
        box.setMaximumWidth(520)
        form = QFormLayout(box)
        intro = QLabel(
            self.tr(
                "Count the cash in the drawer before the first patient pays,"
                " and type it as the opening float."
            )
        )
        intro.setWordWrap(True)
        form.addRow(intro)
        self.float_field = MoneyField("opening_float", self.tr("e.g. 2,000 or 1,250.50"))
        form.addRow(self.tr("Opening float (KES)"), self.float_field)
        self.open_button = QPushButton(self.tr("&Open shift"))
        self.open_button.setObjectName("open_shift")
        self.open_button.clicked.connect(self.open_shift)
        self.float_field.edit.returnPressed.connect(self.open_shift)
        form.addRow("", self.open_button)
        layout = QVBoxLayout(page)
        layout.addWidget(box)
        layout.addStretch(1)
        return page

    def _build_shift_view(self) -> QWidget:
        page = QWidget()
        self.heading = QLabel()
        self.heading.setObjectName("shift_heading")
        self.heading.setStyleSheet("font-size: 13pt; font-weight: 600;")
        self.opened_at = QLabel()
        self.opened_at.setObjectName("opened_at")
        self.opening_float = QLabel()
        self.opening_float.setObjectName("opening_float_shown")
        self.cash_taken = QLabel()
        self.cash_taken.setObjectName("cash_taken")
        self.expected_cash = QLabel()
        self.expected_cash.setObjectName("expected_cash_shown")
        self.counted_cash = QLabel()
        self.counted_cash.setObjectName("counted_cash_shown")
        self.variance = QLabel()
        self.variance.setObjectName("variance_shown")
        self.payment_count = QLabel()
        facts = QGroupBox(self.tr("Shift"))
        grid = QFormLayout(facts)
        grid.addRow(self.tr("Opened"), self.opened_at)
        grid.addRow(self.tr("Opening float"), self.opening_float)
        grid.addRow(self.tr("Cash taken so far"), self.cash_taken)
        grid.addRow(self.tr("Expected cash in drawer"), self.expected_cash)
        grid.addRow(self.tr("Cash counted"), self.counted_cash)
        grid.addRow(self.tr("Variance"), self.variance)
        grid.addRow(self.tr("Payments"), self.payment_count)

        self.methods = MethodsModel()
        self.methods_table = table_for(self.methods, "methods_table")
        by_method = QGroupBox(self.tr("By payment method"))
        QVBoxLayout(by_method).addWidget(self.methods_table)

        self.methods_table.setMaximumHeight(190)
        top = QHBoxLayout()
        top.addWidget(facts, 0)
        top.addWidget(by_method, 1)

        self.payments = PaymentsModel()
        self.payments_table = table_for(self.payments, "payments_table")
        listing = QGroupBox(self.tr("Payments and reversals"))
        QVBoxLayout(listing).addWidget(self.payments_table)

        self.refresh_button = QPushButton(self.tr("&Refresh"))
        self.refresh_button.clicked.connect(self.refresh)
        self.close_button = QPushButton(self.tr("&Close shift…"))
        self.close_button.setObjectName("close_shift")
        self.close_button.clicked.connect(self.ask_close)
        self.print_button = QPushButton(self.tr("&Print cash-up…"))
        self.print_button.setObjectName("print_cash_up")
        self.print_button.clicked.connect(self.print_cash_up)
        self.pdf_button = QPushButton(self.tr("Save cash-up as P&DF…"))
        self.pdf_button.setObjectName("save_cash_up_pdf")
        self.pdf_button.clicked.connect(self.save_pdf)
        self.new_button = QPushButton(self.tr("Open a &new shift"))
        self.new_button.setObjectName("new_shift")
        self.new_button.clicked.connect(self.show_open_form)
        buttons = QHBoxLayout()
        buttons.addWidget(self.refresh_button)
        buttons.addStretch(1)
        for button in (self.print_button, self.pdf_button, self.new_button, self.close_button):
            buttons.addWidget(button)

        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(self.heading)
        layout.addLayout(top, 0)
        layout.addWidget(listing, 1)
        layout.addLayout(buttons)
        return page

    # --- showing -------------------------------------------------------------

    def show_message(self, text: str | None, *, error: bool = False) -> None:
        self.message.setText(text or "")
        self.message.setStyleSheet(BANNER_ERROR if error else BANNER_OK)
        self.message.setVisible(bool(text))

    def refresh(self) -> None:
        """Reload this cashier's open shift (a just-closed one stays shown)."""
        ctx = self.ctx
        closed = self.shown_closed

        def work() -> ShiftView | None:
            with ctx.store.session() as session:
                if closed is not None:
                    return shift_view(closed, session=session)
                return my_open_shift(session=session, actor=ctx.actor())

        self.ctx.db.submit(work, self.show_shift, self._failed)

    def show_open_form(self) -> None:
        self.shown_closed = None
        self.shift = None
        self.show_message(None)
        self.float_field.edit.clear()
        self.pages.setCurrentIndex(0)
        self.float_field.edit.setFocus()

    def show_shift(self, shift: ShiftView | None) -> None:
        self.shift = shift
        if shift is None:
            self.pages.setCurrentIndex(0)
            self.open_button.setEnabled(True)
            return
        self.pages.setCurrentIndex(1)
        if shift.is_open:
            self.heading.setText(self.tr("Your shift is open"))
        else:
            self.heading.setText(
                self.tr("Shift closed at %s — cash-up")
                % local_time(shift.closed_at or shift.opened_at)
            )
        self.opened_at.setText(
            self.tr("%s by %s")
            % (local_time(shift.opened_at), shift.cashier or self.ctx.user.full_name)
        )
        self.opening_float.setText(format_kes(shift.opening_float_cents))
        self.cash_taken.setText(format_kes(shift.cash_taken_cents))
        self.expected_cash.setText(format_kes(shift.expected_cash_cents))
        counted = shift.counted_cash_cents
        self.counted_cash.setText(
            format_kes(counted) if counted is not None else self.tr("not yet counted")
        )
        self.variance.setText(variance_text(shift.variance_cents) or "—")
        self.variance.setStyleSheet(
            f"color: {variance_colour(shift.variance_cents)}; font-weight: bold;"
            if shift.variance_cents is not None
            else ""
        )
        self.payment_count.setText(
            self.tr("%d payments, %d reversals") % (shift.payment_count, shift.reversal_count)
        )
        self.methods.set_shift(shift)
        self.payments.set_rows(shift.payments)
        self.close_button.setVisible(shift.is_open)
        self.close_button.setEnabled(shift.is_open)
        self.new_button.setVisible(not shift.is_open)

    # --- opening --------------------------------------------------------------

    def open_shift(self) -> None:
        cents = self.float_field.checked_cents()
        if cents is None:
            return
        ctx = self.ctx

        def work() -> ShiftView:
            with ctx.store.write() as session:
                shift = open_shift(cents, session=session, actor=ctx.actor())
                session.flush()
                return shift_view(shift.id, session=session)

        self.open_button.setEnabled(False)
        self.show_message(None)
        self.ctx.db.submit(work, self._opened, self._failed)

    def _opened(self, shift: ShiftView) -> None:
        self.open_button.setEnabled(True)
        self.shown_closed = None
        self.show_shift(shift)
        self.show_message(
            self.tr("Shift opened with a float of %s.") % format_kes(shift.opening_float_cents)
        )
        self.ctx.saved()
        self.sig_shift_changed.emit()

    # --- closing ---------------------------------------------------------------

    def ask_close(self) -> None:
        if self.shift is None:
            return
        dialog = CloseShiftDialog(self.shift, self)
        if dialog.exec() != CloseShiftDialog.DialogCode.Accepted or dialog.counted_cents is None:
            return
        self.close_with(dialog.counted_cents)

    def close_with(self, counted_cents: int) -> None:
        """Close the shown shift with ``counted_cents`` on the database thread."""
        if self.shift is None:
            return
        ctx = self.ctx
        shift_id = self.shift.shift_id

        def work() -> ShiftView:
            with ctx.store.write() as session:
                close_shift(shift_id, counted_cents, session=session, actor=ctx.actor())
            with ctx.store.session() as session:
                return shift_view(shift_id, session=session)

        self.close_button.setEnabled(False)
        self.ctx.db.submit(work, self._closed, self._close_failed)

    def _closed(self, shift: ShiftView) -> None:
        self.shown_closed = shift.shift_id
        self.show_shift(shift)
        self.show_message(
            self.tr("Shift closed. Counted %s, expected %s: %s.")
            % (
                format_kes(shift.counted_cash_cents or 0),
                format_kes(shift.expected_cash_cents),
                variance_text(shift.variance_cents),
            )
        )
        self.ctx.saved()
        self.sig_shift_changed.emit()

    def _close_failed(self, error: BaseException) -> None:
        self.close_button.setEnabled(bool(self.shift and self.shift.is_open))
        self._failed(error)
        if isinstance(error, NotAllowed) and self.shift is not None:
            self.shown_closed = self.shift.shift_id
            self.refresh()

    def _failed(self, error: BaseException) -> None:
        self.open_button.setEnabled(True)
        if isinstance(error, InvalidValue):
            self.float_field.show_error(error.reason)
        elif isinstance(error, NotAllowed | LookupError):
            self.show_message(str(error), error=True)
        else:
            self.show_message(self.tr("Could not do it: %s") % error, error=True)

    # --- printing ------------------------------------------------------------------

    def print_cash_up(self) -> None:
        if self.shift is None:
            return
        try:
            print_cash_up(self.shift, self)
        except OSError as error:
            self.show_message(self.tr("Could not print the cash-up: %s") % error, error=True)

    def save_pdf(self) -> None:
        if self.shift is None:
            return
        name = f"cash-up-{local_time(self.shift.opened_at, '%Y-%m-%d-%H%M')}.pdf"
        path = ask_save_path(self, self.tr("Save the cash-up"), name, self.tr("PDF files (*.pdf)"))
        if path is None:
            return
        try:
            write_cash_up_pdf(self.shift, path)
        except OSError as error:
            self.show_message(self.tr("Could not save the cash-up: %s") % error, error=True)
            return
        self.show_message(self.tr("Cash-up saved to %s.") % path)
