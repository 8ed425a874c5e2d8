"""Registering a new patient, or editing one.

Saving runs on the database thread. A new patient is first checked (every
bad field shown under its field, with the service's message) and looked up
for likely duplicates; if there are any, they are shown in the dialog with
"Open this patient instead" and "Register anyway" before anything is
written. Editing sends only the fields that changed.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clinic.enums import Sex
from clinic.errors import FieldError, NotAllowed, ValidationFailed
from clinic.patients.queries import PatientProfile, registration_check
from clinic.patients.service import (
    DuplicateCandidate,
    PatientDetails,
    register_patient,
    update_patient,
)
from desktop.context import AppContext
from desktop.display import duplicate_reason_text, sex_choices
from desktop.screens.patients.calls import submit_for
from desktop.screens.patients.display import (
    NOTICE_STYLE,
    date_text,
    error_text,
    phone_text,
    table_texts,
)
from desktop.widgets import ERROR_STYLE, ErrorForm

TEXT_FIELDS = (
    "first_name",
    "middle_name",
    "last_name",
    "phone",
    "residence",
    "national_id",
    "sha_number",
    "sha_principal_number",
    "legacy_number",
    "next_of_kin_name",
    "next_of_kin_phone",
    "next_of_kin_relationship",
)


@dataclass(frozen=True)
class SavedPatient:
    """A registration or an edit that was saved, as the dialog reports it.
    ``duplicates`` are patients the saved values point at (warnings)."""

    patient_id: uuid.UUID
    op_number: str
    full_name: str
    registered: bool
    duplicates: tuple[DuplicateCandidate, ...] = ()


class PatientDialog(QDialog):
    """Register a new patient (``profile`` None) or edit ``profile``."""

    sig_saved = Signal(object)
    """The patient was saved; carries a :class:`SavedPatient`."""

    sig_open_patient = Signal(object)
    """Reception chose an existing patient instead of registering; carries its id."""

    def __init__(
        self, ctx: AppContext, profile: PatientProfile | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.profile = profile
        self._busy = False
        self._duplicates: list[DuplicateCandidate] = []
        self.setObjectName("patientDialog")
        self.setWindowTitle(
            self.tr("Register a new patient")
            if profile is None
            else self.tr("Edit patient {op}").format(op=profile.op_number)
        )
        self._build()
        if profile is not None:
            self._fill(profile)
        self._initial = self._raw_values()
        self.first_name.setFocus()

    # --- building ----------------------------------------------------------

    def _line(self, name: str, placeholder: str = "") -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(name)
        edit.setAccessibleName(name)
        if placeholder:
            edit.setPlaceholderText(placeholder)
        return edit

    def _build(self) -> None:
        self.first_name = self._line("first_name")
        self.middle_name = self._line("middle_name")
        self.last_name = self._line("last_name")
        self.sex = QComboBox()
        self.sex.setObjectName("sex")
        for label, value in sex_choices():
            self.sex.addItem(label, value)
        self.date_of_birth = QDateEdit()
        self.date_of_birth.setObjectName("date_of_birth")
        self.date_of_birth.setDisplayFormat("dd/MM/yyyy")
        self.date_of_birth.setCalendarPopup(True)
        self.date_of_birth.setMinimumDate(QDate(1900, 1, 1))
        self.date_of_birth.setSpecialValueText(self.tr("not known"))
        today = self.ctx.today()
        self.date_of_birth.setMaximumDate(QDate(today.year, today.month, today.day))
        self._dob_kept = QDate(today.year - 30, 1, 1)
        self.date_of_birth.setDate(self.date_of_birth.minimumDate())
        self.dob_unknown = QCheckBox(self.tr("Not known"))
        self.dob_unknown.setObjectName("dob_unknown")
        self.dob_unknown.setChecked(True)
        self.dob_unknown.toggled.connect(self._dob_known_changed)
        dob_row = QWidget()
        dob_layout = QHBoxLayout(dob_row)
        dob_layout.setContentsMargins(0, 0, 0, 0)
        dob_layout.addWidget(self.date_of_birth, 1)
        dob_layout.addWidget(self.dob_unknown)
        dob_row.setFocusProxy(self.date_of_birth)
        self.age = self._line("age", self.tr("e.g. 33yrs, 9mths, 2wks, 3days"))
        self.phone = self._line("phone", self.tr("07xx xxx xxx"))
        self.residence = self._line("residence", self.tr("village, estate or town"))
        self.national_id = self._line("national_id")
        self.sha_number = self._line("sha_number")
        self.sha_principal_number = self._line(
            "sha_principal_number", self.tr("for a dependant: the member's SHA number")
        )
        self.legacy_number = self._line("legacy_number", self.tr("old OP or register number"))
        self.next_of_kin_name = self._line("next_of_kin_name")
        self.next_of_kin_phone = self._line("next_of_kin_phone", self.tr("07xx xxx xxx"))
        self.next_of_kin_relationship = self._line(
            "next_of_kin_relationship", self.tr("e.g. mother, husband")
        )

        patient_box = QGroupBox(self.tr("Patient"))
        patient_form = QFormLayout(patient_box)
        self.patient_form = ErrorForm(patient_form)
        self.patient_form.add("first_name", self.tr("First name *"), self.first_name)
        self.patient_form.add("middle_name", self.tr("Middle name"), self.middle_name)
        self.patient_form.add("last_name", self.tr("Last name"), self.last_name)
        self.patient_form.add("sex", self.tr("Sex"), self.sex)
        self.patient_form.add("date_of_birth", self.tr("Date of birth"), dob_row)
        self.patient_form.fields["date_of_birth"].field = self.date_of_birth
        self.patient_form.add("age", self.tr("Age as written"), self.age)
        self.patient_form.add("phone", self.tr("Phone"), self.phone)
        self.patient_form.add("residence", self.tr("Residence"), self.residence)

        numbers_box = QGroupBox(self.tr("Numbers and next of kin"))
        numbers_form = QFormLayout(numbers_box)
        self.numbers_form = ErrorForm(numbers_form)
        self.numbers_form.add("national_id", self.tr("National ID"), self.national_id)
        self.numbers_form.add("sha_number", self.tr("SHA number"), self.sha_number)
        self.numbers_form.add(
            "sha_principal_number", self.tr("Principal's SHA no."), self.sha_principal_number
        )
        self.numbers_form.add("legacy_number", self.tr("Legacy number"), self.legacy_number)
        self.numbers_form.add("next_of_kin_name", self.tr("Next of kin"), self.next_of_kin_name)
        self.numbers_form.add(
            "next_of_kin_phone", self.tr("Next of kin's phone"), self.next_of_kin_phone
        )
        self.numbers_form.add(
            "next_of_kin_relationship", self.tr("Relationship"), self.next_of_kin_relationship
        )
        self.forms = (self.patient_form, self.numbers_form)

        self.message = QLabel()
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.message.hide()

        self.duplicates_box = QGroupBox(
            self.tr("Already registered? These patients share some details")
        )
        self.duplicates_box.setObjectName("duplicates")
        self.duplicates_table = QTableWidget(0, 5)
        self.duplicates_table.setObjectName("duplicatesTable")
        self.duplicates_table.setHorizontalHeaderLabels(
            [
                self.tr("Name"),
                self.tr("OP number"),
                self.tr("Date of birth"),
                self.tr("Phone"),
                self.tr("Why"),
            ]
        )
        self.duplicates_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.duplicates_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.duplicates_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.duplicates_table.verticalHeader().hide()
        header = self.duplicates_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.duplicates_table.setMaximumHeight(140)
        self.duplicates_table.doubleClicked.connect(self._open_duplicate)
        self.open_instead = QPushButton(self.tr("Open this patient instead"))
        self.open_instead.setObjectName("openInstead")
        self.open_instead.clicked.connect(self._open_duplicate)
        self.register_anyway = QPushButton(self.tr("Register anyway"))
        self.register_anyway.setObjectName("registerAnyway")
        self.register_anyway.clicked.connect(self._register_anyway)
        duplicate_buttons = QHBoxLayout()
        duplicate_buttons.addStretch(1)
        duplicate_buttons.addWidget(self.open_instead)
        duplicate_buttons.addWidget(self.register_anyway)
        duplicates_layout = QVBoxLayout(self.duplicates_box)
        duplicates_layout.addWidget(self.duplicates_table)
        duplicates_layout.addLayout(duplicate_buttons)
        self.duplicates_box.hide()

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText(self.tr("Register") if self.profile is None else self.tr("Save"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Cancel"))
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        columns = QHBoxLayout()
        columns.addWidget(patient_box, 1)
        columns.addWidget(numbers_box, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addLayout(columns)
        layout.addWidget(self.duplicates_box)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

        order: list[QWidget] = [
            self.first_name,
            self.middle_name,
            self.last_name,
            self.sex,
            self.date_of_birth,
            self.dob_unknown,
            self.age,
            self.phone,
            self.residence,
            self.national_id,
            self.sha_number,
            self.sha_principal_number,
            self.legacy_number,
            self.next_of_kin_name,
            self.next_of_kin_phone,
            self.next_of_kin_relationship,
            self.duplicates_table,
            self.open_instead,
            self.register_anyway,
            self.save_button,
            self.buttons.button(QDialogButtonBox.StandardButton.Cancel),
        ]
        for before, after in itertools.pairwise(order):
            QWidget.setTabOrder(before, after)
        self._dob_known_changed(self.dob_unknown.isChecked())
        # Enter anywhere in the form saves: the default button is set once the
        # buttons are inside the dialog (before, QDialog would ignore it).
        self.open_instead.setAutoDefault(False)
        self.register_anyway.setAutoDefault(False)
        self.save_button.setDefault(True)
        self.setMinimumWidth(940)

    def _fill(self, profile: PatientProfile) -> None:
        for name in TEXT_FIELDS:
            value = getattr(profile, name)
            if name in ("phone", "next_of_kin_phone"):
                value = phone_text(value)
            getattr(self, name).setText(value or "")
        self.sex.setCurrentIndex(max(0, self.sex.findData(profile.sex)))
        if profile.date_of_birth is not None:
            dob = profile.date_of_birth
            self._dob_kept = QDate(dob.year, dob.month, dob.day)
            self.dob_unknown.setChecked(False)
        # The service keeps an age only at registration (the date it implies is
        # marked estimated); an edit gives the date itself.
        self.patient_form.fields["age"].hide()
        label = self.patient_form.layout.labelForField(self.patient_form.fields["age"])
        if label is not None:
            label.hide()
        if profile.date_of_birth_estimated:
            self.date_of_birth.setToolTip(
                self.tr("Estimated from an age as written; change it to the real date if known")
            )

    def _dob_known_changed(self, unknown: bool) -> None:
        """An unknown date of birth reads "not known" (the date edit's minimum,
        shown as special text); the date typed before comes back when the
        box is unticked."""
        lowest = self.date_of_birth.minimumDate()
        if unknown:
            if self.date_of_birth.date() != lowest:
                self._dob_kept = self.date_of_birth.date()
            self.date_of_birth.setDate(lowest)
        else:
            self.date_of_birth.setDate(self._dob_kept)
        self.date_of_birth.setEnabled(not unknown)
        self.age.setEnabled(unknown)
        if not unknown and self.isVisible():
            self.date_of_birth.setFocus()

    # --- values ------------------------------------------------------------

    def _raw_values(self) -> dict[str, Any]:
        """What the form says now, as the service takes it (blank text as None)."""
        values: dict[str, Any] = {
            name: getattr(self, name).text().strip() or None for name in TEXT_FIELDS
        }
        values["sex"] = Sex(self.sex.currentData())
        values["date_of_birth"] = (
            None if self.dob_unknown.isChecked() else self._date(self.date_of_birth.date())
        )
        values["age"] = (
            self.age.text().strip() or None
            if self.dob_unknown.isChecked() and self.profile is None
            else None
        )
        return values

    @staticmethod
    def _date(value: QDate) -> date:
        return date(value.year(), value.month(), value.day())

    def changes(self) -> dict[str, Any]:
        """The fields changed since the dialog opened (for an edit)."""
        now = self._raw_values()
        return {
            name: value
            for name, value in now.items()
            if name != "age" and value != self._initial.get(name)
        }

    def error_text(self, name: str) -> str:
        """The error shown under field ``name`` ("" when none)."""
        for form in self.forms:
            if name in form.fields:
                return form.error_text(name)
        raise KeyError(name)

    # --- saving ------------------------------------------------------------

    def save(self) -> None:
        """Check and save (register or edit) on the database thread."""
        if self._busy:
            return
        if self.profile is None:
            self._check_new()
        else:
            self._save_edit()

    def _set_busy(self, busy: bool, text: str = "") -> None:
        self._busy = busy
        self.save_button.setEnabled(not busy)
        self.register_anyway.setEnabled(not busy)
        self.open_instead.setEnabled(not busy)
        if busy:
            self._show_message(text, notice=True)

    def _details(self) -> PatientDetails:
        values = self._raw_values()
        return PatientDetails(**values)

    def _check_new(self) -> None:
        details = self._details()
        store, today = self.ctx.store, self.ctx.today()
        self._set_busy(True, self.tr("Checking…"))

        def work() -> list[DuplicateCandidate]:
            with store.session() as session:
                return registration_check(details, session=session, today=today)

        submit_for(
            self,
            self.ctx.db,
            work,
            lambda dialog, duplicates: dialog._checked(details, duplicates),
            PatientDialog._failed,
        )

    def _checked(self, details: PatientDetails, duplicates: list[DuplicateCandidate]) -> None:
        self._set_busy(False)
        self._clear_errors()
        if duplicates:
            self._show_duplicates(duplicates)
        else:
            self._register(details)

    def _register_anyway(self) -> None:
        if not self._busy:
            self._register(self._details())

    def _register(self, details: PatientDetails) -> None:
        ctx, today = self.ctx, self.ctx.today()
        self._set_busy(True, self.tr("Registering…"))

        def work() -> SavedPatient:
            actor = ctx.actor()
            with ctx.store.write() as session:
                registration = register_patient(details, session=session, actor=actor, today=today)
                patient = registration.patient
                return SavedPatient(
                    patient_id=patient.id,
                    op_number=patient.op_number,
                    full_name=patient.full_name,
                    registered=True,
                    duplicates=tuple(registration.duplicates),
                )

        submit_for(self, ctx.db, work, PatientDialog._saved, PatientDialog._failed)

    def _save_edit(self) -> None:
        assert self.profile is not None
        changes = self.changes()
        if not changes:
            self.accept()
            return
        ctx, today, patient_id = self.ctx, self.ctx.today(), self.profile.id
        self._set_busy(True, self.tr("Saving…"))

        def work() -> SavedPatient:
            actor = ctx.actor()
            with ctx.store.write() as session:
                registration = update_patient(
                    patient_id, changes, session=session, actor=actor, today=today
                )
                patient = registration.patient
                return SavedPatient(
                    patient_id=patient.id,
                    op_number=patient.op_number,
                    full_name=patient.full_name,
                    registered=False,
                    duplicates=tuple(registration.duplicates),
                )

        submit_for(self, ctx.db, work, PatientDialog._saved, PatientDialog._failed)

    def _saved(self, saved: SavedPatient) -> None:
        self.ctx.saved()
        self._set_busy(False)
        self.sig_saved.emit(saved)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self._set_busy(False)
        if isinstance(error, ValidationFailed):
            self._show_errors(error.errors)
        elif isinstance(error, NotAllowed | LookupError):
            self._show_message(error_text(error))
        else:
            self._show_message(self.tr("Not saved: {reason}").format(reason=error_text(error)))

    # --- showing -----------------------------------------------------------

    def _show_message(self, text: str, *, notice: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(NOTICE_STYLE if notice else ERROR_STYLE)
        self.message.setVisible(bool(text))

    def _clear_errors(self) -> None:
        for form in self.forms:
            form.clear_errors()
        self._show_message("")

    def _show_errors(self, errors: list[FieldError]) -> None:
        """Each error under its field; the first bad field (in tab order) gets
        the focus; errors without a field go to the message line."""
        if self.dob_unknown.isChecked():
            errors = [
                FieldError("age", e.reason) if e.field == "date_of_birth" else e for e in errors
            ]
        unplaced: list[str] = []
        for form in self.forms:
            form.clear_errors()
        for error in errors:
            name = error.field.split(".")[0]
            owner = next((f for f in self.forms if name in f.fields), None)
            if owner is None:
                unplaced.append(f"{error.field}: {error.reason}")
            else:
                owner.fields[name].show_error(error.reason)
        self._show_message(
            "\n".join(unplaced)
            if unplaced
            else self.tr("Nothing was saved: correct the fields marked below.")
        )
        self.adjustSize()
        for form in self.forms:
            for wrapped in form.fields.values():
                if wrapped.error.isVisible():
                    wrapped.field.setFocus()
                    return

    def _show_duplicates(self, duplicates: list[DuplicateCandidate]) -> None:
        self._duplicates = list(duplicates)
        table = self.duplicates_table
        table.setRowCount(len(duplicates))
        for row, candidate in enumerate(duplicates):
            cells = [
                candidate.full_name,
                candidate.op_number,
                date_text(candidate.date_of_birth),
                phone_text(candidate.phone),
                ", ".join(duplicate_reason_text(reason) for reason in candidate.reasons),
            ]
            for column, text in enumerate(cells):
                table.setItem(row, column, QTableWidgetItem(text))
        table.selectRow(0)
        self.duplicates_box.show()
        self._show_message(
            self.tr(
                "Nothing is registered yet. Open the patient who is already registered,"
                " or register a new patient anyway."
            ),
            notice=True,
        )
        self.adjustSize()
        self.open_instead.setFocus()

    def duplicate_rows(self) -> list[list[str]]:
        """The duplicate candidates as shown (cell texts)."""
        return table_texts(self.duplicates_table)

    def _open_duplicate(self) -> None:
        if not self._duplicates or self._busy:
            return
        row = max(0, self.duplicates_table.currentRow())
        candidate = self._duplicates[min(row, len(self._duplicates) - 1)]
        self.sig_open_patient.emit(candidate.patient_id)
        self.reject()
