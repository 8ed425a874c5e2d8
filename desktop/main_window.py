"""The main window: the screens a role may use, and the sync status bar."""

from __future__ import annotations

import importlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QByteArray, QEvent, QObject, QSettings, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QWidget,
)

from clinic.enums import Role
from clinic.permissions import Data, may_read, may_write
from clinic.reports.catalogue import reports_for
from desktop.context import AppContext
from desktop.display import role_text
from desktop.language import LANGUAGES, choose_language, chosen_language
from desktop.screens.base import Screen
from desktop.sync_controller import SyncState, describe_last_sync


@dataclass(frozen=True)
class ScreenEntry:
    key: str
    module: str
    cls: str
    allowed: Callable[[Role], bool]


SCREENS = (
    ScreenEntry(
        "patients",
        "desktop.screens.patients",
        "PatientsScreen",
        lambda r: may_read(r, Data.PATIENTS),
    ),
    ScreenEntry(
        "queue", "desktop.screens.queue", "QueueScreen", lambda r: may_read(r, Data.VISITS)
    ),
    ScreenEntry(
        "triage", "desktop.screens.triage", "TriageScreen", lambda r: may_write(r, Data.VITALS)
    ),
    ScreenEntry(
        "consultation",
        "desktop.screens.consultation",
        "ConsultationScreen",
        lambda r: may_write(r, Data.CLINICAL_NOTES),
    ),
    ScreenEntry(
        "lab", "desktop.screens.lab", "LabScreen", lambda r: may_write(r, Data.LAB_RESULTS)
    ),
    ScreenEntry(
        "billing",
        "desktop.screens.billing",
        "BillingScreen",
        lambda r: may_write(r, Data.INVOICES),
    ),
    ScreenEntry(
        "pharmacy",
        "desktop.screens.pharmacy",
        "PharmacyScreen",
        lambda r: may_write(r, Data.DISPENSING),
    ),
    ScreenEntry(
        "shifts", "desktop.screens.shifts", "ShiftsScreen", lambda r: may_write(r, Data.SHIFTS)
    ),
    ScreenEntry(
        "claims",
        "desktop.screens.claims.screen",
        "ClaimsScreen",
        lambda r: may_write(r, Data.CLAIMS),
    ),
    ScreenEntry(
        "reports", "desktop.screens.reports", "ReportsScreen", lambda r: bool(reports_for(r))
    ),
    ScreenEntry(
        "conflicts",
        "desktop.screens.admin.conflicts",
        "ConflictsScreen",
        lambda r: may_write(r, Data.CONFLICTS),
    ),
    ScreenEntry(
        "refused", "desktop.screens.admin.refused", "RefusedScreen", lambda r: r == Role.ADMIN
    ),
    ScreenEntry(
        "audit", "desktop.screens.admin.audit", "AuditScreen", lambda r: may_read(r, Data.AUDIT)
    ),
    ScreenEntry(
        "sync", "desktop.screens.admin.sync_history", "SyncHistoryScreen", lambda r: r == Role.ADMIN
    ),
    ScreenEntry(
        "merge",
        "desktop.screens.admin.merge.screen",
        "MergeScreen",
        lambda r: may_write(r, Data.MERGES),
    ),
    ScreenEntry(
        "backup", "desktop.screens.admin.backup", "BackupScreen", lambda r: r == Role.ADMIN
    ),
    ScreenEntry(
        "users",
        "desktop.screens.admin.users",
        "UsersScreen",
        lambda r: may_write(r, Data.USERS),
    ),
    ScreenEntry(
        "devices",
        "desktop.screens.admin.devices",
        "DevicesScreen",
        lambda r: may_write(r, Data.DEVICES),
    ),
    ScreenEntry(
        "branches", "desktop.screens.admin.branches", "BranchesScreen", lambda r: r == Role.ADMIN
    ),
    ScreenEntry(
        "prices",
        "desktop.screens.admin.prices",
        "PricesScreen",
        lambda r: may_write(r, Data.PRICE_LIST),
    ),
)


def screens_for(role: Role) -> list[ScreenEntry]:
    """The screens a role may use, in navigation order."""
    return [entry for entry in SCREENS if entry.allowed(role)]


NAVIGATION_WIDTH = 190
NAVIGATION_PADDING = 40
"""The items' padding in style.qss (14 px each side) and room for the frame."""


@dataclass(frozen=True)
class _Message:
    """A status bar message: the whole of it, as shown (fitted), and until
    when (a monotonic time; None: until replaced)."""

    text: str
    shown: str
    until: float | None


