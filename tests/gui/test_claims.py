"""The claims screens as a claims manager uses them, on real widgets and a
real local store: the list and its filters, a claim's checklist whose fix
buttons open the screens that fix it, moves with their fields and errors,
a batch made, submitted and exported, and the follow-up tables; and the
receptionist's "Print SHA invoice" on the patient page."""

from __future__ import annotations

import csv
import json
import uuid
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QFrame, QLabel, QPushButton
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from clinic.actor import Actor
from clinic.billing.models import Service
from clinic.billing.service import LineInput, create_invoice, record_payment, seed_price_list
from clinic.claims.service import create_claim, move_claim
from clinic.clock import clinic_today
from clinic.enums import ClaimStatus, PaymentMethod, Role
from clinic.org.models import Branch
from clinic.patients.service import PatientDetails, register_patient, update_patient
from clinic.store import LocalStore
from clinic.visits.service import ConsultationNotes, open_visit, record_consultation, sign_visit
from desktop.main_window import MainWindow
from desktop.screens.claims.claim_page import ClaimPage
from desktop.screens.claims.screen import ClaimsScreen
from desktop.screens.patients.page import PatientPage
from tests.conftest import make_actor
from tests.gui.conftest import MakeContext, shown
from tests.gui.pdf import answer_print_dialog, pdf_text

S = ClaimStatus
SHA_NUMBER = "CR4082193652041-7"


class Clinic:
    """Visits paid by SHA, and their claims, made through the services."""

    def __init__(self, store: LocalStore, branch: Branch) -> None:
        self.store = store
        self.actors = {role: make_actor(store, branch, role) for role in Role}
        with store.write() as session:
            seed_price_list(session=session, actor=Actor(device_id=store.device_id))
            self.services = {s.code: s.id for s in session.scalars(select(Service))}

    @property
    def manager(self) -> Actor:
        return self.actors[Role.CLAIMS_MANAGER]

    def claim(
        self,
        first: str,
        last: str,
        *,
        sha_number: str | None = SHA_NUMBER,
        signed: bool = True,
        status: ClaimStatus = S.DRAFT,
    ) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
        """A claim for a new visit of a new patient, moved to ``status``
        (DRAFT, READY or INVOICE_GENERATED); its id, the patient's and the visit's."""
        day = clinic_today()
        a = self.actors
        with self.store.write() as session:
            patient = register_patient(
                PatientDetails(
                    first_name=first,
                    last_name=last,
                    date_of_birth=date(1990, 5, 17),
                    sha_number=sha_number,
                ),
                session=session,
                actor=a[Role.RECEPTIONIST],
                today=day,
            ).patient
            visit = open_visit(patient.id, session=session, actor=a[Role.RECEPTIONIST], today=day)
            record_consultation(
                visit.id,
                ConsultationNotes(complaint="Fever for 3 days", diagnoses=["B54"]),
                session=session,
                actor=a[Role.CLINICAL_OFFICER],
            )
            if signed:
                sign_visit(visit.id, session=session, actor=a[Role.CLINICAL_OFFICER])
            invoice = create_invoice(
                visit.id,
                [LineInput(self.services[code]) for code in ("CONS-NEW", "LAB-MRDT")],
                session=session,
                actor=a[Role.CASHIER],
            )
            record_payment(
                invoice.id, PaymentMethod.SHA, 500_00, session=session, actor=a[Role.CASHIER],
                today=day,
            )  # fmt: skip
            claim = create_claim(visit.id, session=session, actor=self.manager)
            ids = (claim.id, patient.id, visit.id)
        for step in (S.READY, S.INVOICE_GENERATED):
            if status in (S.READY, S.INVOICE_GENERATED) and (step == S.READY or status == step):
                self.move(ids[0], step)
        return ids

    def move(self, claim_id: uuid.UUID, status: ClaimStatus, **fields: object) -> None:
        with self.store.write() as session:
            move_claim(claim_id, status, session=session, actor=self.manager, **fields)  # type: ignore[arg-type]


