"""Consultation: the clinical officer's notes, diagnoses, prescriptions and
lab requests for one visit; saved as a draft, then signed.

A signed visit is shown read-only with its amendments; "Amend…" adds one
(the signed text stays). Errors from the services are put next to what they
are about: a note, the diagnoses, or a numbered row of the prescriptions or
lab requests.
"""

from __future__ import annotations

import html
import itertools
import re
import uuid
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import select

from clinic.billing.models import Service
from clinic.db import utcnow
from clinic.enums import ServiceKind, VisitStatus
from clinic.errors import FieldError, NotAllowed, ValidationFailed
from clinic.permissions import Data, may_write
from clinic.rules.diagnoses import Diagnosis
from clinic.rules.vitals import VITALS, Flag
from clinic.visits.models import Triage
from clinic.visits.queries import VisitRecord
from clinic.visits.service import (
    AMENDABLE_FIELDS,
    ConsultationNotes,
    LabRequestInput,
    PrescriptionInput,
    amend_visit,
    record_consultation,
    sign_visit,
)
from desktop.display import flag_text, note_label, visit_status_text, vital_label
from desktop.screens.consultation.amendments import AmendDialog, AmendmentsTable
from desktop.screens.consultation.diagnoses import DiagnosisPicker
from desktop.screens.consultation.orders import Column, OrdersTable
from desktop.screens.lab.summary import results_summary
from desktop.screens.triage.vitals_form import CRITICAL
from desktop.screens.visit_screen import (
    BANNER_ERROR_STYLE,
    BANNER_OK_STYLE,
    VisitScreen,
    ask,
    local_time,
)
from desktop.widgets import FieldWithError

S = VisitStatus
FIELD_RE = re.compile(r"(?P<base>\w+)(?:\[(?P<index>\d+)\])?(?:\.(?P<key>\w+))?")
FREQUENCIES = ["OD", "BD", "TDS", "QID", "PRN", "STAT", "Nocte", "Once weekly"]
CLOSED = (S.COMPLETED, S.CANCELLED)


@dataclass(frozen=True)
class Catalog:
    """Price-list names offered as suggestions while typing."""

    drugs: list[str]
    lab_tests: list[str]


@dataclass(frozen=True)
class Gathered:
    """What the form holds, as the service takes it, and which table row
    each prescription and lab request came from (for placing errors)."""

    notes: ConsultationNotes
    rows: dict[str, list[int]]


@dataclass(frozen=True)
class SignOutcome:
    """The draft was saved; ``refused`` says why it could not be signed."""

    refused: ValidationFailed | NotAllowed | None


def quantity(text: str) -> int:
    """A typed quantity (0 when blank: the service says what is wrong)."""
    return int(text) if text.isdigit() else 0


def vitals_summary(triage: Triage) -> str:
    """The latest vitals as rich text, abnormal readings marked."""
    parts = []
    flags = triage.flags or {}
    for vital in VITALS.values():
        value = getattr(triage, vital.name)
        if value is None:
            continue
        text = f"{html.escape(vital_label(vital.name))} {html.escape(vital.show(value))}"
        flag = flags.get(vital.name)
        if flag and flag != Flag.NORMAL:
            colour = "#c62828" if flag in CRITICAL else "#8a5a00"
            text = f'<b style="color:{colour}">{text} ({html.escape(flag_text(Flag(flag)))})</b>'
        parts.append(text)
    if triage.bmi is not None:
        parts.append(QCoreApplication.translate("Vitals", "BMI %s") % f"{triage.bmi:.1f}")
    if triage.notes:
        parts.append(f"<i>{html.escape(triage.notes)}</i>")
    return " · ".join(parts)


