"""The pharmacy's worklist and a visit's lines: pick a visit, pick a line,
give all or part of it (another drug with a reason), note the counselling,
or close what is left with a reason; print the label."""

from __future__ import annotations

import uuid
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clinic.errors import FieldError, InvalidValue, NotAllowed
from clinic.journal.service import record_audit
from clinic.pharmacy.queries import LineState, WorklistEntry, pharmacy_worklist
from clinic.pharmacy.rules import MAX_STOCK_QUANTITY
from clinic.pharmacy.service import Dispensed, dispense
from desktop.context import AppContext
from desktop.printing import clinic_name, local_time
from desktop.screens.patients.calls import submit_for
from desktop.screens.pharmacy.data import VisitAtPharmacy, visit_at_pharmacy
from desktop.screens.pharmacy.label import DispensingLabel, print_label
from desktop.screens.visit_screen import BANNER_ERROR_STYLE, BANNER_OK_STYLE
from desktop.widgets import ErrorForm, rows_table

BANNER_WARNING = (
    "background: #fff4e5; color: #8a4b00; border: 1px solid #ffcc80;"
    " border-radius: 3px; padding: 6px 10px;"
)


def read_only_table(columns: list[str], name: str, stretch: int = -1) -> QTableWidget:
    """A table to read, sized to its contents but for column ``stretch``
    (the last unless told), which takes the width left; rows alternate in
    colour and, unlike :func:`rows_table`'s, their text wraps."""
    table = rows_table(columns, stretch, name)
    table.setWordWrap(True)
    table.setAlternatingRowColors(True)
    return table


def wide_combo(name: str, characters: int = 24) -> QComboBox:
    """A picker that takes the width of its form, for the price list's
    longer drug names and batch numbers."""
    combo = QComboBox()
    combo.setObjectName(name)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(characters)
    combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    return combo


def fill(table: QTableWidget, rows: list[list[str]], keys: list[Any] | None = None) -> None:
    """Put ``rows`` of text in ``table`` (a cell of several lines makes its
    row taller); ``keys`` ride on each row's first cell."""
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            if c and text.lstrip("-").isdigit():
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if c == 0 and keys is not None:
                item.setData(Qt.ItemDataRole.UserRole, keys[r])
            table.setItem(r, c, item)
    table.resizeRowsToContents()


def combo_index(combo: QComboBox, key: Any) -> int:
    """The item of ``combo`` whose data is ``key`` (-1: none); Qt's findData
    does not compare Python objects such as UUIDs by value."""
    return next((i for i in range(combo.count()) if combo.itemData(i) == key), -1)


def row_key(table: QTableWidget) -> Any:
    row = table.currentRow()
    item = table.item(row, 0) if row >= 0 else None
    return item.data(Qt.ItemDataRole.UserRole) if item is not None else None


