"""Refused changes, for admins: what the server refused from this PC and
why. Fix the refused values in the form and send the change again (it goes
out through the outbox like any change), or discard it (the server's
version stays; the audit log keeps what was dropped)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from clinic.errors import FieldError, InvalidValue
from clinic.journal.records import value_text
from clinic.journal.review import RejectedItem, dismiss_rejected, open_rejections, resend_rejected
from desktop.context import AppContext
from desktop.screens.admin.tables import run_write, when
from desktop.screens.base import Screen
from desktop.widgets import ErrorForm, fill_table, rows_table, selected_row


class RefusedScreen(Screen):
    key = "refused"

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.items: list[RejectedItem] = []
        self.edits: dict[str, QLineEdit] = {}
        heading = QLabel(self.tr("Refused changes"))
        heading.setObjectName("heading")
        about = QLabel(
            self.tr(
                "Changes from this PC that the server refused. The record went back to the"
                " server's version; fix a refused change and send it again, or discard it."
            )
        )
        about.setWordWrap(True)
        self.table = rows_table(
            [
                self.tr("When"),
                self.tr("Record"),
                self.tr("Fields"),
                self.tr("Why the server refused it"),
            ],
            name="refused",
        )
        self.table.itemSelectionChanged.connect(self._open_selected)
        self.count = QLabel()

        self.form_title = QLabel(self.tr("Pick a refused change to fix it"))
        self.form_title.setObjectName("subheading")
        self.form_title.setWordWrap(True)
        self.reason = QLabel()
        self.reason.setObjectName("refusal_reason")
        self.reason.setWordWrap(True)
        self.reason.setStyleSheet("color: #b00020;")
        self.form_box = QWidget()
        self.form_layout = QFormLayout(self.form_box)
        self.form = ErrorForm(self.form_layout)
        self.resend = QPushButton(self.tr("Send again"))
        self.resend.clicked.connect(self._resend)
        self.discard = QPushButton(self.tr("Discard"))
        self.discard.clicked.connect(self._discard)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.discard)
        buttons.addWidget(self.resend)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.form_title)
        right_layout.addWidget(self.reason)
        right_layout.addWidget(self.form_box)
        right_layout.addStretch(1)
        right_layout.addLayout(buttons)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.count)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([760, 400])
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(about)
        layout.addWidget(splitter, 1)
        self._open(None)
        if ctx.sync is not None:
            # Shown screens only: opening one refreshes it anyway.
            ctx.sync.sig_state_changed.connect(
                lambda _state: self.refresh() if self.isVisible() else None
            )

    def title(self) -> str:
        return self.tr("Refused changes")

    def refresh(self) -> None:
        def load() -> list[RejectedItem]:
            with self.ctx.store.session() as session:
                return open_rejections(session)

        self.ctx.db.submit(load, self._show)

    def _show(self, items: list[RejectedItem]) -> None:
        self.items = items
        fill_table(
            self.table,
            [
                [
                    when(r.rejected_at),
                    r.record,
                    ", ".join(sorted(r.fixable)),
                    r.reason,
                ]
                for r in items
            ],
            keep_selection=False,
        )
        self.count.setText(self.tr("%n to deal with", "", len(items)))
        self._open(None)

    def _open_selected(self) -> None:
        row = selected_row(self.table)
        self._open(self.items[row] if row is not None else None)

    def _open(self, item: RejectedItem | None) -> None:
        """Show ``item``'s refused values in the fix form (none: empty)."""
        while self.form_layout.rowCount():
            self.form_layout.removeRow(0)
        self.form.fields.clear()
        self.edits.clear()
        self.resend.setEnabled(item is not None)
        self.discard.setEnabled(item is not None)
        if item is None:
            self.form_title.setText(self.tr("Pick a refused change to fix it"))
            self.reason.clear()
            return
        self.form_title.setText(self.tr("The refused change to the %1").replace("%1", item.noun))
        self.reason.setText(item.reason)
        for name, value in sorted(item.fixable.items()):
            edit = QLineEdit(value_text(value))
            edit.setObjectName(name)
            self.edits[name] = edit
            self.form.add(name, name.replace("_", " "), edit)

    def _chosen(self) -> RejectedItem | None:
        row = selected_row(self.table)
        return self.items[row] if row is not None else None

    def _resend(self) -> None:
        item = self._chosen()
        if item is None:
            return
        fixes = {
            name: edit.text()
            for name, edit in self.edits.items()
            if edit.text() != value_text(item.fixable[name])
        }
        actor = self.ctx.actor()

        def work() -> None:
            with self.ctx.store.write() as session:
                resend_rejected(item.id, fixes=fixes, session=session, actor=actor)

        def invalid(error: InvalidValue) -> None:
            self.form.show_errors([FieldError(error.field, error.reason)])

        run_write(self, self.ctx, work, self.refresh, invalid)

    def _discard(self) -> None:
        item = self._chosen()
        if item is None:
            return
        actor = self.ctx.actor()

        def work() -> None:
            with self.ctx.store.write() as session:
                dismiss_rejected(item.id, session=session, actor=actor)

        run_write(self, self.ctx, work, self.refresh)
