"""Merging duplicate patients, for admins: find the record to keep and the
duplicate, see them side by side, tick the duplicate's values the kept
record should take, merge; the merges made so far are listed below, each
to undo (``clinic.patients.merge`` says what a merge does)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from clinic.enums import Sex
from clinic.patients.merge import MergedRecord, merge_patients, merged_records, unmerge_patient
from clinic.patients.queries import PatientProfile, patient_profile
from clinic.patients.search import MIN_QUERY_LENGTH, PatientSummary, search_patients
from desktop.context import AppContext
from desktop.display import sex_text
from desktop.screens.base import Screen
from desktop.screens.patients.display import date_text, error_text, phone_text
from desktop.widgets import ERROR_STYLE, fill_table, rows_table, selected_row

DIFFERENT = QBrush(QColor("#fff4d6"))
SEARCH_LIMIT = 8


class PatientPicker(QGroupBox):
    """A search box and its hits; ``chosen`` is the picked patient's id."""

    def __init__(self, title: str, ctx: AppContext, on_pick: Callable[[], None]) -> None:
        super().__init__(title)
        self.ctx = ctx
        self.chosen: uuid.UUID | None = None
        self._on_pick = on_pick
        self.query = QLineEdit()
        self.query.setPlaceholderText(self.tr("Name, OP number, phone or ID"))
        self.query.returnPressed.connect(self.search)
        self.hits = QListWidget()
        self.hits.setMaximumHeight(54)
        self.hits.currentItemChanged.connect(self._picked)
        layout = QVBoxLayout(self)
        layout.addWidget(self.query)
        layout.addWidget(self.hits)

    def search(self) -> None:
        text = self.query.text()
        if len(text.strip()) < MIN_QUERY_LENGTH:
            return
        store = self.ctx.store

        def work() -> list[PatientSummary]:
            with store.session() as session:
                return search_patients(text, session=session, limit=SEARCH_LIMIT)

        self.ctx.db.submit(work, self._show_hits)

    def _show_hits(self, hits: list[PatientSummary]) -> None:
        self.hits.clear()
        for hit in hits:
            item = QListWidgetItem(f"{hit.op_number}  {hit.full_name}  {phone_text(hit.phone)}")
            item.setData(Qt.ItemDataRole.UserRole, hit.id)
            self.hits.addItem(item)
        if len(hits) == 1:
            self.hits.setCurrentRow(0)

    def _picked(self, item: QListWidgetItem | None) -> None:
        self.chosen = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        self._on_pick()

    def clear(self) -> None:
        self.query.clear()
        self.hits.clear()