@pytest.fixture
def clinic(store: LocalStore, branch: Branch) -> Clinic:
    return Clinic(store, branch)


def claims_screen(qtbot: QtBot, make_context: MakeContext) -> ClaimsScreen:
    screen = shown(qtbot, ClaimsScreen(make_context(Role.CLAIMS_MANAGER, "Grace Claims")))
    qtbot.waitUntil(lambda: screen.list.summary.text() != "")
    return screen


def list_names(screen: ClaimsScreen) -> list[str]:
    model = screen.list.model
    return [model.index(row, 1).data() for row in range(model.rowCount())]


def checklist(page: ClaimPage) -> dict[str, QPushButton]:
    """The checklist's items shown: each one's code and its fix button."""
    found = {}
    for frame in page.findChildren(QFrame, "missing_item"):
        button = frame.findChild(QPushButton)
        if frame.isVisible() and button is not None:
            found[str(frame.property("code"))] = button
    return found


# --- the list ---------------------------------------------------------------------


def test_the_list_shows_claims_and_filters_by_status_and_text(
    qtbot: QtBot, make_context: MakeContext, clinic: Clinic
) -> None:
    clinic.claim("Achieng", "Otieno")
    clinic.claim("Wanjiku", "Kamau", status=S.READY)
    clinic.claim("Wanjiru", "Mwangi", status=S.READY)

    screen = claims_screen(qtbot, make_context)
    qtbot.waitUntil(lambda: screen.list.model.rowCount() == 3)
    assert screen.list.summary.text() == "3 claims, KES 1,500.00 claimed"

    screen.list.status.setCurrentIndex(screen.list.status.findData(S.READY.value))
    qtbot.waitUntil(lambda: screen.list.model.rowCount() == 2)
    assert sorted(list_names(screen)) == ["Wanjiku Kamau", "Wanjiru Mwangi"]
    assert {screen.list.model.index(r, 4).data() for r in range(2)} == {"Ready"}

    qtbot.keyClicks(screen.list.search, "wanjik")
    qtbot.waitUntil(lambda: list_names(screen) == ["Wanjiku Kamau"])
    assert screen.list.summary.text() == "1 claims, KES 500.00 claimed"

    screen.list.search.clear()
    screen.list.status.setCurrentIndex(0)
    qtbot.waitUntil(lambda: screen.list.model.rowCount() == 3)
    screen.list.visit_from.setDate(screen.list.visit_to.date().addDays(1))  # clinic today + 1
    qtbot.waitUntil(lambda: screen.list.summary.text() == "0 claims, KES 0.00 claimed")
    assert screen.list.model.rowCount() == 0  # no visits from tomorrow on
    screen.list.visit_from.setDate(screen.list.visit_from.date().addDays(-30))
    qtbot.waitUntil(lambda: screen.list.model.rowCount() == 3)
    row = list_names(screen).index("Achieng Otieno")
    screen.list.table.setFocus()
    screen.list.table.selectRow(row)
    qtbot.keyClick(screen.list.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.page is not None and screen.page.data is not None)
    assert screen.page is not None
    assert screen.page.title.text().startswith("Achieng Otieno")


# --- the claim page ------------------------------------------------------------------


