"""One claim: what it says (patient, facility, diagnoses, lines, amounts),
the completeness checklist (what SHA would reject it for, each item with the
screen that fixes it), the status moves with the fields each needs, and the
claim's history.

Everything is read and written on the database thread; moves go through
:func:`clinic.claims.service.move_claim`, which checks the state machine
and the amounts: its error is shown next to the field it names, or above
the moves when it names none.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from clinic.claims.completeness import FixIn, Missing, missing
from clinic.claims.document import ClaimDocument, load_claim_document
from clinic.claims.rules import CLAIM_TRANSITIONS, may_move_claim
from clinic.claims.service import claim_history, move_claim, refresh_claim
from clinic.enums import ClaimStatus
from clinic.errors import FieldError, InvalidValue, ValidationFailed
from clinic.org.models import User
from clinic.permissions import Data, may_write
from clinic.rules.money import format_kes, parse_kes
from desktop.context import AppContext
from desktop.display import claim_move_text, claim_status_text, translate
from desktop.printing import clinic_name, local_time
from desktop.screens.claims.labels import STATUS_COLOURS
from desktop.screens.claims.sha_invoice import print_sha_invoice, write_sha_invoice_pdf
from desktop.screens.patients.calls import submit_for
from desktop.screens.patients.display import error_text
from desktop.widgets import ERROR_STYLE, ErrorForm, ask_save_path

C = ClaimStatus
OK_STYLE = "color: #1b5e20; font-weight: bold;"
MISSING_STYLE = "QFrame#missing_item { background: #fff4f4; border: 1px solid #f0c4c4; }"

FIX_SCREENS = {
    FixIn.PATIENT: "patients",
    FixIn.CONSULTATION: "consultation",
    FixIn.PRICE_LIST: "price_list",
}
"""The main window's screen that fixes each kind of missing item."""


def fix_button_text(fix_in: FixIn) -> str:
    return {
        FixIn.PATIENT: translate("Claims", "Open the patient"),
        FixIn.CONSULTATION: translate("Claims", "Open the consultation"),
        FixIn.PRICE_LIST: translate("Claims", "Open the price list"),
        FixIn.CLAIM: translate("Claims", "Bring up to date"),
    }[fix_in]


def who_fixes(fix_in: FixIn) -> str:
    return {
        FixIn.PATIENT: translate("Claims", "Reception corrects the patient's details."),
        FixIn.CONSULTATION: translate(
            "Claims", "The clinician corrects the consultation (an amendment once signed)."
        ),
        FixIn.PRICE_LIST: translate("Claims", "An admin corrects the price list."),
        FixIn.CLAIM: translate(
            "Claims", "Once the invoice is right, bring the draft claim up to date from it."
        ),
    }[fix_in]


@dataclass(frozen=True)
class HistoryEntry:
    """One move of the claim: when, from and to which status, its note (a
    rejection's reason, an amount) and who made it (when this PC knows them)."""

    changed_at: datetime
    from_status: ClaimStatus | None
    to_status: ClaimStatus
    note: str | None
    by: str | None


@dataclass(frozen=True)
class ClaimPageData:
    document: ClaimDocument
    missing: tuple[Missing, ...]
    history: tuple[HistoryEntry, ...]
    clinic_name: str


def _user_name(session: Session, user_id: uuid.UUID | None) -> str | None:
    user = session.get(User, user_id) if user_id is not None else None
    return user.full_name if user is not None else None


def load_claim_page(ctx: AppContext, claim_id: uuid.UUID, today: date) -> ClaimPageData:
    """Everything the page shows (runs on the database thread)."""
    with ctx.store.session() as session:
        document = load_claim_document(claim_id, session=session)
        return ClaimPageData(
            document=document,
            missing=tuple(missing(document, today=today)),
            history=tuple(
                HistoryEntry(
                    change.changed_at,
                    change.from_status,
                    change.to_status,
                    change.note,
                    _user_name(session, change.created_by),
                )
                for change in claim_history(claim_id, session=session)
            ),
            clinic_name=clinic_name(ctx.store),
        )


@dataclass(frozen=True)
class MoveRequest:
    """What the move form holds, read on the GUI thread."""

    status: ClaimStatus
    reason: str | None
    approved_cents: int | None
    paid_cents: int | None
    paid_on: date | None
    payment_reference: str | None


