"""The main window as each role sees it: only that role's screens, the
shortcuts, the sync status bar, and the layout kept between runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from clinic.enums import Role
from desktop.app import apply_style
from desktop.main_window import MainWindow
from desktop.sync_controller import SyncState
from sync.engine import SyncStatus
from tests.gui.conftest import MakeContext

EXPECTED_SCREENS = {
    Role.RECEPTIONIST: ["Patients", "Queue"],
    Role.NURSE: ["Patients", "Queue", "Triage"],
    Role.CLINICAL_OFFICER: ["Patients", "Queue", "Consultation"],
    Role.CASHIER: ["Patients", "Queue", "Billing", "Shifts and cash-up", "Reports"],
    Role.PHARMACIST: ["Patients", "Queue", "Billing", "Pharmacy", "Shifts and cash-up"],
    Role.LAB_TECHNICIAN: ["Patients", "Queue", "Lab"],
    Role.CLAIMS_MANAGER: ["Patients", "Queue", "Claims", "Reports"],
    Role.ADMIN: [
        "Patients",
        "Queue",
        "Triage",
        "Consultation",
        "Lab",
        "Billing",
        "Pharmacy",
        "Shifts and cash-up",
        "Claims",
        "Reports",
        "Conflicts",
        "Refused changes",
        "Audit log",
        "Sync",
        "Merge patients",
        "Backups",
        "Staff",
        "PCs",
        "Branches",
        "Price list",
    ],
}


def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def window_for(qtbot: QtBot, make_context: MakeContext, role: Role, tmp_path: Path) -> MainWindow:
    window = MainWindow(make_context(role), settings(tmp_path))
    qtbot.addWidget(window)
    window.show()
    return window


@pytest.mark.parametrize("role", list(Role))
def test_each_role_sees_only_its_screens(
    qtbot: QtBot, make_context: MakeContext, role: Role, tmp_path: Path
) -> None:
    window = window_for(qtbot, make_context, role, tmp_path)

    shown = [window.nav.item(row).text() for row in range(window.nav.count())]

    assert shown == EXPECTED_SCREENS[role]


def test_reception_starts_on_patients_the_clinician_on_the_queue_the_lab_on_its_worklist(
    qtbot: QtBot, make_context: MakeContext, tmp_path: Path
) -> None:
    reception = window_for(qtbot, make_context, Role.RECEPTIONIST, tmp_path)
    clinician = window_for(qtbot, make_context, Role.CLINICAL_OFFICER, tmp_path)

    lab = window_for(qtbot, make_context, Role.LAB_TECHNICIAN, tmp_path)

    assert reception.current_screen().title() == "Patients"
    assert clinician.current_screen().title() == "Queue"
    assert lab.current_screen().title() == "Lab"


def test_ctrl_f_goes_to_the_patient_search_from_any_screen(
    qtbot: QtBot, make_context: MakeContext, tmp_path: Path
) -> None:
    window = window_for(qtbot, make_context, Role.NURSE, tmp_path)
    window.show_screen("triage")
    [find] = [
        shortcut
        for shortcut in window.findChildren(QShortcut)
        if shortcut.parent() is window
        and shortcut.key() == QKeySequence(QKeySequence.StandardKey.Find)
    ]

    find.activated.emit()  # what Ctrl+F does in the active window

    patients = window.screens["patients"]
    assert window.current_screen() is patients
    qtbot.waitUntil(lambda: QApplication.focusWidget() is patients.search_box)  # type: ignore[attr-defined]


def test_the_status_bar_shows_what_sync_reports(
    qtbot: QtBot, make_context: MakeContext, tmp_path: Path
) -> None:
    window = window_for(qtbot, make_context, Role.RECEPTIONIST, tmp_path)
    status = SyncStatus(
        pending=4, conflicts=2, rejected=1, last_sync=None, last_error=None,
        clock_skew_seconds=-900.0,
    )  # fmt: skip

    window.show_sync_state(SyncState(online=False, status=status, message="no network"))

    assert window.online_label.text() == "○ Offline"
    assert window.pending_label.text() == "4 pending"
    assert window.last_sync_label.text() == "Last sync: never"
    assert window.conflicts_label.text() == "2 conflicts"
    assert window.rejected_label.text() == "1 rejected"
    assert window.clock_label.text() == "PC clock is 15 min off"
    assert not window.clock_label.isHidden()
    assert window.statusBar().currentMessage() == "no network"
    window.show_sync_state(SyncState(online=True, status=status))
    assert window.statusBar().currentMessage() == ""


def test_a_long_sync_message_is_cut_in_the_middle_to_fit_beside_the_labels(
    qtbot: QtBot, make_context: MakeContext, tmp_path: Path
) -> None:
    window = window_for(qtbot, make_context, Role.RECEPTIONIST, tmp_path)
    window.resize(1024, 768)  # an older clinic PC's screen
    qtbot.waitUntil(lambda: window.width() == 1024 and window.online_label.x() > 0)
    status = SyncStatus(
        pending=0, conflicts=0, rejected=0, last_sync=None, last_error=None, clock_skew_seconds=None
    )
    message = (
        "The server at https://seth-clinic.kayole-health-centre.example:8443 did not answer"
        " (a proxy or hotspot on the way answered HTTP 502); retrying in 3 s"
    )

    window.show_sync_state(SyncState(online=False, status=status, message=message))

    shown = window.statusBar().currentMessage()
    assert shown.startswith("The server at https://") and shown.endswith("retrying in 3 s")
    assert "…" in shown
    assert window.statusBar().fontMetrics().horizontalAdvance(shown) < window.online_label.x()
    assert window.online_label.toolTip() == message
    window.resize(1600, 900)  # widened: the message is fitted again, whole now
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == message)
    window.show_sync_state(SyncState(online=True, status=status))
    assert window.statusBar().currentMessage() == ""


def test_a_long_message_shown_before_the_window_is_fitted_once_it_is_laid_out(
    qtbot: QtBot, make_context: MakeContext, tmp_path: Path
) -> None:
    """The offline login's reason is shown as the window opens (in Swahili
    it is longer): at 1024 px, in the app's own style, it is cut in the
    middle, not at its end, and the whole of it is the status bar's tooltip
    while it shows."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_style(app)
    try:
        window = MainWindow(make_context(Role.RECEPTIONIST), settings(tmp_path))
        qtbot.addWidget(window)
        window.resize(1024, 768)
        message = (
            "Unafanya kazi nje ya mtandao: Anwani ya seva si sahihi, au Wi-Fi inahitaji"
            " kuingia (HTTP 200)"
        )
        window.show_message(message, 2)
        window.show()
        bar = window.statusBar()

        qtbot.waitUntil(lambda: "…" in bar.currentMessage())
        shown = bar.currentMessage()
        assert shown.startswith("Unafanya kazi") and shown.endswith("(HTTP 200)")
        assert bar.fontMetrics().horizontalAdvance(shown) < window.online_label.x()
        assert bar.toolTip() == message
        window.resize(1600, 900)  # widened while it shows: whole now
        qtbot.waitUntil(lambda: bar.currentMessage() == message)
        assert bar.toolTip() == ""
        qtbot.waitUntil(lambda: bar.currentMessage() == "", timeout=5000)  # its 2 s kept
    finally:
        app.setStyleSheet("")


def test_the_window_size_is_remembered(
    qtbot: QtBot, make_context: MakeContext, tmp_path: Path
) -> None:
    first = window_for(qtbot, make_context, Role.RECEPTIONIST, tmp_path)
    first.resize(760, 540)
    first.close()

    again = window_for(qtbot, make_context, Role.RECEPTIONIST, tmp_path)

    assert (again.width(), again.height()) == (760, 540)
