"""One patient: details, open balance, visit history; edit and open today's visit.

What the page shows is loaded on the database thread as plain data
(:class:`PatientPageData`). Diagnoses in the visit history are shown only to
roles that may read clinical notes; the column is not built for the others.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass, field

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, Signal
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clinic.claims.document import ClaimDocument, load_claim_document
from clinic.claims.service import claim_for_visit
from clinic.clock import NAIROBI
from clinic.errors import NotAllowed
from clinic.patients.queries import PatientProfile, open_balance_cents, patient_profile
from clinic.permissions import Data, may_read, may_write
from clinic.visits.queries import VisitSummary, patient_visits
from clinic.visits.service import open_visit
from desktop.context import AppContext
from desktop.display import sex_text, translate, visit_status_text
from desktop.printing import clinic_name
from desktop.screens.claims.sha_invoice import print_sha_invoice
from desktop.screens.patients.calls import submit_for
from desktop.screens.patients.display import (
    FLAG_STYLE,
    NOTICE_STYLE,
    age_text,
    date_text,
    error_text,
    header_texts,
    kes,
    phone_text,
    table_texts,
)
from desktop.screens.patients.register import PatientDialog, SavedPatient
from desktop.widgets import ERROR_STYLE


@dataclass(frozen=True)
class PatientPageData:
    profile: PatientProfile
    balance_cents: int
    visits: list[VisitSummary]
    claims: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    """The SHA claim of each visit that has one (for those who print SHA invoices)."""


def load_patient_page(ctx: AppContext, patient_id: uuid.UUID) -> PatientPageData:
    """Everything the page shows (runs on the database thread)."""
    with ctx.store.session() as session:
        visits = patient_visits(session, patient_id)
        claims = {}
        if may_read(ctx.user.role, Data.CLAIMS):
            for visit in visits:
                claim = claim_for_visit(visit.visit_id, session=session)
                if claim is not None:
                    claims[visit.visit_id] = claim.id
        return PatientPageData(
            profile=patient_profile(patient_id, session=session),
            balance_cents=open_balance_cents(patient_id, session=session),
            visits=visits,
            claims=claims,
        )


def load_sha_invoice(ctx: AppContext, claim_id: uuid.UUID) -> tuple[ClaimDocument, str]:
    """The claim as its SHA invoice prints it, and the clinic's name (database thread)."""
    with ctx.store.session() as session:
        return load_claim_document(claim_id, session=session), clinic_name(ctx.store)


DETAIL_ROWS = (
    ("op_number", QT_TRANSLATE_NOOP("PatientPage", "OP number")),
    ("legacy_number", QT_TRANSLATE_NOOP("PatientPage", "Legacy number")),
    ("sex", QT_TRANSLATE_NOOP("PatientPage", "Sex")),
    ("date_of_birth", QT_TRANSLATE_NOOP("PatientPage", "Date of birth")),
    ("age", QT_TRANSLATE_NOOP("PatientPage", "Age")),
    ("phone", QT_TRANSLATE_NOOP("PatientPage", "Phone")),
    ("residence", QT_TRANSLATE_NOOP("PatientPage", "Residence")),
    ("national_id", QT_TRANSLATE_NOOP("PatientPage", "National ID")),
    ("sha_number", QT_TRANSLATE_NOOP("PatientPage", "SHA number")),
    ("sha_principal_number", QT_TRANSLATE_NOOP("PatientPage", "Principal's SHA number")),
    ("next_of_kin_name", QT_TRANSLATE_NOOP("PatientPage", "Next of kin")),
    ("next_of_kin_relationship", QT_TRANSLATE_NOOP("PatientPage", "Relationship")),
    ("next_of_kin_phone", QT_TRANSLATE_NOOP("PatientPage", "Next of kin's phone")),
    ("registered", QT_TRANSLATE_NOOP("PatientPage", "Registered")),
)
FLAG_OF_ROW = {"age": "date_of_birth"}


