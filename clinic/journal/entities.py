"""The synced tables and who pulls their rows.

Patients, visits and everything clinical belong to the whole clinic: every
device pulls them (a patient may walk into any branch). Money and claims
belong to a branch: only that branch's devices pull them (DESIGN.md, Sync 10).
Some columns never leave the server (a user's password hash).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from clinic.billing.models import Invoice, InvoiceLine, Payment, Service, ServicePrice, Shift
from clinic.claims.models import Claim, ClaimBatch, ClaimItem, ClaimStatusChange
from clinic.db import SyncColumns
from clinic.journal.models import Conflict
from clinic.org.models import Branch, Device, User
from clinic.patients.models import Patient
from clinic.visits.models import Amendment, Diagnosis, LabRequest, Prescription, Triage, Visit

BranchOf = Callable[[Session, Any], uuid.UUID | None]


def _own_branch(_session: Session, row: Any) -> uuid.UUID | None:
    branch_id: uuid.UUID | None = row.branch_id
    return branch_id


def _via(parent: type[Invoice] | type[Claim], key: str) -> BranchOf:
    def branch_of(session: Session, row: Any) -> uuid.UUID | None:
        owner: Any = session.get(parent, getattr(row, key))
        return owner.branch_id if owner is not None else None

    return branch_of


@dataclass(frozen=True)
class SyncedEntity:
    model: type[SyncColumns]
    branch_of: BranchOf | None = None
    server_only: frozenset[str] = field(default_factory=frozenset)

    @property
    def name(self) -> str:
        table: str = self.model.__tablename__  # type: ignore[attr-defined]
        return table


# In dependency order: a pulled page is applied in this order, so a row's
# parent is always in place before it.
SYNCED: dict[str, SyncedEntity] = {
    e.name: e
    for e in (
        SyncedEntity(Branch),
        SyncedEntity(Device),
        SyncedEntity(User, server_only=frozenset({"password_hash"})),
        SyncedEntity(Service),
        SyncedEntity(ServicePrice),
        SyncedEntity(Patient),
        SyncedEntity(Visit),
        SyncedEntity(Triage),
        SyncedEntity(Diagnosis),
        SyncedEntity(Prescription),
        SyncedEntity(LabRequest),
        SyncedEntity(Amendment),
        SyncedEntity(Shift, branch_of=_own_branch),
        SyncedEntity(Invoice, branch_of=_own_branch),
        SyncedEntity(InvoiceLine, branch_of=_via(Invoice, "invoice_id")),
        SyncedEntity(Payment, branch_of=_own_branch),
        SyncedEntity(ClaimBatch, branch_of=_own_branch),
        SyncedEntity(Claim, branch_of=_own_branch),
        SyncedEntity(ClaimItem, branch_of=_via(Claim, "claim_id")),
        SyncedEntity(ClaimStatusChange, branch_of=_via(Claim, "claim_id")),
        SyncedEntity(Conflict),
    )
}