class MainWindow(QMainWindow):
    """Navigation on the left (only the user's screens), the screen on the
    right, and the sync status at the bottom. Size and layout are kept in
    QSettings between runs."""

    def __init__(self, ctx: AppContext, settings: QSettings | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        ctx.navigator = self
        self.settings = settings or QSettings()
        user = ctx.user
        self.setWindowTitle(
            self.tr("Seth Clinic — %s (%s)") % (user.full_name, role_text(user.role))
        )
        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.stack = QStackedWidget()
        self.screens: dict[str, Screen] = {}
        for entry in screens_for(user.role):
            screen_class = getattr(importlib.import_module(entry.module), entry.cls)
            screen: Screen = screen_class(ctx)
            self.screens[entry.key] = screen
            self.stack.addWidget(screen)
            item = QListWidgetItem(screen.title())
            item.setData(Qt.ItemDataRole.UserRole, entry.key)
            self.nav.addItem(item)
        self.nav.setFixedWidth(self._navigation_width())
        self.nav.currentRowChanged.connect(self._show_row)
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self._build_status_bar()
        QShortcut(QKeySequence.StandardKey.Find, self, self.focus_search)
        QShortcut(QKeySequence.StandardKey.New, self, self.new_patient)
        self._restore_layout()
        if ctx.sync is not None:
            ctx.sync.sig_state_changed.connect(self.show_sync_state)
            ctx.sync.sig_rows_pulled.connect(lambda _count: self.current_screen().refresh())
        start = (
            "queue" if "queue" in self.screens and user.role != Role.RECEPTIONIST else "patients"
        )
        if user.role == Role.LAB_TECHNICIAN:
            start = "lab"
        self.show_screen(start if start in self.screens else next(iter(self.screens)))

    # --- navigation ------------------------------------------------------

    def _navigation_width(self) -> int:
        """Wide enough for the longest screen name (longer in Swahili), in
        the font the style sheet gives the list."""
        self.nav.ensurePolished()
        metrics = self.nav.fontMetrics()
        widest = max(
            (
                metrics.horizontalAdvance(self.nav.item(row).text())
                for row in range(self.nav.count())
            ),
            default=0,
        )
        return max(NAVIGATION_WIDTH, widest + NAVIGATION_PADDING)

    def current_screen(self) -> Screen:
        screen = self.stack.currentWidget()
        assert isinstance(screen, Screen)
        return screen

    def show_screen(self, key: str) -> Screen:
        keys = list(self.screens)
        self.nav.setCurrentRow(keys.index(key))
        return self.screens[key]

    def _show_row(self, row: int) -> None:
        if row < 0:
            return
        screen = self.screens[list(self.screens)[row]]
        self.stack.setCurrentWidget(screen)
        screen.refresh()

    def has_screen(self, key: str) -> bool:
        return key in self.screens

    def open_screen(self, key: str) -> None:
        if key in self.screens:
            self.show_screen(key)

    def open_patient(self, patient_id: uuid.UUID) -> None:
        screen = self.show_screen("patients")
        screen.open_patient(patient_id)  # type: ignore[attr-defined]

    def open_visit(self, screen_key: str, visit_id: uuid.UUID) -> None:
        if screen_key in self.screens:
            self.show_screen(screen_key).open_visit(visit_id)  # type: ignore[attr-defined]

    def focus_search(self) -> None:
        if "patients" in self.screens:
            self.show_screen("patients").focus_search()  # type: ignore[attr-defined]

    def new_patient(self) -> None:
        if "patients" in self.screens and may_write(self.ctx.user.role, Data.PATIENTS):
            self.show_screen("patients").new_patient()  # type: ignore[attr-defined]

    def show_message(self, text: str, seconds: float = 5) -> None:
        """``text`` in the status bar for ``seconds`` (see :meth:`_show`)."""
        self._show(text, seconds)

    # --- status bar ------------------------------------------------------

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self._sync_problem = ""
        self._message = _Message("", "", None)
        bar.messageChanged.connect(self._message_changed)
        self.online_label = QLabel()
        self.online_label.installEventFilter(self)
        self.pending_label = QLabel()
        self.last_sync_label = QLabel()
        self.conflicts_label = QLabel()
        self.rejected_label = QLabel()
        self.clock_label = QLabel()
        self.clock_label.setStyleSheet("color: #b00020; font-weight: bold;")
        self.sync_button = QPushButton(self.tr("Sync now"))
        self.sync_button.setEnabled(self.ctx.sync is not None)
        self.sync_button.clicked.connect(self.sync_now)
        for label in (self.conflicts_label, self.rejected_label):
            label.linkActivated.connect(self.open_screen)
        for widget in (
            self.online_label,
            self.pending_label,
            self.last_sync_label,
            self.conflicts_label,
            self.rejected_label,
            self.clock_label,
        ):
            bar.addPermanentWidget(widget)
        bar.addPermanentWidget(self.sync_button)
        self.language = QComboBox()
        self.language.setObjectName("language")
        for code, name in LANGUAGES.items():
            self.language.addItem(name, code)
        self.language.setCurrentIndex(self.language.findData(chosen_language(self.settings)))
        self.language.setToolTip(self.tr("Language (Lugha): used from the next start"))
        self.language.currentIndexChanged.connect(self._choose_language)
        bar.addPermanentWidget(self.language)
        self.online_label.setText(
            self.tr("● Online") if self.ctx.user.online else self.tr("○ Offline")
        )
        QTimer.singleShot(0, self._load_status)

    def _choose_language(self) -> None:
        """Keep the language picked for the next start: the windows already
        built keep theirs (a translator is installed before the first one)."""
        choose_language(self.settings, self.language.currentData())
        self.show_message(self.tr("The new language is used when Seth Clinic starts again."), 15)

    def _load_status(self) -> None:
        from sync.engine import sync_status

        self.ctx.db.submit(
            lambda: sync_status(self.ctx.store),
            lambda status: self.show_sync_state(SyncState(self.ctx.user.online, status)),
        )

    def sync_now(self) -> None:
        if self.ctx.sync is not None:
            self.ctx.sync.sync_now()
            self.show_message(self.tr("Syncing…"), 3)

    def _linked(self, key: str, text: str) -> str:
        """``text`` as a link that opens screen ``key``, for a user who has it."""
        return f'<a href="{key}">{text}</a>' if key in self.screens else text

    def show_sync_state(self, state: SyncState) -> None:
        status = state.status
        self.online_label.setText(self.tr("● Online") if state.online else self.tr("○ Offline"))
        self.online_label.setStyleSheet("color: #1b7d2f;" if state.online else "color: #9a6700;")
        self.online_label.setToolTip(state.message or "")
        self.pending_label.setText(self.tr("%n pending", "", status.pending))
        self.last_sync_label.setText(
            self.tr("Last sync: %s") % describe_last_sync(status.last_sync)
        )
        self.conflicts_label.setText(
            self._linked("conflicts", self.tr("%n conflicts", "", status.conflicts))
        )
        self.conflicts_label.setVisible(status.conflicts > 0)
        self.rejected_label.setText(
            self._linked("refused", self.tr("%n rejected", "", status.rejected))
        )
        self.rejected_label.setStyleSheet("color: #b00020;" if status.rejected else "")
        self.rejected_label.setVisible(status.rejected > 0)
        skew = status.clock_skew_seconds
        self.clock_label.setVisible(status.clock_warning)
        if skew is not None:
            self.clock_label.setText(self.tr("PC clock is %d min off") % round(abs(skew) / 60))
        if state.message and not state.online:
            # Kept until sync works again: a revoked PC, or a server that
            # wants a newer app, is refused at every try and says why.
            self._sync_problem = state.message
            self._show_sync_problem()
        elif state.online and self._showing_sync_problem():
            self.statusBar().clearMessage()

    def _show_sync_problem(self) -> None:
        """The sync problem, until sync works again (see :meth:`_show`); the
        whole of it is also the online label's tooltip."""
        self._show(self._sync_problem)

    def _showing_sync_problem(self) -> bool:
        return self._showing(self._sync_problem)

    def _show(self, text: str, seconds: float = 0) -> None:
        """``text`` in the room the status bar has for it, left of its
        labels: cut in the middle when longer (a long reason at 1024 px, a
        message in Swahili), so that both what happened and what happens
        next ("retrying in 3 s") show, and the whole of it is the bar's
        tooltip; fitted again when the labels move (a resize), for as long
        as it shows (``seconds``; 0: until replaced)."""
        bar = self.statusBar()
        shown = text
        room = self.online_label.x() - 2 * bar.layout().spacing()
        if room > 0:  # else not laid out yet: fitted once it is (eventFilter)
            shown = bar.fontMetrics().elidedText(text, Qt.TextElideMode.ElideMiddle, room)
        until = time.monotonic() + seconds if seconds else None
        self._message = _Message(text, shown, until)
        bar.setToolTip(text if shown != text else "")
        bar.showMessage(shown, round(seconds * 1000))

    def _showing(self, text: str) -> bool:
        """Whether the status bar shows ``text`` (as :meth:`_show` fitted it)."""
        shown = self.statusBar().currentMessage()
        return bool(shown) and self._message.text == text and shown == self._message.shown

    def _message_changed(self, shown: str) -> None:
        if shown != self._message.shown:  # gone, or another's
            self.statusBar().setToolTip("")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """The status bar's message is fitted again when its labels move:
        the window laid out, or resized."""
        if watched is self.online_label and event.type() == QEvent.Type.Move:
            QTimer.singleShot(0, self._refit_message)
        return super().eventFilter(watched, event)

    def _refit_message(self) -> None:
        message = self._message
        if not self._showing(message.text):
            return
        if message.until is None:
            self._show(message.text)
        elif (left := message.until - time.monotonic()) > 0:
            self._show(message.text, left)

    # --- layout memory ---------------------------------------------------

    def _restore_layout(self) -> None:
        geometry = self.settings.value("main_window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 720)
        state = self.settings.value("main_window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.settings.setValue("main_window/geometry", self.saveGeometry())
        self.settings.setValue("main_window/state", self.saveState())
        super().closeEvent(event)
