"""Importing a paper register (CSV): preview, problems, import, report.

Choosing a file reads it and runs a dry run of the import on the database
thread, a part at a time (the real import in a savepoint that is rolled
back), so the preview lists exactly the problems the import will report.
"Import" then imports the register that was previewed, a part at a time,
and shows the report: the counts, and one line per rejected value (line,
field, value, reason, what became of the row).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
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

from clinic.actor import Actor
from clinic.patients.importer import (
    COLUMNS,
    ImportReport,
    PaperRegister,
    RegisterImport,
    RegisterRow,
    RegisterUnreadable,
    read_paper_register,
)
from clinic.patients.queries import preview_register_part
from desktop.context import AppContext
from desktop.display import import_field_text
from desktop.screens.patients.calls import submit_for
from desktop.screens.patients.display import NOTICE_STYLE, error_text, table_texts
from desktop.widgets import ERROR_STYLE

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

PREVIEW_ROWS = 20


@dataclass(frozen=True)
class RegisterPreview:
    """A register read from ``path`` and what importing it would do, for
    ``actor`` (who imports it, read with the file on the database thread)."""

    path: str
    register: PaperRegister
    report: ImportReport
    actor: Actor


class ImportDialog(QDialog):
    """Preview and import a paper register. Tests (and scripts) pass the
    file with :meth:`load_file` instead of the file chooser."""

    sig_preview_ready = Signal(object)
    """A file was read and dry-run; carries the :class:`RegisterPreview`."""

    sig_imported = Signal(object)
    """The import was committed; carries its :class:`ImportReport`."""

    sig_failed = Signal(str)
    """Reading or importing failed; carries the reason shown."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.preview: RegisterPreview | None = None
        self.report: ImportReport | None = None
        self._busy = False
        self.setObjectName("importDialog")
        self.setWindowTitle(self.tr("Import paper register"))
        self._build()

    def _build(self) -> None:
        self.choose_button = QPushButton(self.tr("Choose CSV file…"))
        self.choose_button.setObjectName("chooseFile")
        self.choose_button.clicked.connect(self.choose_file)
        self.file_label = QLabel(
            self.tr(
                "A register saved as CSV, with the columns NAME, AGE, RESIDENCE, NUMBER"
                " and PHONE NUMBER."
            )
        )
        self.file_label.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.choose_button)
        top.addWidget(self.file_label, 1)

        self.message = QLabel()
        self.message.setObjectName("importMessage")
        self.message.setWordWrap(True)
        self.message.hide()

        self.preview_box = QGroupBox(self.tr("Preview"))
        self.preview_table = self._table([self.tr("Line"), *COLUMNS], "previewTable")
        preview_layout = QVBoxLayout(self.preview_box)
        preview_layout.addWidget(self.preview_table)

        self.problems_box = QGroupBox(self.tr("Problems found (nothing imported yet)"))
        self.summary_label = QLabel()
        self.summary_label.setObjectName("importSummary")
        self.summary_label.setWordWrap(True)
        self.problems_table = self._table(
            [
                self.tr("Line"),
                self.tr("Field"),
                self.tr("Value"),
                self.tr("Reason"),
                self.tr("What happens"),
            ],
            "problemsTable",
        )
        problems_layout = QVBoxLayout(self.problems_box)
        problems_layout.addWidget(self.summary_label)
        problems_layout.addWidget(self.problems_table)

        self.import_button = QPushButton(self.tr("Import"))
        self.import_button.setObjectName("importButton")
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(self.start_import)
        self.close_button = QPushButton(self.tr("Close"))
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.preview_box, 1)
        layout.addWidget(self.problems_box, 1)
        layout.addLayout(buttons)
        self.resize(1000, 640)

    def _table(self, headers: list[str], name: str) -> QTableWidget:
        table = QTableWidget(0, len(headers))
        table.setObjectName(name)
        table.setHorizontalHeaderLabels(headers)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.verticalHeader().hide()
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
        table.setWordWrap(False)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        return table

    @staticmethod
    def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
        table.setRowCount(len(rows))
        for row, cells in enumerate(rows):
            for column, text in enumerate(cells):
                table.setItem(row, column, QTableWidgetItem(text))

    @staticmethod
    def table_rows(table: QTableWidget) -> list[list[str]]:
        """A table's cell texts, as shown."""
        return table_texts(table)

    def _show_message(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(ERROR_STYLE if error else NOTICE_STYLE)
        self.message.setVisible(bool(text))

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.choose_button.setEnabled(not busy)
        self.close_button.setEnabled(not busy)
        self.import_button.setEnabled(not busy and self.preview is not None and self.report is None)

    # --- choosing and previewing ---------------------------------------------

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            self.tr("Choose the paper register"),
            "",
            self.tr("CSV files (*.csv);;All files (*)"),
        )
        if path:
            self.load_file(path)

    def load_file(self, path: str | Path) -> None:
        """Read ``path`` and show its preview and problems (a dry run)."""
        if self._busy:
            return
        ctx, shown = self.ctx, str(path)
        self.preview = None
        self.report = None
        self.file_label.setText(shown)
        self._fill(self.preview_table, [])
        self._fill(self.problems_table, [])
        self.summary_label.clear()
        self.problems_box.setTitle(self.tr("Problems found (nothing imported yet)"))
        self._show_message(self.tr("Reading the register…"))
        self._set_busy(True)
        submit_for(
            self,
            self.ctx.db,
            lambda: (read_paper_register(Path(shown)), ctx.actor()),
            lambda dialog, read: dialog._check(shown, *read),
            ImportDialog._failed,
        )

    def _check(self, shown: str, register: PaperRegister, actor: Actor) -> None:
        """Dry-run the import of ``register``, a part at a time as it will
        be imported, and show what it would do."""
        job = RegisterImport(actor=actor, today=self.ctx.today())
        self._in_parts(
            register.parts(),
            lambda part, session: preview_register_part(job, part, session=session),
            self.tr("Checking the register… {done} of {total} rows"),
            lambda dialog: dialog._previewed(RegisterPreview(shown, register, job.report, actor)),
            lambda dialog, _line, error: dialog._failed(error),
        )

    def _previewed(self, preview: RegisterPreview) -> None:
        self.preview = preview
        rows = preview.register.rows
        self.preview_box.setTitle(
            self.tr("Preview: the first {shown} of {total} rows").format(
                shown=min(PREVIEW_ROWS, len(rows)), total=len(rows)
            )
        )
        self._fill(
            self.preview_table,
            [
                [str(row.line), *(row.cells.get(column, "") for column in COLUMNS)]
                for row in rows[:PREVIEW_ROWS]
            ],
        )
        report = preview.report
        self.summary_label.setText(
            self.tr(
                "Rows: {read}  ·  would be imported: {imported}  ·  already imported"
                " (skipped): {skipped}  ·  would be rejected: {rejected}  ·  values to"
                " flag for review: {flagged}"
            ).format(
                read=report.rows_read,
                imported=report.imported,
                skipped=report.skipped,
                rejected=report.rejected,
                flagged=report.flagged_values,
            )
        )
        self._fill_problems(report)
        if rows:
            self._show_message(
                self.tr("Nothing is imported until you press Import.")
                if report.problems
                else self.tr("No problems found. Nothing is imported until you press Import.")
            )
        else:
            self._show_message(self.tr("The register has no rows to import."), error=True)
        self._set_busy(False)
        self.import_button.setEnabled(bool(rows))
        self.sig_preview_ready.emit(preview)

    def _fill_problems(self, report: ImportReport) -> None:
        self._fill(
            self.problems_table,
            [
                [str(p.line), import_field_text(p.field), p.value, p.reason, p.outcome]
                for p in report.problems
            ],
        )

    # --- importing ---------------------------------------------------------

    def start_import(self) -> None:
        """Import the previewed register on the database thread, a part at
        a time (``ROWS_PER_PART`` rows, each part its own transaction): what
        the rest of the app asks of the database thread meanwhile (a search,
        a save) runs between two parts, not after the whole import."""
        if self._busy or self.preview is None or self.report is not None:
            return
        job = RegisterImport(actor=self.preview.actor, today=self.ctx.today())
        self.problems_box.setTitle(self.tr("Problems found"))  # no longer "nothing imported"
        self._set_busy(True)
        self.import_button.setEnabled(False)
        self._in_parts(
            self.preview.register.parts(),
            lambda part, session: job.import_rows(part, session=session),
            self.tr("Importing… {done} of {total} rows; the rest of the app keeps working."),
            lambda dialog: dialog._imported(job.report),
            lambda dialog, line, error: dialog._import_failed(job, line, error),
        )

    def _in_parts(
        self,
        parts: list[list[RegisterRow]],
        step: Callable[[list[RegisterRow], Session], None],
        progress: str,
        finished: Callable[[ImportDialog], None],
        failed: Callable[[ImportDialog, int, BaseException], None],
        index: int = 0,
    ) -> None:
        """``step(part, session)`` on the database thread for each of
        ``parts`` in turn, each in a write transaction of its own, so that
        what the rest of the app asks of that thread meanwhile (a search, a
        save) runs between two parts, not after them all. Shows ``progress``
        (``{done}`` and ``{total}`` rows) before each part; then
        ``finished(dialog)``, or ``failed(dialog, the part's first line,
        error)``. None of them may hold the dialog (see ``submit_for``)."""
        if index == len(parts):
            finished(self)
            return
        self._show_message(
            progress.format(
                done=sum(len(part) for part in parts[:index]),
                total=sum(len(part) for part in parts),
            )
        )
        store, part = self.ctx.store, parts[index]

        def work() -> None:
            with store.write() as session:
                step(part, session)

        submit_for(
            self,
            self.ctx.db,
            work,
            lambda dialog, _done: dialog._in_parts(
                parts, step, progress, finished, failed, index + 1
            ),
            lambda dialog, error: failed(dialog, part[0].line, error),
        )

    def _imported(self, report: ImportReport) -> None:
        self.ctx.saved()
        self.report = report
        self.problems_box.setTitle(self.tr("Import report"))
        self.summary_label.setText(
            self.tr(
                "Rows read: {read}  ·  imported: {imported}  ·  already imported (skipped):"
                " {skipped}  ·  rejected: {rejected}  ·  values flagged for review: {flagged}"
            ).format(
                read=report.rows_read,
                imported=report.imported,
                skipped=report.skipped,
                rejected=report.rejected,
                flagged=report.flagged_values,
            )
        )
        self._fill_problems(report)
        self._show_message(
            self.tr("Imported {n} patients.").format(n=report.imported)
            if report.imported != 1
            else self.tr("Imported 1 patient.")
        )
        self._set_busy(False)
        self.sig_imported.emit(report)

    def _import_failed(self, job: RegisterImport, line: int, error: BaseException) -> None:
        """A part failed: the parts before it stay imported."""
        if not job.report.imported:
            self._failed(error)
            return
        self.ctx.saved()
        self._show_failure(
            self.tr(
                "The import stopped at the rows from line {line}: {reason}. The {n} patients"
                " imported before them are kept: import the same file again to import the rest."
            ).format(line=line, reason=error_text(error), n=job.report.imported)
        )

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, RegisterUnreadable):
            text = error_text(error)
        else:
            text = self.tr("The import failed and nothing was imported: {reason}").format(
                reason=error_text(error)
            )
        self._show_failure(text)

    def _show_failure(self, text: str) -> None:
        self._show_message(text, error=True)
        self._set_busy(False)
        self.sig_failed.emit(text)
