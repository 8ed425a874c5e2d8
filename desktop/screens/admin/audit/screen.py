"""The audit log, for admins: search by user, patient, days and action, see
an event's values before and after side by side, and verify the hash
chains: the server's copy of every PC's chain (when the server answers)
and this PC's own.

The search asks the server, which holds every PC's events; when it cannot
be reached it searches this PC's own log and says so. Server calls run on
a worker of their own, so the store's worker never waits on the network."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
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
from sqlalchemy import select

from clinic.clock import day_bounds
from clinic.errors import InvalidValue
from clinic.journal.audit import (
    AuditRecord,
    AuditSearch,
    ChainReport,
    audit_actions,
    check_server_copy,
    search_audit,
    verify_chains,
)
from clinic.journal.records import value_text
from clinic.org.models import User
from clinic.patients.search import PatientSummary, search_patients
from desktop.context import AppContext
from desktop.screens.admin.audit.server import search_on_server, verify_on_server
from desktop.screens.admin.tables import when
from desktop.screens.base import Screen
from desktop.widgets import fill_table, rows_table, selected_row
from sync.engine import AUDIT_PUSHED_KEY
from sync.transport import ServerRefused, Unreachable

BROKEN = QColor("#b00020")


def _sentence(words: str) -> str:
    return words[:1].upper() + words[1:]


@dataclass(frozen=True)
class _Choices:
    users: list[tuple[uuid.UUID, str]]
    actions: list[str]


@dataclass(frozen=True)
class _Found:
    records: list[AuditRecord]
    patient: PatientSummary | None
    patient_missing: bool
    where: str


@dataclass(frozen=True)
class _Checked:
    where: str
    chains: list[ChainReport] | None
    problem: str | None


class AuditScreen(Screen):
    key = "audit"

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.records: list[AuditRecord] = []
        heading = QLabel(self.tr("Audit log"))
        heading.setObjectName("heading")
        self.verify_button = QPushButton(self.tr("Verify the chains"))
        self.verify_button.setToolTip(
            self.tr("Check that no event was edited, deleted or reordered")
        )
        self.verify_button.clicked.connect(self.verify)
        top = QHBoxLayout()
        top.addWidget(heading, 1)
        top.addWidget(self.verify_button)

        self.user = QComboBox()
        self.user.setObjectName("user")
        self.user.setMinimumWidth(150)
        self.patient = QLineEdit()
        self.patient.setObjectName("patient")
        self.patient.setPlaceholderText(self.tr("OP number, phone or name"))
        self.patient.returnPressed.connect(self.search)
        day = ctx.today()  # the clinic's day, not the PC's time zone's
        today = QDate(day.year, day.month, day.day)
        self.since = QDateEdit(today.addDays(-7))
        self.until = QDateEdit(today)
        for edit in (self.since, self.until):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("dd MMM yyyy")
        self.action = QComboBox()
        self.action.setObjectName("action")
        self.action.setEditable(True)
        self.action.setMinimumWidth(170)
        self.search_button = QPushButton(self.tr("Search"))
        self.search_button.setDefault(True)
        self.search_button.clicked.connect(self.search)
        filters = QHBoxLayout()
        for label, widget, stretch in (
            (self.tr("User"), self.user, 0),
            (self.tr("Patient"), self.patient, 1),
            (self.tr("From"), self.since, 0),
            (self.tr("to"), self.until, 0),
            (self.tr("Action"), self.action, 0),
        ):
            filters.addWidget(QLabel(label))
            filters.addWidget(widget, stretch)
        filters.addWidget(self.search_button)
        self.outcome = QLabel()
        self.outcome.setObjectName("search_outcome")
        self.outcome.setWordWrap(True)

        self.table = rows_table(
            [
                self.tr("When"),
                self.tr("User"),
                self.tr("Action"),
                self.tr("Record"),
                self.tr("PC · event"),
            ],
            name="audit_events",
            stretch=3,
        )
        self.table.itemSelectionChanged.connect(self._show_values)
        self.values_title = QLabel(self.tr("Pick an event to see its values"))
        self.values_title.setObjectName("subheading")
        self.values = QTableWidget(0, 3)
        self.values.setObjectName("before_after")
        self.values.setHorizontalHeaderLabels(
            [self.tr("Field"), self.tr("Before"), self.tr("After")]
        )
        self.values.verticalHeader().hide()
        self.values.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        header = self.values.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.values_title)
        right_layout.addWidget(self.values, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(right)
        splitter.setSizes([620, 520])

        self.verdict = QLabel()
        self.verdict.setObjectName("verify_verdict")
        self.verdict.setWordWrap(True)
        self.chains = rows_table(
            [self.tr("Checked on"), self.tr("PC"), self.tr("Events"), self.tr("Result")],
            name="audit_chains",
        )
        self.chains.setMaximumHeight(150)
        self.chains.hide()
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.outcome)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.verdict)
        layout.addWidget(self.chains)

    def title(self) -> str:
        return self.tr("Audit log")

    # --- the search's choices ------------------------------------------------

    def refresh(self) -> None:
        def load() -> _Choices:
            with self.ctx.store.session() as session:
                users = [
                    (row.id, row.username)
                    for row in session.execute(
                        select(User.id, User.username).order_by(User.username)
                    )
                ]
                return _Choices(users, audit_actions(session))

        self.ctx.db.submit(load, self._show_choices)

    def _show_choices(self, choices: _Choices) -> None:
        chosen_user = self.user.currentData()
        chosen_action = self.action.currentText()
        self.user.clear()
        self.user.addItem(self.tr("Anyone"), None)
        for user_id, username in choices.users:
            self.user.addItem(username, user_id)
        self.user.setCurrentIndex(max(0, self.user.findData(chosen_user)))
        self.action.clear()
        self.action.addItem("")
        self.action.addItems(choices.actions)
        self.action.setCurrentText(chosen_action)

    # --- searching ---------------------------------------------------------------

    def _search_given(self) -> AuditSearch | None:
        """The search the filters ask for; None (said on screen) when the
        days run backwards."""
        first: date = self.since.date().toPython()  # type: ignore[assignment]
        last: date = self.until.date().toPython()  # type: ignore[assignment]
        if first > last:
            self.outcome.setText(self.tr("Check the search: the last day comes before the first"))
            return None
        since, until = day_bounds(first, last)
        return AuditSearch(
            user_id=self.user.currentData(),
            action=self.action.currentText().strip() or None,
            since=since,
            until=until,
        )

    def search(self) -> None:
        """Search: the patient typed is looked up on this PC first (every PC
        holds every patient), then the events on the server, or here."""
        search = self._search_given()
        if search is None:
            return
        typed = self.patient.text().strip()
        transport = self.ctx.transport()
        self.search_button.setEnabled(False)
        self.outcome.setText(self.tr("Searching…"))

        def find_patient() -> PatientSummary | None:
            if not typed:
                return None
            with self.ctx.store.session() as session:
                hits = search_patients(typed, session=session, limit=1)
            return hits[0] if hits else None

        def local(search: AuditSearch, patient: PatientSummary | None, where: str) -> None:
            def read() -> _Found:
                with self.ctx.store.session() as session:
                    return _Found(search_audit(search, session=session), patient, False, where)

            self.ctx.db.submit(read, self._show_found, self._search_failed)

        def with_patient(patient: PatientSummary | None) -> None:
            if typed and patient is None:
                self._show_found(_Found([], None, True, ""))
                return
            given = replace(search, patient_id=patient.id if patient else None)
            if transport is None:
                local(given, patient, self.tr("this PC's log"))
                return

            def ask() -> _Found:
                records = search_on_server(transport, given)
                return _Found(records, patient, False, self.tr("the server (every PC)"))

            def unreachable(error: BaseException) -> None:
                if isinstance(error, Unreachable | ServerRefused):
                    where = self.tr("this PC's log, as the server could not be asked (%1)")
                    where = where.replace("%1", str(error))
                    local(given, patient, where)
                else:
                    self._search_failed(error)

            self.ctx.net.submit(ask, self._show_found, unreachable)

        self.ctx.db.submit(find_patient, with_patient, self._search_failed)

    def _search_failed(self, error: BaseException) -> None:
        self.search_button.setEnabled(True)
        if not isinstance(error, InvalidValue):
            raise error
        self.outcome.setText(self.tr("Check the search: %1").replace("%1", error.reason))

    def _show_found(self, found: _Found) -> None:
        self.search_button.setEnabled(True)
        self.records = found.records
        if found.patient_missing:
            self.outcome.setText(
                self.tr("No patient matches %1").replace("%1", self.patient.text())
            )
        else:
            about = (
                self.tr(" about %1 (%2)")
                .replace("%1", found.patient.full_name)
                .replace("%2", found.patient.op_number)
                if found.patient
                else ""
            )
            self.outcome.setText(
                self.tr("%n event(s)", "", len(found.records))
                + about
                + " · "
                + self.tr("searched %1").replace("%1", found.where)
            )
        fill_table(
            self.table,
            [
                [
                    when(r.occurred_at),
                    r.username or "",
                    r.action,
                    r.record or r.entity,
                    f"{r.device_name or (str(r.device_id)[:8] if r.device_id else '')}"
                    f" · {r.device_sequence}",
                ]
                for r in found.records
            ],
            keep_selection=False,
        )
        self.values.setRowCount(0)
        self.values_title.setText(self.tr("Pick an event to see its values"))

    def _show_values(self) -> None:
        row = selected_row(self.table)
        if row is None:
            return
        record = self.records[row]
        before, after = record.before or {}, record.after or {}
        names = list(dict.fromkeys([*before, *after]))
        self.values_title.setText(
            self.tr("%1 by %2, %3")
            .replace("%1", record.action)
            .replace("%2", record.username or self.tr("the PC itself"))
            .replace("%3", when(record.occurred_at))
        )
        self.values.setRowCount(len(names))
        bold = QFont()
        bold.setBold(True)
        for r, name in enumerate(names):
            changed = name in before and before.get(name) != after.get(name)
            cells = [
                QTableWidgetItem(name),
                QTableWidgetItem(value_text(before.get(name)) if name in before else ""),
                QTableWidgetItem(value_text(after.get(name)) if name in after else ""),
            ]
            for c, cell in enumerate(cells):
                cell.setToolTip(cell.text())
                if changed:
                    cell.setFont(bold)
                self.values.setItem(r, c, cell)

    # --- verifying ---------------------------------------------------------------

    def verify(self) -> None:
        """Check this PC's chains (on the store's worker) and, when there is
        a server, every PC's chain there (on the network worker); then hold
        the server's copy of this PC's chain against what the server
        accepted from it (events deleted from its end)."""
        self.verify_button.setEnabled(False)
        self.verdict.setText(self.tr("Verifying…"))
        collected: list[_Checked] = []
        waiting = 1 + (self.ctx.sync is not None)
        here = self.tr("this PC")
        store = self.ctx.store

        def local() -> _Checked:
            with store.session() as session:
                return _Checked(here, verify_chains(session=session), None)

        def with_copy_checked(server: _Checked) -> _Checked:
            """``server`` with this PC's chain there held against what this
            PC sent (on the store's worker)."""
            assert server.chains is not None
            pushed_through = int(store.get_setting(AUDIT_PUSHED_KEY) or 0)
            ours = next((c for c in server.chains if c.device_id == store.device_id), None)
            if ours is not None and ours.broken is not None:
                return server
            with store.session() as session:
                short = check_server_copy(ours, store.device_id, pushed_through, session=session)
            if short is None:
                return server
            others = [c for c in server.chains if c is not ours]
            mine = ChainReport(
                store.device_id,
                ours.device_name if ours else None,
                ours.events if ours else 0,
                ours.last_sequence if ours else 0,
                short,
            )
            return replace(server, chains=[mine, *others])

        def arrived(checked: _Checked) -> None:
            collected.append(checked)
            if len(collected) == waiting:
                self._show_checked(sorted(collected, key=lambda c: c.where == here))

        def from_server(checked: _Checked) -> None:
            if checked.chains is None:
                arrived(checked)
            else:
                self.ctx.db.submit(lambda: with_copy_checked(checked), arrived)

        self.ctx.db.submit(local, arrived)
        transport = self.ctx.transport()
        if transport is not None:
            server = self.tr("the server")

            def failed(error: BaseException) -> None:
                if not isinstance(error, Unreachable | ServerRefused):
                    raise error
                arrived(_Checked(server, None, str(error)))

            self.ctx.net.submit(
                lambda: _Checked(server, verify_on_server(transport), None), from_server, failed
            )

    def _show_checked(self, results: list[_Checked]) -> None:
        self.verify_button.setEnabled(True)
        rows: list[list[str]] = []
        broken_rows: set[int] = set()
        lines = []
        for checked in results:
            if checked.chains is None:
                lines.append(
                    self.tr("%1 could not be checked: %2")
                    .replace("%1", _sentence(checked.where))
                    .replace("%2", checked.problem or "")
                )
                continue
            broken = [c for c in checked.chains if c.broken is not None]
            events = sum(c.events for c in checked.chains)
            if not checked.chains:
                lines.append(
                    self.tr("%1: no events to check").replace("%1", _sentence(checked.where))
                )
            elif broken:
                lines.append(
                    self.tr("%1: %2 of %3 chains BROKEN")
                    .replace("%1", _sentence(checked.where))
                    .replace("%2", str(len(broken)))
                    .replace("%3", str(len(checked.chains)))
                )
            else:
                lines.append(
                    self.tr("%1: all intact (%2 chain(s), %3 events)")
                    .replace("%1", _sentence(checked.where))
                    .replace("%2", str(len(checked.chains)))
                    .replace("%3", str(events))
                )
            for chain in checked.chains:
                if chain.broken is not None:
                    broken_rows.add(len(rows))
                pc = chain.device_name or (str(chain.device_id)[:8] if chain.device_id else "")
                rows.append(
                    [
                        checked.where,
                        pc,
                        str(chain.events),
                        chain.broken.detail if chain.broken else self.tr("Intact"),
                    ]
                )
        self.verdict.setText(" · ".join(lines))
        self.verdict.setStyleSheet("color: #b00020; font-weight: bold;" if broken_rows else "")
        fill_table(self.chains, rows, keep_selection=False)
        for r in broken_rows:
            for c in range(self.chains.columnCount()):
                item = self.chains.item(r, c)
                if item is not None:
                    item.setForeground(QBrush(BROKEN))
        self.chains.setVisible(bool(rows))
