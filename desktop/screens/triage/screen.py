"""Triage: the nurse takes the next patient's vital signs.

Readings are flagged as they are typed; critical readings must be confirmed
before they are saved (then ``record_triage(confirm_critical=True)``); the
service's own checks run again on save and put their messages under the
fields. Vitals already taken at this visit are shown read-only beside the form.
"""

from __future__ import annotations

import itertools
import uuid

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clinic.enums import VisitStatus
from clinic.errors import NotAllowed, ValidationFailed
from clinic.permissions import Data, may_write
from clinic.rules.vitals import VITALS, Flag
from clinic.visits.models import Triage
from clinic.visits.queries import VisitRecord
from clinic.visits.service import CriticalVitals, record_triage
from desktop.display import flag_text, vital_label
from desktop.screens.triage.vitals_form import (
    ABNORMAL_COLOUR,
    CRITICAL,
    CRITICAL_COLOUR,
    VitalsForm,
)
from desktop.screens.visit_screen import (
    BANNER_ERROR_STYLE,
    VisitScreen,
    age_in_years,
    local_time,
    shown_age,
)


def triage_value(triage: Triage, name: str) -> float | None:
    value = getattr(triage, name)
    return float(value) if value is not None else None


class RecordedVitals(QTableWidget):
    """Vitals already recorded at this visit, one column per time they were
    taken (read-only; flagged cells coloured as on the form)."""

    def __init__(self) -> None:
        super().__init__(len(VITALS) + 2, 0)
        self.setObjectName("recorded_vitals")
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setFocusPolicy(self.focusPolicy().NoFocus)
        self.setVerticalHeaderLabels(
            [f"{vital_label(v.name)} ({v.unit})" for v in VITALS.values()]
            + [self.tr("BMI"), self.tr("Notes")]
        )
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.setWordWrap(True)

    def show_triages(self, triages: list[Triage]) -> None:
        self.setColumnCount(len(triages))
        self.setHorizontalHeaderLabels([local_time(t.created_at) for t in triages])
        for column, triage in enumerate(triages):
            flags = triage.flags or {}
            for row, vital in enumerate(VITALS.values()):
                value = triage_value(triage, vital.name)
                text = vital.show_number(value) if value is not None else ""
                item = QTableWidgetItem(text)
                flag = flags.get(vital.name)
                if flag and flag != Flag.NORMAL:
                    item.setText(f"{text}  {flag_text(Flag(flag))}")
                    colour = CRITICAL_COLOUR if flag in CRITICAL else ABNORMAL_COLOUR
                    item.setBackground(QBrush(QColor(colour)))
                self.setItem(row, column, item)
            bmi = f"{triage.bmi:.1f}" if triage.bmi is not None else ""
            self.setItem(len(VITALS), column, QTableWidgetItem(bmi))
            self.setItem(len(VITALS) + 1, column, QTableWidgetItem(triage.notes or ""))
        self.resizeRowsToContents()
        rows = sum(self.rowHeight(row) for row in range(self.rowCount()))
        frame = 2 * self.frameWidth()
        self.setMaximumHeight(self.horizontalHeader().sizeHint().height() + rows + frame + 2)

    def cell_text(self, name: str, column: int = -1) -> str:
        """What the table shows for a vital (the latest column by default)."""
        if self.columnCount() == 0:
            return ""
        row = list(VITALS).index(name)
        item = self.item(row, column % self.columnCount())
        return item.text() if item else ""


