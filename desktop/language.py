"""The language the app speaks: English (the source text) or Swahili.

The choice is the PC user's, kept in QSettings under ``LANGUAGE_KEY``
(``"en"`` or ``"sw"``); without one, the system's first UI language decides
(``sw``, ``sw_KE``, ``sw-TZ``: Swahili; anything else: English). It takes
effect when the app starts: a Qt translator must be installed before the
first window is built, so a change in the settings applies at the next start.

The compiled translations are ``resources/translations/seth_clinic_<lang>.qm``
(``desktop.translations`` makes them); Qt's own strings (standard buttons,
dialogs) come from Qt's ``qtbase_<lang>.qm`` where Qt ships one.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QSettings, QTranslator

from clinic.paths import resources_dir

LANGUAGE_KEY = "language"
SOURCE_LANGUAGE = "en"
LANGUAGES = {"en": "English", "sw": "Kiswahili"}
"""Each language by its own name (never translated: a person looks for theirs)."""
CATALOGUE = "seth_clinic"


def translations_dir() -> Path:
    return resources_dir() / "translations"


def system_language(locale: QLocale | None = None) -> str:
    """The language of ``LANGUAGES`` the system's UI languages ask for first."""
    for name in (locale or QLocale.system()).uiLanguages():
        code = name.replace("-", "_").split("_")[0].lower()
        if code in LANGUAGES:
            return code
    return SOURCE_LANGUAGE


def chosen_language(settings: QSettings, locale: QLocale | None = None) -> str:
    """The language set in the settings, else the system's."""
    value = settings.value(LANGUAGE_KEY)
    if isinstance(value, str) and value in LANGUAGES:
        return value
    return system_language(locale)


def choose_language(settings: QSettings, language: str) -> None:
    """Keep ``language`` for the next start (``ValueError`` for one not in
    ``LANGUAGES``)."""
    if language not in LANGUAGES:
        raise ValueError(f"no translation for {language!r}; choose one of {', '.join(LANGUAGES)}")
    settings.setValue(LANGUAGE_KEY, language)
    settings.sync()


_installed: list[QTranslator] = []
"""Translators stay referenced while installed (Qt does not own them)."""


def install_translators(app: QCoreApplication, language: str) -> None:
    """Make ``app`` speak ``language`` from now on (replacing any earlier
    choice); English needs no translator. ``FileNotFoundError`` when the
    app's own translation is missing, a broken install."""
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    if language == SOURCE_LANGUAGE:
        return
    ours = QTranslator(app)
    if not ours.load(f"{CATALOGUE}_{language}", str(translations_dir())):
        raise FileNotFoundError(
            f"the {LANGUAGES.get(language, language)} translation "
            f"{CATALOGUE}_{language}.qm is missing from {translations_dir()}"
        )
    qt = QTranslator(app)
    if qt.load(f"qtbase_{language}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        _installed.append(qt)
    _installed.append(ours)
    for translator in _installed:
        app.installTranslator(translator)