class ConsultationScreen(VisitScreen):
    """The clinical officer's screen: today's patients waiting for (or in)
    consultation, and the consultation of the one opened (``open_visit``)."""

    key = "consultation"
    waiting_statuses = frozenset(
        {S.TRIAGED, S.WAITING_CONSULTATION, S.IN_CONSULTATION, S.WAITING_LAB}
    )

    def title(self) -> str:
        return self.tr("Consultation")

    def waiting_heading(self) -> str:
        return self.tr("Waiting for consultation")

    def waiting_empty_text(self) -> str:
        return self.tr("No patients are waiting for consultation.")

    # --- the form -------------------------------------------------------

    def build_form(self) -> QWidget:
        self.may_write = may_write(self.ctx.user.role, Data.CLINICAL_NOTES)
        self._loaded: ConsultationNotes | None = None
        self._editable = False
        self._catalog: Catalog | None = None
        self._amend_dialog: AmendDialog | None = None

        self.vitals = QLabel()
        self.vitals.setObjectName("vitals_summary")
        self.vitals.setWordWrap(True)
        self.vitals.setTextFormat(Qt.TextFormat.RichText)
        self.vitals.setStyleSheet("background: #f7f7f7; padding: 4px; border-radius: 3px;")

        self.notes: dict[str, QPlainTextEdit] = {}
        self.note_slots: dict[str, FieldWithError] = {}
        self.note_labels: dict[str, QLabel] = {}
        placeholders = {
            "complaint": self.tr("Presenting complaint and its duration"),
            "history": self.tr("History of the presenting illness, past history, allergies"),
            "examination": self.tr("General and systemic examination findings"),
            "plan": self.tr("Management plan, advice, follow-up"),
        }
        notes_box = QGroupBox(self.tr("Notes"))
        notes_layout = QVBoxLayout(notes_box)
        notes_layout.setSpacing(2)
        notes_layout.addWidget(self.vitals)
        for name in AMENDABLE_FIELDS:
            editor = QPlainTextEdit()
            editor.setObjectName(name)
            editor.setTabChangesFocus(True)
            editor.setPlaceholderText(placeholders[name])
            editor.setMinimumHeight(54)
            label = QLabel(note_label(name))
            label.setBuddy(editor)
            label.setStyleSheet("font-weight: 600;")
            slot = FieldWithError(editor)
            self.notes[name] = editor
            self.note_slots[name] = slot
            self.note_labels[name] = label
            notes_layout.addWidget(label)
            notes_layout.addWidget(slot, 1)

        self.amendments = AmendmentsTable()
        self.amend_button = QPushButton(self.tr("&Amend…"))
        self.amend_button.clicked.connect(self.amend)
        self.amendments_box = QGroupBox(self.tr("Amendments"))
        amend_layout = QVBoxLayout(self.amendments_box)
        amend_top = QHBoxLayout()
        self.amendments_empty = QLabel(self.tr("No amendments."))
        self.amendments_empty.setStyleSheet("color: #616161;")
        amend_top.addWidget(self.amendments_empty, 1)
        amend_top.addStretch(1)
        amend_top.addWidget(self.amend_button)
        amend_layout.addWidget(self.amendments, 1)
        amend_layout.addLayout(amend_top)

        self.picker = DiagnosisPicker(self.ctx.db.submit)
        diagnoses_box = QGroupBox(self.tr("Diagnoses (WHO ICD-10)"))
        QVBoxLayout(diagnoses_box).addWidget(self.picker)

        self.prescriptions = OrdersTable(
            self.tr("Prescriptions"),
            self.tr("Add &drug"),
            [
                Column("drug", self.tr("Drug")),
                Column("dose", self.tr("Dose"), 100),
                Column("frequency", self.tr("Frequency"), 90),
                Column("duration", self.tr("Duration"), 90),
                Column("quantity", self.tr("Quantity"), 70, digits_only=True),
            ],
        )
        self.prescriptions.setObjectName("prescriptions")
        self.prescriptions.set_suggestions("frequency", FREQUENCIES)
        self.labs = OrdersTable(
            self.tr("Lab requests"),
            self.tr("Add &test"),
            [Column("test_name", self.tr("Test")), Column("notes", self.tr("Notes for the lab"))],
        )
        self.labs.setObjectName("lab_requests")
        self.lab_results = QLabel()
        self.lab_results.setObjectName("lab_results")
        self.lab_results.setWordWrap(True)
        self.lab_results.setTextFormat(Qt.TextFormat.RichText)
        self.lab_results.setStyleSheet("background: #f7f7f7; padding: 4px; border-radius: 3px;")
        self.lab_results.hide()
        orders_box = QGroupBox(self.tr("Orders"))
        orders_layout = QVBoxLayout(orders_box)
        orders_layout.addWidget(self.prescriptions, 5)
        orders_layout.addWidget(self.labs, 4)
        orders_layout.addWidget(self.lab_results)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(diagnoses_box, 3)
        right_layout.addWidget(self.amendments_box, 3)
        right_layout.addWidget(orders_box, 5)
        self.right_layout = right_layout
        self.diagnoses_box = diagnoses_box

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(notes_box)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([480, 720])
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(splitter)
        scroll.setMinimumHeight(360)

        self.message = QLabel()
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.message.hide()
        self.signed_note = QLabel()
        self.signed_note.setObjectName("signed_note")
        self.signed_note.setStyleSheet("color: #1b5e20; font-weight: 600;")
        self.save_button = QPushButton(self.tr("&Save draft (Ctrl+S)"))
        self.save_button.clicked.connect(self.save)
        self.sign_button = QPushButton(self.tr("Si&gn…"))
        self.sign_button.clicked.connect(self.sign)
        bar = QHBoxLayout()
        bar.addWidget(self.signed_note)
        bar.addWidget(self.message, 1)
        bar.addWidget(self.save_button)
        bar.addWidget(self.sign_button)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(scroll, 1)
        layout.addLayout(bar)

        order: list[QWidget] = [self.notes[name] for name in AMENDABLE_FIELDS]
        order += [self.amendments, self.amend_button]
        order += self.picker.tab_order()
        order += self.prescriptions.tab_order() + self.labs.tab_order()
        order += [self.save_button, self.sign_button]
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)
        self._set_mode(editable=False, signed=False)
        return body

    # --- showing a visit ------------------------------------------------

    def open_visit(self, visit_id: uuid.UUID) -> None:
        super().open_visit(visit_id)
        if self._catalog is None:
            self._load_catalog()
            self.picker.warm_up()

    def _load_catalog(self) -> None:
        ctx = self.ctx

        def load() -> Catalog:
            with ctx.store.session() as session:
                rows = session.execute(
                    select(Service.name, Service.kind).where(
                        Service.active.is_(True),
                        Service.deleted_at.is_(None),
                        Service.kind.in_([ServiceKind.DRUG, ServiceKind.LAB]),
                    )
                ).all()
            return Catalog(
                drugs=sorted(name for name, kind in rows if kind == ServiceKind.DRUG),
                lab_tests=sorted(name for name, kind in rows if kind == ServiceKind.LAB),
            )

        def loaded(catalog: Catalog) -> None:
            self._catalog = catalog
            self.prescriptions.set_suggestions("drug", catalog.drugs)
            self.labs.set_suggestions("test_name", catalog.lab_tests)

        ctx.db.submit(load, loaded, lambda _error: None)

    def set_form_enabled(self, enabled: bool) -> None:
        for widget in (*self.notes.values(), self.picker, self.prescriptions, self.labs):
            widget.setEnabled(enabled)
        self.save_button.setEnabled(enabled and self._editable)
        self.sign_button.setEnabled(enabled and self._editable)

    def show_record(self, record: VisitRecord, *, fill: bool) -> None:
        signed = record.signed_at is not None
        editable = self.may_write and not signed and record.status not in CLOSED
        latest = record.triage[-1] if record.triage else None
        self.vitals.setText(
            self.tr("<b>Vitals %s:</b> %s")
            % (local_time(latest.created_at), vitals_summary(latest))
            if latest is not None
            else self.tr("<i>No vitals recorded at this visit.</i>")
        )
        results = results_summary(record.lab_results)
        self.lab_results.setText(self.tr("<b>Lab results</b><br>%s") % results if results else "")
        self.lab_results.setVisible(bool(results))
        if signed:
            self.signed_note.setText(
                self.tr("Signed %s") % local_time(record.signed_at, with_date=True)
                if record.signed_at
                else ""
            )
            self.amendments.show_amendments(record.amendments)
            self.amendments.setVisible(bool(record.amendments))
            self.amendments_empty.setVisible(not record.amendments)
            amended = {a.field for a in record.amendments}
            for name, label in self.note_labels.items():
                label.setText(
                    self.tr("%s — as signed; amended, see Amendments") % note_label(name)
                    if name in amended
                    else note_label(name)
                )
        if fill or editable != self._editable:
            self._fill(record)
            self._set_mode(editable=editable, signed=signed)
            self._loaded = self.gather().notes
            if fill:
                self._show_message(None)
            if editable:
                self.notes["complaint"].setFocus()
            elif self.amend_button.isVisible():
                self.amend_button.setFocus()
        if fill and record.status in CLOSED and not signed:
            self._show_message(
                self.tr("This visit is closed (%s).") % visit_status_text(record.status)
            )

    def _fill(self, record: VisitRecord) -> None:
        for name, editor in self.notes.items():
            editor.setPlainText(getattr(record, name) or "")
            self.note_slots[name].show_error(None)
        self.picker.reset()
        self.picker.set_diagnoses(
            [Diagnosis(d.code_system, d.code, d.description) for d in record.diagnoses]
        )
        self.prescriptions.set_rows(
            [
                {
                    "drug": p.drug,
                    "dose": p.dose,
                    "frequency": p.frequency,
                    "duration": p.duration,
                    "quantity": str(p.quantity),
                }
                for p in record.prescriptions
            ]
        )
        self.labs.set_rows(
            [{"test_name": lab.test_name, "notes": lab.notes or ""} for lab in record.lab_requests]
        )
        if record.signed_at is None:
            for name, label in self.note_labels.items():
                label.setText(note_label(name))

    def _set_mode(self, *, editable: bool, signed: bool) -> None:
        self._editable = editable
        for editor in self.notes.values():
            editor.setReadOnly(not editable)
            editor.setStyleSheet("" if editable else "QPlainTextEdit { background: #f5f5f5; }")
        self.picker.set_read_only(not editable)
        self.prescriptions.set_read_only(not editable)
        self.labs.set_read_only(not editable)
        self.save_button.setVisible(editable)
        self.sign_button.setVisible(editable)
        self.save_button.setEnabled(editable)
        self.sign_button.setEnabled(editable)
        self.amendments_box.setVisible(signed)
        self.right_layout.setStretchFactor(self.diagnoses_box, 0 if signed else 3)
        self.amend_button.setVisible(signed and self.may_write)
        self.signed_note.setVisible(signed)

    def _show_message(self, text: str | None, *, error: bool = True) -> None:
        self.message.setText(text or "")
        self.message.setStyleSheet(BANNER_ERROR_STYLE if error else BANNER_OK_STYLE)
        self.message.setVisible(bool(text))

    def show_problem(self, text: str) -> None:
        self._show_message(text)

    # --- reading the form -----------------------------------------------

    def gather(self) -> Gathered:
        prescriptions = self.prescriptions.filled_rows()
        labs = self.labs.filled_rows()
        notes = ConsultationNotes(
            **{name: editor.toPlainText() for name, editor in self.notes.items()},
            diagnoses=self.picker.codes(),
            prescriptions=[
                PrescriptionInput(
                    drug=values["drug"],
                    dose=values["dose"],
                    frequency=values["frequency"],
                    duration=values["duration"],
                    quantity=quantity(values["quantity"]),
                )
                for _row, values in prescriptions
            ],
            lab_requests=[
                LabRequestInput(test_name=values["test_name"], notes=values["notes"] or None)
                for _row, values in labs
            ],
        )
        return Gathered(
            notes,
            {
                "prescriptions": [row for row, _ in prescriptions],
                "lab_requests": [row for row, _ in labs],
            },
        )

    def is_dirty(self) -> bool:
        return self._editable and self._loaded is not None and self.gather().notes != self._loaded

    def clear_errors(self) -> None:
        for slot in self.note_slots.values():
            slot.show_error(None)
        self.picker.show_error(None)
        self.prescriptions.clear_errors()
        self.labs.clear_errors()
        self._show_message(None)

    def show_errors(self, errors: list[FieldError], rows: dict[str, list[int]]) -> None:
        """Put each error next to what it is about (see the module docstring)."""
        self.clear_errors()
        by_note: dict[str, list[str]] = {}
        diagnoses: list[str] = []
        by_table: dict[str, list[tuple[int, str | None, str]]] = {}
        unplaced: list[str] = []
        for error in errors:
            match = FIELD_RE.fullmatch(error.field)
            base = match["base"] if match else error.field
            if base in self.notes:
                by_note.setdefault(base, []).append(error.reason)
            elif base == "diagnoses":
                diagnoses.append(error.reason)
            elif base in rows and match and match["index"]:
                index = int(match["index"]) - 1
                table_rows = rows[base]
                row = table_rows[index] if index < len(table_rows) else index
                by_table.setdefault(base, []).append((row, match["key"], error.reason))
            else:
                unplaced.append(error.reason)
        for name, reasons in by_note.items():
            self.note_slots[name].show_error("\n".join(reasons))
        if diagnoses:
            self.picker.show_error("\n".join(diagnoses))
        tables = {"prescriptions": self.prescriptions, "lab_requests": self.labs}
        for name, problems in by_table.items():
            tables[name].show_row_errors(problems)
        if unplaced:
            self._show_message("\n".join(unplaced))
        first = next(iter(by_note), None)
        if first is not None:
            self.notes[first].setFocus()
        elif diagnoses:
            self.picker.search.setFocus()

    # --- saving and signing ---------------------------------------------

    def save(self) -> None:
        """Save the draft (Ctrl+S)."""
        if self.record is None or not self._editable:
            return
        gathered = self.gather()
        visit_id = self.record.visit_id
        ctx = self.ctx

        def work() -> None:
            with ctx.store.write() as session:
                record_consultation(visit_id, gathered.notes, session=session, actor=ctx.actor())

        self.clear_errors()
        self._busy(True)
        self.run(
            work,
            lambda _result: self._draft_saved(gathered),
            lambda error: self._save_failed(error, gathered),
        )

    def _draft_saved(self, gathered: Gathered) -> None:
        self._busy(False)
        self._loaded = gathered.notes
        self.ctx.saved()
        self._show_message(self.tr("Draft saved at %s.") % local_time(utcnow()), error=False)
        self.load_record(fill=False)

    def sign(self) -> None:
        """Save the draft, then sign it once the clinician confirms."""
        if self.record is None or not self._editable:
            return
        if not ask(
            self,
            self.tr("Sign the consultation"),
            self.tr("Signing makes the notes final; changes after this are amendments."),
            self.tr("&Sign"),
            self.tr("Cancel"),
        ):
            return
        gathered = self.gather()
        visit_id = self.record.visit_id
        ctx = self.ctx

        def work() -> SignOutcome:
            actor = ctx.actor()
            with ctx.store.write() as session:
                record_consultation(visit_id, gathered.notes, session=session, actor=actor)
            try:
                with ctx.store.write() as session:
                    sign_visit(visit_id, session=session, actor=actor)
            except (ValidationFailed, NotAllowed) as refused:
                return SignOutcome(refused)
            return SignOutcome(None)

        self.clear_errors()
        self._busy(True)
        self.run(
            work,
            lambda outcome: self._signed(outcome, gathered),
            lambda error: self._save_failed(error, gathered),
        )

    def _signed(self, outcome: SignOutcome, gathered: Gathered) -> None:
        self._busy(False)
        self._loaded = gathered.notes
        self.ctx.saved()
        if outcome.refused is None:
            self._show_message(self.tr("Signed. The notes are final."), error=False)
            if self.ctx.navigator is not None and self.record is not None:
                self.ctx.navigator.show_message(
                    self.tr("Consultation signed for %s.") % self.record.patient_name
                )
            self.load_record(fill=True)
            return
        self.load_record(fill=False)
        refused = outcome.refused
        if isinstance(refused, ValidationFailed):
            self.show_errors(refused.errors, gathered.rows)
        if not self.message.isVisible():
            self._show_message(
                self.tr("The draft is saved but not signed: %s")
                % (
                    self.tr("see the messages above")
                    if isinstance(refused, ValidationFailed)
                    else str(refused)
                )
            )

    def _save_failed(self, error: BaseException, gathered: Gathered) -> None:
        self._busy(False)
        if isinstance(error, ValidationFailed):
            self.show_errors(error.errors, gathered.rows)
            if not self.message.isVisible():
                self._show_message(self.tr("Nothing was saved: correct the marked fields."))
        elif isinstance(error, NotAllowed | LookupError):
            self._show_message(str(error))
            self.load_record(fill=False)
        else:
            self._show_message(self.tr("Could not save: %s") % error)

    def _busy(self, busy: bool) -> None:
        self.save_button.setEnabled(not busy and self._editable)
        self.sign_button.setEnabled(not busy and self._editable)

    # --- amendments -----------------------------------------------------

    def current_notes(self) -> dict[str, str]:
        """Each note as it reads now: the signed text or its latest amendment."""
        record = self.record
        if record is None:
            return {}
        now = {name: getattr(record, name) or "" for name in AMENDABLE_FIELDS}
        for amendment in record.amendments:
            now[amendment.field] = amendment.new_value or ""
        return now

    def amend(self) -> None:
        """Open the amendment dialog for the signed visit."""
        if self.record is None or self.record.signed_at is None or not self.may_write:
            return
        dialog = AmendDialog(self.current_notes(), self)
        focused = next((n for n, e in self.notes.items() if e.hasFocus()), None)
        if focused:
            dialog.choose(focused)
        dialog.sig_amend_requested.connect(self._save_amendment)
        dialog.finished.connect(lambda _result: dialog.deleteLater())
        self._amend_dialog = dialog
        dialog.open()

    def _save_amendment(self, field_name: str, new_value: str, reason: str) -> None:
        dialog = self._amend_dialog
        if self.record is None or dialog is None:
            return
        visit_id = self.record.visit_id
        ctx = self.ctx

        def work() -> None:
            with ctx.store.write() as session:
                amend_visit(
                    visit_id, field_name, new_value, reason, session=session, actor=ctx.actor()
                )

        def done(_result: None) -> None:
            dialog.saved()
            self.ctx.saved()
            self._show_message(
                self.tr("Amendment to %s saved.") % note_label(field_name).lower(), error=False
            )
            self.load_record(fill=False)

        def failed(error: BaseException) -> None:
            if isinstance(error, ValidationFailed):
                dialog.failed(error.errors)
            else:
                dialog.failed(None, str(error))

        self.run(work, done, failed)
