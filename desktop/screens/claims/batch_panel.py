"""Batches: make a weekly or monthly batch from a branch's READY claims, submit
it to SHA (which locks its claims), and export what the SHA portal takes (the
CSV) and the FHIR R4 bundles, one file per claim.

Reads and writes run on the database thread through
:mod:`clinic.claims.service`; the files are written there too.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from clinic.claims.document import ClaimDocument, load_claim_document
from clinic.claims.fhir import write_claim_bundle
from clinic.claims.queries import (
    BatchRow,
    BranchChoice,
    ClaimFilter,
    ClaimRow,
    batches,
    claims_page,
)
from clinic.claims.rules import BATCHABLE
from clinic.claims.service import batch_period_bounds, create_batch, submit_batch
from clinic.claims.sha_csv import write_batch_csv
from clinic.enums import BatchPeriod
from clinic.rules.money import format_kes
from desktop.context import AppContext
from desktop.display import claim_status_text, period_text, translate
from desktop.printing import local_time
from desktop.screens.patients.calls import submit_for
from desktop.screens.patients.display import error_text
from desktop.widgets import ERROR_STYLE, ask_save_path

OK_STYLE = "color: #1b5e20;"
MAX_BATCH = 1000


def batch_documents(batch_id: uuid.UUID, *, session: Session) -> list[ClaimDocument]:
    """The batch's claims as SHA sees them, in the list's order."""
    return [
        load_claim_document(claim.id, session=session)
        for claim in claims_page(ClaimFilter(batch_id=batch_id), session=session, limit=MAX_BATCH)
    ]


@dataclass(frozen=True)
class BatchView:
    """The batches, and the claims a new batch could take."""

    batches: list[BatchRow]
    candidates: list[ClaimRow]


@dataclass(frozen=True)
class Exported:
    folder: Path
    files: list[Path]


def _table(name: str, headers: list[str], stretch: int = 0) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(24)
    table.setAlternatingRowColors(True)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return table


def _item(text: str, numeric: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    if numeric:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


class BatchPanel(QWidget):
    sig_open_claim = Signal(object)
    """The user opened a claim of a batch; carries its id."""

    sig_loaded = Signal()
    """The batches and the candidate claims are shown."""

    sig_done = Signal(str)
    """A batch was made, submitted or exported; carries what the panel says."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.view: BatchView | None = None
        self.batch_claims: list[ClaimRow] = []
        self._selected_batch: uuid.UUID | None = None
        self.own_branch: uuid.UUID | None = ctx.user.branch_id

        # a new batch
        self.period = QComboBox()
        self.period.setObjectName("batch_period")
        for period in BatchPeriod:
            self.period.addItem(period_text(period), period.value)
        today = ctx.today()
        self.day = QDateEdit(QDate(today.year, today.month, today.day))
        self.day.setObjectName("batch_day")
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("dd/MM/yyyy")
        self.branch = QComboBox()
        self.branch.setObjectName("batch_branch")
        self.period_label = QLabel()
        self.period_label.setObjectName("batch_period_label")
        for combo in (self.period, self.branch):
            combo.currentIndexChanged.connect(lambda _index: self.refresh())
        self.day.dateChanged.connect(lambda _day: self.refresh())
        self.candidates = _table(
            "batch_candidates",
            [
                translate("Claims", "Patient"),
                translate("Claims", "Visit"),
                translate("Claims", "Claimed"),
            ],
        )
        self.candidates.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.candidates.itemChanged.connect(lambda _item: self._update_make_button())
        self.make_button = QPushButton()
        self.make_button.setObjectName("make_batch")
        self.make_button.clicked.connect(self.make_batch)
        choose = QHBoxLayout()
        choose.addWidget(self.period)
        choose.addWidget(QLabel(translate("Claims", "containing")))
        choose.addWidget(self.day)
        choose.addWidget(self.branch)
        choose.addStretch(1)
        new_box = QGroupBox(translate("Claims", "New batch from ready claims"))
        new_layout = QVBoxLayout(new_box)
        new_layout.addLayout(choose)
        new_layout.addWidget(self.period_label)
        new_layout.addWidget(self.candidates, 1)
        new_layout.addWidget(self.make_button, 0, Qt.AlignmentFlag.AlignRight)

        # the batches
        self.batch_table = _table(
            "batches",
            [
                translate("Claims", "Period"),
                translate("Claims", "Claims"),
                translate("Claims", "Claimed"),
                translate("Claims", "Submitted"),
                translate("Claims", "SHA reference"),
            ],
            stretch=4,
        )
        self.batch_table.itemSelectionChanged.connect(self._batch_selected)
        self.batch_claims_table = _table(
            "batch_claims",
            [
                translate("Claims", "Patient"),
                translate("Claims", "Visit"),
                translate("Claims", "Status"),
                translate("Claims", "Claimed"),
            ],
        )
        self.batch_claims_table.cellDoubleClicked.connect(self._open_batch_claim)
        self.reference = QLineEdit()
        self.reference.setObjectName("batch_reference")
        self.reference.setPlaceholderText(translate("Claims", "SHA portal reference (optional)"))
        self.submit_button = QPushButton(translate("Claims", "Submit to SHA"))
        self.submit_button.setObjectName("submit_batch")
        self.submit_button.clicked.connect(self.submit)
        self.csv_button = QPushButton(translate("Claims", "Export SHA CSV…"))
        self.csv_button.setObjectName("export_csv")
        self.csv_button.clicked.connect(lambda: self.export_csv())
        self.fhir_button = QPushButton(translate("Claims", "Export FHIR bundles…"))
        self.fhir_button.setObjectName("export_fhir")
        self.fhir_button.clicked.connect(lambda: self.export_fhir())
        actions = QHBoxLayout()
        actions.addWidget(self.reference, 1)
        actions.addWidget(self.submit_button)
        exports = QHBoxLayout()
        exports.addStretch(1)
        exports.addWidget(self.csv_button)
        exports.addWidget(self.fhir_button)
        batches_box = QGroupBox(translate("Claims", "Batches"))
        batches_layout = QVBoxLayout(batches_box)
        batches_layout.addWidget(self.batch_table, 2)
        batches_layout.addWidget(
            QLabel(translate("Claims", "Claims in the batch (double-click to open):"))
        )
        batches_layout.addWidget(self.batch_claims_table, 3)
        batches_layout.addLayout(actions)
        batches_layout.addLayout(exports)

        self.message = QLabel()
        self.message.setObjectName("batch_message")
        self.message.setWordWrap(True)
        self.message.hide()
        splitter = QSplitter()
        splitter.addWidget(new_box)
        splitter.addWidget(batches_box)
        splitter.setSizes([470, 700])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.message)
        layout.addWidget(splitter, 1)
        self._show_batch_actions(None)

    def set_branches(self, branches: list[BranchChoice], own: uuid.UUID | None) -> None:
        """Offer the branches (a batch holds one branch's claims), this PC's
        branch ``own`` first chosen."""
        self.own_branch = own
        self.branch.blockSignals(True)
        self.branch.clear()
        for choice in branches:
            self.branch.addItem(f"{choice.code} — {choice.name}", choice.id.hex)
        own_index = self.branch.findData(own.hex) if own else -1
        self.branch.setCurrentIndex(max(own_index, 0))
        self.branch.blockSignals(False)
        self.branch.setVisible(len(branches) > 1)

    def chosen_branch(self) -> uuid.UUID | None:
        data = self.branch.currentData()
        return uuid.UUID(data) if data else self.own_branch

    def chosen_period(self) -> tuple[BatchPeriod, date, date]:
        period = BatchPeriod(self.period.currentData())
        day: date = self.day.date().toPython()  # type: ignore[assignment]
        start, end = batch_period_bounds(period, day, day)
        return period, start, end

    # --- loading -----------------------------------------------------------

    def refresh(self) -> None:
        branch_id = self.chosen_branch()
        _period, start, end = self.chosen_period()
        self.period_label.setText(
            translate(
                "Claims", "Ready claims of visits from {start} to {end}, not in a batch:"
            ).format(start=f"{start:%d/%m/%Y}", end=f"{end:%d/%m/%Y}")
        )
        store = self.ctx.store

        def work() -> BatchView:
            with store.session() as session:
                return BatchView(
                    batches=batches(session=session, branch_id=branch_id),
                    candidates=claims_page(
                        ClaimFilter(
                            statuses=BATCHABLE,
                            branch_id=branch_id,
                            visit_from=start,
                            visit_to=end,
                            unbatched=True,
                        ),
                        session=session,
                        limit=MAX_BATCH,
                    ),
                )

        submit_for(self, self.ctx.db, work, BatchPanel._show, BatchPanel._failed)

    def _failed(self, error: BaseException) -> None:
        self.show_message(error_text(error), error=True)
        self.make_button.setEnabled(True)
        self._show_batch_actions(self.selected_batch())

    def _show(self, view: BatchView) -> None:
        self.view = view
        table = self.candidates
        table.blockSignals(True)
        table.setRowCount(len(view.candidates))
        for row, claim in enumerate(view.candidates):
            name = _item(claim.patient_name)
            name.setToolTip(claim.op_number)
            name.setFlags(name.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            name.setCheckState(Qt.CheckState.Checked)
            name.setData(Qt.ItemDataRole.UserRole, claim.id.hex)
            table.setItem(row, 0, name)
            table.setItem(row, 1, _item(f"{claim.visit_date:%d/%m/%Y}"))
            table.setItem(row, 2, _item(format_kes(claim.claimed_cents), numeric=True))
        table.blockSignals(False)
        self._update_make_button()

        selected = self._selected_batch
        self.batch_table.blockSignals(True)
        self.batch_table.setRowCount(len(view.batches))
        for row, batch in enumerate(view.batches):
            period = _item(f"{batch.period_start:%d/%m} to {batch.period_end:%d/%m/%Y}")
            period.setData(Qt.ItemDataRole.UserRole, batch.id.hex)
            period.setToolTip(f"{period_text(batch.period)}, {batch.branch_code}")
            self.batch_table.setItem(row, 0, period)
            self.batch_table.setItem(row, 1, _item(str(batch.claims), numeric=True))
            self.batch_table.setItem(row, 2, _item(format_kes(batch.claimed_cents), numeric=True))
            submitted = (
                local_time(batch.submitted_at, "%d/%m/%Y")
                if batch.submitted_at
                else translate("Claims", "not yet")
            )
            self.batch_table.setItem(row, 3, _item(submitted))
            self.batch_table.setItem(row, 4, _item(batch.reference or ""))
        self.batch_table.blockSignals(False)
        rows = [b.id for b in view.batches]
        if selected in rows:
            self.batch_table.selectRow(rows.index(selected))
        elif rows:
            self.batch_table.selectRow(0)
        else:
            self._batch_selected()
        self.sig_loaded.emit()

    def checked_claims(self) -> list[uuid.UUID]:
        ids = []
        for row in range(self.candidates.rowCount()):
            item = self.candidates.item(row, 0)
            if item is not None and item.checkState() == Qt.CheckState.Checked:
                ids.append(uuid.UUID(item.data(Qt.ItemDataRole.UserRole)))
        return ids

    def _update_make_button(self) -> None:
        chosen = set(self.checked_claims())
        cents = sum(
            c.claimed_cents for c in (self.view.candidates if self.view else []) if c.id in chosen
        )
        self.make_button.setText(
            translate("Claims", "Make a batch of {count} claims ({amount})").format(
                count=len(chosen), amount=format_kes(cents)
            )
        )
        self.make_button.setEnabled(bool(chosen))

    # --- the batch selected ------------------------------------------------

    def selected_batch(self) -> BatchRow | None:
        if self.view is None:
            return None
        rows = self.batch_table.selectionModel().selectedRows()
        if not rows:
            return None
        row = rows[0].row()
        return self.view.batches[row] if 0 <= row < len(self.view.batches) else None

    def _batch_selected(self) -> None:
        batch = self.selected_batch()
        self._selected_batch = batch.id if batch else None
        self._show_batch_actions(batch)
        if batch is None:
            self._show_batch_claims([])
            return
        store, batch_id = self.ctx.store, batch.id

        def work() -> list[ClaimRow]:
            with store.session() as session:
                return claims_page(ClaimFilter(batch_id=batch_id), session=session, limit=MAX_BATCH)

        submit_for(self, self.ctx.db, work, BatchPanel._show_batch_claims, BatchPanel._failed)

    def _show_batch_claims(self, claims: list[ClaimRow]) -> None:
        self.batch_claims = claims
        table = self.batch_claims_table
        table.setRowCount(len(claims))
        for row, claim in enumerate(claims):
            table.setItem(row, 0, _item(f"{claim.patient_name} ({claim.op_number})"))
            table.setItem(row, 1, _item(f"{claim.visit_date:%d/%m/%Y}"))
            table.setItem(row, 2, _item(claim_status_text(claim.status)))
            table.setItem(row, 3, _item(format_kes(claim.claimed_cents), numeric=True))

    def _show_batch_actions(self, batch: BatchRow | None) -> None:
        open_batch = batch is not None and batch.submitted_at is None
        self.submit_button.setEnabled(open_batch)
        self.reference.setEnabled(open_batch)
        self.csv_button.setEnabled(batch is not None)
        self.fhir_button.setEnabled(batch is not None)

    def _open_batch_claim(self, row: int, _column: int) -> None:
        if 0 <= row < len(self.batch_claims):
            self.sig_open_claim.emit(self.batch_claims[row].id)

    # --- acting ------------------------------------------------------------

    def make_batch(self) -> None:
        claim_ids = self.checked_claims()
        if not claim_ids:
            return
        period, _start, _end = self.chosen_period()
        ctx = self.ctx
        self.make_button.setEnabled(False)

        def work() -> uuid.UUID:
            with ctx.store.write() as session:
                return create_batch(claim_ids, period, session=session, actor=ctx.actor()).id

        def done(panel: BatchPanel, batch_id: uuid.UUID) -> None:
            panel.ctx.saved()
            panel._selected_batch = batch_id
            panel.show_message(
                translate("Claims", "Batch made with {count} claims.").format(count=len(claim_ids))
            )
            panel.refresh()

        submit_for(self, ctx.db, work, done, BatchPanel._failed)

    def submit(self) -> None:
        batch = self.selected_batch()
        if batch is None:
            return
        ctx, reference = self.ctx, self.reference.text().strip() or None
        self.submit_button.setEnabled(False)

        def work() -> None:
            with ctx.store.write() as session:
                submit_batch(batch.id, session=session, actor=ctx.actor(), reference=reference)

        def done(panel: BatchPanel, _result: None) -> None:
            panel.ctx.saved()
            panel.reference.clear()
            panel.show_message(
                translate(
                    "Claims", "Batch submitted: its {count} claims are locked as submitted."
                ).format(count=batch.claims)
            )
            panel.refresh()

        submit_for(self, ctx.db, work, done, BatchPanel._failed)

    def export_csv(self, path: Path | None = None) -> None:
        """Write the selected batch's SHA CSV (asking where, unless ``path``)."""
        batch = self.selected_batch()
        if batch is None:
            return
        if path is None:
            path = ask_save_path(
                self,
                translate("Claims", "Export the SHA CSV"),
                f"sha-batch-{batch.branch_code}-{batch.period_start:%Y%m%d}.csv",
                translate("Claims", "CSV files (*.csv)"),
            )
            if path is None:
                return
        store, target, batch_id = self.ctx.store, path, batch.id

        def work() -> Exported:
            with store.session() as session:
                documents = batch_documents(batch_id, session=session)
            return Exported(target.parent, [write_batch_csv(documents, target)])

        submit_for(self, self.ctx.db, work, BatchPanel._exported, BatchPanel._failed)

    def export_fhir(self, folder: Path | None = None) -> None:
        """Write one FHIR R4 bundle per claim of the selected batch into a
        folder (asking which, unless ``folder``)."""
        batch = self.selected_batch()
        if batch is None:
            return
        if folder is None:
            chosen = QFileDialog.getExistingDirectory(
                self, translate("Claims", "Folder for the FHIR bundles")
            )
            if not chosen:
                return
            folder = Path(chosen)
        store, target, batch_id = self.ctx.store, folder, batch.id

        def work() -> Exported:
            with store.session() as session:
                documents = batch_documents(batch_id, session=session)
            return Exported(
                target,
                [write_claim_bundle(d, target / f"claim-{d.number}.json") for d in documents],
            )

        submit_for(self, self.ctx.db, work, BatchPanel._exported, BatchPanel._failed)

    def _exported(self, exported: Exported) -> None:
        self.show_message(
            translate("Claims", "Wrote {count} file(s) to {folder}").format(
                count=len(exported.files), folder=exported.folder
            )
        )
        self.sig_done.emit(self.message.text())

    def show_message(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(ERROR_STYLE if error else OK_STYLE)
        self.message.setVisible(bool(text))
        if not error:
            self.sig_done.emit(text)