def test_the_checklist_says_what_to_fix_and_its_buttons_open_the_fixing_screens(
    qtbot: QtBot, make_context: MakeContext, clinic: Clinic, tmp_path: Path
) -> None:
    claim_id, patient_id, visit_id = clinic.claim("Baraka", "Ouma", sha_number=None, signed=False)
    window = MainWindow(make_context(Role.ADMIN, "Ann Admin"), QSettings(str(tmp_path / "s.ini")))
    qtbot.addWidget(window)
    window.show()
    screen = window.show_screen("claims")
    assert isinstance(screen, ClaimsScreen)
    page = screen.open_claim(claim_id)
    qtbot.waitUntil(lambda: len(checklist(page)) == 2)

    items = checklist(page)
    assert set(items) == {"no_sha_number", "not_signed"}
    assert "no SHA number" in page.findChild(QLabel, "missing_no_sha_number").text()  # type: ignore[union-attr]
    assert page.checklist_state.text() == "2 to fix before the claim can be ready:"
    assert page.move_to.currentText() == "Mark ready"

    qtbot.mouseClick(items["no_sha_number"], Qt.MouseButton.LeftButton)
    patients = window.current_screen()
    assert patients is window.screens["patients"]
    qtbot.waitUntil(lambda: patients.page is not None and patients.page.data is not None)  # type: ignore[attr-defined]
    assert patients.page.patient_id == patient_id  # type: ignore[attr-defined]

    window.show_screen("claims")
    qtbot.waitUntil(lambda: "not_signed" in checklist(page))
    qtbot.mouseClick(checklist(page)["not_signed"], Qt.MouseButton.LeftButton)
    consultation = window.current_screen()
    assert consultation is window.screens["consultation"]
    qtbot.waitUntil(lambda: getattr(consultation, "visit_id", None) == visit_id)


def test_a_claims_manager_sees_who_fixes_what_their_role_cannot_open(
    qtbot: QtBot, make_context: MakeContext, clinic: Clinic, tmp_path: Path
) -> None:
    claim_id, _patient, _visit = clinic.claim("Baraka", "Ouma", signed=False)
    window = MainWindow(
        make_context(Role.CLAIMS_MANAGER, "Grace Claims"), QSettings(str(tmp_path / "s.ini"))
    )
    qtbot.addWidget(window)
    window.show()
    screen = window.show_screen("claims")
    page = screen.open_claim(claim_id)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: "not_signed" in checklist(page))

    button = checklist(page)["not_signed"]
    assert not button.isEnabled()
    assert "clinician" in button.toolTip()


def test_once_reception_adds_the_sha_number_the_draft_is_brought_up_to_date(
    qtbot: QtBot, make_context: MakeContext, clinic: Clinic
) -> None:
    claim_id, patient_id, _visit = clinic.claim("Baraka", "Ouma", sha_number=None)
    screen = claims_screen(qtbot, make_context)
    page = screen.open_claim(claim_id)
    qtbot.waitUntil(lambda: set(checklist(page)) == {"no_sha_number"})
    with clinic.store.write() as session:
        update_patient(
            patient_id, {"sha_number": SHA_NUMBER}, session=session,
            actor=clinic.actors[Role.RECEPTIONIST], today=clinic_today(),
        )  # fmt: skip

    qtbot.mouseClick(page.update_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: page.checklist_state.text().startswith("✓"))
    assert checklist(page) == {}
    assert page.facts["sha_number"].text() == SHA_NUMBER
    assert page.message.text() == "Brought up to date from the patient and the invoice."


def test_a_complete_claim_moves_to_ready_and_the_move_is_in_its_history(
    qtbot: QtBot, make_context: MakeContext, clinic: Clinic, tmp_path: Path
) -> None:
    claim_id, _patient, _visit = clinic.claim("Achieng", "Otieno")
    screen = claims_screen(qtbot, make_context)
    page = screen.open_claim(claim_id)
    qtbot.waitUntil(lambda: page.data is not None)
    assert page.checklist_state.text() == "✓ Nothing missing: SHA has what it needs."
    assert page.status_badge.text() == "Draft"

    qtbot.mouseClick(page.move_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: page.status_badge.text() == "Ready")
    assert page.message.text() == "Moved to: Ready."
    moves = [page.history.item(r, 1).text() for r in range(page.history.rowCount())]  # type: ignore[union-attr]
    assert moves[-1] == "Draft → Ready"

    saved = page.save_invoice_pdf(tmp_path / "invoice.pdf")
    assert saved is not None and "Achieng Otieno" in pdf_text(saved)