class PatientPage(QWidget):
    """The page of one patient. Esc (or "Back to search") emits ``sig_closed``."""

    sig_closed = Signal()
    """The user is done with this patient (Esc or the back button)."""

    sig_changed = Signal(object)
    """The patient was edited or a visit was opened; carries the patient's id."""

    sig_loaded = Signal(object)
    """The page shows fresh data; carries the :class:`PatientPageData`."""

    def __init__(
        self, ctx: AppContext, patient_id: uuid.UUID, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.patient_id = patient_id
        self.data: PatientPageData | None = None
        self.dialog: PatientDialog | None = None
        self.setObjectName("patientPage")
        role = ctx.user.role
        self.shows_diagnoses = may_read(role, Data.CLINICAL_NOTES)
        self.may_edit = may_write(role, Data.PATIENTS)
        self.may_open_visit = may_write(role, Data.VISITS)
        self.prints_sha_invoices = may_read(role, Data.CLAIMS)
        """Reception prints the SHA invoice the patient signs (so do claims staff)."""
        self._build(self.may_edit, self.may_open_visit)
        self.close_shortcut = QShortcut(
            QKeySequence(Qt.Key.Key_Escape),
            self,
            context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
        )
        self.close_shortcut.activated.connect(self._close)
        self.refresh()

    # --- building ----------------------------------------------------------

    def _build(self, may_edit: bool, may_open_visit: bool) -> None:
        self.back_button = QPushButton(self.tr("← Back to search"))
        self.back_button.setToolTip(self.tr("Esc"))
        self.back_button.clicked.connect(self._close)
        self.name_label = QLabel(self.tr("Loading…"))
        self.name_label.setObjectName("patientName")
        font = QFont(self.name_label.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.name_label.setFont(font)
        self.name_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.edit_button = QPushButton(self.tr("Edit"))
        self.edit_button.setObjectName("editPatient")
        self.edit_button.clicked.connect(self.edit)
        if not may_edit:
            self.edit_button.hide()
        self.open_visit_button = QPushButton(self.tr("Open visit today"))
        self.open_visit_button.setObjectName("openVisit")
        self.open_visit_button.clicked.connect(self.open_visit_today)
        if not may_open_visit:
            self.open_visit_button.hide()
        top = QHBoxLayout()
        top.addWidget(self.back_button)
        top.addSpacing(12)
        top.addWidget(self.name_label, 1)
        top.addWidget(self.edit_button)
        top.addWidget(self.open_visit_button)

        self.message = QLabel()
        self.message.setObjectName("pageMessage")
        self.message.setWordWrap(True)
        self.message.hide()

        self.detail_labels: dict[str, QLabel] = {}
        details_box = QGroupBox(self.tr("Details"))
        details_columns = QHBoxLayout(details_box)
        half = (len(DETAIL_ROWS) + 1) // 2
        for rows in (DETAIL_ROWS[:half], DETAIL_ROWS[half:]):
            form = QFormLayout()
            form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
            for name, label in rows:
                value = QLabel()
                value.setObjectName(f"detail_{name}")
                value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                value.setWordWrap(True)
                self.detail_labels[name] = value
                form.addRow(translate("PatientPage", label), value)
            details_columns.addLayout(form, 1)

        balance_box = QGroupBox(self.tr("Open balance"))
        self.balance_label = QLabel()
        self.balance_label.setObjectName("balance")
        balance_font = QFont(self.balance_label.font())
        balance_font.setPointSizeF(balance_font.pointSizeF() * 1.4)
        balance_font.setBold(True)
        self.balance_label.setFont(balance_font)
        self.balance_note = QLabel()
        self.balance_note.setWordWrap(True)
        balance_layout = QVBoxLayout(balance_box)
        balance_layout.addWidget(self.balance_label)
        balance_layout.addWidget(self.balance_note)
        balance_layout.addStretch(1)

        upper = QHBoxLayout()
        upper.addWidget(details_box, 3)
        upper.addWidget(balance_box, 1)

        visits_box = QGroupBox(self.tr("Visit history"))
        headers = [self.tr("Date"), self.tr("New / revisit"), self.tr("Status")]
        if self.shows_diagnoses:
            headers.append(self.tr("Diagnoses"))
        if self.prints_sha_invoices:
            headers.append(self.tr("SHA claim"))
        self.visits_table = QTableWidget(0, len(headers))
        self.visits_table.setObjectName("visits")
        self.visits_table.setHorizontalHeaderLabels(headers)
        self.visits_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.visits_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.visits_table.verticalHeader().hide()
        header = self.visits_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.no_visits = QLabel(self.tr("No visits yet."))
        self.no_visits.hide()
        self.sha_invoice_button = QPushButton(self.tr("Print SHA invoice"))
        self.sha_invoice_button.setObjectName("printShaInvoice")
        self.sha_invoice_button.setToolTip(
            self.tr("The SHA invoice of the selected visit's claim, for the patient to sign")
        )
        self.sha_invoice_button.clicked.connect(self.print_sha_invoice)
        self.sha_invoice_button.setEnabled(False)
        if not self.prints_sha_invoices:
            self.sha_invoice_button.hide()
        self.visits_table.itemSelectionChanged.connect(self._visit_selected)
        visits_layout = QVBoxLayout(visits_box)
        visits_layout.addWidget(self.no_visits)
        visits_layout.addWidget(self.visits_table)
        visits_layout.addWidget(self.sha_invoice_button, 0, Qt.AlignmentFlag.AlignRight)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addLayout(upper)
        layout.addWidget(visits_box, 1)

    def _close(self) -> None:
        self.sig_closed.emit()

    # --- loading -----------------------------------------------------------

    def refresh(self) -> None:
        """Reload the patient on the database thread."""
        submit_for(
            self,
            self.ctx.db,
            functools.partial(load_patient_page, self.ctx, self.patient_id),
            PatientPage._show,
            PatientPage._load_failed,
        )

    def _load_failed(self, error: BaseException) -> None:
        self.show_message(error_text(error), error=True)

    def _show(self, data: PatientPageData) -> None:
        self.data = data
        profile = data.profile
        self.name_label.setText(profile.full_name)
        today = self.ctx.today()
        registered = profile.registered_at.astimezone(NAIROBI).date()
        values = {
            "op_number": profile.op_number,
            "legacy_number": profile.legacy_number,
            "sex": sex_text(profile.sex),
            "date_of_birth": date_text(profile.date_of_birth)
            + (self.tr(" (estimated)") if profile.date_of_birth_estimated else ""),
            "age": age_text(profile.date_of_birth, profile.date_of_birth_estimated, today),
            "phone": phone_text(profile.phone),
            "residence": profile.residence,
            "national_id": profile.national_id,
            "sha_number": profile.sha_number,
            "sha_principal_number": profile.sha_principal_number,
            "next_of_kin_name": profile.next_of_kin_name,
            "next_of_kin_relationship": profile.next_of_kin_relationship,
            "next_of_kin_phone": phone_text(profile.next_of_kin_phone),
            "registered": date_text(registered),
        }
        for name, label in self.detail_labels.items():
            text = (values.get(name) or "").strip()
            flagged = FLAG_OF_ROW.get(name, name) in profile.flagged_fields
            if flagged:
                text = (
                    self.tr("{value} — needs checking")
                    .format(value=text or self.tr("not given"))
                    .strip()
                )
                label.setStyleSheet(FLAG_STYLE)
                label.setToolTip(
                    self.tr("This value was missing or wrong in the paper register; check it")
                )
            else:
                label.setStyleSheet("")
                label.setToolTip("")
            label.setText(text or "—")
        if profile.merged_into is not None:
            self.show_message(
                self.tr("This patient was merged into another patient record."), error=True
            )
            self.edit_button.setEnabled(False)
            self.open_visit_button.setEnabled(False)

        self.balance_label.setText(kes(data.balance_cents))
        if data.balance_cents > 0:
            self.balance_note.setText(self.tr("Owed on unpaid invoices"))
            self.balance_label.setStyleSheet(ERROR_STYLE)
        elif data.balance_cents < 0:
            self.balance_note.setText(self.tr("Paid more than billed (credit)"))
            self.balance_label.setStyleSheet("")
        else:
            self.balance_note.setText(self.tr("Nothing owed"))
            self.balance_label.setStyleSheet("")

        table = self.visits_table
        table.setRowCount(len(data.visits))
        for row, visit in enumerate(data.visits):
            cells = [
                date_text(visit.visit_date),
                self.tr("New") if visit.is_new else self.tr("Revisit"),
                visit_status_text(visit.status),
            ]
            if self.shows_diagnoses:
                cells.append(visit.diagnoses)
            if self.prints_sha_invoices:
                cells.append(self.tr("Yes") if visit.visit_id in data.claims else "")
            for column, text in enumerate(cells):
                table.setItem(row, column, QTableWidgetItem(text))
        self.no_visits.setVisible(not data.visits)
        table.setVisible(bool(data.visits))
        self._visit_selected()
        self.sig_loaded.emit(data)

    # --- reading what is shown ---------------------------------------------

    def detail_text(self, name: str) -> str:
        """The text shown for detail ``name`` (see DETAIL_ROWS)."""
        return self.detail_labels[name].text()

    def visit_rows(self) -> list[list[str]]:
        """The visit history as shown (cell texts)."""
        return table_texts(self.visits_table)

    def visit_headers(self) -> list[str]:
        return header_texts(self.visits_table)

    def show_message(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(ERROR_STYLE if error else NOTICE_STYLE)
        self.message.setVisible(bool(text))

    # --- actions -----------------------------------------------------------

    def selected_claim(self) -> uuid.UUID | None:
        """The claim of the visit selected in the history, if it has one."""
        if self.data is None:
            return None
        row = self.visits_table.currentRow()
        if not 0 <= row < len(self.data.visits):
            return None
        return self.data.claims.get(self.data.visits[row].visit_id)

    def _print_sha_invoice(self, loaded: tuple[ClaimDocument, str]) -> None:
        document, name = loaded
        print_sha_invoice(document, self, name)

    def _visit_selected(self) -> None:
        self.sha_invoice_button.setEnabled(self.selected_claim() is not None)

    def print_sha_invoice(self) -> None:
        """Print the selected visit's SHA invoice (its data read on the database thread)."""
        claim_id = self.selected_claim()
        if claim_id is None:
            return
        submit_for(
            self,
            self.ctx.db,
            functools.partial(load_sha_invoice, self.ctx, claim_id),
            PatientPage._print_sha_invoice,
            PatientPage._load_failed,
        )

    def edit(self) -> None:
        """Open the edit dialog for this patient (writers only)."""
        if self.data is None or not self.may_edit:
            return
        self.dialog = PatientDialog(self.ctx, self.data.profile, parent=self)
        self.dialog.sig_saved.connect(self._edited)
        self.dialog.open()

    def _edited(self, saved: SavedPatient) -> None:
        text = self.tr("Saved.")
        if saved.duplicates:
            text += " " + self.tr("Also check: {others}").format(
                others="; ".join(
                    f"{d.full_name} ({d.op_number}): {', '.join(d.reasons)}"
                    for d in saved.duplicates
                )
            )
        self.show_message(text)
        self.sig_changed.emit(self.patient_id)
        self.refresh()

    def open_visit_today(self) -> None:
        """Open today's visit at this branch and put the patient in the queue."""
        if not self.may_open_visit:
            return
        ctx, patient_id, today = self.ctx, self.patient_id, self.ctx.today()
        self.open_visit_button.setEnabled(False)

        def work() -> int | None:
            actor = ctx.actor()
            with ctx.store.write() as session:
                visit = open_visit(patient_id, session=session, actor=actor, today=today)
                return visit.queue_position

        submit_for(self, ctx.db, work, PatientPage._visit_opened, PatientPage._visit_refused)

    def _visit_opened(self, position: int | None) -> None:
        self.ctx.saved()
        self.open_visit_button.setEnabled(True)
        self.show_message(
            self.tr("Visit opened: number {n} in today's queue.").format(n=position or "?")
        )
        if self.ctx.navigator is not None:
            self.ctx.navigator.show_message(self.message.text())
        self.sig_changed.emit(self.patient_id)
        self.refresh()

    def _visit_refused(self, error: BaseException) -> None:
        self.open_visit_button.setEnabled(True)
        if isinstance(error, NotAllowed):
            self.show_message(error_text(error), error=True)
        else:
            self.show_message(
                self.tr("The visit was not opened: {reason}").format(reason=error_text(error)),
                error=True,
            )
