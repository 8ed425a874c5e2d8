"""The result entry form of one requested test: a row per result field of
the test with its unit and the normal range for the patient's age and sex,
each numeric value flagged live as vitals are (amber: outside the normal
range, red: critical), a coded result chosen from its values, free text in a
line of its own, and the clinic's message under a value it refuses.

The checks are the clinic's own (:mod:`clinic.lab.catalogue`), pure Python,
run on every keystroke on the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QLineEdit, QWidget

from clinic.errors import FieldError, InvalidValue
from clinic.lab.catalogue import LabField, LabTest, ResultKind, coded_text
from desktop.display import flag_text, result_kind_hint
from desktop.screens.triage.vitals_form import FIELD_STYLES, FLAG_STYLES, flag_kind
from desktop.widgets import ERROR_STYLE

_COMBO_STYLE = {
    "normal": "",
    "abnormal": "QComboBox { background: #fff3cd; border: 2px solid #d39e00; }",
    "critical": "QComboBox { background: #fde0dc; border: 2px solid #c62828; }",
    "error": "QComboBox { border: 2px solid #b00020; }",
}


@dataclass
class ResultRow:
    field: LabField
    input: QLineEdit | QComboBox
    flag: QLabel
    error: QLabel


class ResultForm(QWidget):
    """Inputs for the results of one test; see the module docstring."""

    sig_changed = Signal()
    """Something typed or chosen changed."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, ResultRow] = {}
        self.age_years: float | None = None
        self.sex: str | None = None
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setHorizontalSpacing(10)
        self.grid.setVerticalSpacing(4)

    def show_test(
        self,
        test: LabTest,
        age_years: float | None,
        sex: str | None,
        entered: dict[str, str],
    ) -> None:
        """Lay out ``test``'s fields for a patient of this age and sex, filled
        with what was entered before (by field code)."""
        self.age_years, self.sex = age_years, sex
        while self.grid.count():
            item = self.grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.rows = {}
        for column, text in enumerate(
            (self.tr("Result"), self.tr("Value"), self.tr("Unit"), self.tr("Flag"))
        ):
            heading = QLabel(text)
            heading.setStyleSheet("color: #616161; font-weight: 600;")
            self.grid.addWidget(heading, 0, column)
        normal_heading = QLabel(self.tr("Normal range"))
        normal_heading.setStyleSheet("color: #616161; font-weight: 600;")
        self.grid.addWidget(normal_heading, 0, 4)
        line = 1
        for lab_field in test.fields:
            widget = self._input(lab_field, entered.get(lab_field.code, ""))
            label = QLabel(lab_field.label + ("" if lab_field.required else self.tr(" (if any)")))
            label.setBuddy(widget)
            flag = QLabel()
            flag.setObjectName(f"{lab_field.code}_flag")
            normal = QLabel(lab_field.range_text(age_years, sex))
            normal.setObjectName(f"{lab_field.code}_range")
            normal.setStyleSheet("color: #616161;")
            error = QLabel()
            error.setObjectName(f"{lab_field.code}_error")
            error.setStyleSheet(ERROR_STYLE)
            error.setWordWrap(True)
            error.hide()
            self.rows[lab_field.code] = ResultRow(lab_field, widget, flag, error)
            self.grid.addWidget(label, line, 0, Qt.AlignmentFlag.AlignRight)
            if lab_field.kind is ResultKind.TEXT:
                self.grid.addWidget(widget, line, 1, 1, 4)
            else:
                self.grid.addWidget(widget, line, 1)
                self.grid.addWidget(QLabel(lab_field.unit), line, 2)
                self.grid.addWidget(flag, line, 3, Qt.AlignmentFlag.AlignLeft)
                self.grid.addWidget(normal, line, 4)
            self.grid.addWidget(error, line + 1, 1, 1, 4)
            line += 2
        self.grid.setColumnMinimumWidth(3, 110)
        self.grid.setColumnStretch(5, 1)
        self.grid.setRowStretch(line, 1)
        for code in self.rows:
            self._update(code, reveal=False)

    def _input(self, lab_field: LabField, entered: str) -> QLineEdit | QComboBox:
        hint = result_kind_hint(lab_field.kind)
        if lab_field.kind is ResultKind.CODED:
            combo = QComboBox()
            combo.addItem(self.tr("— %s —") % hint, "")
            for code in lab_field.values:
                combo.addItem(coded_text(code), code)
            combo.setCurrentIndex(max(0, combo.findData(entered)))
            combo.setObjectName(lab_field.code)
            combo.setMinimumWidth(140)
            combo.currentIndexChanged.connect(lambda _i, c=lab_field.code: self._typed(c))
            return combo
        edit = QLineEdit(entered)
        edit.setObjectName(lab_field.code)
        edit.setPlaceholderText(hint)
        if lab_field.kind is ResultKind.NUMERIC:
            edit.setAlignment(Qt.AlignmentFlag.AlignRight)
            edit.setFixedWidth(110)
        edit.setStyleSheet(FIELD_STYLES["normal"])
        edit.textChanged.connect(lambda _t, c=lab_field.code: self._typed(c))
        edit.editingFinished.connect(lambda c=lab_field.code: self._update(c, reveal=True))
        return edit

    # --- reading ----------------------------------------------------------

    def raw(self, code: str) -> str:
        widget = self.rows[code].input
        if isinstance(widget, QComboBox):
            return str(widget.currentData() or "")
        return widget.text()

    def values(self) -> dict[str, str]:
        """What is typed or chosen, by field code (blanks left out)."""
        return {code: text for code in self.rows if (text := self.raw(code).strip())}

    def show_errors(self, errors: list[FieldError]) -> None:
        """The service's refusals, each under its field (others are returned
        to the caller by :meth:`unplaced`)."""
        for row in self.rows.values():
            row.error.hide()
        for error in errors:
            refused = self.rows.get(error.field)
            if refused is not None:
                refused.error.setText(error.reason)
                refused.error.show()
                self._style(refused, "error")

    def unplaced(self, errors: list[FieldError]) -> list[FieldError]:
        return [e for e in errors if e.field not in self.rows]

    # --- live flags -------------------------------------------------------

    def _typed(self, code: str) -> None:
        self._update(code, reveal=False)
        self.sig_changed.emit()

    def _update(self, code: str, *, reveal: bool) -> None:
        row = self.rows[code]
        try:
            value = row.field.read(self.raw(code))
        except InvalidValue as error:
            row.flag.clear()
            row.flag.setStyleSheet("")
            if reveal:
                row.error.setText(error.reason)
                row.error.show()
                self._style(row, "error")
            return
        row.error.hide()
        flag = row.field.flag(value, self.age_years, self.sex) if value is not None else None
        abnormal = value is not None and row.field.is_abnormal(value)
        kind = flag_kind(flag) if flag is not None else ("abnormal" if abnormal else "normal")
        if flag is not None:
            row.flag.setText(flag_text(flag))
        elif abnormal:
            row.flag.setText(self.tr("Abnormal"))
        else:
            row.flag.clear()
        row.flag.setStyleSheet(FLAG_STYLES[kind] if row.flag.text() else "")
        self._style(row, kind)

    def _style(self, row: ResultRow, kind: str) -> None:
        if isinstance(row.input, QComboBox):
            row.input.setStyleSheet(_COMBO_STYLE[kind])
        else:
            row.input.setStyleSheet(FIELD_STYLES[kind])