class DispensePanel(QWidget):
    sig_dispensed = Signal()
    """A line was dispensed or closed here (no payload): the stock moved."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.visit: VisitAtPharmacy | None = None
        self.entries: list[WorklistEntry] = []
        self.worklist = read_only_table(
            [self.tr("Patient"), self.tr("OP number"), self.tr("Owed"), self.tr("Since")],
            "pharmacy_worklist",
            stretch=0,
        )
        self.worklist.itemSelectionChanged.connect(self._visit_chosen)
        left = QGroupBox(self.tr("Waiting at the pharmacy"))
        QVBoxLayout(left).addWidget(self.worklist)

        self.heading = QLabel(self.tr("Choose a patient on the left"))
        self.heading.setObjectName("pharmacy_patient")
        self.heading.setStyleSheet("font-size: 13pt; font-weight: 600;")
        self.message = QLabel()
        self.message.setObjectName("pharmacy_message")
        self.message.setWordWrap(True)
        self.message.hide()
        self.lines = read_only_table(
            [
                self.tr("Drug prescribed"),
                self.tr("Dose"),
                self.tr("Frequency"),
                self.tr("Duration"),
                self.tr("Prescribed"),
                self.tr("Given"),
                self.tr("Owed"),
            ],
            "pharmacy_lines",
            stretch=0,
        )
        self.lines.itemSelectionChanged.connect(self._line_chosen)
        self.given = read_only_table(
            [
                self.tr("Given on"),
                self.tr("By"),
                self.tr("Drug given"),
                self.tr("Quantity"),
                self.tr("Notes"),
            ],
            "pharmacy_given",
        )
        self.given.setMaximumHeight(110)

        self.form_box = QGroupBox(self.tr("Dispense the line"))
        layout = QFormLayout(self.form_box)
        self.form = ErrorForm(layout)
        self.drug = wide_combo("dispense_drug")
        self.form.add("service_id", self.tr("Drug given"), self.drug)
        self.quantity = QSpinBox()
        self.quantity.setObjectName("dispense_quantity")
        self.quantity.setRange(0, MAX_STOCK_QUANTITY)
        self.form.add("quantity", self.tr("Quantity given"), self.quantity)
        self.substitution = QLineEdit()
        self.substitution.setObjectName("substitution_reason")
        self.substitution.setPlaceholderText(self.tr("Only when another drug is given"))
        self.form.add("substitution_reason", self.tr("Why another drug"), self.substitution)
        self.counselling = QLineEdit()
        self.counselling.setObjectName("counselling")
        self.counselling.setPlaceholderText(self.tr("e.g. Take after meals; finish the course"))
        self.form.add("counselling", self.tr("Counselling"), self.counselling)
        self.close_rest = QCheckBox(self.tr("Close the line: the rest is not owed"))
        self.close_rest.setObjectName("close_rest")
        layout.addRow("", self.close_rest)
        self.close_reason = QLineEdit()
        self.close_reason.setObjectName("close_reason")
        self.close_reason.setPlaceholderText(self.tr("e.g. Patient buys the rest elsewhere"))
        self.close_reason.setEnabled(False)
        self.close_rest.toggled.connect(self.close_reason.setEnabled)
        self.form.add("close_reason", self.tr("Why it is closed"), self.close_reason)
        self.dispense_button = QPushButton(self.tr("&Dispense"))
        self.dispense_button.setObjectName("dispense")
        self.dispense_button.clicked.connect(self.dispense)
        self.label_button = QPushButton(self.tr("Print &label…"))
        self.label_button.setObjectName("print_label")
        self.label_button.clicked.connect(self.print_label)
        self.a4_label = QCheckBox(self.tr("On A4"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.dispense_button)
        buttons.addStretch(1)
        buttons.addWidget(self.a4_label)
        buttons.addWidget(self.label_button)
        layout.addRow(buttons)
        self.form_box.setEnabled(False)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.heading)
        right_layout.addWidget(self.message)
        right_layout.addWidget(self.lines, 1)
        right_layout.addWidget(self.given)
        right_layout.addWidget(self.form_box)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 5)
        splitter.setSizes([420, 730])
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 8, 8, 8)
        outer.addWidget(splitter)

    # --- showing --------------------------------------------------------------

    def show_message(self, text: str | None, style: str = BANNER_OK_STYLE) -> None:
        self.message.setText(text or "")
        self.message.setStyleSheet(style)
        self.message.setVisible(bool(text))

    def refresh(self) -> None:
        """Reload the worklist (and the visit shown)."""
        branch_id = self.ctx.actor().branch_id
        store = self.ctx.store

        def work() -> list[WorklistEntry]:
            with store.session() as session:
                return pharmacy_worklist(session, branch_id)

        submit_for(self, self.ctx.db, work, DispensePanel._show_worklist, DispensePanel._failed)

    def _show_worklist(self, entries: list[WorklistEntry]) -> None:
        self.entries = entries
        shown = self.visit.visit_id if self.visit is not None else None
        self.worklist.blockSignals(True)
        fill(
            self.worklist,
            [
                [
                    e.patient_name,
                    e.op_number,
                    self.tr("%n line(s)", "", e.lines_owed),
                    e.visit_date.strftime("%d %b"),
                ]
                for e in entries
            ],
            [e.visit_id for e in entries],
        )
        ids = [e.visit_id for e in entries]
        if shown in ids:
            self.worklist.selectRow(ids.index(shown))
        self.worklist.blockSignals(False)
        if shown is not None:
            self.load_visit(shown, audit=False)

    def _failed(self, error: BaseException) -> None:
        self.show_message(str(error), BANNER_ERROR_STYLE)

    def _visit_chosen(self) -> None:
        visit_id = row_key(self.worklist)
        if visit_id is not None:
            self.load_visit(visit_id)

    def load_visit(self, visit_id: uuid.UUID, *, audit: bool = True) -> None:
        """Show a visit's lines; opening one (``audit``) is a read of the
        patient's clinical record, and the audit log says so."""
        store = self.ctx.store
        actor = self.ctx.actor()

        def work() -> VisitAtPharmacy:
            if not audit:
                with store.session() as session:
                    return visit_at_pharmacy(session, visit_id, clinic_name(store))
            with store.write() as session:
                shown = visit_at_pharmacy(session, visit_id, clinic_name(store))
                record_audit(
                    session,
                    actor,
                    action="read_clinical_record",
                    entity="visits",
                    entity_id=visit_id,
                    after={"screen": "pharmacy"},
                )
                return shown

        submit_for(self, self.ctx.db, work, DispensePanel._show_visit, DispensePanel._failed)

    def _show_visit(self, visit: VisitAtPharmacy) -> None:
        chosen = row_key(self.lines) if self.visit is not None else None
        self.visit = visit
        self.heading.setText(f"{visit.patient_name} · {visit.op_number}")
        self.drug.clear()
        for choice in visit.drugs:
            self.drug.addItem(choice.name, choice.service_id)
        ids = [line.prescription_id for line in visit.lines]
        self.lines.blockSignals(True)
        fill(
            self.lines,
            [
                [
                    line.drug,
                    line.dose,
                    line.frequency,
                    line.duration,
                    str(line.prescribed),
                    str(line.given),
                    self.tr("closed") if line.closed else str(line.owed),
                ]
                for line in visit.lines
            ],
            ids,
        )
        self.lines.blockSignals(False)
        owing = [i for i, line in enumerate(visit.lines) if not line.done]
        row = ids.index(chosen) if chosen in ids else (owing[0] if owing else 0)
        if visit.lines:
            self.lines.selectRow(row)
        self._line_chosen()

    def current_line(self) -> LineState | None:
        if self.visit is None:
            return None
        key = row_key(self.lines)
        return next((x for x in self.visit.lines if x.prescription_id == key), None)

    def _line_chosen(self) -> None:
        line = self.current_line()
        self.form.clear_errors()
        self.form_box.setEnabled(line is not None)
        staff = self.visit.staff if self.visit is not None else {}
        fill(
            self.given,
            [
                [
                    local_time(d.dispensed_at),
                    staff.get(d.dispensed_by, ""),
                    d.drug_name,
                    str(d.quantity),
                    " · ".join(t for t in (d.counselling, d.substitution_reason) if t),
                ]
                for d in (line.dispensings if line is not None else [])
            ],
        )
        if line is None:
            return
        self.dispense_button.setEnabled(not line.done)
        self.quantity.setValue(line.owed)
        self.drug.setCurrentIndex(combo_index(self.drug, line.prescribed_drug_id))
        for field in (self.substitution, self.counselling, self.close_reason):
            field.clear()
        self.close_rest.setChecked(False)

    # --- acting ---------------------------------------------------------------

    def dispense(self) -> None:
        line = self.current_line()
        if line is None:
            return
        ctx = self.ctx
        actor = ctx.actor()
        quantity = self.quantity.value()
        service_id = self.drug.currentData()
        substitution = self.substitution.text()
        counselling = self.counselling.text()
        close_reason = self.close_reason.text() if self.close_rest.isChecked() else None

        def work() -> Dispensed:
            with ctx.store.write() as session:
                return dispense(
                    line.prescription_id,
                    quantity,
                    session=session,
                    actor=actor,
                    service_id=service_id,
                    substitution_reason=substitution,
                    counselling=counselling,
                    close_reason=close_reason,
                )

        self.dispense_button.setEnabled(False)
        submit_for(self, ctx.db, work, DispensePanel._dispensed, DispensePanel._refused)

    def _dispensed(self, done: Dispensed) -> None:
        self.ctx.saved()
        line = done.line
        text = self.tr("%1 given: %2 of %3").replace("%1", line.drug)
        text = text.replace("%2", str(line.given)).replace("%3", str(line.prescribed))
        if line.owed:
            text += " · " + self.tr("%n still owed", "", line.owed)
        if done.visit_completed:
            text += " · " + self.tr("Every line is done: the visit is completed")
        warnings = " ".join(done.warnings)
        self.show_message(
            f"{text}. {warnings}".strip(), BANNER_WARNING if warnings else BANNER_OK_STYLE
        )
        self.sig_dispensed.emit()
        self.refresh()

    def _refused(self, error: BaseException) -> None:
        self.dispense_button.setEnabled(True)
        if isinstance(error, InvalidValue):
            unplaced = self.form.show_errors([FieldError(error.field, error.reason)])
            self.show_message(" ".join(unplaced) or None, BANNER_ERROR_STYLE)
        elif isinstance(error, NotAllowed | LookupError):
            self.show_message(str(error), BANNER_ERROR_STYLE)
        else:
            raise error

    def label_for(self, line: LineState) -> DispensingLabel | None:
        """The label of ``line`` as given last (the drug given, if another)."""
        visit = self.visit
        if visit is None:
            return None
        given = line.dispensings[-1].drug_name if line.dispensings else self.drug.currentText()
        return DispensingLabel(
            clinic_name=visit.clinic_name,
            drug=given or line.drug,
            dose=line.dose,
            frequency=line.frequency,
            duration=line.duration,
            quantity=line.given or self.quantity.value(),
            instructions=line.instructions,
            patient_name=visit.patient_name,
            op_number=visit.op_number,
            day=self.ctx.today(),
        )

    def print_label(self) -> None:
        line = self.current_line()
        label = self.label_for(line) if line is not None else None
        if label is not None:
            print_label(self, label, a4=self.a4_label.isChecked())
