"""The app speaks Swahili when chosen in its settings or by the system, and
a language picked in the main window is kept for the next start."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale, QSettings, Qt
from PySide6.QtWidgets import QApplication, QComboBox, QPushButton
from pytestqt.qtbot import QtBot

from clinic.clock import clinic_today
from clinic.enums import Role, Sex
from clinic.org.models import Branch
from clinic.patients.service import PatientDetails, register_patient
from clinic.store import LocalStore
from clinic.visits.service import open_visit
from desktop.language import LANGUAGE_KEY, chosen_language, install_translators
from desktop.main_window import MainWindow
from desktop.screens.login import LoginDialog
from desktop.screens.queue import QueueScreen
from tests.conftest import make_actor
from tests.gui.conftest import MakeContext, shown


def settings_in(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def swahili(qapp: QApplication) -> Iterator[None]:
    """The app speaking Swahili for one test, English again after it."""
    install_translators(qapp, "sw")
    yield
    install_translators(qapp, "en")


def test_the_queue_speaks_swahili_under_swahili(
    qtbot: QtBot, make_context: MakeContext, store: LocalStore, branch: Branch, swahili: None
) -> None:
    reception = make_actor(store, branch, Role.RECEPTIONIST)
    with store.write() as session:
        patient = register_patient(
            PatientDetails(first_name="Amina", last_name="Hassan", sex=Sex.FEMALE),
            session=session,
            actor=reception,
            today=clinic_today(),
        ).patient
        open_visit(patient.id, session=session, actor=reception, today=clinic_today())

    queue = shown(qtbot, QueueScreen(make_context(Role.CLINICAL_OFFICER)))
    qtbot.waitUntil(lambda: queue.model.rowCount() == 1)

    headers = [
        queue.model.headerData(c, Qt.Orientation.Horizontal)
        for c in range(queue.model.columnCount())
    ]
    assert headers[:8] == [
        "Na.",
        "Nambari ya OP",
        "Mgonjwa",
        "Jinsia",
        "Umri",
        "Hali",
        "Anasubiri",
        "Ziara",
    ]
    assert queue.move_buttons[next(iter(queue.move_buttons))].text() == "Peleka kwa tabibu"


def test_qts_own_buttons_speak_swahili_too(qtbot: QtBot, store: LocalStore, swahili: None) -> None:
    login = LoginDialog(store, None, None)
    qtbot.addWidget(login)
    login.show()

    buttons = {button.text() for button in login.findChildren(QPushButton)}

    assert "Ghairi" in buttons and "Cancel" not in buttons


def test_english_again_once_swahili_is_removed(
    qtbot: QtBot, make_context: MakeContext, qapp: QApplication
) -> None:
    install_translators(qapp, "sw")
    install_translators(qapp, "en")

    queue = shown(qtbot, QueueScreen(make_context(Role.CLINICAL_OFFICER)))

    assert queue.model.headerData(2, Qt.Orientation.Horizontal) == "Patient"


def test_a_language_picked_in_the_main_window_is_kept_for_the_next_start(
    qtbot: QtBot, make_context: MakeContext, tmp_path: Path
) -> None:
    window = MainWindow(make_context(Role.RECEPTIONIST), settings_in(tmp_path))
    qtbot.addWidget(window)
    window.show()
    language = window.findChild(QComboBox, "language")
    assert language is not None and language.currentText() == "English"

    language.setCurrentIndex(language.findText("Kiswahili"))

    assert window.statusBar().currentMessage() == (
        "The new language is used when Seth Clinic starts again."
    )
    assert settings_in(tmp_path).value(LANGUAGE_KEY) == "sw"
    assert chosen_language(settings_in(tmp_path)) == "sw"
    again = MainWindow(make_context(Role.RECEPTIONIST), settings_in(tmp_path))
    qtbot.addWidget(again)
    assert again.findChild(QComboBox, "language").currentText() == "Kiswahili"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("setting", "system", "expected"),
    [
        (None, "sw_KE", "sw"),
        (None, "sw_TZ", "sw"),
        (None, "en_KE", "en"),
        (None, "fr_FR", "en"),
        ("en", "sw_KE", "en"),
        ("sw", "en_GB", "sw"),
        ("xx", "sw_KE", "sw"),
    ],
)
def test_the_setting_decides_else_the_system(
    tmp_path: Path, setting: str | None, system: str, expected: str
) -> None:
    settings = settings_in(tmp_path)
    if setting is not None:
        settings.setValue(LANGUAGE_KEY, setting)

    assert chosen_language(settings, QLocale(system)) == expected


def test_a_language_without_its_translation_file_is_refused_and_english_stays(
    qtbot: QtBot, make_context: MakeContext, qapp: QApplication
) -> None:
    install_translators(qapp, "sw")

    with pytest.raises(FileNotFoundError, match=r"seth_clinic_fr\.qm is missing"):
        install_translators(qapp, "fr")

    queue = shown(qtbot, QueueScreen(make_context(Role.CLINICAL_OFFICER)))
    assert queue.model.headerData(2, Qt.Orientation.Horizontal) == "Patient"
