"""The patient table: search hits, or every patient loaded page by page.

The model holds plain :class:`PatientSummary` rows only. In browse mode it
loads the list in registration order one page at a time, when the view asks
for more (``canFetchMore``/``fetchMore``, i.e. when the user scrolls to the
bottom), so 500,000 patients never load at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from clinic.patients.queries import patients_page
from clinic.patients.search import PatientSummary
from clinic.store import LocalStore
from desktop.display import sex_text
from desktop.runner import DbRunner
from desktop.screens.patients.calls import submit_for
from desktop.screens.patients.display import age_text, error_text, phone_text

PAGE_SIZE = 100
"""Rows per page of the browse list: a few screens' worth, one quick query."""

AnyIndex = QModelIndex | QPersistentModelIndex
PATIENT_ID_ROLE = Qt.ItemDataRole.UserRole + 1


class PatientTableModel(QAbstractTableModel):
    sig_page_loaded = Signal(int)
    """A page of the browse list arrived; carries the number of rows now loaded."""

    sig_load_failed = Signal(str)
    """Loading a page failed; carries the reason as one line."""

    def __init__(
        self,
        store: LocalStore,
        db: DbRunner,
        today: Callable[[], date],
        page_size: int = PAGE_SIZE,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._db = db
        self._today = today
        self.page_size = page_size
        self._rows: list[PatientSummary] = []
        self._browsing = False
        self._has_more = False
        self._loading = False
        self._generation = 0
        self._day = today()
        self._headers = [
            self.tr("OP number"),
            self.tr("Name"),
            self.tr("Sex"),
            self.tr("Age"),
            self.tr("Phone"),
            self.tr("Residence"),
            self.tr("National ID"),
            self.tr("SHA number"),
        ]

    # --- filling -----------------------------------------------------------

    def show_results(self, rows: list[PatientSummary]) -> None:
        """Show search hits (best first); browsing stops. The same hits
        again (a search re-run as changes arrive) are updated in place."""
        if self._browsing or [r.id for r in rows] != [r.id for r in self._rows]:
            self._reset(rows, browsing=False)
        else:
            self._update_in_place(rows)

    def clear(self) -> None:
        self._reset([], browsing=False)

    def browse(self, preload: int = 0) -> None:
        """Show every patient in registration order, loading the first page
        (or at least ``preload`` rows, to keep what was on screen on refresh)."""
        self._reset([], browsing=True)
        self._load(max(self.page_size, preload))

    def reload(self, limit: int) -> None:
        """Read the browse list again, the rows loaded so far (at most
        ``limit``) and a page more, and show it in place: the patients on
        screen stay where they are (and the view's scroll and selection
        with them), their changes are repainted, new patients appended
        (registration order puts them last). Only a list whose order moved
        (a patient merged away) is shown afresh."""
        if not self._browsing:
            self.browse()
            return
        generation = self._generation
        count = min(len(self._rows), limit) + self.page_size
        store = self._store
        self._loading = True

        def work() -> list[PatientSummary]:
            with store.session() as session:
                return patients_page(session=session, limit=count)

        submit_for(
            self,
            self._db,
            work,
            lambda model, rows: model._reloaded(generation, count, rows),
            lambda model, error: model._page_failed(generation, error),
        )

    def _reloaded(self, generation: int, count: int, rows: list[PatientSummary]) -> None:
        if generation != self._generation:
            return
        self._loading = False
        self._has_more = len(rows) == count
        shared = min(len(rows), len(self._rows))
        if [r.id for r in rows[:shared]] != [r.id for r in self._rows[:shared]]:
            self._reset(rows, browsing=True)
            self._has_more = len(rows) == count
        else:
            if len(rows) < len(self._rows):
                self.beginRemoveRows(QModelIndex(), len(rows), len(self._rows) - 1)
                del self._rows[len(rows) :]
                self.endRemoveRows()
            self._update_in_place(rows[:shared])
            if len(rows) > shared:
                self.beginInsertRows(QModelIndex(), shared, len(rows) - 1)
                self._rows.extend(rows[shared:])
                self.endInsertRows()
        self.sig_page_loaded.emit(len(self._rows))

    def _update_in_place(self, rows: list[PatientSummary]) -> None:
        """``rows`` (the same patients as the first rows shown, in the same
        order) replace them; the changed ones are repainted (all of them on
        a new day: the ages)."""
        day = self._today()
        changed = [
            i
            for i, (old, new) in enumerate(zip(self._rows, rows, strict=False))
            if old != new or day != self._day
        ]
        self._day = day
        self._rows[: len(rows)] = rows
        if changed:
            last = len(self._headers) - 1
            self.dataChanged.emit(self.index(changed[0], 0), self.index(changed[-1], last))

    @property
    def browsing(self) -> bool:
        return self._browsing

    @property
    def loading(self) -> bool:
        return self._loading

    def _reset(self, rows: list[PatientSummary], *, browsing: bool) -> None:
        self.beginResetModel()
        self._generation += 1
        self._day = self._today()
        self._rows = list(rows)
        self._browsing = browsing
        self._has_more = browsing
        self._loading = False
        self.endResetModel()

    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._browsing and self._has_more

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:  # noqa: B008
        """Ask for the next page; it is appended when it arrives (a call while
        a page is on its way does nothing)."""
        if self.canFetchMore(parent) and not self._loading:
            self._load(self.page_size)

    def _load(self, count: int) -> None:
        """Ask the database thread for the next ``count`` patients; they are
        appended when they arrive, unless the model was reset meanwhile."""
        generation = self._generation
        after = self._rows[-1].id if self._rows else None
        store = self._store
        self._loading = True

        def work() -> list[PatientSummary]:
            with store.session() as session:
                return patients_page(session=session, after=after, limit=count)

        submit_for(
            self,
            self._db,
            work,
            lambda model, rows: model._page_arrived(generation, count, rows),
            lambda model, error: model._page_failed(generation, error),
        )

    def _page_arrived(self, generation: int, count: int, rows: list[PatientSummary]) -> None:
        if generation != self._generation:
            return
        self._loading = False
        self._has_more = len(rows) == count
        if rows:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()
        self.sig_page_loaded.emit(len(self._rows))

    def _page_failed(self, generation: int, error: BaseException) -> None:
        if generation != self._generation:
            return
        self._loading = False
        self._has_more = False
        self.sig_load_failed.emit(error_text(error))

    # --- reading -----------------------------------------------------------

    def patient_at(self, row: int) -> PatientSummary | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, patient_id: uuid.UUID) -> int | None:
        for row, patient in enumerate(self._rows):
            if patient.id == patient_id:
                return row
        return None

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self._headers):
            return self._headers[section]
        if orientation == Qt.Orientation.Vertical:
            return str(section + 1)
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        patient = self.patient_at(index.row()) if index.isValid() else None
        if patient is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cell(patient, index.column())
        if role == PATIENT_ID_ROLE:
            return patient.id
        if role == Qt.ItemDataRole.ToolTipRole:
            if index.column() == 3 and patient.date_of_birth_estimated:
                return self.tr("Estimated from an age as written; the date of birth is not known")
            return self._numbers_tip(patient)
        return None

    def _numbers_tip(self, patient: PatientSummary) -> str | None:
        """The patient's numbers that may not show in the row: the legacy
        number (no column), the national id and the SHA number (their
        columns give way on a small screen), so that a hit found by one of
        them says why."""
        numbers = (
            (self.tr("Legacy number"), patient.legacy_number),
            (self._headers[6], patient.national_id),
            (self._headers[7], patient.sha_number),
        )
        return "\n".join(f"{label}: {value}" for label, value in numbers if value) or None

    def _cell(self, patient: PatientSummary, column: int) -> str:
        if column == 0:
            return patient.op_number
        if column == 1:
            return patient.full_name
        if column == 2:
            return sex_text(patient.sex)
        if column == 3:
            return age_text(patient.date_of_birth, patient.date_of_birth_estimated, self._day)
        if column == 4:
            return phone_text(patient.phone)
        if column == 5:
            return patient.residence or ""
        if column == 6:
            return patient.national_id or ""
        if column == 7:
            return patient.sha_number or ""
        return ""