class MergeScreen(Screen):
    key = "merge"

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        heading = QLabel(self.tr("Merge duplicate patients"))
        heading.setObjectName("heading")
        about = QLabel(
            self.tr(
                "The duplicate's visits and bills follow the kept record, and its numbers"
                " find it. Tick the duplicate's values the kept record should take."
            )
        )
        about.setWordWrap(True)
        self.kept = PatientPicker(self.tr("Keep this record"), ctx, self._load_pair)
        self.duplicate = PatientPicker(
            self.tr("Merge this duplicate into it"), ctx, self._load_pair
        )
        pickers = QHBoxLayout()
        pickers.addWidget(self.kept)
        pickers.addWidget(self.duplicate)
        self.compare = QTableWidget(0, 4)
        self.compare.setHorizontalHeaderLabels(
            [self.tr("Detail"), self.tr("Kept record"), self.tr("Duplicate"), self.tr("Take")]
        )
        self.compare.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.compare.verticalHeader().hide()
        header = self.compare.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        self.merge_button = QPushButton(self.tr("Merge…"))
        self.merge_button.setEnabled(False)
        self.merge_button.clicked.connect(self.ask_to_merge)
        self.message = QLabel()
        self.message.setWordWrap(True)
        actions = QHBoxLayout()
        actions.addWidget(self.message, 1)
        actions.addWidget(self.merge_button)
        self.merges = rows_table(
            [self.tr("Duplicate"), self.tr("Merged into"), self.tr("When")], stretch=1
        )
        self.merges.setMaximumHeight(96)
        self.undo_button = QPushButton(self.tr("Undo merge…"))
        self.undo_button.setEnabled(False)
        self.undo_button.clicked.connect(self.ask_to_undo)
        self.merges.itemSelectionChanged.connect(
            lambda: self.undo_button.setEnabled(bool(self.merges.selectedItems()))
        )
        done_box = QGroupBox(self.tr("Merged records"))
        done_layout = QVBoxLayout(done_box)
        done_layout.addWidget(self.merges)
        done_layout.addWidget(self.undo_button, 0, Qt.AlignmentFlag.AlignRight)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(about)
        layout.addLayout(pickers)
        layout.addWidget(self.compare, 1)
        layout.addLayout(actions)
        layout.addWidget(done_box)
        self._pair: tuple[PatientProfile, PatientProfile] | None = None
        self._listed: list[MergedRecord] = []

    def title(self) -> str:
        return self.tr("Merge patients")

    def refresh(self) -> None:
        store = self.ctx.store

        def work() -> list[MergedRecord]:
            with store.session() as session:
                return merged_records(session=session)

        self.ctx.db.submit(work, self._show_merges)

    # --- the pair ---------------------------------------------------------

    def _load_pair(self) -> None:
        kept, duplicate = self.kept.chosen, self.duplicate.chosen
        self._pair = None
        self.merge_button.setEnabled(False)
        self.compare.setRowCount(0)
        if kept is None or duplicate is None:
            return
        if kept == duplicate:
            self._say(self.tr("Pick two different records."), error=True)
            return
        store = self.ctx.store

        def work() -> tuple[PatientProfile, PatientProfile]:
            with store.session() as session:
                return (
                    patient_profile(kept, session=session),
                    patient_profile(duplicate, session=session),
                )

        self.ctx.db.submit(work, self._show_pair)

    def _details(self) -> list[tuple[str, str, Callable[[PatientProfile], str]]]:
        """(field, label, how its value reads) for each detail a merge may take."""

        def text(name: str) -> Callable[[PatientProfile], str]:
            return lambda p: str(getattr(p, name) or "")

        def sex(profile: PatientProfile) -> str:
            return "" if profile.sex == Sex.UNKNOWN else sex_text(profile.sex)

        def kin_phone(profile: PatientProfile) -> str:
            return phone_text(profile.next_of_kin_phone)

        return [
            ("first_name", self.tr("First name"), text("first_name")),
            ("middle_name", self.tr("Middle name"), text("middle_name")),
            ("last_name", self.tr("Last name"), text("last_name")),
            ("sex", self.tr("Sex"), sex),
            ("date_of_birth", self.tr("Date of birth"), lambda p: date_text(p.date_of_birth)),
            ("phone", self.tr("Phone"), lambda p: phone_text(p.phone)),
            ("residence", self.tr("Residence"), text("residence")),
            ("national_id", self.tr("National ID"), text("national_id")),
            ("sha_number", self.tr("SHA number"), text("sha_number")),
            ("sha_principal_number", self.tr("Principal's SHA no."), text("sha_principal_number")),
            ("legacy_number", self.tr("Legacy number"), text("legacy_number")),
            ("next_of_kin_name", self.tr("Next of kin"), text("next_of_kin_name")),
            ("next_of_kin_phone", self.tr("Next of kin's phone"), kin_phone),
            ("next_of_kin_relationship", self.tr("Relationship"), text("next_of_kin_relationship")),
        ]  # fmt: skip

    def _show_pair(self, pair: tuple[PatientProfile, PatientProfile]) -> None:
        kept, duplicate = pair
        self._pair = pair
        details = self._details()
        self.compare.setRowCount(len(details) + 1)
        self._row(0, "op_number", self.tr("OP number"), kept.op_number, duplicate.op_number, False)
        for row, (name, label, read) in enumerate(details, start=1):
            mine, theirs = read(kept), read(duplicate)
            self._row(row, name, label, mine, theirs, bool(theirs) and mine != theirs)
        self.merge_button.setEnabled(True)
        self._say(
            self.tr("{dup} will be merged into {kept}.").format(
                dup=duplicate.op_number, kept=kept.op_number
            )
        )

    def _row(self, row: int, name: str, label: str, mine: str, theirs: str, takeable: bool) -> None:
        cells = [QTableWidgetItem(label), QTableWidgetItem(mine), QTableWidgetItem(theirs)]
        take = QTableWidgetItem()
        take.setData(Qt.ItemDataRole.UserRole, name)
        if takeable:
            take.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            # A value the kept record lacks is taken unless the admin says no.
            take.setCheckState(Qt.CheckState.Checked if not mine else Qt.CheckState.Unchecked)
        else:
            take.setFlags(Qt.ItemFlag.NoItemFlags)
        if takeable or name == "op_number":
            for cell in cells[1:]:
                cell.setBackground(DIFFERENT)
        for column, cell in enumerate([*cells, take]):
            self.compare.setItem(row, column, cell)

    def taken(self) -> list[str]:
        """The details ticked to take from the duplicate."""
        names = []
        for row in range(self.compare.rowCount()):
            take = self.compare.item(row, 3)
            if take is not None and take.checkState() == Qt.CheckState.Checked:
                names.append(str(take.data(Qt.ItemDataRole.UserRole)))
        return names

    # --- merging ------------------------------------------------------------

    def ask_to_merge(self) -> None:
        if self._pair is None:
            return
        kept, duplicate = self._pair
        answer = QMessageBox.question(
            self,
            self.tr("Merge patients"),
            self.tr(
                "Merge {dup} ({dup_name}) into {kept} ({kept_name})?"
                " The duplicate's visits and bills will show on {kept}."
            ).format(
                dup=duplicate.op_number,
                dup_name=duplicate.full_name,
                kept=kept.op_number,
                kept_name=kept.full_name,
            ),
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.merge()

    def merge(self) -> None:
        if self._pair is None:
            return
        kept, duplicate = self._pair
        ctx, take = self.ctx, self.taken()

        def work() -> None:
            with ctx.store.write() as session:
                merge_patients(
                    kept.id,
                    duplicate.id,
                    take,
                    session=session,
                    actor=ctx.actor(),
                    today=ctx.today(),
                )

        self.merge_button.setEnabled(False)
        self._run(
            work,
            self.tr("{dup} was merged into {kept}.").format(
                dup=duplicate.op_number, kept=kept.op_number
            ),
        )

    def _show_merges(self, merges: list[MergedRecord]) -> None:
        self._listed = merges
        fill_table(
            self.merges,
            [
                [
                    f"{merge.merged_op_number}  {merge.merged_name}",
                    f"{merge.kept_op_number}  {merge.kept_name}",
                    f"{merge.merged_at:%d/%m/%Y %H:%M}",
                ]
                for merge in merges
            ],
            keep_selection=False,
        )

    def ask_to_undo(self) -> None:
        row = selected_row(self.merges)
        if row is None:
            return
        merge = self._listed[row]
        answer = QMessageBox.question(
            self,
            self.tr("Undo merge"),
            self.tr(
                "Make {dup} a patient of their own again? Their visits and bills go back"
                " to them. Values {kept} took in the merge stay on {kept}."
            ).format(dup=merge.merged_op_number, kept=merge.kept_op_number),
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.undo(merge)

    def undo(self, merge: MergedRecord) -> None:
        ctx = self.ctx

        def work() -> None:
            with ctx.store.write() as session:
                unmerge_patient(merge.merged_id, session=session, actor=ctx.actor())

        self._run(
            work,
            self.tr("{dup} is a patient of their own again.").format(dup=merge.merged_op_number),
        )

    def _run(self, work: Callable[[], None], done: str) -> None:
        def finished(_result: Any) -> None:
            self.ctx.saved()
            self._say(done)
            self.kept.clear()
            self.duplicate.clear()
            self.refresh()

        def failed(error: BaseException) -> None:
            self.merge_button.setEnabled(self._pair is not None)
            self._say(error_text(error), error=True)

        self.ctx.db.submit(work, finished, failed)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(ERROR_STYLE if error else "")