def test_answers_from_sha_need_their_fields_and_errors_show_next_to_them(
    qtbot: QtBot, make_context: MakeContext, clinic: Clinic
) -> None:
    claim_id, _patient, _visit = clinic.claim("Achieng", "Otieno", status=S.INVOICE_GENERATED)
    with clinic.store.write() as session:
        from clinic.claims.service import create_batch, submit_batch

        batch = create_batch([claim_id], "WEEKLY", session=session, actor=clinic.manager)
        submit_batch(batch.id, session=session, actor=clinic.manager)
    screen = claims_screen(qtbot, make_context)
    page = screen.open_claim(claim_id)
    qtbot.waitUntil(lambda: page.data is not None)
    assert [page.move_to.itemText(i) for i in range(page.move_to.count())] == [
        "Approved by SHA",
        "Partly approved",
        "Rejected by SHA",
    ]

    page.move_to.setCurrentIndex(page.move_to.findData(S.REJECTED.value))
    assert page.reason.isVisible() and not page.paid.isVisible()
    qtbot.mouseClick(page.move_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.form.error_text("reason") != "")
    assert page.form.error_text("reason") == "Say why SHA rejected the claim"
    assert page.status_badge.text() == "Submitted"

    page.move_to.setCurrentIndex(page.move_to.findData(S.PARTIALLY_APPROVED.value))
    assert page.approved.isVisible() and not page.reason.isVisible()
    page.approved.setText("900")
    qtbot.mouseClick(page.move_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.form.error_text("approved_cents") != "")
    assert "less than" in page.form.error_text("approved_cents")

    page.approved.setText("four hundred")
    qtbot.mouseClick(page.move_button, Qt.MouseButton.LeftButton)
    assert "is not an amount" in page.form.error_text("approved_cents")

    page.approved.setText("400")
    qtbot.mouseClick(page.move_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.status_badge.text() == "Partially approved")
    assert page.facts["approved"].text() == "KES 400.00"

    assert page.paid.isVisible() and page.reference.isVisible()
    qtbot.mouseClick(page.move_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.form.error_text("payment_reference") != "")
    qtbot.keyClicks(page.reference, "SHA-PAY-88231")
    qtbot.mouseClick(page.move_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.status_badge.text() == "Paid")
    assert page.facts["paid"].text().startswith("KES 400.00")
    assert page.no_moves.text() == "A paid claim is closed."


# --- batches ----------------------------------------------------------------------------


def test_a_batch_is_made_from_ready_claims_submitted_and_exported(
    qtbot: QtBot, make_context: MakeContext, clinic: Clinic, tmp_path: Path
) -> None:
    first, _p, _v = clinic.claim("Achieng", "Otieno", status=S.READY)
    second, _p, _v = clinic.claim("Wanjiku", "Kamau", status=S.READY)
    clinic.claim("Still", "Draft")
    screen = claims_screen(qtbot, make_context)
    screen.tabs.setCurrentWidget(screen.batches)
    panel = screen.batches
    qtbot.waitUntil(lambda: panel.candidates.rowCount() == 2)
    assert panel.make_button.text() == "Make a batch of 2 claims (KES 1,000.00)"

    qtbot.mouseClick(panel.make_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.batch_table.rowCount() == 1 and panel.candidates.rowCount() == 0)
    assert panel.batch_table.item(0, 1).text() == "2"  # type: ignore[union-attr]
    assert panel.batch_table.item(0, 3).text() == "not yet"  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: panel.batch_claims_table.rowCount() == 2)

    # SHA takes a batch once each claim's SHA invoice is signed
    qtbot.mouseClick(panel.submit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "SHA invoice" in panel.message.text())
    for claim_id in (first, second):
        clinic.move(claim_id, S.INVOICE_GENERATED)
    qtbot.keyClicks(panel.reference, "SHA-BATCH-0042")
    qtbot.mouseClick(panel.submit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.batch_table.item(0, 4).text() == "SHA-BATCH-0042")  # type: ignore[union-attr]
    assert not panel.submit_button.isEnabled()

    panel.export_csv(tmp_path / "batch.csv")
    qtbot.waitUntil(lambda: (tmp_path / "batch.csv").exists())
    rows = list(csv.reader((tmp_path / "batch.csv").open(encoding="utf-8")))
    assert sum(SHA_NUMBER in ",".join(row) for row in rows) >= 2
    bundles = tmp_path / "fhir"
    bundles.mkdir()
    panel.export_fhir(bundles)
    qtbot.waitUntil(lambda: len(list(bundles.glob("*.json"))) == 2)
    bundle = json.loads(next(bundles.glob("*.json")).read_text(encoding="utf-8"))
    assert bundle["resourceType"] == "Bundle"


