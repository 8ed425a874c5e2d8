"""The vitals inputs: one field per vital of ``VITALS`` with its unit, flagged
live against the patient's age (amber: outside the normal range, red:
critical), the service's message under a field holding an impossible
reading, and the BMI once weight and height are in.

All checks are the clinic's own rules (``assess_vitals``): pure Python, fast
enough to run on every keystroke on the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRegularExpression, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QGridLayout, QLabel, QLineEdit, QWidget

from clinic.errors import FieldError, ValidationFailed
from clinic.rules.vitals import VITALS, Flag, VitalSign, assess_vitals
from desktop.display import flag_text, unit_text, vital_label
from desktop.widgets import ERROR_STYLE

CRITICAL = (Flag.CRITICAL_LOW, Flag.CRITICAL_HIGH)
ABNORMAL_COLOUR = "#fff3cd"
CRITICAL_COLOUR = "#fde0dc"
_FIELD_STYLE = (
    "QLineEdit {{ background: {background}; border: 2px solid {border};"
    " border-radius: 3px; padding: 2px 6px; }}"
)
FIELD_STYLES = {
    "normal": _FIELD_STYLE.format(background="#ffffff", border="#b0b7bf"),
    "abnormal": _FIELD_STYLE.format(background=ABNORMAL_COLOUR, border="#d39e00"),
    "critical": _FIELD_STYLE.format(background=CRITICAL_COLOUR, border="#c62828"),
    "error": _FIELD_STYLE.format(background="#ffffff", border="#b00020"),
}
_CHIP = "font-weight: 600; padding: 2px 8px; border-radius: 9px;"
FLAG_STYLES = {
    "normal": "color: #2e7d32; padding: 2px 8px;",
    "abnormal": f"color: #5c3c00; background: #ffd866; {_CHIP}",
    "critical": f"color: #ffffff; background: #c62828; {_CHIP}",
}


def flag_kind(flag: Flag | None) -> str:
    if flag is None or flag is Flag.NORMAL:
        return "normal"
    return "critical" if flag in CRITICAL else "abnormal"


def normal_range(vital: VitalSign, age_years: float | None) -> str:
    band = vital.band_for(age_years)
    if band is None:
        return ""
    low, high = band.normal_low, band.normal_high
    if low is not None and high is not None:
        return f"{vital.show_number(low)}\N{EN DASH}{vital.show_number(high)}"
    if low is not None:
        return f"\N{GREATER-THAN OR EQUAL TO} {vital.show_number(low)}"
    if high is not None:
        return f"\N{LESS-THAN OR EQUAL TO} {vital.show_number(high)}"
    return ""


@dataclass
class VitalRow:
    vital: VitalSign
    edit: QLineEdit
    flag: QLabel
    normal: QLabel
    error: QLabel
    showing_error: bool = False


class VitalsForm(QWidget):
    """Inputs for every vital sign; see the module docstring."""

    sig_changed = Signal()
    """Something typed changed (a reading, hence maybe the flags and BMI)."""

    def __init__(self) -> None:
        super().__init__()
        self.age_years: float | None = None
        self.rows: dict[str, VitalRow] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(4)
        for column, text in enumerate(
            (self.tr("Reading"), "", self.tr("Unit"), self.tr("Flag"), self.tr("Normal range"))
        ):
            if text:
                heading = QLabel(text)
                heading.setStyleSheet("color: #616161; font-weight: 600;")
                grid.addWidget(heading, 0, column)
        line = 1
        for vital in VITALS.values():
            edit = QLineEdit()
            edit.setObjectName(vital.name)
            edit.setAccessibleName(vital_label(vital.name))
            edit.setAlignment(Qt.AlignmentFlag.AlignRight)
            edit.setFixedWidth(96)
            edit.setStyleSheet(FIELD_STYLES["normal"])
            decimals = f"(\\.\\d{{0,{vital.decimals}}})?" if vital.decimals else ""
            edit.setValidator(
                QRegularExpressionValidator(QRegularExpression(f"\\d{{0,3}}{decimals}"), edit)
            )
            label = QLabel(vital_label(vital.name))
            label.setBuddy(edit)
            unit = QLabel(unit_text(vital.unit))
            unit.setMinimumWidth(80)
            flag = QLabel()
            flag.setObjectName(f"{vital.name}_flag")
            normal = QLabel()
            normal.setStyleSheet("color: #616161;")
            error = QLabel()
            error.setObjectName(f"{vital.name}_error")
            error.setAccessibleName("error")
            error.setStyleSheet(ERROR_STYLE)
            error.setWordWrap(True)
            error.hide()
            row = VitalRow(vital, edit, flag, normal, error)
            self.rows[vital.name] = row
            grid.addWidget(label, line, 0, Qt.AlignmentFlag.AlignRight)
            grid.addWidget(edit, line, 1)
            grid.addWidget(unit, line, 2)
            grid.addWidget(flag, line, 3, Qt.AlignmentFlag.AlignLeft)
            grid.addWidget(normal, line, 4)
            grid.addWidget(error, line + 1, 1, 1, 4)
            edit.textChanged.connect(lambda _text, name=vital.name: self._typed(name))
            edit.editingFinished.connect(lambda name=vital.name: self._left(name))
            line += 2
        grid.setColumnMinimumWidth(3, 120)
        grid.setColumnStretch(5, 1)
        self.set_age(None)

    # --- reading ----------------------------------------------------------

    def set_age(self, age_years: float | None) -> None:
        """Flag against the bands for this age (adult bands when unknown)."""
        self.age_years = age_years
        for row in self.rows.values():
            row.normal.setText(normal_range(row.vital, age_years))
        for name in self.rows:
            self._update(name, reveal=False)

    def _parse(self, name: str) -> tuple[float | None, str | None]:
        text = self.rows[name].edit.text().strip()
        if not text:
            return None, None
        try:
            return float(text), None
        except ValueError:
            return None, self.tr("Type a number, such as %s") % "37.5"

    def readings(self) -> dict[str, float | None]:
        """Every vital's reading (None when empty or unreadable)."""
        return {name: self._parse(name)[0] for name in self.rows}

    def has_readings(self) -> bool:
        return any(row.edit.text().strip() for row in self.rows.values())

    def check(self) -> list[FieldError]:
        """Every problem with what is typed, shown under its field."""
        problems: list[FieldError] = []
        for name in self.rows:
            error = self._update(name, reveal=True)
            if error:
                problems.append(FieldError(name, error))
        return problems

    def assessment_flags(self) -> dict[str, Flag]:
        """The flag of each valid reading."""
        flags: dict[str, Flag] = {}
        for name in self.rows:
            value, error = self._parse(name)
            if value is None or error:
                continue
            try:
                flag = assess_vitals({name: value}, age_years=self.age_years).flags.get(name)
            except ValidationFailed:
                continue
            if flag is not None:
                flags[name] = flag
        return flags

    def bmi(self) -> float | None:
        weight, _ = self._parse("weight_kg")
        height, _ = self._parse("height_cm")
        if weight is None or height is None:
            return None
        try:
            return assess_vitals({"weight_kg": weight, "height_cm": height}).bmi
        except ValidationFailed:
            return None

    # --- showing ----------------------------------------------------------

    def _typed(self, name: str) -> None:
        self._update(name, reveal=False)
        if name in ("systolic_mmhg", "diastolic_mmhg"):
            other = "diastolic_mmhg" if name == "systolic_mmhg" else "systolic_mmhg"
            self._update(other, reveal=False)
        self.sig_changed.emit()

    def _left(self, name: str) -> None:
        self._update(name, reveal=True)

    def _error_for(self, name: str) -> tuple[float | None, str | None]:
        value, error = self._parse(name)
        if value is None or error:
            return value, error
        readings: dict[str, float | None] = {name: value}
        if name == "diastolic_mmhg":
            systolic, problem = self._parse("systolic_mmhg")
            if systolic is not None and not problem:
                readings["systolic_mmhg"] = systolic
        try:
            assess_vitals(readings, age_years=self.age_years)
        except ValidationFailed as failed:
            mine = [e.reason for e in failed.errors if e.field == name]
            if mine:
                return value, mine[0]
        return value, None

    def _update(self, name: str, *, reveal: bool) -> str | None:
        """Re-flag one field; returns its error. A new error shows only when
        ``reveal`` (the user left the field, or saves), so a half-typed
        number is not scolded; a shown error clears as soon as it is fixed."""
        row = self.rows[name]
        value, error = self._error_for(name)
        if error:
            if reveal or row.showing_error:
                self._show_error(row, error)
            self._show_flag(row, None, blank=True)
            return error
        self._show_error(row, None)
        flag = None
        if value is not None:
            flag = assess_vitals({name: value}, age_years=self.age_years).flags.get(name)
        self._show_flag(row, flag, blank=value is None or flag is None)
        return None

    def _show_error(self, row: VitalRow, error: str | None) -> None:
        row.showing_error = bool(error)
        row.error.setText(error or "")
        row.error.setVisible(bool(error))
        if error:
            row.edit.setStyleSheet(FIELD_STYLES["error"])

    def _show_flag(self, row: VitalRow, flag: Flag | None, *, blank: bool) -> None:
        kind = flag_kind(flag)
        if not row.showing_error:
            row.edit.setStyleSheet(FIELD_STYLES[kind])
        row.edit.setProperty("flag", "" if blank else kind)
        if blank or flag is None:
            row.flag.setText("")
            row.flag.setStyleSheet("")
            return
        row.flag.setText(flag_text(flag))
        row.flag.setStyleSheet(FLAG_STYLES[kind])

    def show_errors(self, errors: list[FieldError]) -> list[str]:
        """Put the service's errors under their fields; returns those that
        belong to no field."""
        unplaced = []
        for error in errors:
            row = self.rows.get(error.field)
            if row is None:
                unplaced.append(error.reason)
            else:
                self._show_error(row, error.reason)
        return unplaced

    def error_text(self, name: str) -> str:
        row = self.rows[name]
        return row.error.text() if row.showing_error else ""

    def flag_shown(self, name: str) -> str:
        return self.rows[name].flag.text()

    def clear(self) -> None:
        for row in self.rows.values():
            row.edit.clear()
            self._show_error(row, None)
            self._show_flag(row, None, blank=True)

    def set_enabled(self, enabled: bool) -> None:
        for row in self.rows.values():
            row.edit.setEnabled(enabled)

    def first_field(self) -> QLineEdit:
        return next(iter(self.rows.values())).edit
