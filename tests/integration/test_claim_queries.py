"""The claims list's filters and paging, and the follow-up figures (ages since
submission, outstanding, rejection reasons, paid against claimed), on the
PC's SQLite store and on the central PostgreSQL alike.

The claims are written as rows in the state the test needs (a claim
submitted on a given day, paid so much): these are read-only queries, and
the moves that put claims there have tests of their own.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from clinic.billing.models import Invoice
from clinic.claims.models import Claim, ClaimBatch, ClaimStatusChange
from clinic.claims.queries import (
    ClaimFilter,
    batches,
    claim_totals,
    claims_page,
    follow_up,
)
from clinic.clock import clinic_today
from clinic.enums import BatchPeriod, ClaimStatus, Sex
from clinic.org.models import Branch
from clinic.patients.models import Patient
from clinic.reports.base import ReportRequest
from clinic.reports.claims_ageing import claims_ageing
from clinic.store import LocalStore
from clinic.visits.models import Visit
from server.database import Database

C = ClaimStatus
AS_OF = date(2026, 11, 30)
Sessions = Callable[[], AbstractContextManager[Session]]


@pytest.fixture(params=["sqlite", "postgresql"])
def sessions(request: pytest.FixtureRequest) -> Iterator[Sessions]:
    """A writing session factory on a fresh store of either kind."""
    if request.param == "sqlite":
        store: LocalStore = request.getfixturevalue("store")
        yield store.write
    else:
        central: Database = request.getfixturevalue("central")
        yield central.sessions.begin


@dataclass
class Clinic:
    main: uuid.UUID
    west: uuid.UUID
    sessions: Sessions

    def claim(
        self,
        first: str,
        last: str,
        *,
        visit_date: date,
        status: ClaimStatus = C.DRAFT,
        claimed: int = 1_000_00,
        branch: uuid.UUID | None = None,
        op_number: str | None = None,
        sha: str = "CR1234567890123-4",
        submitted_on: date | None = None,
        approved: int | None = None,
        paid: int | None = None,
        rejections: tuple[str, ...] = (),
        batch_id: uuid.UUID | None = None,
    ) -> uuid.UUID:
        """A patient, a visit, its invoice and its claim in ``status``;
        ``rejections`` are earlier moves to REJECTED with their reasons."""
        branch_id = branch or self.main
        with self.sessions() as session:
            patient = Patient(
                op_number=op_number or f"OP-2026-{uuid.uuid4().int % 1_000_000:06d}-1",
                first_name=first,
                last_name=last,
                sex=Sex.FEMALE,
                sha_number=sha,
            )
            session.add(patient)
            session.flush()
            visit = Visit(
                patient_id=patient.id, branch_id=branch_id, visit_date=visit_date, is_new=True
            )
            session.add(visit)
            session.flush()
            invoice = Invoice(
                visit_id=visit.id,
                patient_id=patient.id,
                branch_id=branch_id,
                total_cents=claimed,
                issued_at=datetime.combine(visit_date, datetime.min.time(), UTC),
            )
            session.add(invoice)
            session.flush()
            submitted_at = (
                # 21:30 UTC is the next day in Nairobi: ages count Nairobi days
                datetime.combine(submitted_on - timedelta(days=1), datetime.min.time(), UTC)
                + timedelta(hours=21, minutes=30)
                if submitted_on
                else None
            )
            claim = Claim(
                visit_id=visit.id,
                patient_id=patient.id,
                invoice_id=invoice.id,
                branch_id=branch_id,
                batch_id=batch_id,
                sha_member_number=sha,
                status=status,
                claimed_cents=claimed,
                approved_cents=approved,
                paid_cents=paid,
                submitted_at=submitted_at,
                rejection_reason=rejections[-1] if status == C.REJECTED and rejections else None,
            )
            session.add(claim)
            session.flush()
            for reason in rejections:
                session.add(
                    ClaimStatusChange(
                        claim_id=claim.id,
                        from_status=C.SUBMITTED,
                        to_status=C.REJECTED,
                        changed_at=submitted_at or datetime.now(UTC),
                        note=reason,
                    )
                )
            return claim.id


@pytest.fixture
def clinic(sessions: Sessions) -> Clinic:
    with sessions() as session:
        main = Branch(code="NRB", name="Nairobi")
        west = Branch(code="KSM", name="Kisumu")
        session.add_all([main, west])
        session.flush()
        ids = (main.id, west.id)
    return Clinic(*ids, sessions)


def numbers(clinic: Clinic, wanted: ClaimFilter, **paging: object) -> list[str]:
    with clinic.sessions() as session:
        return [row.patient_name for row in claims_page(wanted, session=session, **paging)]  # type: ignore[arg-type]


# --- the list -------------------------------------------------------------------


def test_the_list_filters_by_status_branch_dates_and_text(clinic: Clinic) -> None:
    day = date(2026, 11, 2)
    clinic.claim("Achieng", "Otieno", visit_date=day, status=C.READY, op_number="OP-2026-000123-7")
    clinic.claim("Wanjiku", "Kamau", visit_date=day + timedelta(days=1), sha="CR9999999999999-1")
    clinic.claim("Wanjiru", "Mwangi", visit_date=day + timedelta(days=9), status=C.READY)
    clinic.claim("Otieno", "Ouma", visit_date=day, branch=clinic.west, status=C.READY)

    everything = numbers(clinic, ClaimFilter())
    assert everything[:2] == ["Wanjiru Mwangi", "Wanjiku Kamau"]  # latest visit first
    assert set(everything[2:]) == {"Otieno Ouma", "Achieng Otieno"}
    assert set(numbers(clinic, ClaimFilter(statuses=frozenset({C.READY})))) == {
        "Achieng Otieno",
        "Wanjiru Mwangi",
        "Otieno Ouma",
    }
    assert numbers(clinic, ClaimFilter(statuses=frozenset({C.READY}), branch_id=clinic.west)) == [
        "Otieno Ouma"
    ]
    in_range = ClaimFilter(visit_from=day + timedelta(days=1), visit_to=day + timedelta(days=8))
    assert numbers(clinic, in_range) == ["Wanjiku Kamau"]
    # names from the start of any name, every word; OP number without its dashes; SHA number
    assert numbers(clinic, ClaimFilter(text="wanj")) == ["Wanjiru Mwangi", "Wanjiku Kamau"]
    assert numbers(clinic, ClaimFilter(text="wanj kam")) == ["Wanjiku Kamau"]
    assert set(numbers(clinic, ClaimFilter(text="otieno"))) == {"Achieng Otieno", "Otieno Ouma"}
    assert numbers(clinic, ClaimFilter(text="000123")) == ["Achieng Otieno"]
    assert numbers(clinic, ClaimFilter(text="2026000123")) == ["Achieng Otieno"]
    assert numbers(clinic, ClaimFilter(text="cr99999")) == ["Wanjiku Kamau"]
    assert numbers(clinic, ClaimFilter(text="tie%")) == []


def test_pages_follow_one_another_without_gaps_or_repeats(clinic: Clinic) -> None:
    start = date(2026, 10, 1)
    for n in range(23):
        clinic.claim(f"Patient{n:02d}", "Test", visit_date=start + timedelta(days=n % 5))
    seen: list[str] = []
    after = None
    with clinic.sessions() as session:
        while True:
            page = claims_page(ClaimFilter(), session=session, after=after, limit=10)
            seen += [row.patient_name for row in page]
            if len(page) < 10:
                break
            after = page[-1].page_key
        visit_days = [
            row.visit_date for row in claims_page(ClaimFilter(), session=session, limit=100)
        ]
    assert sorted(seen) == sorted(f"Patient{n:02d} Test" for n in range(23))
    assert len(seen) == 23
    assert visit_days == sorted(visit_days, reverse=True)


def test_totals_count_and_sum_what_the_filter_shows(clinic: Clinic) -> None:
    day = date(2026, 11, 2)
    clinic.claim("A", "One", visit_date=day, status=C.READY, claimed=1_500_00)
    clinic.claim("B", "Two", visit_date=day, status=C.READY, claimed=2_250_50)
    clinic.claim("C", "Three", visit_date=day, status=C.DRAFT, claimed=9_000_00)

    with clinic.sessions() as session:
        ready = claim_totals(ClaimFilter(statuses=frozenset({C.READY})), session=session)
        everything = claim_totals(ClaimFilter(), session=session)

    assert (ready.count, ready.claimed_cents) == (2, 3_750_50)
    assert (everything.count, everything.claimed_cents) == (3, 12_750_50)


def test_batches_count_their_claims_and_the_unbatched_ready_claims_are_found(
    clinic: Clinic,
) -> None:
    with clinic.sessions() as session:
        batch = ClaimBatch(
            branch_id=clinic.main,
            period=BatchPeriod.WEEKLY,
            period_start=date(2026, 11, 2),
            period_end=date(2026, 11, 8),
        )
        session.add(batch)
        session.flush()
        batch_id = batch.id
    day = date(2026, 11, 3)
    clinic.claim("In", "Batch", visit_date=day, status=C.READY, batch_id=batch_id, claimed=700_00)
    clinic.claim("Also", "Batch", visit_date=day, status=C.READY, batch_id=batch_id, claimed=300_00)
    clinic.claim("Not", "Yet", visit_date=day, status=C.READY)
    clinic.claim("Other", "Branch", visit_date=day, status=C.READY, branch=clinic.west)

    with clinic.sessions() as session:
        [row] = batches(session=session, branch_id=clinic.main)
        none_elsewhere = batches(session=session, branch_id=clinic.west)
        unbatched = claims_page(
            ClaimFilter(statuses=frozenset({C.READY}), branch_id=clinic.main, unbatched=True),
            session=session,
        )
        in_batch = claims_page(ClaimFilter(batch_id=batch_id), session=session)

    assert (row.claims, row.claimed_cents, row.branch_code) == (2, 1_000_00, "NRB")
    assert none_elsewhere == []
    assert [r.patient_name for r in unbatched] == ["Not Yet"]
    assert {r.patient_name for r in in_batch} == {"In Batch", "Also Batch"}


# --- follow-up ------------------------------------------------------------------


def test_ages_since_submission_fall_in_their_buckets_with_what_is_outstanding(
    clinic: Clinic,
) -> None:
    visit = date(2026, 6, 1)
    # 0-30: submitted on the day (0) and 30 days before
    clinic.claim("A", "A", visit_date=visit, status=C.SUBMITTED, submitted_on=AS_OF, claimed=100_00)
    clinic.claim(
        "B", "B", visit_date=visit, status=C.SUBMITTED,
        submitted_on=AS_OF - timedelta(days=30), claimed=200_00,
    )  # fmt: skip
    # 31-60: the approved amount is what is outstanding
    clinic.claim(
        "C", "C", visit_date=visit, status=C.PARTIALLY_APPROVED,
        submitted_on=AS_OF - timedelta(days=31), claimed=1_000_00, approved=600_00,
    )  # fmt: skip
    # 61-90 and over 90
    clinic.claim(
        "D", "D", visit_date=visit, status=C.APPROVED,
        submitted_on=AS_OF - timedelta(days=90), claimed=400_00, approved=400_00,
    )  # fmt: skip
    clinic.claim(
        "E", "E", visit_date=visit, status=C.REJECTED,
        submitted_on=AS_OF - timedelta(days=91), claimed=800_00, rejections=("No diagnosis",),
    )  # fmt: skip
    # paid or never sent: not aged
    clinic.claim(
        "F", "F", visit_date=visit, status=C.PAID, submitted_on=AS_OF - timedelta(days=100),
        claimed=500_00, approved=500_00, paid=500_00,
    )  # fmt: skip
    clinic.claim("G", "G", visit_date=visit, status=C.READY, claimed=300_00)
    # another branch, and a visit outside the range
    clinic.claim(
        "H", "H", visit_date=visit, status=C.SUBMITTED, submitted_on=AS_OF, branch=clinic.west
    )
    clinic.claim("I", "I", visit_date=date(2026, 4, 1), status=C.SUBMITTED, submitted_on=AS_OF)

    with clinic.sessions() as session:
        figures = follow_up(date(2026, 5, 1), AS_OF, AS_OF, session=session, branch_id=clinic.main)

    ageing = {row.status: row for row in figures.ageing}
    assert ageing[C.SUBMITTED].counts == (2, 0, 0, 0)
    assert ageing[C.SUBMITTED].cents == (300_00, 0, 0, 0)
    assert ageing[C.PARTIALLY_APPROVED].cents == (0, 600_00, 0, 0)
    assert ageing[C.APPROVED].cents == (0, 0, 400_00, 0)
    assert ageing[C.REJECTED].cents == (0, 0, 0, 800_00)
    assert sum(row.outstanding_cents for row in figures.ageing) == 2_100_00
    by_status = {s.status: s for s in figures.by_status}
    assert by_status[C.READY].count == 1
    assert (by_status[C.PAID].claimed_cents, by_status[C.PAID].paid_cents) == (500_00, 500_00)
    assert sum(s.count for s in figures.by_status) == 7


def test_rejection_reasons_are_ranked_and_count_claims_since_resubmitted(clinic: Clinic) -> None:
    visit = date(2026, 11, 2)
    sent = AS_OF - timedelta(days=5)
    clinic.claim(
        "A", "A", visit_date=visit, status=C.REJECTED, submitted_on=sent,
        rejections=("Member number not found",), claimed=100_00,
    )  # fmt: skip
    clinic.claim(
        "B", "B", visit_date=visit, status=C.DRAFT, submitted_on=sent,
        rejections=("member number  NOT found", "No diagnosis"), claimed=200_00,
    )  # fmt: skip
    clinic.claim(
        "C", "C", visit_date=visit, status=C.REJECTED, submitted_on=sent,
        rejections=("Member number not found",), claimed=50_00,
    )  # fmt: skip

    with clinic.sessions() as session:
        reasons = follow_up(visit, AS_OF, AS_OF, session=session).rejection_reasons

    assert [(r.reason, r.count, r.claimed_cents) for r in reasons] == [
        ("Member number not found", 3, 350_00),
        ("No diagnosis", 1, 200_00),
    ]


def test_the_report_has_the_ageing_status_reasons_and_paid_tables_with_totals(
    clinic: Clinic,
) -> None:
    end = clinic_today() - timedelta(days=6)  # ages count to the range's end, before today
    first, second = end - timedelta(days=100), end - timedelta(days=60)  # two months
    clinic.claim(
        "A", "A", visit_date=first, status=C.PAID, submitted_on=first + timedelta(days=10),
        claimed=1_000_00, approved=800_00, paid=800_00,
    )  # fmt: skip
    clinic.claim(
        "B", "B", visit_date=second, status=C.SUBMITTED,
        submitted_on=end - timedelta(days=51), claimed=500_00,
    )  # fmt: skip
    clinic.claim("C", "C", visit_date=second, status=C.DRAFT, claimed=90_00)

    with clinic.sessions() as session:
        result = claims_ageing(ReportRequest(first, end, clinic.main), session)

    ageing, statuses, reasons, paid = result.tables
    assert result.name == "claims-ageing"
    assert [c.label for c in ageing.columns] == [
        "Status", "Claims", "0-30 days", "31-60 days", "61-90 days", "Over 90 days",
        "Outstanding",
    ]  # fmt: skip
    submitted = next(row for row in ageing.rows if row[0] == "Submitted")
    assert submitted == ["Submitted", 1, 0, 500_00, 0, 0, 500_00]  # 51 days on the last day
    assert ageing.totals == ["Total", 1, 0, 500_00, 0, 0, 500_00]
    assert statuses.totals == ["Total", 3, 1_590_00, 800_00, 800_00]
    assert reasons.rows == []
    assert paid.rows == [
        [f"{first:%b %Y}", 1, 1_000_00, 800_00, 800_00, 80.0],
        [f"{second:%b %Y}", 1, 500_00, 0, 0, 0.0],
    ]
    assert paid.totals == ["Total", 2, 1_500_00, 800_00, 800_00, 53.3]


def test_a_range_running_past_today_ages_claims_to_today(clinic: Clinic) -> None:
    today = clinic_today()
    clinic.claim(
        "A", "A", visit_date=today - timedelta(days=40), status=C.SUBMITTED,
        submitted_on=today - timedelta(days=35), claimed=700_00,
    )  # fmt: skip

    with clinic.sessions() as session:
        result = claims_ageing(
            ReportRequest(today - timedelta(days=60), today + timedelta(days=30)), session
        )

    assert result.tables[0].totals == ["Total", 1, 0, 700_00, 0, 0, 700_00]  # 35 days, not 65
