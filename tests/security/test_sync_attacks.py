"""The pen-test of sync, replayed (DESIGN.md, Sync 4, 5, 10 and 13, and
Security): each attack is sent as raw HTTP to a real server, and must be
refused (the mutation alone, with its reason, or the request with a 4xx;
never a 5xx), change nothing on the server, and let the valid rest of its
batch apply."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from clinic.billing.models import Invoice, Payment, Service
from clinic.enums import PaymentMethod, VisitStatus
from clinic.journal.models import AppliedMutation, AuditEvent
from clinic.journal.service import GENESIS_HASH, audit_payload, event_hash
from clinic.patients.models import Patient
from clinic.visits.models import Amendment, Diagnosis, LabRequest, Prescription, Triage, Visit
from sync.protocol import Mutation
from tests.security.conftest import Clinic, Pc, mutation

NOW = datetime(2026, 11, 26, 7, 30, tzinfo=UTC)
SIGNED = datetime(2026, 11, 26, 9, 15, tzinfo=UTC)
CLINICAL = ("complaint", "history", "examination", "plan", "clinician_id")
FOREIGN_AUTHOR = "The user who made this change has never logged in online on this PC"


def refused(answer: dict[str, Any]) -> dict[int, str]:
    """The refused mutations of a push answer: their reasons by sequence."""
    return {r["sequence"]: r["reason"] for r in answer["results"] if r["outcome"] == "refused"}


def applied(answer: dict[str, Any]) -> list[int]:
    return [r["sequence"] for r in answer["results"] if r["outcome"] == "applied"]


def outcomes(answer: dict[str, Any]) -> list[str]:
    return [r["outcome"] for r in answer["results"]]


def patient(clinic: Clinic, **values: Any) -> Patient:
    row = Patient(op_number=f"OP-2026-{uuid.uuid4().int % 10**6:06d}-0", first_name="Grace")
    for name, value in values.items():
        setattr(row, name, value)
    clinic.add(row)
    return row


def visit(clinic: Clinic, branch: uuid.UUID | None = None, **values: Any) -> Visit:
    row = Visit(
        patient_id=patient(clinic).id,
        branch_id=branch or clinic.main,
        visit_date=date(2026, 11, 26),
        is_new=True,
        status=VisitStatus.REGISTERED,
        queue_position=3,
    )
    for name, value in values.items():
        setattr(row, name, value)
    clinic.add(row)
    return row


def signed_visit(clinic: Clinic) -> Visit:
    return visit(
        clinic,
        status=VisitStatus.COMPLETED,
        complaint="Headache for 3 days",
        history="No fever",
        examination="Alert",
        plan="Paracetamol",
        clinician_id=clinic.staff["clinical_officer"].id,
        signed_at=SIGNED,
    )


def invoice(clinic: Clinic, branch: uuid.UUID | None = None) -> Invoice:
    seen = visit(clinic, branch)
    row = Invoice(
        visit_id=seen.id,
        patient_id=seen.patient_id,
        branch_id=branch or clinic.main,
        total_cents=150_000,
        issued_at=NOW,
    )
    clinic.add(row)
    return row


def payment(clinic: Clinic, branch: uuid.UUID | None = None) -> Payment:
    billed = invoice(clinic, branch)
    row = Payment(
        invoice_id=billed.id,
        branch_id=billed.branch_id,
        method=PaymentMethod.CASH,
        amount_cents=50_000,
        cashier_id=clinic.staff["cashier"].id,
        received_at=NOW,
    )
    clinic.add(row)
    return row


def count(clinic: Clinic, model: type[Any], *where: Any) -> int:
    with clinic.db.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def paid(clinic: Clinic, invoice_id: uuid.UUID) -> int:
    with clinic.db.sessions() as session:
        total = session.scalar(
            select(func.sum(Payment.amount_cents)).where(Payment.invoice_id == invoice_id)
        )
    return int(total or 0)


def payment_insert(
    clinic: Clinic, billed: Invoice, amount: int, by: str, user_id: uuid.UUID | None = None
) -> dict[str, Any]:
    return mutation(
        "payments",
        uuid.uuid4(),
        "insert",
        user_id=user_id,
        invoice_id=str(billed.id),
        branch_id=str(billed.branch_id),
        method="CASH",
        amount_cents=amount,
        cashier_id=str(clinic.staff[by].id),
        received_at=NOW.isoformat(),
    )


def test_a_receptionist_forging_the_admin_as_author_writes_no_price_list_invoice_or_payment(
    clinic: Clinic,
) -> None:
    clinic.device("admin")  # the admin logs in online, but on another PC
    desk = clinic.device("receptionist")
    admin = clinic.staff["admin"].id
    seen = visit(clinic)
    billed = invoice(clinic)
    grace = patient(clinic)
    service, new_invoice = uuid.uuid4(), uuid.uuid4()

    def forged(user_id: uuid.UUID | None) -> list[dict[str, Any]]:
        return [
            mutation(
                "services",
                service,
                "insert",
                user_id=user_id,
                code="CONS-01",
                name="Consultation",
                kind="consultation",
            ),
            mutation(
                "invoices",
                new_invoice,
                "insert",
                user_id=user_id,
                visit_id=str(seen.id),
                patient_id=str(seen.patient_id),
                branch_id=str(clinic.main),
                total_cents=100,
                issued_at=NOW.isoformat(),
            ),
            payment_insert(clinic, billed, -5_000_000, "admin", user_id),
        ]

    answer = desk.push(
        *forged(admin),
        *forged(None),
        mutation("patients", grace.id, residence="Kisumu"),
    )

    assert outcomes(answer) == ["refused"] * 6 + ["applied"]
    reasons = list(refused(answer).values())
    assert reasons[:3] == [FOREIGN_AUTHOR] * 3
    assert reasons[3:] == [
        "A receptionist may not change price list",
        "A receptionist may not change invoices",
        "A receptionist may not change payments",
    ]
    assert clinic.get(Service, service) is None
    assert clinic.get(Invoice, new_invoice) is None
    assert count(clinic, Payment, Payment.invoice_id == billed.id) == 0
    assert clinic.get(Patient, grace.id).residence == "Kisumu"


def test_a_receptionist_pulls_no_clinical_record_and_a_refused_push_shows_none(
    clinic: Clinic,
) -> None:
    seen = signed_visit(clinic)
    vitals = Triage(visit_id=seen.id, temperature_c=38.5, pulse_bpm=92.0)
    coded = Diagnosis(visit_id=seen.id, code_system="ICD-10", code="R51", description="Headache")
    drug = Prescription(
        visit_id=seen.id,
        drug="Paracetamol",
        dose="1 g",
        frequency="tds",
        duration="3 days",
        quantity=18,
    )
    clinic.add(vitals, coded, drug)
    west_money = payment(clinic, clinic.west)

    desk = clinic.device("receptionist")
    pulled = desk.pull_all()
    row = next(v for v in pulled["visits"] if v["id"] == seen.id.hex)
    assert row["status"] == "COMPLETED" and row["signed_at"] is not None
    assert {name: row[name] for name in CLINICAL} == dict.fromkeys(CLINICAL)
    for table in ("triages", "diagnoses", "prescriptions", "lab_requests", "amendments"):
        assert table not in pulled
    for table in ("invoices", "payments", "shifts", "claims"):
        assert table not in pulled

    ward = clinic.device("nurse")
    pulled = ward.pull_all()
    taken = next(t for t in pulled["triages"] if t["id"] == vitals.id.hex)
    assert taken["temperature_c"] == 38.5
    row = next(v for v in pulled["visits"] if v["id"] == seen.id.hex)
    assert row["complaint"] == "Headache for 3 days"

    # A refused change answers with the row only as its sender may read it.
    answer = desk.push(mutation("visits", seen.id, complaint="Leaked?"))
    [result] = answer["results"]
    assert result["outcome"] == "refused" and result["reason"]
    assert result["row"]["id"] == seen.id.hex and result["row"]["status"] == "COMPLETED"
    assert {name: result["row"][name] for name in CLINICAL} == dict.fromkeys(CLINICAL)

    till = clinic.device("cashier")
    answer = till.push(mutation("payments", west_money.id, "update", amount_cents=1))
    [result] = answer["results"]
    assert result["outcome"] == "refused" and result["reason"]
    assert result["row"] is None
    assert clinic.get(Visit, seen.id).complaint == "Headache for 3 days"
    assert clinic.get(Payment, west_money.id).amount_cents == 50_000


def test_west_staff_cannot_move_a_main_row_to_their_branch(clinic: Clinic) -> None:
    desk = clinic.device("west_receptionist")
    theirs, ours = visit(clinic), visit(clinic, clinic.west)
    answer = desk.push(
        mutation("visits", theirs.id, queue_position=99, branch_id=str(clinic.west)),
        mutation("visits", ours.id, queue_position=7),
    )
    assert refused(answer) == {1: "Changes go to this device's own branch only"}
    assert applied(answer) == [2]
    kept = clinic.get(Visit, theirs.id)
    assert (kept.branch_id, kept.queue_position, kept.version) == (clinic.main, 3, 1)
    assert clinic.get(Visit, ours.id).queue_position == 7

    till = clinic.device("west_cashier")
    billed = invoice(clinic)
    answer = till.push(
        mutation("invoices", billed.id, total_cents=1, branch_id=str(clinic.west)),
    )
    assert refused(answer) == {1: "Changes go to this device's own branch only"}
    kept_invoice = clinic.get(Invoice, billed.id)
    assert (kept_invoice.branch_id, kept_invoice.total_cents) == (clinic.main, 150_000)


def test_a_signed_visit_cannot_be_unsigned_edited_and_signed_again(clinic: Clinic) -> None:
    room = clinic.device("clinical_officer")
    seen = signed_visit(clinic)
    officer = clinic.staff["clinical_officer"].id
    amendment = uuid.uuid4()
    answer = room.push(
        mutation("visits", seen.id, signed_at=None, complaint="Chest pain"),
        mutation("visits", seen.id, complaint="Chest pain"),
        mutation("visits", seen.id, signed_at=SIGNED.isoformat(), complaint="Chest pain"),
        mutation(
            "amendments",
            amendment,
            "insert",
            visit_id=str(seen.id),
            field="complaint",
            old_value="Headache for 3 days",
            new_value="Headache for 4 days",
            reason="Patient corrected the history",
            amended_by=str(officer),
            amended_at=NOW.isoformat(),
        ),
    )
    assert refused(answer) == {
        1: "signed_at is set once and never changed",
        2: "The visit is signed; change it with an amendment",
        3: "The visit is signed; change it with an amendment",
    }
    assert applied(answer) == [4]
    kept = clinic.get(Visit, seen.id)
    assert (kept.complaint, kept.signed_at, kept.version) == ("Headache for 3 days", SIGNED, 1)
    assert clinic.get(Amendment, amendment) is not None


def test_a_signed_visits_prescriptions_and_lab_requests_change_only_by_their_own_work(
    clinic: Clinic,
) -> None:
    room = clinic.device("clinical_officer")
    seen = signed_visit(clinic)
    drug = Prescription(
        visit_id=seen.id,
        drug="Paracetamol",
        dose="1 g",
        frequency="tds",
        duration="3 days",
        quantity=18,
    )
    test = LabRequest(visit_id=seen.id, test_name="Malaria RDT")
    clinic.add(drug, test)
    added_drug, added_test = uuid.uuid4(), uuid.uuid4()
    answer = room.push(
        mutation(
            "prescriptions",
            added_drug,
            "insert",
            visit_id=str(seen.id),
            drug="Tramadol",
            dose="50 mg",
            frequency="tds",
            duration="5 days",
            quantity=30,
        ),
        mutation("prescriptions", drug.id, quantity=180),
        mutation("prescriptions", drug.id, "delete", deleted_at=NOW.isoformat()),
        mutation("lab_requests", added_test, "insert", visit_id=str(seen.id), test_name="HIV"),
        mutation("lab_requests", test.id, test_name="Full haemogram"),
    )
    assert refused(answer) == {
        1: "The visit is signed; its prescriptions no longer change",
        2: "The visit is signed; its prescriptions no longer change",
        3: "The visit is signed; its prescriptions no longer change",
        4: "The visit is signed; its lab requests no longer change",
        5: "The visit is signed; its lab requests no longer change",
    }
    assert clinic.get(Prescription, added_drug) is None
    assert clinic.get(LabRequest, added_test) is None
    kept = clinic.get(Prescription, drug.id)
    assert (kept.quantity, kept.deleted_at, kept.version) == (18, None, 1)
    assert clinic.get(LabRequest, test.id).test_name == "Malaria RDT"

    # The work that follows signing goes on: dispensing, and the lab's result.
    pharmacy, lab = clinic.device("pharmacist"), clinic.device("lab_technician")
    answer = pharmacy.push(
        mutation(
            "prescriptions",
            drug.id,
            dispensed_at=NOW.isoformat(),
            dispensed_by=str(pharmacy.user_id),
        )
    )
    assert outcomes(answer) == ["applied"]
    answer = lab.push(
        mutation(
            "lab_requests",
            test.id,
            status="RESULTED",
            result="Negative",
            resulted_at=NOW.isoformat(),
            resulted_by=str(lab.user_id),
        )
    )
    assert outcomes(answer) == ["applied"]
    assert clinic.get(LabRequest, test.id).result == "Negative"


def test_a_signed_record_is_not_moved_to_another_patient_nor_rows_into_it(
    clinic: Clinic,
) -> None:
    room, desk = clinic.device("clinical_officer"), clinic.device("receptionist")
    seen, draft = signed_visit(clinic), visit(clinic, status=VisitStatus.IN_CONSULTATION)
    coded = Diagnosis(visit_id=draft.id, code_system="ICD-10", code="R51", description="Headache")
    drug = Prescription(
        visit_id=draft.id,
        drug="Tramadol",
        dose="50 mg",
        frequency="tds",
        duration="5 days",
        quantity=30,
    )
    clinic.add(coded, drug)
    answer = room.push(
        mutation("diagnoses", coded.id, visit_id=str(seen.id)),
        mutation("prescriptions", drug.id, visit_id=str(seen.id)),
        mutation("diagnoses", coded.id, description="Tension headache"),
    )
    assert refused(answer) == {
        1: "visit_id is set once and never changed",
        2: "visit_id is set once and never changed",
    }
    assert applied(answer) == [3]
    assert clinic.get(Diagnosis, coded.id).visit_id == draft.id
    assert clinic.get(Prescription, drug.id).visit_id == draft.id

    someone_else = patient(clinic)
    answer = desk.push(mutation("visits", seen.id, patient_id=str(someone_else.id)))
    assert refused(answer) == {1: "patient_id is set once and never changed"}
    assert clinic.get(Visit, seen.id).patient_id == seen.patient_id


def test_a_receptionist_cannot_insert_a_visit_already_completed_and_signed(
    clinic: Clinic,
) -> None:
    desk = clinic.device("receptionist")
    grace = patient(clinic)
    officer = str(clinic.staff["clinical_officer"].id)
    forged = {
        "patient_id": str(grace.id),
        "branch_id": str(clinic.main),
        "visit_date": "2026-11-26",
        "is_new": True,
        "complaint": "Headache",
        "plan": "Amoxicillin",
        "clinician_id": officer,
        "signed_at": SIGNED.isoformat(),
    }
    completed, registered, plain = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    answer = desk.push(
        mutation("visits", completed, "insert", status="COMPLETED", **forged),
        mutation("visits", registered, "insert", status="REGISTERED", **forged),
        mutation(
            "visits",
            plain,
            "insert",
            status="REGISTERED",
            **{k: forged[k] for k in ("patient_id", "branch_id", "visit_date", "is_new")},
        ),
    )
    assert refused(answer) == {
        1: "A visit that is REGISTERED cannot move to COMPLETED",
        2: "A receptionist may not change clinical notes",
    }
    assert applied(answer) == [3]
    assert clinic.get(Visit, completed) is None
    assert clinic.get(Visit, registered) is None
    assert clinic.get(Visit, plain) is not None


def test_nobody_deletes_a_signed_visit_or_a_payment(clinic: Clinic) -> None:
    desk, till = clinic.device("receptionist"), clinic.device("cashier")
    seen = signed_visit(clinic)
    money = payment(clinic)
    tombstone = {"deleted_at": NOW.isoformat()}
    answer = desk.push(
        mutation("visits", seen.id, "delete", **tombstone),
        mutation("payments", money.id, "delete", **tombstone),
    )
    assert refused(answer) == {
        1: "The visit is signed; change it with an amendment",
        2: "A receptionist may not change payments",
    }
    answer = till.push(mutation("payments", money.id, "delete", **tombstone))
    assert refused(answer) == {1: "A payment is never changed; record a new one instead"}
    assert clinic.get(Visit, seen.id).deleted_at is None
    kept = clinic.get(Payment, money.id)
    assert (kept.deleted_at, kept.version) == (None, 1)


def audit_chain(
    device_id: uuid.UUID,
    user_id: uuid.UUID | None,
    actions: list[str],
    start: int = 1,
    prev_hash: str = GENESIS_HASH,
    ids: list[uuid.UUID] | None = None,
) -> list[dict[str, Any]]:
    """Audit events chained as device ``device_id`` would write them."""
    events = []
    for n, action in enumerate(actions):
        event = AuditEvent(
            id=ids[n] if ids else uuid.uuid4(),
            device_id=device_id,
            device_sequence=start + n,
            user_id=user_id,
            action=action,
            entity="patients",
            entity_id=uuid.uuid4(),
            before=None,
            after={"n": n},
            occurred_at=NOW + timedelta(seconds=n),
            prev_hash=prev_hash,
        )
        event.hash = event_hash(prev_hash, audit_payload(event))
        events.append(
            {
                "id": str(event.id),
                "device_sequence": event.device_sequence,
                "user_id": str(user_id) if user_id else None,
                "action": action,
                "entity": event.entity,
                "entity_id": str(event.entity_id),
                "before": None,
                "after": event.after,
                "occurred_at": event.occurred_at.isoformat(),
                "prev_hash": prev_hash,
                "hash": event.hash,
            }
        )
        prev_hash = event.hash
    return events


def chain_of(clinic: Clinic, device_id: uuid.UUID) -> list[tuple[int, str, str]]:
    with clinic.db.sessions() as session:
        return [
            (e.device_sequence, e.action, e.hash)
            for e in session.scalars(
                select(AuditEvent)
                .where(AuditEvent.device_id == device_id)
                .order_by(AuditEvent.device_sequence)
            )
        ]


def audit_push(pc: Pc, events: list[dict[str, Any]]) -> dict[str, Any]:
    return pc.push(audit_events=events)


def test_audit_events_go_only_to_the_pushing_devices_chain(clinic: Clinic) -> None:
    desk, ward = clinic.device("receptionist"), clinic.device("nurse")
    ward_events = audit_chain(ward.device_id, ward.user_id, ["login", "triage"])
    assert audit_push(ward, ward_events)["audit_accepted_through"] == 2
    ward_chain = chain_of(clinic, ward.device_id)
    assert len(ward_chain) == 2

    # The nurse's PC's events, sent verbatim, or its chain continued, from another PC.
    for forged in (
        ward_events,
        audit_chain(ward.device_id, desk.user_id, ["export"], 3, ward_events[-1]["hash"]),
        audit_chain(desk.device_id, desk.user_id, ["export"], 3, ward_events[-1]["hash"]),
    ):
        answer = audit_push(desk, forged)
        assert answer["audit_accepted_through"] == 0
        assert answer["audit_problem"].startswith("The audit chain breaks at event")
    # Its own chain, but reusing the ids of the nurse's PC's events.
    stolen_ids = [uuid.UUID(e["id"]) for e in ward_events]
    answer = audit_push(desk, audit_chain(desk.device_id, desk.user_id, ["a", "b"], ids=stolen_ids))
    assert answer["audit_accepted_through"] == 0
    assert answer["audit_problem"] == (
        "The audit chain breaks at event 1: the server holds another event with its id"
    )

    own = audit_chain(desk.device_id, desk.user_id, ["login", "register"])
    answer = audit_push(desk, own)
    assert (answer["audit_accepted_through"], answer["audit_problem"]) == (2, None)
    assert chain_of(clinic, desk.device_id) == [
        (1, "login", own[0]["hash"]),
        (2, "register", own[1]["hash"]),
    ]
    assert chain_of(clinic, ward.device_id) == ward_chain


def test_an_audit_event_differing_from_the_one_held_is_reported_as_a_fork(
    clinic: Clinic,
) -> None:
    desk = clinic.device("receptionist")
    events = audit_chain(desk.device_id, desk.user_id, ["login", "register", "print"])
    assert audit_push(desk, events[:2])["audit_accepted_through"] == 2
    held = chain_of(clinic, desk.device_id)

    # Sent again unchanged: taken as a retry, the chain goes on.
    answer = audit_push(desk, events)
    assert (answer["audit_accepted_through"], answer["audit_problem"]) == (3, None)
    held = chain_of(clinic, desk.device_id)

    rewritten = audit_chain(desk.device_id, desk.user_id, ["login", "delete_patient"])
    other_body = {**events[1], "action": "delete_patient"}  # the held hash, other contents
    for fork in ([rewritten[1]], [other_body], [rewritten[0]]):
        answer = audit_push(desk, fork)
        assert answer["audit_accepted_through"] == 3
        assert answer["audit_problem"] is not None
        assert "the server holds another event there" in answer["audit_problem"]
    assert chain_of(clinic, desk.device_id) == held


def test_an_audit_event_naming_a_user_who_never_logged_in_on_the_device_is_refused(
    clinic: Clinic,
) -> None:
    desk = clinic.device("receptionist")
    admin = clinic.staff["admin"].id
    clinic.device("admin")  # logged in online, but on another PC
    events = audit_chain(desk.device_id, admin, ["delete_patient"])
    answer = audit_push(desk, events)
    assert answer["audit_accepted_through"] == 0
    assert answer["audit_problem"] == f"The audit chain breaks at event 1: {FOREIGN_AUTHOR}"
    assert chain_of(clinic, desk.device_id) == []

    events = audit_chain(desk.device_id, desk.user_id, ["register"])
    answer = audit_push(desk, events)
    assert (answer["audit_accepted_through"], answer["audit_problem"]) == (1, None)


def test_values_the_database_cannot_hold_refuse_their_mutation_alone(clinic: Clinic) -> None:
    desk = clinic.device("receptionist")
    grace, mercy = patient(clinic), patient(clinic, residence="Kibera")
    queued = visit(clinic)
    answer = desk.push(
        mutation("patients", grace.id, residence="Kisumu"),
        mutation("patients", mercy.id, residence="Kis\u0000umu"),
        mutation("visits", queued.id, queue_position=10**12),
        mutation("patients", mercy.id, **{"resid\u0000ence": "Kisumu"}),
        mutation("patients", mercy.id, residence="x" * 121),
        mutation("pat\u0000ients", mercy.id, residence="Kisumu"),
    )
    assert outcomes(answer) == ["applied"] + ["refused"] * 5
    reasons = refused(answer)
    assert reasons[2] == "residence: contains a NUL character; remove it"
    assert reasons[3] == f"queue_position: {10**12} is out of range"
    assert reasons[4] == "a field name in patients is not valid text"
    assert reasons[5] == "residence: longer than 120 characters"
    assert reasons[6] == "There is no such table to change"
    assert clinic.get(Patient, grace.id).residence == "Kisumu"
    assert clinic.get(Patient, mercy.id).residence == "Kibera"
    assert clinic.get(Visit, queued.id).queue_position == 3
    answer = audit_push(desk, audit_chain(desk.device_id, desk.user_id, ["log\u0000in"]))
    assert answer["audit_accepted_through"] == 0
    assert answer["audit_problem"] == (
        "The audit chain breaks at event 1: action: contains a NUL character; remove it"
    )

    room = clinic.device("clinical_officer")
    seen = visit(clinic)
    drugs = [uuid.uuid4(), uuid.uuid4()]
    answer = room.push(
        *(
            mutation(
                "prescriptions",
                drug,
                "insert",
                visit_id=str(seen.id),
                drug="Amoxicillin",
                dose="500 mg",
                frequency="tds",
                duration="5 days",
                quantity=quantity,
            )
            for drug, quantity in zip(drugs, (10**12, 15), strict=True)
        )
    )
    assert refused(answer) == {1: f"quantity: {10**12} is out of range"}
    assert clinic.get(Prescription, drugs[0]) is None
    assert clinic.get(Prescription, drugs[1]).quantity == 15

    ward = clinic.device("nurse")
    taken = [uuid.uuid4() for _ in range(4)]
    answer = ward.push(
        mutation("triages", taken[0], "insert", visit_id=str(seen.id), temperature_c=float("nan")),
        mutation("triages", taken[1], "insert", visit_id=str(seen.id), pulse_bpm=float("inf")),
        mutation("triages", taken[2], "insert", visit_id=str(seen.id), flags={"x": float("-inf")}),
        mutation("triages", taken[3], "insert", visit_id=str(seen.id), temperature_c=37.0),
    )
    assert refused(answer) == {
        1: "temperature_c: expected a finite number",
        2: "pulse_bpm: expected a finite number",
        3: "flags: expected finite numbers",
    }
    assert [clinic.get(Triage, t) is not None for t in taken] == [False, False, False, True]


def test_a_malformed_push_request_answers_422_and_changes_nothing(clinic: Clinic) -> None:
    desk = clinic.device("receptionist")
    grace = patient(clinic, residence="Kibera")
    change = mutation("patients", grace.id, residence="Kisumu")
    deep: Any = []
    for _ in range(900):
        deep = [deep]
    [event] = audit_chain(desk.device_id, desk.user_id, ["login"])
    for body in (
        {
            "client_time": NOW.isoformat(),
            "mutations": [{**change, "sequence": 1, "changes": {"flags": deep}}],
        },
        {
            "client_time": NOW.isoformat(),
            "mutations": [],
            "audit_events": [{**event, "after": {"x": deep}}],
        },
        {"client_time": NOW.isoformat(), "mutations": [{**change, "sequence": 2**63}]},
        {"client_time": "2026-11-26T07:30:00", "mutations": [{**change, "sequence": 1}]},
        {"client_time": NOW.isoformat(), "mutations": [{**change, "sequence": 0}]},
        {"client_time": NOW.isoformat(), "mutations": [{**change, "sequence": 1, "device_id": 1}]},
    ):
        response = desk.push_raw(body)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["fields"]
    assert clinic.get(Patient, grace.id).residence == "Kibera"


def test_a_clock_centuries_off_is_still_answered_and_its_change_applied(clinic: Clinic) -> None:
    desk = clinic.device("receptionist")
    grace = patient(clinic)
    for sequence, moment in enumerate(("9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+14:00")):
        change = mutation("patients", grace.id, residence=f"Kisumu {sequence}")
        response = desk.push_raw(
            {"client_time": moment, "mutations": [{**change, "sequence": 1 + sequence}]}
        )
        assert response.status_code == 200, response.text
        assert outcomes(response.json()) == ["applied"]
        assert clinic.get(Patient, grace.id).residence == f"Kisumu {sequence}"


def test_a_replayed_payment_is_applied_once_and_a_reused_sequence_is_refused(
    clinic: Clinic,
) -> None:
    till = clinic.device("cashier")
    billed = invoice(clinic)
    paying = payment_insert(clinic, billed, 50_000, "cashier")
    first = till.push(paying)
    assert applied(first) == [1]
    again = till.push({**paying, "sequence": 1})
    assert outcomes(again) == ["applied"]
    assert again["results"][0]["version"] == first["results"][0]["version"]
    assert paid(clinic, billed.id) == 50_000

    response = till.push_raw(
        {
            "client_time": NOW.isoformat(),
            "mutations": [
                {**paying, "sequence": 1, "changes": {**paying["changes"], "amount_cents": 90_000}}
            ],
        }
    )
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "device_reused"

    # One sequence twice in a batch, the same change or another: a malformed request.
    for twice in (paying, {**paying, "changes": {**paying["changes"], "amount_cents": 90_000}}):
        retry = payment_insert(clinic, billed, 50_000, "cashier")
        response = till.push_raw(
            {
                "client_time": NOW.isoformat(),
                "mutations": [{**retry, "sequence": 2}, {**twice, "sequence": 2}],
            }
        )
        assert response.status_code == 422, response.text
    assert paid(clinic, billed.id) == 50_000
    assert count(clinic, Payment, Payment.invoice_id == billed.id) == 1


def test_a_change_recorded_by_the_server_before_its_upgrade_is_known_when_sent_again(
    clinic: Clinic,
) -> None:
    """Servers before 2026-12-07 recorded a change's digest from the json
    module's text of it. A change applied then and sent again after the
    upgrade (its answer lost) is answered as applied, once, not taken for
    another device's; another change under its number still is refused."""
    till = clinic.device("cashier")
    billed = invoice(clinic)
    paying = {**payment_insert(clinic, billed, 50_000, "cashier"), "sequence": 1}
    first = till.push(paying)
    as_before = json.dumps(Mutation.model_validate(paying).model_dump(mode="json"), sort_keys=True)
    with clinic.db.sessions.begin() as session:
        session.execute(
            update(AppliedMutation)
            .where(AppliedMutation.device_id == till.device_id, AppliedMutation.sequence == 1)
            .values(digest=hashlib.sha256(as_before.encode()).hexdigest())
        )

    again = till.push(paying)

    assert outcomes(again) == ["applied"]
    assert again["results"][0]["version"] == first["results"][0]["version"]
    assert paid(clinic, billed.id) == 50_000
    other = {**paying, "changes": {**paying["changes"], "amount_cents": 90_000}}
    response = till.push_raw({"client_time": NOW.isoformat(), "mutations": [other]})
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "device_reused"


def test_a_change_holding_a_number_past_64_bits_is_applied_once(clinic: Clinic) -> None:
    """JSON's numbers have no bound; a flag of 10**30 is stored as sent, and
    the change sent again is its retry (its digest made the json module's way)."""
    ward = clinic.device("nurse")
    seen = visit(clinic)
    taken = uuid.uuid4()
    measured = {
        **mutation("triages", taken, "insert", visit_id=str(seen.id), flags={"x": 10**30}),
        "sequence": 1,
    }

    first, again = ward.push(measured), ward.push(measured)

    assert outcomes(first) == outcomes(again) == ["applied"]
    assert again["results"][0]["version"] == first["results"][0]["version"]
    assert clinic.get(Triage, taken).flags == {"x": 10**30}
