"""M-Pesa till statement reconciliation: import the statement CSV, match it
with the M-Pesa payments taken at this branch, and list for follow-up what
matched, what is only on the statement, what is only in the payments, and
where the amounts differ.

Reading and parsing the file, reading the payments and matching all happen
on the database thread (:class:`~desktop.runner.DbRunner`); the GUI thread
gets a :class:`ReconciliationResult` of plain dataclasses. Nothing is
written: a statement that cannot be read leaves the lists as they were.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QDate, QModelIndex, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clinic.billing.mpesa import (
    NotAStatement,
    Reconciliation,
    Statement,
    StatementLine,
    TakenPayment,
    parse_statement,
    reconcile,
)
from clinic.billing.service import mpesa_payments
from clinic.rules.money import format_kes
from desktop.context import AppContext
from desktop.display import translate
from desktop.screens.shifts.models import RIGHT, Index
from desktop.screens.shifts.shift_panel import BANNER_ERROR, BANNER_OK, table_for

MAX_STATEMENT_BYTES = 20 * 1024 * 1024


class StatementUnreadable(ValueError):
    """The file is not a statement this screen can read (the message says why)."""


@dataclass(frozen=True)
class ReconciliationResult:
    file_name: str
    statement: Statement
    first_day: date
    last_day: date
    payments: int
    result: Reconciliation


def read_statement(path: Path) -> Statement:
    """The statement in ``path``. Raises StatementUnreadable with a message
    for the cashier (not found, too big, not a statement)."""
    try:
        if path.stat().st_size > MAX_STATEMENT_BYTES:
            raise StatementUnreadable(
                translate(
                    "MpesaStatement",
                    "%1 is larger than 20 MB; export one month of the till at a time",
                ).replace("%1", path.name)
            )
        raw = path.read_bytes()
    except OSError as error:
        raise StatementUnreadable(
            translate("MpesaStatement", "Could not open %1: %2")
            .replace("%1", path.name)
            .replace("%2", str(error.strerror))
        ) from None
    if b"\x00" in raw[:4096]:
        raise StatementUnreadable(
            translate(
                "MpesaStatement", "%1 is not a text file; export the till statement as CSV"
            ).replace("%1", path.name)
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    try:
        return parse_statement(text)
    except NotAStatement as error:
        raise StatementUnreadable(f"{path.name}: {error}") from None


def statement_days(statement: Statement, fallback: date) -> tuple[date, date]:
    """The first and last day the statement covers (``fallback`` when it has no times)."""
    days = [line.completed_at.date() for line in statement.lines if line.completed_at]
    return (min(days), max(days)) if days else (fallback, fallback)


def match_statement(
    store: object,
    branch_id: uuid.UUID,
    statement: Statement,
    first_day: date,
    last_day: date,
    file_name: str,
) -> ReconciliationResult:
    """Read the branch's M-Pesa payments of those days and match them (database thread)."""
    with store.session() as session:  # type: ignore[attr-defined]
        payments = mpesa_payments(branch_id, first_day, last_day, session=session)
    return ReconciliationResult(
        file_name=file_name,
        statement=statement,
        first_day=first_day,
        last_day=last_day,
        payments=len(payments),
        result=reconcile(statement.lines, payments),
    )


