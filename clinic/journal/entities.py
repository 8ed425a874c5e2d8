"""The one registry of synced entities and their rules.

Every synced table is here once, with what it is (the kind of data, which
says who reads and writes it: :mod:`clinic.permissions`), which branch a row
belongs to, whether only that branch's devices pull it, which fields are
another kind of data, and the rules a change must keep (write-once fields,
append-only rows, status machines, signed rows, value checks, authors).

The server's sync apply checks every pushed change against it, its pull
feed serves each device only what the device's roles may read, the models'
sync metadata (:func:`clinic.journal.service.log_central_change`) and the
desktop read it, and a test compares it with the models and migrations.
Patients, visits and everything clinical belong to the whole clinic: every
device pulls them (a patient may walk into any branch); money and claims
belong to a branch and only that branch's devices pull them (DESIGN.md,
Sync 10). Some columns never leave the server (a user's password hash).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.actor import Actor
from clinic.billing.models import Invoice, InvoiceLine, Payment, Service, ServicePrice, Shift
from clinic.billing.rules import check_invoice_visit, check_payment_branch, check_payment_values
from clinic.claims.models import Claim, ClaimBatch, ClaimItem, ClaimStatusChange
from clinic.claims.rules import (
    LOCKED_ONCE_SENT,
    SENT,
    check_batch_change,
    check_claim_change,
    check_claim_item,
    check_claim_move,
    check_move_recorded,
)
from clinic.claims.service import refresh_claim_for_invoice
from clinic.clock import clinic_today
from clinic.db import SyncColumns, column_values
from clinic.enums import ClaimStatus, PaymentMethod, Role
from clinic.errors import InvalidValue, NotAllowed, ValidationFailed
from clinic.journal.models import Conflict
from clinic.lab.catalogue import definition_of, parse_test
from clinic.lab.models import LabResult, LabTestOverride
from clinic.lab.rules import check_result_row
from clinic.org.models import Branch, Device, User
from clinic.patients.merge import merge_refusal
from clinic.patients.models import Patient
from clinic.patients.service import EDITABLE_FIELDS, clean_patient_fields
from clinic.permissions import Data, may_read, may_write
from clinic.pharmacy.models import Dispensing, ReorderLevel, StockMovement
from clinic.pharmacy.rules import (
    check_dispensing_state,
    check_dispensing_values,
    check_movement_state,
    check_movement_values,
    check_quantity,
    drug,
)
from clinic.rules.numbers import PROVISIONAL_PREFIX
from clinic.rules.vitals import VITALS, assess_vitals
from clinic.visits.models import Amendment, Diagnosis, LabRequest, Prescription, Triage, Visit
from clinic.visits.rules import check_visit_move
from clinic.visits.service import AMENDABLE_FIELDS, check_diagnosis

BranchOf = Callable[[Session, Mapping[str, Any]], uuid.UUID | None]
"""The branch of a row given its values by field name (a parent's is looked up)."""

MoveCheck = Callable[[Role, Any, Any], None]
"""Raises NotAllowed when the role may not move the field from one value to another."""

StateCheck = Callable[[Session, Mapping[str, Any], Mapping[str, Any] | None], None]
"""Raises Refused when a row as it would become (its values by field name),
given as it is (None: new), breaks a rule."""

Derive = Callable[[Session, Any, Actor], None]
"""Writes what follows from an applied row, as ``Actor``."""


class Refused(Exception):
    """A change breaks a rule; the message is the reason, in staff's words."""


def own_branch(_session: Session, values: Mapping[str, Any]) -> uuid.UUID | None:
    branch_id: uuid.UUID | None = values.get("branch_id")
    return branch_id


def via(parent: type[SyncColumns], key: str) -> BranchOf:
    """The branch of the parent row that ``key`` names."""

    def branch_of(session: Session, values: Mapping[str, Any]) -> uuid.UUID | None:
        parent_id = values.get(key)
        owner: Any = session.get(parent, parent_id) if parent_id is not None else None
        return owner.branch_id if owner is not None else None

    return branch_of


@dataclass(frozen=True)
class Lock:
    """Fields that stop changing once a row, or its parent, is signed.
    ``is_locked`` is asked of the row as it is (a new row: as sent);
    ``fields`` None locks the whole row, new rows included."""

    is_locked: Callable[[Session, Mapping[str, Any]], bool]
    reason: str
    fields: frozenset[str] | None = None


@dataclass(frozen=True)
class SyncedEntity:
    model: type[SyncColumns]
    data: Data
    """What the rows are: who reads them, and who writes their fields
    unless ``field_data`` or ``written_as`` says otherwise."""
    branch: BranchOf | None = None
    """The branch a row belongs to: changes go to the author's own branch,
    as the row is and as it would become. None: the whole clinic's."""
    pulled_by_branch: bool = False
    """Only the devices of the row's branch pull it."""
    field_data: Mapping[str, Data] = field(default_factory=dict)
    """Fields that are another kind of data (read and written as that)."""
    written_as: Mapping[str, Data] = field(default_factory=dict)
    """Fields everyone who reads the row reads, but only writers of another
    kind of data write (the visit's signature)."""
    moves: Mapping[str, MoveCheck] = field(default_factory=dict)
    """Fields that move by a state machine; its check says who moves them
    (a new row moves from the column's default)."""
    write_once: frozenset[str] = frozenset()
    """Fields that, once set, never change."""
    numbers: frozenset[str] = frozenset()
    """Leased numbers: a provisional one is replaced once, a leased one never."""
    append_only: bool = False
    """Rows are never changed nor deleted after they are written (only
    their provisional numbers are replaced)."""
    authored: frozenset[str] = frozenset()
    """Fields that name the user who wrote them: they must name the author."""
    lock: Lock | None = None
    check_values: Callable[[Mapping[str, Any]], None] | None = None
    """The clinic's value rules for what was sent; raises Refused."""
    check_state: StateCheck | None = None
    """The clinic's rules for the row as it would become, given as it is
    (None for a new row) and with what else the store holds; raises Refused."""
    on_applied: Derive | None = None
    """What the server derives from an applied change, in its transaction,
    as the author's work done through the server (an SHA payment makes the
    visit's draft claim)."""
    pushable: bool = True
    """Devices may push changes to it (else only the server writes it)."""
    server_only: frozenset[str] = frozenset()
    """Columns that never leave the server."""

    @property
    def name(self) -> str:
        table: str = self.model.__tablename__  # type: ignore[attr-defined]
        return table

    @property
    def noun(self) -> str:
        """One row, in words: ``claim batch``, ``diagnosis``, ``patient``."""
        words = self.name.replace("_", " ")
        for plural, single in (("ses", "sis"), ("ches", "ch"), ("s", "")):
            if words.endswith(plural):
                return words[: -len(plural)] + single
        return words

    @property
    def branch_of(self) -> BranchOf | None:
        """How the feed finds the branch whose devices alone pull a row;
        None when every device pulls it."""
        return self.branch if self.pulled_by_branch else None

    def data_of(self, name: str) -> Data:
        """What kind of data a field is, for reading it."""
        return self.field_data.get(name, self.data)

    def readable_by(self, roles: Iterable[Role]) -> bool:
        return any(may_read(role, self.data) for role in roles)

    def hidden_from(self, roles: Iterable[Role]) -> frozenset[str]:
        """The fields none of ``roles`` may read (sent as empty)."""
        roles = list(roles)
        return frozenset(
            name
            for name, data in self.field_data.items()
            if not any(may_read(role, data) for role in roles)
        )

    def check_writer(self, role: Role, values: Mapping[str, Any], row: Any | None) -> None:
        """Whether ``role`` may write these fields, moves included; ``row``
        is the row as it is (None for a new row, which moves from the
        columns' defaults)."""
        needed: set[Data] = set()
        for name, value in values.items():
            if name in self.moves:
                current = getattr(row, name) if row is not None else _default(self.model, name)
                try:
                    self.moves[name](role, current, value)
                except NotAllowed as refusal:
                    raise Refused(str(refusal)) from None
                continue
            needed.add(self.written_as.get(name) or self.data_of(name))
        for data in sorted(needed):
            if not may_write(role, data):
                raise Refused(f"A {role.value} may not change {data.value.replace('_', ' ')}")

    def check_change(self, session: Session, values: Mapping[str, Any], row: Any | None) -> None:
        """The rules that depend on the row as it is (None for a new row):
        tombstones, append-only rows, write-once fields, numbers, locks."""
        if row is not None:
            if row.deleted_at is not None:
                raise Refused(f"This {self.noun} was deleted; a deleted row never comes back")
            changed = {k for k, v in values.items() if getattr(row, k) != v}
            if self.append_only and changed - self.numbers:
                raise Refused(f"A {self.noun} is never changed; record a new one instead")
            for name in changed & self.write_once:
                if getattr(row, name) is not None:
                    raise Refused(f"{name} is set once and never changed")
            for name in changed & self.numbers:
                if not str(getattr(row, name) or "").startswith(PROVISIONAL_PREFIX):
                    raise Refused(f"{name}: a number once given never changes")
        if self.lock is not None:
            state = _merged(row, {}) if row is not None else values
            touched = set(values) if self.lock.fields is None else set(values) & self.lock.fields
            if touched and self.lock.is_locked(session, state):
                raise Refused(self.lock.reason)
        if self.check_state is not None:
            self.check_state(
                session, _merged(row, values), _merged(row, {}) if row is not None else None
            )

    def check_branch(
        self, session: Session, branch_id: uuid.UUID, values: Mapping[str, Any], row: Any | None
    ) -> None:
        """Changes go to ``branch_id`` only, as the row is and as it would become."""
        if self.branch is None:
            return
        states = [_merged(row, values)] + ([_merged(row, {})] if row is not None else [])
        for state in states:
            if self.branch(session, state) not in (None, branch_id):
                raise Refused("Changes go to this device's own branch only")

    def check_authored(self, author_id: uuid.UUID, values: Mapping[str, Any]) -> None:
        for name in self.authored & set(values):
            if values[name] is not None and values[name] != author_id:
                raise Refused(f"{name} must be the user who made the change")


_DEFAULTS: dict[tuple[str, str], Any] = {}
"""Each column's scalar default by table and field (the models' columns are
fixed): a push asks for it per field of every new row."""


def _default(model: type[SyncColumns], name: str) -> Any:
    key = (model.__tablename__, name)  # type: ignore[attr-defined]
    if key not in _DEFAULTS:
        default = model.__table__.columns[name].default  # type: ignore[attr-defined]
        _DEFAULTS[key] = default.arg if default is not None and default.is_scalar else None
    return _DEFAULTS[key]


def _merged(row: Any | None, values: Mapping[str, Any]) -> dict[str, Any]:
    """The row's values by field name with ``values`` laid over them."""
    if row is None:
        return dict(values)
    return {**column_values(row), **values}


def meaningful(model: type[SyncColumns], values: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a new row that say something: neither empty nor the
    column's default (a new lab request is REQUESTED whoever writes it)."""
    return {k: v for k, v in values.items() if v is not None and v != _default(model, k)}


def _patient_values(values: Mapping[str, Any]) -> None:
    fields = {k: v for k, v in values.items() if k in EDITABLE_FIELDS}
    try:
        cleaned = clean_patient_fields(fields, today=clinic_today())
    except ValidationFailed as failed:
        raise Refused("; ".join(f"{e.field}: {e.reason}" for e in failed.errors)) from None
    for name, value in cleaned.items():
        if value != fields[name]:
            raise Refused(f"{name}: {values[name]!r} is not in its checked form")


def _patient_state(
    session: Session, after: Mapping[str, Any], before: Mapping[str, Any] | None
) -> None:
    """A merged record is not edited (the edit would land where nobody looks:
    it is refused naming the kept one), and a merge keeps the merge rules."""
    kept_id = after.get("merged_into")
    if before is not None and before.get("merged_into") is not None and kept_id is not None:
        edited = sorted(n for n in EDITABLE_FIELDS if after.get(n) != before.get(n))
        if edited:
            kept = session.get(Patient, kept_id)
            into = kept.op_number if kept is not None else "another patient"
            raise Refused(
                f"This patient was merged into {into}; make the change there ({', '.join(edited)})"
            )
    if kept_id != (before or {}).get("merged_into"):
        refusal = merge_refusal(session, after, kept_id)
        if refusal is not None:
            raise Refused(refusal)


def _vital_values(values: Mapping[str, Any]) -> None:
    try:
        assess_vitals({k: v for k, v in values.items() if k in VITALS})
    except ValidationFailed as failed:
        raise Refused("; ".join(f"{e.field}: {e.reason}" for e in failed.errors)) from None


def _diagnosis_values(values: Mapping[str, Any]) -> None:
    if "code" not in values:
        return
    prefix = "ICD-11:" if values.get("code_system") == "ICD-11" else ""
    try:
        check_diagnosis(prefix + str(values["code"]))
    except InvalidValue as error:
        raise Refused(f"{error.field}: {error.reason}") from None


def _payment_values(values: Mapping[str, Any]) -> None:
    if not {"amount_cents", "method"} <= set(values):
        return
    try:
        check_payment_values(values)
    except (InvalidValue, ValueError) as error:
        raise Refused(str(error)) from None


def _dispensing_state(
    session: Session, after: Mapping[str, Any], _before: Mapping[str, Any] | None
) -> None:
    def check() -> None:
        check_dispensing_values(after)
        check_dispensing_state(session, after)

    _refusing(check)


def _movement_state(
    session: Session, after: Mapping[str, Any], _before: Mapping[str, Any] | None
) -> None:
    def check() -> None:
        check_movement_values(after)
        check_movement_state(session, after)

    _refusing(check)


def _reorder_level_state(
    session: Session, after: Mapping[str, Any], _before: Mapping[str, Any] | None
) -> None:
    def check() -> None:
        drug(session, after.get("service_id"))
        check_quantity(after.get("level"), "level", lowest=0)

    _refusing(check)


def _invoice_state(
    session: Session, after: Mapping[str, Any], _before: Mapping[str, Any] | None
) -> None:
    _refusing(lambda: check_invoice_visit(session, after))


def _payment_state(
    session: Session, after: Mapping[str, Any], _before: Mapping[str, Any] | None
) -> None:
    _refusing(lambda: check_payment_branch(session, after))


def _invoice_paid(session: Session, values: Mapping[str, Any]) -> bool:
    invoice_id = values.get("invoice_id")
    return invoice_id is not None and bool(
        session.scalar(
            select(Payment.id)
            .where(Payment.invoice_id == invoice_id, Payment.deleted_at.is_(None))
            .limit(1)
        )
    )


def _already_reversed(session: Session, values: Mapping[str, Any]) -> bool:
    original = values.get("reverses")
    return original is not None and bool(
        session.scalar(
            select(Payment.id)
            .where(Payment.reverses == original, Payment.deleted_at.is_(None))
            .limit(1)
        )
    )


def _visit_signed(session: Session, values: Mapping[str, Any]) -> bool:
    return values.get("signed_at") is not None


def _parent_visit_signed(session: Session, values: Mapping[str, Any]) -> bool:
    visit = session.get(Visit, values.get("visit_id")) if values.get("visit_id") else None
    return visit is not None and visit.signed_at is not None


def signed_with_visit(rows: str, fields: Iterable[str] | None = None) -> Lock:
    """The visit's signature locks ``rows`` written in the consultation (of
    them, ``fields``; the work that follows it, dispensing and results, goes on)."""
    return Lock(
        _parent_visit_signed,
        f"The visit is signed; its {rows} no longer change",
        None if fields is None else frozenset({"visit_id", "deleted_at", *fields}),
    )


def _claim_sent(_session: Session, values: Mapping[str, Any]) -> bool:
    return values.get("status") in SENT


def _claim_left_draft(session: Session, values: Mapping[str, Any]) -> bool:
    claim = session.get(Claim, values.get("claim_id")) if values.get("claim_id") else None
    return claim is not None and claim.status != ClaimStatus.DRAFT


def _batch_submitted(_session: Session, values: Mapping[str, Any]) -> bool:
    return values.get("submitted_at") is not None


def _refusing(check: Callable[[], None]) -> None:
    """Run a clinic rule, its refusal in staff's words."""
    try:
        check()
    except InvalidValue as error:
        raise Refused(f"{error.field}: {error.reason}") from None
    except NotAllowed as error:
        raise Refused(str(error)) from None


def _claim_state(
    session: Session, after: Mapping[str, Any], before: Mapping[str, Any] | None
) -> None:
    _refusing(lambda: check_claim_change(session, after, before, today=clinic_today()))


def _claim_item_state(
    session: Session, after: Mapping[str, Any], _before: Mapping[str, Any] | None
) -> None:
    _refusing(lambda: check_claim_item(session, after))


def _batch_state(
    session: Session, after: Mapping[str, Any], _before: Mapping[str, Any] | None
) -> None:
    _refusing(lambda: check_batch_change(session, after))


def _move_recorded(
    session: Session, after: Mapping[str, Any], _before: Mapping[str, Any] | None
) -> None:
    _refusing(lambda: check_move_recorded(session, after))


def _lab_test_values(values: Mapping[str, Any]) -> None:
    if "definition" not in values:
        return
    try:
        test = parse_test(values["definition"])
    except InvalidValue as error:
        raise Refused(f"{error.field}: {error.reason}") from None
    if "code" in values and test.code != values["code"]:
        raise Refused("code: the definition is of another test")
    if definition_of(test) != values["definition"]:
        raise Refused("definition: not in its checked form (unknown or missing parts)")


LAB_RESULT_VALUES = (
    "analyte", "value_number", "value_code", "value_text", "unit", "reference_range", "flag"
)  # fmt: skip


def _lab_result_state(
    session: Session, after: Mapping[str, Any], before: Mapping[str, Any] | None
) -> None:
    # A result replaced is deleted as it was entered, even if the catalogue
    # has changed since: only what a change sets is checked.
    if before is not None and all(after[k] == before[k] for k in LAB_RESULT_VALUES):
        return
    _refusing(lambda: check_result_row(session, after))


def _lab_request_branch(session: Session, values: Mapping[str, Any]) -> uuid.UUID | None:
    request_id = values.get("lab_request_id")
    request = session.get(LabRequest, request_id) if request_id is not None else None
    return visit_branch(session, {"visit_id": request.visit_id}) if request is not None else None


def _claim_follows_payment(session: Session, payment: Any, actor: Actor) -> None:
    if payment.method == PaymentMethod.SHA:
        refresh_claim_for_invoice(payment.invoice_id, session=session, actor=actor)


NOTES = Data.CLINICAL_NOTES
visit_branch = via(Visit, "visit_id")
ON_VISIT = frozenset({"visit_id"})
"""A visit's rows stay on it: moved into a signed visit, they would skip its lock."""

# In dependency order: a pulled page is applied in this order, so a row's
# parent is always in place before it.
SYNCED: dict[str, SyncedEntity] = {
    e.name: e
    for e in (
        SyncedEntity(Branch, Data.DIRECTORY, pushable=False),
        SyncedEntity(Device, Data.DIRECTORY, pushable=False),
        SyncedEntity(
            User, Data.DIRECTORY, pushable=False, server_only=frozenset({"password_hash"})
        ),
        SyncedEntity(Service, Data.PRICE_LIST),
        # A price is added from a date, never edited: past days keep theirs.
        SyncedEntity(ServicePrice, Data.PRICE_LIST, append_only=True),
        # The lab's catalogue is set and read as the price list is.
        SyncedEntity(
            LabTestOverride,
            Data.PRICE_LIST,
            write_once=frozenset({"code"}),
            check_values=_lab_test_values,
        ),
        SyncedEntity(
            Patient,
            Data.PATIENTS,
            field_data={"merged_into": Data.MERGES},
            numbers=frozenset({"op_number"}),
            check_values=_patient_values,
            check_state=_patient_state,
        ),
        SyncedEntity(
            Visit,
            Data.VISITS,
            branch=own_branch,
            field_data={
                **{name: NOTES for name in AMENDABLE_FIELDS},
                "clinician_id": Data.DIAGNOSES,
            },
            written_as={"signed_at": NOTES},
            moves={"status": check_visit_move},
            write_once=frozenset({"signed_at", "patient_id"}),
            authored=frozenset({"clinician_id"}),
            lock=Lock(
                _visit_signed,
                "The visit is signed; change it with an amendment",
                frozenset({*AMENDABLE_FIELDS, "clinician_id", "deleted_at"}),
            ),
        ),
        SyncedEntity(
            Triage,
            Data.VITALS,
            branch=visit_branch,
            write_once=ON_VISIT,
            check_values=_vital_values,
        ),
        SyncedEntity(
            Diagnosis,
            Data.DIAGNOSES,
            branch=visit_branch,
            write_once=ON_VISIT,
            lock=signed_with_visit("diagnoses"),
            check_values=_diagnosis_values,
        ),
        SyncedEntity(
            Prescription,
            Data.PRESCRIPTIONS,
            branch=visit_branch,
            field_data={"dispensed_at": Data.DISPENSING, "dispensed_by": Data.DISPENSING},
            authored=frozenset({"dispensed_by"}),
            write_once=ON_VISIT,
            lock=signed_with_visit(
                "prescriptions",
                ("drug", "dose", "frequency", "duration", "quantity", "instructions", "service_id"),
            ),
        ),
        SyncedEntity(
            LabRequest,
            Data.LAB_REQUESTS,
            branch=visit_branch,
            field_data={
                name: Data.LAB_RESULTS
                for name in ("status", "result", "resulted_at", "resulted_by")
            },
            authored=frozenset({"resulted_by"}),
            write_once=ON_VISIT,
            lock=signed_with_visit("lab requests", ("test_name", "service_id", "notes")),
        ),
        # Results are the lab technician's alone; the server recomputes each
        # one's unit, range and flag for the patient rather than trust them.
        SyncedEntity(
            LabResult,
            Data.LAB_RESULTS,
            branch=_lab_request_branch,
            authored=frozenset({"entered_by"}),
            write_once=frozenset({"lab_request_id", "analyte"}),
            check_state=_lab_result_state,
        ),
        SyncedEntity(
            Amendment,
            NOTES,
            branch=visit_branch,
            append_only=True,
            authored=frozenset({"amended_by"}),
        ),
        # Dispensings and stock movements are only ever added: two PCs
        # dispensing offline add up after sync and never conflict. Their
        # values are checked as the new row, once an edit is refused.
        SyncedEntity(
            Dispensing,
            Data.DISPENSING,
            branch=visit_branch,
            append_only=True,
            authored=frozenset({"dispensed_by"}),
            check_state=_dispensing_state,
        ),
        SyncedEntity(
            StockMovement,
            Data.STOCK,
            branch=own_branch,
            pulled_by_branch=True,
            append_only=True,
            authored=frozenset({"moved_by"}),
            check_state=_movement_state,
        ),
        SyncedEntity(
            ReorderLevel,
            Data.STOCK,
            branch=own_branch,
            pulled_by_branch=True,
            write_once=frozenset({"service_id", "branch_id"}),
            check_state=_reorder_level_state,
        ),
        SyncedEntity(
            Shift,
            Data.SHIFTS,
            branch=own_branch,
            pulled_by_branch=True,
            authored=frozenset({"cashier_id"}),
        ),
        SyncedEntity(
            Invoice,
            Data.INVOICES,
            branch=own_branch,
            pulled_by_branch=True,
            check_state=_invoice_state,
        ),
        SyncedEntity(
            InvoiceLine,
            Data.INVOICES,
            branch=via(Invoice, "invoice_id"),
            pulled_by_branch=True,
            lock=Lock(
                _invoice_paid, "Payments were taken on this invoice; its lines no longer change"
            ),
        ),
        SyncedEntity(
            Payment,
            Data.PAYMENTS,
            branch=own_branch,
            pulled_by_branch=True,
            append_only=True,
            numbers=frozenset({"receipt_number"}),
            authored=frozenset({"cashier_id"}),
            check_values=_payment_values,
            check_state=_payment_state,
            on_applied=_claim_follows_payment,
            # Two PCs may reverse one payment offline: the second to arrive is refused.
            lock=Lock(
                _already_reversed,
                "This payment was already reversed; a payment is reversed once",
                frozenset({"reverses"}),
            ),
        ),
        SyncedEntity(
            ClaimBatch,
            Data.CLAIMS,
            branch=own_branch,
            pulled_by_branch=True,
            write_once=frozenset({"submitted_at"}),
            lock=Lock(
                _batch_submitted,
                "The batch was submitted to SHA; it no longer changes",
                frozenset(
                    {"branch_id", "period", "period_start", "period_end", "reference", "deleted_at"}
                ),
            ),
            check_state=_batch_state,
        ),
        SyncedEntity(
            Claim,
            Data.CLAIMS,
            branch=own_branch,
            pulled_by_branch=True,
            moves={"status": check_claim_move},
            write_once=frozenset({"visit_id", "patient_id"}),
            lock=Lock(
                _claim_sent,
                "The claim was sent to SHA; what it claims no longer changes",
                LOCKED_ONCE_SENT,
            ),
            check_state=_claim_state,
        ),
        SyncedEntity(
            ClaimItem,
            Data.CLAIMS,
            branch=via(Claim, "claim_id"),
            pulled_by_branch=True,
            write_once=frozenset({"claim_id"}),
            lock=Lock(_claim_left_draft, "The claim left DRAFT; its lines no longer change"),
            check_state=_claim_item_state,
        ),
        SyncedEntity(
            ClaimStatusChange,
            Data.CLAIMS,
            branch=via(Claim, "claim_id"),
            pulled_by_branch=True,
            append_only=True,
            check_state=_move_recorded,
        ),
        # Every PC counts the conflicts; their values may be any field's,
        # clinical ones included, so only admins, who settle them, see those.
        SyncedEntity(
            Conflict,
            Data.CONFLICTS,
            field_data={"winning_value": Data.AUDIT, "losing_value": Data.AUDIT},
            authored=frozenset({"resolved_by"}),
        ),
    )
}