def _table(name: str, headers: list[str], stretch: int = 0) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(24)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return table


def _fill(table: QTableWidget, rows: list[list[str]], numeric: set[int]) -> None:
    table.setRowCount(len(rows))
    for row, cells in enumerate(rows):
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if column in numeric:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(row, column, item)


class ClaimPage(QWidget):
    """The page of one claim. Esc (or "Back to the list") emits ``sig_closed``."""

    sig_closed = Signal()
    """The user is done with this claim."""

    sig_loaded = Signal(object)
    """The page shows fresh data; carries the :class:`ClaimPageData`."""

    sig_moved = Signal(object)
    """The claim moved; carries its new status."""

    def __init__(self, ctx: AppContext, claim_id: uuid.UUID, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.claim_id = claim_id
        self.data: ClaimPageData | None = None
        self.setObjectName("claimPage")
        self._build()
        QShortcut(
            QKeySequence(Qt.Key.Key_Escape),
            self,
            self.sig_closed.emit,
            context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
        )
        self.refresh()

    # --- building ----------------------------------------------------------

    def _build(self) -> None:
        back = QPushButton(translate("Claims", "← Back to the list"))
        back.setToolTip(translate("Claims", "Esc"))
        back.clicked.connect(self.sig_closed.emit)
        self.title = QLabel(translate("Claims", "Loading…"))
        self.title.setObjectName("claim_title")
        self.title.setStyleSheet("font-size: 13pt; font-weight: bold;")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_badge = QLabel()
        self.status_badge.setObjectName("claim_status")
        self.print_button = QPushButton(translate("Claims", "Print SHA invoice"))
        self.print_button.setObjectName("print_sha_invoice")
        self.print_button.clicked.connect(self.print_invoice)
        self.pdf_button = QPushButton(translate("Claims", "Save as PDF…"))
        self.pdf_button.clicked.connect(self.save_invoice_pdf)
        top = QHBoxLayout()
        top.addWidget(back)
        top.addSpacing(10)
        top.addWidget(self.title, 1)
        top.addWidget(self.status_badge)
        top.addSpacing(10)
        top.addWidget(self.print_button)
        top.addWidget(self.pdf_button)

        self.message = QLabel()
        self.message.setObjectName("claim_message")
        self.message.setWordWrap(True)
        self.message.hide()

        # what the claim says
        self.facts: dict[str, QLabel] = {}
        facts_box = QGroupBox(translate("Claims", "Claim"))
        grid = QGridLayout(facts_box)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(3)
        fact_rows = (
            ("patient", translate("Claims", "Patient")),
            ("sha_number", translate("Claims", "SHA number")),
            ("facility", translate("Claims", "Facility")),
            ("visit", translate("Claims", "Visit")),
            ("clinician", translate("Claims", "Clinician")),
            ("diagnoses", translate("Claims", "Diagnoses")),
            ("claimed", translate("Claims", "Claimed")),
            ("approved", translate("Claims", "Approved")),
            ("paid", translate("Claims", "Paid")),
            ("submitted", translate("Claims", "Submitted")),
        )
        for index, (name, caption) in enumerate(fact_rows):
            value = QLabel()
            value.setObjectName(f"fact_{name}")
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.facts[name] = value
            row, column = (index, 0) if index < 6 else (index - 6, 2)
            label = QLabel(caption)
            label.setStyleSheet("color: #5f6b76;")
            grid.addWidget(label, row, column, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(value, row, column + 1, Qt.AlignmentFlag.AlignTop)
        grid.setColumnStretch(1, 3)
        grid.setColumnStretch(3, 2)

        self.lines = _table(
            "claim_lines",
            [
                translate("Claims", "Item"),
                translate("Claims", "Intervention code"),
                translate("Claims", "Qty"),
                translate("Claims", "Amount"),
                translate("Claims", "SHA tariff"),
            ],
        )
        lines_box = QGroupBox(translate("Claims", "Lines"))
        QVBoxLayout(lines_box).addWidget(self.lines)

        self.history = _table(
            "claim_history",
            [
                translate("Claims", "When"),
                translate("Claims", "Move"),
                translate("Claims", "By"),
                translate("Claims", "Note"),
            ],
            stretch=3,
        )
        self.history.setMaximumHeight(150)
        history_box = QGroupBox(translate("Claims", "History"))
        QVBoxLayout(history_box).addWidget(self.history)

        left = QVBoxLayout()
        left.addWidget(facts_box)
        left.addWidget(lines_box, 1)
        left.addWidget(history_box)

        # the checklist
        self.checklist_box = QGroupBox(translate("Claims", "What SHA would reject"))
        self.checklist_box.setObjectName("checklist")
        self.checklist_state = QLabel()
        self.checklist_state.setObjectName("checklist_state")
        self.checklist_state.setWordWrap(True)
        self.checklist_items = QVBoxLayout()
        self.checklist_items.setSpacing(6)
        items_widget = QWidget()
        items_layout = QVBoxLayout(items_widget)
        items_layout.setContentsMargins(0, 0, 0, 0)
        items_layout.addLayout(self.checklist_items)
        items_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(items_widget)
        scroll.viewport().setAutoFillBackground(False)
        items_widget.setAutoFillBackground(False)
        self.update_button = QPushButton(translate("Claims", "Bring up to date"))
        self.update_button.setObjectName("refresh_claim")
        self.update_button.setToolTip(
            translate(
                "Claims",
                "Take the patient's SHA numbers and the invoice's lines again,"
                " after reception, the cashier or the price list fixed them",
            )
        )
        self.update_button.clicked.connect(self.bring_up_to_date)
        state_row = QHBoxLayout()
        state_row.addWidget(self.checklist_state, 1)
        state_row.addWidget(self.update_button, 0, Qt.AlignmentFlag.AlignTop)
        checklist_layout = QVBoxLayout(self.checklist_box)
        checklist_layout.addLayout(state_row)
        checklist_layout.addWidget(scroll, 1)

        # the moves
        self.moves_box = QGroupBox(translate("Claims", "Move the claim"))
        self.move_to = QComboBox()
        self.move_to.setObjectName("move_to")
        self.move_to.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.move_to.currentIndexChanged.connect(lambda _index: self._show_move_fields())
        self.reason = QLineEdit()
        self.reason.setObjectName("reason")
        self.approved = QLineEdit()
        self.approved.setObjectName("approved_amount")
        self.paid = QLineEdit()
        self.paid.setObjectName("paid_amount")
        self.paid_on = QDateEdit()
        self.paid_on.setObjectName("paid_on")
        self.paid_on.setCalendarPopup(True)
        self.paid_on.setDisplayFormat("dd/MM/yyyy")
        self.reference = QLineEdit()
        self.reference.setObjectName("payment_reference")
        self.move_error = QLabel()
        self.move_error.setObjectName("move_error")
        self.move_error.setStyleSheet(ERROR_STYLE)
        self.move_error.setWordWrap(True)
        self.move_error.hide()
        self.move_button = QPushButton(translate("Claims", "Move"))
        self.move_button.setObjectName("move_claim")
        self.move_button.clicked.connect(self.apply_move)
        form_layout = QFormLayout()
        self.form = ErrorForm(form_layout)
        form_layout.addRow(translate("Claims", "Move to"), self.move_to)
        self.form.add("reason", translate("Claims", "Reason"), self.reason)
        self.form.add("approved_cents", translate("Claims", "Approved (KES)"), self.approved)
        self.form.add("paid_cents", translate("Claims", "Paid (KES)"), self.paid)
        self.form.add("paid_on", translate("Claims", "Paid on"), self.paid_on)
        self.form.add("payment_reference", translate("Claims", "SHA reference"), self.reference)
        self.no_moves = QLabel()
        self.no_moves.setWordWrap(True)
        moves_layout = QVBoxLayout(self.moves_box)
        moves_layout.addWidget(self.no_moves)
        moves_layout.addLayout(form_layout)
        moves_layout.addWidget(self.move_error)
        moves_layout.addWidget(self.move_button, 0, Qt.AlignmentFlag.AlignRight)

        right = QVBoxLayout()
        right.addWidget(self.checklist_box, 1)
        right.addWidget(self.moves_box)

        columns = QHBoxLayout()
        columns.addLayout(left, 3)
        columns.addLayout(right, 2)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addLayout(columns, 1)

    # --- loading -----------------------------------------------------------

    def refresh(self) -> None:
        submit_for(
            self,
            self.ctx.db,
            functools.partial(load_claim_page, self.ctx, self.claim_id, self.ctx.today()),
            ClaimPage._show,
            lambda page, error: page.show_message(error_text(error), error=True),
        )

    def _show(self, data: ClaimPageData) -> None:
        self.data = data
        doc = data.document
        self.title.setText(f"{doc.patient.full_name} · {doc.number}")
        self.status_badge.setText(claim_status_text(doc.status))
        self.status_badge.setStyleSheet(
            f"color: white; background: {STATUS_COLOURS[doc.status]}; padding: 3px 10px;"
            " border-radius: 9px; font-weight: bold;"
        )
        sha = doc.sha_member_number or translate("Claims", "none")
        if doc.is_dependant:
            sha += translate("Claims", " (dependant of {principal})").format(
                principal=doc.sha_principal_number
            )
        facility = doc.facility
        codes = ", ".join(
            part
            for part in (
                facility.kmhfl_code and f"KMHFL {facility.kmhfl_code}",
                facility.sha_facility_id and f"SHA {facility.sha_facility_id}",
            )
            if part
        )
        signed = (
            translate("Claims", "signed {when}").format(when=local_time(doc.visit_signed_at))
            if doc.visit_signed_at
            else translate("Claims", "not signed")
        )
        values = {
            "patient": f"{doc.patient.full_name} ({doc.patient.op_number})",
            "sha_number": sha,
            "facility": f"{facility.name}" + (f" · {codes}" if codes else ""),
            "visit": f"{doc.visit_date:%d/%m/%Y}, {signed}",
            "clinician": doc.clinician.full_name if doc.clinician else translate("Claims", "none"),
            "diagnoses": "; ".join(
                f"{d.code} {d.description}"
                + (f" ({d.code_system})" if d.code_system != "ICD10" else "")
                for d in doc.diagnoses
            )
            or translate("Claims", "none"),
            "claimed": format_kes(doc.claimed_cents),
            "approved": "" if doc.approved_cents is None else format_kes(doc.approved_cents),
            "paid": ""
            if doc.paid_cents is None
            else format_kes(doc.paid_cents)
            + (f", {doc.paid_on:%d/%m/%Y}" if doc.paid_on else "")
            + (f", {doc.payment_reference}" if doc.payment_reference else ""),
            "submitted": local_time(doc.submitted_at) if doc.submitted_at else "",
        }
        for name, label in self.facts.items():
            label.setText(values[name] or "—")
        if doc.rejection_reason and doc.status == C.REJECTED:
            self.show_message(
                translate("Claims", "SHA rejected this claim: {reason}").format(
                    reason=doc.rejection_reason
                ),
                error=True,
            )
        _fill(
            self.lines,
            [
                [
                    line.description,
                    line.intervention_code or translate("Claims", "none"),
                    str(line.quantity),
                    format_kes(line.amount_cents),
                    "" if line.tariff_cents is None else format_kes(line.tariff_cents),
                ]
                for line in doc.lines
            ],
            {2, 3, 4},
        )
        _fill(
            self.history,
            [
                [
                    local_time(entry.changed_at),
                    (claim_status_text(entry.from_status) + " → " if entry.from_status else "")
                    + claim_status_text(entry.to_status),
                    entry.by or "",
                    entry.note or "",
                ]
                for entry in data.history
            ],
            set(),
        )
        self._show_checklist(data)
        self._show_moves(doc)
        self.sig_loaded.emit(data)

    def may_update(self, doc: ClaimDocument) -> bool:
        """A draft follows its patient and invoice; what was sent does not."""
        return doc.status == C.DRAFT and may_write(self.ctx.user.role, Data.CLAIMS)

    def bring_up_to_date(self) -> None:
        """Refresh the draft from the patient and the invoice (database thread)."""
        ctx, claim_id = self.ctx, self.claim_id
        self.update_button.setEnabled(False)

        def work() -> None:
            with ctx.store.write() as session:
                refresh_claim(claim_id, session=session, actor=ctx.actor())

        def done(page: ClaimPage, _result: None) -> None:
            page.ctx.saved()
            page.show_message(
                translate("Claims", "Brought up to date from the patient and the invoice.")
            )
            page.refresh()

        def failed(page: ClaimPage, error: BaseException) -> None:
            page.update_button.setEnabled(True)
            page.show_message(error_text(error), error=True)

        submit_for(self, ctx.db, work, done, failed)

    def _show_checklist(self, data: ClaimPageData) -> None:
        self.update_button.setVisible(self.may_update(data.document))
        self.update_button.setEnabled(True)
        while self.checklist_items.count():
            item = self.checklist_items.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()
                widget.deleteLater()
        if not data.missing:
            self.checklist_state.setText(
                translate("Claims", "✓ Nothing missing: SHA has what it needs.")
            )
            self.checklist_state.setStyleSheet(OK_STYLE)
        else:
            self.checklist_state.setText(
                translate("Claims", "{count} to fix before the claim can be ready:").format(
                    count=len(data.missing)
                )
            )
            self.checklist_state.setStyleSheet(ERROR_STYLE + " font-weight: bold;")
        for found in data.missing:
            self.checklist_items.addWidget(self._checklist_row(found, data.document))

    def _checklist_row(self, item: Missing, doc: ClaimDocument) -> QFrame:
        row = QFrame()
        row.setObjectName("missing_item")
        row.setProperty("code", item.code)
        row.setStyleSheet(MISSING_STYLE)
        text = QLabel(f"✗ {item.message}")
        text.setObjectName(f"missing_{item.code}")
        text.setWordWrap(True)
        text.setStyleSheet("border: none; background: transparent;")
        button = QPushButton(fix_button_text(item.fix_in))
        button.setObjectName(f"fix_{item.code}")
        screen = FIX_SCREENS.get(item.fix_in)
        navigator = self.ctx.navigator
        if item.fix_in == FixIn.CLAIM:
            button.setEnabled(self.may_update(doc))
            button.clicked.connect(self.bring_up_to_date)
        elif screen is not None and navigator is not None and navigator.has_screen(screen):
            button.clicked.connect(functools.partial(self.open_fix, item.fix_in, doc))
        else:
            button.setEnabled(False)
        button.setToolTip(who_fixes(item.fix_in))
        layout = QHBoxLayout(row)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(text, 1)
        layout.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
        return row

    def open_fix(self, fix_in: FixIn, doc: ClaimDocument) -> None:
        """Open the screen that fixes a missing item of this claim."""
        navigator = self.ctx.navigator
        if navigator is None:
            return
        if fix_in == FixIn.PATIENT:
            navigator.open_patient(doc.patient.id)
        elif fix_in == FixIn.CONSULTATION:
            navigator.open_visit("consultation", doc.visit_id)
        elif fix_in == FixIn.PRICE_LIST:
            navigator.open_screen("price_list")

    def _show_moves(self, doc: ClaimDocument) -> None:
        role = self.ctx.user.role
        allowed = sorted(
            (
                target
                for target in CLAIM_TRANSITIONS[doc.status]
                if target != C.SUBMITTED and may_move_claim(role, doc.status, target)
            ),
            key=list(ClaimStatus).index,
        )
        self.move_to.blockSignals(True)
        self.move_to.clear()
        for target in allowed:
            self.move_to.addItem(claim_move_text(target), target.value)
        self.move_to.blockSignals(False)
        if doc.status == C.READY and C.INVOICE_GENERATED in allowed:
            self.move_to.setCurrentIndex(self.move_to.findData(C.INVOICE_GENERATED.value))
        if C.SUBMITTED in CLAIM_TRANSITIONS[doc.status]:
            note = translate("Claims", "Claims are submitted with their batch, on the Batches tab.")
        elif not CLAIM_TRANSITIONS[doc.status]:
            note = translate("Claims", "A paid claim is closed.")
        elif not allowed:
            note = translate("Claims", "Your role cannot move claims.")
        else:
            note = ""
        self.no_moves.setText(note)
        self.no_moves.setVisible(bool(note))
        self.move_button.setVisible(bool(allowed))
        self.move_to.setEnabled(bool(allowed))
        self.approved.setText(f"{(doc.approved_cents or doc.claimed_cents) / 100:.2f}")
        self.paid.setText(f"{(doc.approved_cents or doc.claimed_cents) / 100:.2f}")
        today = self.ctx.today()
        self.paid_on.setDate(QDate(today.year, today.month, today.day))
        self.reason.clear()
        self.reference.clear()
        self.form.clear_errors()
        self.move_error.hide()
        self._show_move_fields()

    def _show_move_fields(self) -> None:
        chosen = self.move_to.currentData()
        target = ClaimStatus(chosen) if chosen else None
        shown = {
            "reason": target in (C.REJECTED, C.DRAFT),
            "approved_cents": target in (C.APPROVED, C.PARTIALLY_APPROVED),
            "paid_cents": target == C.PAID,
            "paid_on": target == C.PAID,
            "payment_reference": target == C.PAID,
        }
        layout = self.form.layout
        for name, visible in shown.items():
            layout.setRowVisible(self.form.fields[name], visible)

    # --- acting ------------------------------------------------------------

    def move_request(self) -> MoveRequest:
        """The move the form asks for; raises InvalidValue for an amount
        that cannot be read."""
        target = ClaimStatus(self.move_to.currentData())
        approved = paid = None
        if target in (C.APPROVED, C.PARTIALLY_APPROVED):
            approved = parse_kes(self.approved.text(), "approved_cents")
        if target == C.PAID:
            paid = parse_kes(self.paid.text(), "paid_cents")
        return MoveRequest(
            status=target,
            reason=self.reason.text().strip() or None,
            approved_cents=approved,
            paid_cents=paid,
            paid_on=self.paid_on.date().toPython() if target == C.PAID else None,  # type: ignore[arg-type]
            payment_reference=(self.reference.text().strip() or None) if target == C.PAID else None,
        )

    def apply_move(self) -> None:
        """Make the move the form asks for (on the database thread)."""
        if self.move_to.currentData() is None:
            return
        self.form.clear_errors()
        self.move_error.hide()
        try:
            request = self.move_request()
        except InvalidValue as error:
            self.form.show_errors([FieldError(error.field, error.reason)])
            return
        ctx, claim_id = self.ctx, self.claim_id
        self.move_button.setEnabled(False)

        def work() -> ClaimStatus:
            with ctx.store.write() as session:
                move_claim(
                    claim_id,
                    request.status,
                    session=session,
                    actor=ctx.actor(),
                    reason=request.reason,
                    approved_cents=request.approved_cents,
                    paid_cents=request.paid_cents,
                    paid_on=request.paid_on,
                    payment_reference=request.payment_reference,
                )
            return request.status

        submit_for(self, ctx.db, work, ClaimPage._moved, ClaimPage._move_refused)

    def _moved(self, status: ClaimStatus) -> None:
        self.ctx.saved()
        self.move_button.setEnabled(True)
        self.show_message(
            translate("Claims", "Moved to: {status}.").format(status=claim_status_text(status))
        )
        self.sig_moved.emit(status)
        self.refresh()

    def _move_refused(self, error: BaseException) -> None:
        self.move_button.setEnabled(True)
        if isinstance(error, ValidationFailed):
            unplaced = self.form.show_errors(error.errors)
        elif isinstance(error, InvalidValue):
            unplaced = self.form.show_errors([FieldError(error.field, error.reason)])
        else:
            unplaced = [error_text(error)]
        if unplaced:
            self.move_error.setText(
                translate("Claims", "The claim was not moved: {reason}").format(
                    reason="; ".join(unplaced)
                )
            )
            self.move_error.show()

    def show_message(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(ERROR_STYLE if error else OK_STYLE)
        self.message.setVisible(bool(text))

    # --- the SHA invoice -------------------------------------------------------

    def print_invoice(self) -> None:
        if self.data is not None:
            print_sha_invoice(self.data.document, self, self.data.clinic_name)

    def save_invoice_pdf(self, path: Path | None = None) -> Path | None:
        """Write the SHA invoice as a PDF (asking where, unless ``path``)."""
        if self.data is None:
            return None
        if path is None:
            path = ask_save_path(
                self,
                translate("Claims", "Save the SHA invoice"),
                f"sha-invoice-{self.data.document.number}.pdf",
                translate("Claims", "PDF files (*.pdf)"),
            )
            if path is None:
                return None
        write_sha_invoice_pdf(self.data.document, path, self.data.clinic_name)
        self.show_message(translate("Claims", "Saved {path}").format(path=path))
        return path