class TriageScreen(VisitScreen):
    """The nurse's screen: today's patients waiting for triage, and the
    vitals form for the one opened (``open_visit``)."""

    key = "triage"
    waiting_statuses = frozenset({VisitStatus.REGISTERED})

    def title(self) -> str:
        return self.tr("Triage")

    def waiting_heading(self) -> str:
        return self.tr("Waiting for triage")

    def waiting_empty_text(self) -> str:
        return self.tr("No patients are waiting for triage.")

    # --- the form -------------------------------------------------------

    def build_form(self) -> QWidget:
        self.may_write = may_write(self.ctx.user.role, Data.VITALS)
        self.vitals = VitalsForm()
        self.vitals.sig_changed.connect(self._show_bmi)
        self.age_note = QLabel()
        self.age_note.setStyleSheet("color: #616161;")
        self.bmi = QLabel()
        self.bmi.setObjectName("bmi")
        self.bmi.setStyleSheet("font-size: 12pt; font-weight: 600;")
        self.notes = QPlainTextEdit()
        self.notes.setObjectName("notes")
        self.notes.setTabChangesFocus(True)
        self.notes.setPlaceholderText(self.tr("Anything the clinician should know"))
        self.notes.setFixedHeight(64)
        self.message = QLabel()
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(BANNER_ERROR_STYLE)
        self.message.hide()
        self.save_button = QPushButton(self.tr("&Save vitals (Ctrl+S)"))
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.save_button.setVisible(self.may_write)

        form = QGroupBox(self.tr("Vital signs"))
        left = QVBoxLayout(form)
        left.addWidget(self.age_note)
        left.addWidget(self.vitals)
        left.addWidget(self.bmi)
        left.addWidget(QLabel(self.tr("Notes")))
        left.addWidget(self.notes)
        left.addWidget(self.message)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        left.addLayout(buttons)
        left.addStretch(1)

        self.recorded = RecordedVitals()
        self.recorded_empty = QLabel(self.tr("No vitals recorded yet at this visit."))
        self.recorded_empty.setStyleSheet("color: #616161;")
        earlier = QGroupBox(self.tr("Recorded at this visit"))
        right = QVBoxLayout(earlier)
        self.recorded_empty.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        right.addWidget(self.recorded_empty, 1)
        right.addWidget(self.recorded, 1)
        right.addStretch(0)

        body = QWidget()
        layout = QHBoxLayout(body)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(form, 3)
        layout.addWidget(earlier, 2)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(body)
        order: list[QWidget] = [row.edit for row in self.vitals.rows.values()]
        order += [self.notes, self.save_button]
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)
        return scroll

    def set_form_enabled(self, enabled: bool) -> None:
        writable = enabled and self.may_write
        self.vitals.set_enabled(writable)
        self.notes.setEnabled(writable)
        self.save_button.setEnabled(writable)

    def show_record(self, record: VisitRecord, *, fill: bool) -> None:
        self.recorded.show_triages(record.triage)
        self.recorded.setVisible(bool(record.triage))
        self.recorded_empty.setVisible(not record.triage)
        if not fill:
            return
        age = age_in_years(record.date_of_birth, record.visit_date)
        self.age_note.setText(
            self.tr("Ranges for age %s.") % shown_age(record.date_of_birth, record.visit_date)
            if age is not None
            else self.tr("Age unknown: adult ranges are used.")
        )
        self.vitals.clear()
        self.vitals.set_age(age)
        self.notes.clear()
        self._show_message(None)
        self._show_bmi()
        if record.status in (VisitStatus.COMPLETED, VisitStatus.CANCELLED):
            self.set_form_enabled(False)
            self._show_message(self.tr("This visit is closed; vitals cannot be added."))
            return
        self.vitals.first_field().setFocus()

    def _show_bmi(self) -> None:
        bmi = self.vitals.bmi()
        self.bmi.setText(self.tr("BMI %s kg/m²") % f"{bmi:.1f}" if bmi is not None else "")
        self.bmi.setVisible(bmi is not None)

    def _show_message(self, text: str | None) -> None:
        self.message.setText(text or "")
        self.message.setVisible(bool(text))

    def is_dirty(self) -> bool:
        return self.vitals.has_readings() or bool(self.notes.toPlainText().strip())

    # --- saving ---------------------------------------------------------

    def save(self) -> None:
        """Check, confirm critical readings, then record them on the
        database thread."""
        if self.record is None or not self.save_button.isEnabled():
            return
        self._show_message(None)
        problems = self.vitals.check()
        if problems:
            self._focus_field(problems[0].field)
            return
        if not self.vitals.has_readings():
            self._show_message(self.tr("Type at least one reading before saving."))
            self.vitals.first_field().setFocus()
            return
        flags = self.vitals.assessment_flags()
        critical = [name for name, flag in flags.items() if flag in CRITICAL]
        if critical and not self.confirm_critical(critical):
            return
        self._submit(confirm=bool(critical))

    def confirm_critical(self, names: list[str]) -> bool:
        """Ask the nurse to confirm each critical reading; True to save them."""
        readings = self.vitals.readings()
        flags = self.vitals.assessment_flags()
        lines = []
        for name in names:
            value = readings.get(name)
            shown = VITALS[name].show(value) if value is not None else ""
            flag = flags.get(name)
            lines.append(
                f"• {vital_label(name)} {shown} — {flag_text(flag) if flag else ''}".strip()
            )
        box = QMessageBox(self)
        box.setObjectName("confirm_critical")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("Critical readings"))
        box.setText(self.tr("These readings are critical:"))
        box.setInformativeText(
            "\n".join(lines)
            + "\n\n"
            + self.tr("Check them on the patient. Save them and alert the clinician now?")
        )
        confirm = box.addButton(
            self.tr("Save critical readings"), QMessageBox.ButtonRole.AcceptRole
        )
        back = box.addButton(self.tr("Go back and check"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(back)
        box.setEscapeButton(back)
        box.exec()
        return box.clickedButton() is confirm

    def _submit(self, *, confirm: bool) -> None:
        record = self.record
        assert record is not None
        readings = self.vitals.readings()
        notes = self.notes.toPlainText().strip() or None
        ctx = self.ctx
        visit_id: uuid.UUID = record.visit_id

        def work() -> None:
            with ctx.store.write() as session:
                record_triage(
                    visit_id,
                    readings,
                    session=session,
                    actor=ctx.actor(),
                    confirm_critical=confirm,
                    notes=notes,
                )

        self.save_button.setEnabled(False)
        self.run(work, lambda _result: self._saved(record), self._save_failed)

    def _saved(self, record: VisitRecord) -> None:
        self.save_button.setEnabled(self.may_write)
        self.vitals.clear()
        self.notes.clear()
        self.visit_saved(
            self.tr("Vitals saved for %s (%s).") % (record.patient_name, record.op_number)
        )

    def _save_failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(self.may_write)
        if isinstance(error, CriticalVitals):
            if self.confirm_critical(error.names):
                self._submit(confirm=True)
            return
        if isinstance(error, ValidationFailed):
            unplaced = self.vitals.show_errors(error.errors)
            self._show_message("\n".join(unplaced) or None)
            self._focus_field(error.errors[0].field)
            return
        if isinstance(error, NotAllowed | LookupError):
            self._show_message(str(error))
            return
        self._show_message(self.tr("Could not save the vitals: %s") % error)

    def _focus_field(self, name: str) -> None:
        row = self.vitals.rows.get(name)
        if row is not None:
            row.edit.setFocus()
            row.edit.selectAll()

    def show_problem(self, text: str) -> None:
        self._show_message(text)