# --- follow-up ------------------------------------------------------------------------


def test_the_follow_up_shows_outstanding_by_age_and_paid_against_claimed(
    qtbot: QtBot, make_context: MakeContext, clinic: Clinic
) -> None:
    sent = []
    for name in ("Achieng", "Wanjiku", "Baraka"):
        claim_id, _p, _v = clinic.claim(name, "Test", status=S.INVOICE_GENERATED)
        sent.append(claim_id)
    with clinic.store.write() as session:
        from clinic.claims.service import create_batch, submit_batch

        batch = create_batch(sent, "MONTHLY", session=session, actor=clinic.manager)
        submit_batch(batch.id, session=session, actor=clinic.manager)
    clinic.move(sent[0], S.REJECTED, reason="Member number not found")
    clinic.move(sent[1], S.APPROVED, approved_cents=450_00)
    clinic.move(
        sent[1], S.PAID, paid_cents=450_00, paid_on=clinic_today(), payment_reference="PAY-1"
    )

    screen = claims_screen(qtbot, make_context)
    screen.tabs.setCurrentWidget(screen.follow_up)
    panel = screen.follow_up
    qtbot.waitUntil(lambda: panel.result is not None)

    ageing = panel.ageing.texts()
    assert ageing[0] == [
        "Submitted", "1", "KES 500.00", "KES 0.00", "KES 0.00", "KES 0.00", "KES 500.00",
    ]  # fmt: skip
    assert ageing[-1][0] == "Total" and ageing[-1][-1] == "KES 1,000.00"
    assert panel.reasons.texts()[0] == ["Member number not found", "1", "KES 500.00"]
    paid = panel.paid.texts()
    assert paid[-1] == ["Total", "3", "KES 1,500.00", "KES 450.00", "KES 450.00", "30.0%"]
    assert panel.boxes["ageing"].title() == "Outstanding by age since submission"


# --- the receptionist -------------------------------------------------------------------


def test_reception_prints_the_sha_invoice_of_a_visit_that_has_a_claim(
    qtbot: QtBot, make_context: MakeContext, clinic: Clinic, tmp_path: Path
) -> None:
    _claim, patient_id, _visit = clinic.claim("Achieng", "Otieno", status=S.READY)
    page = PatientPage(make_context(Role.RECEPTIONIST), patient_id)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: page.data is not None)
    assert page.visit_headers()[-1] == "SHA claim"
    assert page.visit_rows()[0][-1] == "Yes"
    assert not page.sha_invoice_button.isEnabled()

    page.visits_table.selectRow(0)
    assert page.sha_invoice_button.isEnabled()
    printed = tmp_path / "sha-invoice.pdf"
    answer_print_dialog(str(printed))
    qtbot.mouseClick(page.sha_invoice_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(printed.exists)
    text = pdf_text(printed)
    assert "Achieng Otieno" in text and SHA_NUMBER in text and "KES 500.00" in text


def test_a_cashier_has_no_sha_invoice_button(
    qtbot: QtBot, make_context: MakeContext, clinic: Clinic
) -> None:
    _claim, patient_id, _visit = clinic.claim("Achieng", "Otieno")
    page = PatientPage(make_context(Role.CASHIER), patient_id)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: page.data is not None)
    assert page.sha_invoice_button.isHidden()
    assert "SHA claim" not in page.visit_headers()