class RowsModel(QAbstractTableModel):
    """A read-only list of text rows under headers; columns named in
    ``money_columns`` are right-aligned."""

    def __init__(self, headers: Sequence[str], money_columns: Sequence[int] = ()) -> None:
        super().__init__()
        self._headers = tuple(headers)
        self._money = set(money_columns)
        self.rows: list[tuple[str, ...]] = []

    def set_rows(self, rows: list[tuple[str, ...]]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in self._money:
            return RIGHT
        return None

    def as_text(self) -> str:
        lines = ["\t".join(self._headers)]
        lines += ["\t".join(row) for row in self.rows]
        return "\n".join(lines)


def _when(line: StatementLine) -> str:
    return line.completed_at.strftime("%d %b %Y %H:%M") if line.completed_at else ""


def _receipts(payments: Sequence[TakenPayment]) -> str:
    return ", ".join(p.receipt_number or "" for p in payments)


class MpesaPanel(QWidget):
    """Import a statement, see the four lists."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.statement: Statement | None = None
        self.file_name = ""
        self.outcome: ReconciliationResult | None = None

        self.import_button = QPushButton(self.tr("&Import till statement (CSV)…"))
        self.import_button.setObjectName("import_statement")
        self.import_button.clicked.connect(self.choose_file)
        today = ctx.today()
        self.first_day = QDateEdit(QDate(today.year, today.month, today.day))
        self.last_day = QDateEdit(QDate(today.year, today.month, today.day))
        for edit in (self.first_day, self.last_day):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("dd MMM yyyy")
        self.match_button = QPushButton(self.tr("&Match again"))
        self.match_button.setEnabled(False)
        self.match_button.clicked.connect(self.match_again)
        controls = QHBoxLayout()
        controls.addWidget(self.import_button)
        controls.addSpacing(20)
        controls.addWidget(QLabel(self.tr("Payments from")))
        controls.addWidget(self.first_day)
        controls.addWidget(QLabel(self.tr("to")))
        controls.addWidget(self.last_day)
        controls.addWidget(self.match_button)
        controls.addStretch(1)

        self.message = QLabel()
        self.message.setObjectName("mpesa_message")
        self.message.setWordWrap(True)
        self.message.hide()
        self.summary = QLabel(
            self.tr(
                "Export the till's statement from M-Pesa for Business as CSV and import it"
                " here: each line is matched with the M-Pesa payments taken at this branch."
            )
        )
        self.summary.setObjectName("mpesa_summary")
        self.summary.setWordWrap(True)
        self.problems = QLabel()
        self.problems.setObjectName("mpesa_problems")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #9a6700;")
        self.problems.hide()

        amount = self.tr("Amount")
        self.matched = RowsModel(
            (
                self.tr("Code"),
                self.tr("Completed"),
                amount,
                self.tr("Receipts"),
                self.tr("Details"),
            ),
            (2,),
        )
        self.only_statement = RowsModel(
            (self.tr("Code"), self.tr("Completed"), amount, self.tr("Details"), self.tr("Line")),
            (2,),
        )
        self.only_payments = RowsModel((self.tr("Code"), self.tr("Receipt"), amount), (2,))
        self.differ = RowsModel(
            (
                self.tr("Code"),
                self.tr("Completed"),
                self.tr("On statement"),
                self.tr("Recorded"),
                self.tr("Difference"),
                self.tr("Receipts"),
            ),
            (2, 3, 4),
        )
        self.lists = QTabWidget()
        self.lists.setObjectName("mpesa_lists")
        self.tables: dict[str, QTableView] = {}
        for key, model in (
            ("matched", self.matched),
            ("only_statement", self.only_statement),
            ("only_payments", self.only_payments),
            ("differ", self.differ),
        ):
            table = table_for(model, f"mpesa_{key}")
            self.tables[key] = table
            self.lists.addTab(table, "")
        self._name_tabs()
        self.copy_button = QPushButton(self.tr("&Copy this list"))
        self.copy_button.setToolTip(self.tr("Copy the list shown, to paste into a follow-up sheet"))
        self.copy_button.clicked.connect(self.copy_list)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.copy_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(controls)
        layout.addWidget(self.message)
        layout.addWidget(self.summary)
        layout.addWidget(self.problems)
        layout.addWidget(self.lists, 1)
        layout.addLayout(bottom)

    def _name_tabs(self) -> None:
        names = (
            self.tr("Matched (%d)") % self.matched.rowCount(),
            self.tr("Only on the statement (%d)") % self.only_statement.rowCount(),
            self.tr("Payments not on the statement (%d)") % self.only_payments.rowCount(),
            self.tr("Amounts differ (%d)") % self.differ.rowCount(),
        )
        for index, name in enumerate(names):
            self.lists.setTabText(index, name)

    def show_message(self, text: str | None, *, error: bool = False) -> None:
        self.message.setText(text or "")
        self.message.setStyleSheet(BANNER_ERROR if error else BANNER_OK)
        self.message.setVisible(bool(text))

    # --- importing --------------------------------------------------------------

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            self.tr("Import the M-Pesa till statement"),
            "",
            self.tr("CSV files (*.csv *.txt);;All files (*)"),
        )
        if path:
            self.import_file(Path(path))

    def import_file(self, path: Path) -> None:
        """Read, parse and match ``path`` on the database thread."""
        branch_id = self.ctx.actor().branch_id
        if branch_id is None:
            self.show_message(self.tr("This PC has no branch yet: log in online once."), error=True)
            return
        store = self.ctx.store
        fallback = self.first_day.date().toPython()

        def work() -> ReconciliationResult:
            statement = read_statement(path)
            first, last = statement_days(statement, fallback)  # type: ignore[arg-type]
            return match_statement(store, branch_id, statement, first, last, path.name)

        self.import_button.setEnabled(False)
        self.show_message(self.tr("Reading %s…") % path.name)
        self.ctx.db.submit(work, self.show_result, self._failed)

    def match_again(self) -> None:
        """Match the statement already read against the days now chosen."""
        branch_id = self.ctx.actor().branch_id
        if self.statement is None or branch_id is None:
            return
        store, statement, name = self.ctx.store, self.statement, self.file_name
        first = self.first_day.date().toPython()
        last = self.last_day.date().toPython()
        if last < first:  # type: ignore[operator]
            self.show_message(self.tr("The last day is before the first."), error=True)
            return

        def work() -> ReconciliationResult:
            return match_statement(store, branch_id, statement, first, last, name)  # type: ignore[arg-type]

        self.ctx.db.submit(work, self.show_result, self._failed)

    def _failed(self, error: BaseException) -> None:
        self.import_button.setEnabled(True)
        if isinstance(error, StatementUnreadable):
            self.show_message(str(error), error=True)
        else:
            self.show_message(self.tr("Could not reconcile the statement: %s") % error, error=True)

    # --- showing ---------------------------------------------------------------------

    def show_result(self, outcome: ReconciliationResult) -> None:
        self.import_button.setEnabled(True)
        self.match_button.setEnabled(True)
        self.outcome = outcome
        self.statement = outcome.statement
        self.file_name = outcome.file_name
        for edit, day in ((self.first_day, outcome.first_day), (self.last_day, outcome.last_day)):
            edit.blockSignals(True)
            edit.setDate(QDate(day.year, day.month, day.day))
            edit.blockSignals(False)
        r = outcome.result
        self.matched.set_rows(
            [
                (m.code, _when(m.statement), format_kes(m.statement.paid_in_cents),
                 _receipts(m.payments), m.statement.details)
                for m in r.matched
            ]
        )  # fmt: skip
        self.only_statement.set_rows(
            [
                (line.code, _when(line), format_kes(line.paid_in_cents), line.details,
                 str(line.line_number))
                for line in r.only_on_statement
            ]
        )  # fmt: skip
        self.only_payments.set_rows(
            [
                (p.code, p.receipt_number or "", format_kes(p.amount_cents))
                for p in r.only_in_payments
            ]
        )
        self.differ.set_rows(
            [
                (m.code, _when(m.statement), format_kes(m.statement.paid_in_cents),
                 format_kes(m.taken_cents), format_kes(m.difference_cents), _receipts(m.payments))
                for m in r.amounts_differ
            ]
        )  # fmt: skip
        self._name_tabs()
        days = (
            outcome.first_day.strftime("%d %b %Y")
            if outcome.first_day == outcome.last_day
            else f"{outcome.first_day:%d %b %Y} to {outcome.last_day:%d %b %Y}"
        )
        self.summary.setText(
            self.tr(
                "%s: %d statement lines against %d M-Pesa payments of %s. Matched %d;"
                " only on the statement %d; payments not on the statement %d; amounts"
                " differ %d; not money in (withdrawals, charges, failed) %d."
            )
            % (
                outcome.file_name,
                len(outcome.statement.lines),
                outcome.payments,
                days,
                len(r.matched),
                len(r.only_on_statement),
                len(r.only_in_payments),
                len(r.amounts_differ),
                len(r.not_money_in),
            )
        )
        problems = outcome.statement.problems
        if problems:
            shown = "\n".join(
                self.tr("Line %d: %s") % (p.line_number, p.reason) for p in problems[:10]
            )
            more = len(problems) - 10
            if more > 0:
                shown += "\n" + self.tr("… and %d more") % more
            self.problems.setText(
                self.tr("%d lines of the statement could not be read:") % len(problems)
                + "\n"
                + shown
            )
        self.problems.setVisible(bool(problems))
        self.show_message(None)
        first_with_rows = next(
            (
                i
                for i, model in enumerate(
                    (self.differ, self.only_statement, self.only_payments, self.matched)
                )
                if model.rowCount()
            ),
            None,
        )
        order = (3, 1, 2, 0)
        if first_with_rows is not None:
            self.lists.setCurrentIndex(order[first_with_rows])

    def copy_list(self) -> None:
        table = self.lists.currentWidget()
        assert isinstance(table, QTableView)
        model = table.model()
        assert isinstance(model, RowsModel)
        QGuiApplication.clipboard().setText(model.as_text())
        self.show_message(self.tr("Copied %d rows.") % model.rowCount())
