"""A claim read from a real local store (``load_claim_document``) through
every export: the FHIR bundle, the SHA CSV and the SHA invoice's data, with
the visit's own diagnoses and the branch's facility codes.

The claim and its items are written as rows here; making them from a visit is
the claims service's job and tested with it."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date

from fhir.resources.R4B.bundle import Bundle

from clinic.billing.service import LineInput, create_invoice, propose_lines, seed_price_list
from clinic.claims.document import load_claim_document
from clinic.claims.fhir import claim_bundle
from clinic.claims.models import Claim, ClaimItem
from clinic.claims.sha_csv import batch_csv
from clinic.clock import clinic_today
from clinic.enums import ClaimStatus, Role, Sex
from clinic.org.models import Branch, User
from clinic.patients.service import PatientDetails, register_patient
from clinic.store import LocalStore
from clinic.visits.service import (
    ConsultationNotes,
    PrescriptionInput,
    open_visit,
    record_consultation,
    sign_visit,
)
from tests.conftest import make_actor


def make_claim(store: LocalStore, branch: Branch) -> uuid.UUID:
    """Wanjiru's signed malaria visit at the Main branch, billed and claimed
    as a dependant on her husband's SHA cover."""
    with store.write() as session:
        main = session.get(Branch, branch.id)
        assert main is not None
        main.kmhfl_code, main.sha_facility_id = "23157", "FID-47-123456-7"
        seed_price_list(session=session, actor=make_actor(store, branch, Role.ADMIN))
        clinician = make_actor(store, branch, Role.CLINICAL_OFFICER)
        session.add(
            User(
                id=clinician.user_id,
                username="okamau",
                full_name="Otieno Kamau",
                role=Role.CLINICAL_OFFICER,
                branch_id=branch.id,
            )
        )
        receptionist = make_actor(store, branch, Role.RECEPTIONIST)
        patient = register_patient(
            PatientDetails(
                first_name="Wanjiru",
                last_name="Mwangi",
                sex=Sex.FEMALE,
                date_of_birth=date(1994, 2, 1),
                sha_number="CR5551234567890-1",
                sha_principal_number="CR5559876543210-2",
            ),
            session=session,
            actor=receptionist,
            today=clinic_today(),
        ).patient
        visit = open_visit(patient.id, session=session, actor=receptionist, today=clinic_today())
        record_consultation(
            visit.id,
            ConsultationNotes(
                complaint="Fever for three days",
                diagnoses=["b54", "ICD-11:1F4Z"],
                prescriptions=[
                    PrescriptionInput("Amoxicillin 500 mg", "500 mg", "TDS", "5 days", 15)
                ],
            ),
            session=session,
            actor=clinician,
        )
        sign_visit(visit.id, session=session, actor=clinician)
        cashier = make_actor(store, branch, Role.CASHIER)
        proposed = propose_lines(visit.id, session=session)
        invoice = create_invoice(
            visit.id,
            [LineInput(p.service_id, p.quantity) for p in proposed if p.service_id],
            session=session,
            actor=cashier,
        )
        claim = Claim(
            visit_id=visit.id,
            patient_id=patient.id,
            invoice_id=invoice.id,
            branch_id=branch.id,
            sha_member_number="CR5551234567890-1",
            sha_principal_number="CR5559876543210-2",
            status=ClaimStatus.READY,
            claimed_cents=invoice.total_cents,
        )
        session.add(claim)
        session.flush()
        for code, (description, quantity, amount) in zip(
            ("SHA-01-001", "SHA-12-004"),
            [("Consultation", 1, 500_00), ("Amoxicillin 500 mg capsule", 15, 75_00)],
            strict=True,
        ):
            session.add(
                ClaimItem(
                    claim_id=claim.id,
                    intervention_code=code,
                    description=description,
                    quantity=quantity,
                    amount_cents=amount,
                )
            )
        return claim.id


def test_a_stored_claim_exports_to_a_valid_bundle_and_csv(
    store: LocalStore, branch: Branch
) -> None:
    claim_id = make_claim(store, branch)
    with store.session() as session:
        document = load_claim_document(claim_id, session=session)

    bundle = claim_bundle(document)
    Bundle.model_validate(bundle)
    by_kind = {e["resource"]["resourceType"]: e["resource"] for e in bundle["entry"]}
    claim = by_kind["Claim"]
    assert [d["diagnosisCodeableConcept"]["coding"][0]["code"] for d in claim["diagnosis"]] == [
        "B54",
        "1F4Z",
    ]
    assert [i["productOrService"]["coding"][0]["code"] for i in claim["item"]] == [
        "SHA-01-001",
        "SHA-12-004",
    ]
    assert claim["total"]["value"] == 575.0
    assert by_kind["Practitioner"]["name"] == [{"text": "Otieno Kamau"}]
    assert by_kind["Coverage"]["subscriberId"] == "CR5559876543210-2"
    assert by_kind["Patient"]["name"][0]["text"] == "Wanjiru Mwangi"
    organisations = [e["resource"] for e in bundle["entry"] if e["resource"]["id"] != "sha"]
    facility = next(o for o in organisations if o["resourceType"] == "Organization")
    assert {i["value"] for i in facility["identifier"]} >= {"23157", "FID-47-123456-7"}

    rows = list(csv.DictReader(io.StringIO(batch_csv([document]), newline="")))
    assert [(r["Intervention Code"], r["Quantity"], r["Amount (KES)"]) for r in rows] == [
        ("SHA-01-001", "1", "500.00"),
        ("SHA-12-004", "15", "75.00"),
    ]
    assert {r["Claim Total (KES)"] for r in rows} == {"575.00"}
    assert {r["Relationship"] for r in rows} == {"Dependant"}
    assert {r["ICD-10 Codes"] for r in rows} == {"B54"}
    assert {r["Facility SHA ID"] for r in rows} == {"FID-47-123456-7"}
