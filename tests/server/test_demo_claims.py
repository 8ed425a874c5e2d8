"""The demo clinic's claims: seed-demo leaves the claims screens something
real in every status, with what SHA would reject drafts for, a submitted
batch, SHA's answers with reasons and payments, dated as they happened;
and a second run adds nothing."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from clinic.claims.completeness import missing
from clinic.claims.document import load_claim_document
from clinic.claims.models import Claim, ClaimBatch, ClaimStatusChange
from clinic.clock import clinic_today
from clinic.enums import ClaimStatus, Role
from clinic.org.models import User
from server.database import Database
from server.demo import seed_demo

pytestmark = pytest.mark.postgres

S = ClaimStatus


def test_the_demo_has_claims_in_every_status_dated_as_they_happened(central: Database) -> None:
    seed_demo(central)
    today = clinic_today()
    with central.sessions() as session:
        claims = session.scalars(select(Claim)).all()
        assert 60 <= len(claims) <= 90
        statuses = Counter(c.status for c in claims)
        assert set(statuses) == set(S)
        codes = Counter(
            m.code
            for c in claims
            if c.status == S.DRAFT
            for m in missing(load_claim_document(c.id, session=session), today=today)
        )
        assert {"too_late", "no_diagnosis"} <= set(codes)
        facility = load_claim_document(claims[0].id, session=session).facility
        assert facility.kmhfl_code and facility.sha_facility_id, "SHA knows the demo's facilities"
        rejected = [c for c in claims if c.status == S.REJECTED]
        assert all(c.rejection_reason for c in rejected)
        paid = [c for c in claims if c.status == S.PAID]
        assert all(c.paid_on and c.payment_reference and c.paid_cents for c in paid)
        assert all(c.paid_on <= today for c in paid)  # type: ignore[operator]
        batches = session.scalars(select(ClaimBatch)).all()
        assert batches and all(b.submitted_at is not None for b in batches)
        moments = session.scalars(select(ClaimStatusChange.changed_at)).all()
        assert min(moments).date() < today - timedelta(days=30)
        assert session.scalar(select(User.role).where(User.username == "claims")) == (
            Role.CLAIMS_MANAGER
        )
        counted = session.scalar(select(func.count()).select_from(ClaimStatusChange))
    seed_demo(central)
    with central.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ClaimStatusChange)) == counted
