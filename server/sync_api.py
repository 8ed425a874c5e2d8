"""``/api/sync``: push, pull (with long-poll), number leases, re-enrolment.

Push applies each mutation exactly once: the device's sequence number and a
digest of the mutation are recorded in the same transaction as its effect.
Pull follows the change feed by a ``(xid, id)`` cursor that cannot skip a
change committed out of order (see ``ChangeLogEntry``).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from clinic.clock import clinic_today
from clinic.db import SYNC_COLUMN_NAMES, utcnow
from clinic.enums import ChangeOperation, ClaimStatus, Role, VisitStatus
from clinic.journal.entities import SYNCED
from clinic.journal.models import AppliedMutation, AuditEvent, ChangeLogEntry, Conflict
from clinic.journal.service import (
    GENESIS_HASH,
    audit_payload,
    event_hash,
    log_central_change,
    to_jsonable,
)
from clinic.journal.wire import BadValue, decode_values
from clinic.numbering.service import BLOCK_SIZE
from clinic.org.models import Device, User
from clinic.visits.models import Visit
from server.database import add_central
from server.deps import AppSettings, Caller, CurrentUser, DbSession
from server.errors import ApiError
from server.notifier import ChangeNotifier
from server.numbers import lease_block
from server.routes.auth import issue_tokens
from server.schemas import TokensOut
from server.sync_feed import read_page, shape, wire_row
from server.sync_rules import (
    PUSHABLE,
    Refused,
    check_claim_move,
    check_role,
    check_signed_diagnosis,
    check_update,
    check_values,
    check_visit_move,
)
from sync.protocol import (
    OLDEST_PROTOCOL_VERSION,
    PROTOCOL_VERSION,
    ConflictNote,
    EnrollRequest,
    LeaseRequest,
    LeaseResponse,
    Mutation,
    MutationResult,
    Outcome,
    ProtocolError,
    PullRequest,
    PullResponse,
    PushedAuditEvent,
    PushRequest,
    PushResponse,
    Versioned,
    decode_cursor,
)

ERRORS: dict[int | str, dict[str, Any]] = {401: {}, 403: {}, 409: {}, 422: {}, 426: {}}
MANAGED_COLUMNS = SYNC_COLUMN_NAMES - {"deleted_at"}


def check_protocol(body: Versioned) -> None:
    if body.protocol < OLDEST_PROTOCOL_VERSION:
        raise ApiError(
            426,
            ProtocolError.UPDATE_REQUIRED,
            "This Seth Clinic app is too old for the clinic server; update the app",
        )
    if body.protocol > PROTOCOL_VERSION:
        raise ApiError(
            426,
            ProtocolError.UPDATE_REQUIRED,
            "The clinic server is older than this app; ask the admin to update the server",
        )


router = APIRouter(prefix="/api/sync", tags=["sync"])


def _device_lock(session: Session, device_id: uuid.UUID) -> None:
    key = int.from_bytes(device_id.bytes[8:], "big", signed=True)
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def mutation_digest(mutation: Mutation) -> str:
    payload = mutation.model_dump(mode="json")
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _author(session: Session, caller: Caller, mutation: Mutation) -> User:
    if mutation.user_id is None or mutation.user_id == caller.user.id:
        return caller.user
    author = session.get(User, mutation.user_id)
    if author is None:
        raise Refused("The user who made this change is unknown to the server")
    return author


def _own_branch(author: User, device: Device, values: dict[str, Any], row: Any) -> None:
    if author.role == Role.ADMIN and author.branch_id is None:
        return
    branch_id = values.get("branch_id", getattr(row, "branch_id", None) if row else None)
    if branch_id is not None and branch_id != device.branch_id:
        raise Refused("Changes go to this device's own branch only")


def _other_devices_fields(
    session: Session, entity: str, row_id: uuid.UUID, since: int, device_id: uuid.UUID
) -> set[str]:
    entries = session.scalars(
        select(ChangeLogEntry.fields).where(
            ChangeLogEntry.entity == entity,
            ChangeLogEntry.row_id == row_id,
            ChangeLogEntry.version > since,
            or_(ChangeLogEntry.device_id.is_(None), ChangeLogEntry.device_id != device_id),
        )
    )
    return {name for fields in entries for name in fields}


def _apply(session: Session, caller: Caller, mutation: Mutation) -> MutationResult:
    entity = mutation.entity
    if entity not in PUSHABLE:
        raise Refused(f"{entity} cannot be changed from a device")
    model = SYNCED[entity].model
    table = model.__table__  # type: ignore[attr-defined]
    author = _author(session, caller, mutation)
    changes = {k: v for k, v in mutation.changes.items() if k not in MANAGED_COLUMNS}
    try:
        values = decode_values(table, changes)
    except BadValue as error:
        raise Refused(str(error)) from None
    inserting = mutation.operation == ChangeOperation.INSERT
    check_role(entity, author.role, set(values), inserting=inserting)
    check_values(entity, values)
    device = caller.device
    conflicts: list[ConflictNote] = []
    if inserting:
        if session.get(model, mutation.row_id) is not None:
            raise Refused(f"A {entity[:-1]} with this id already exists")
        _own_branch(author, device, values, None)
        row: Any = model(**values)
        row.id = mutation.row_id
        row.device_id = device.id
        row.created_by = author.id
        if "created_at" in mutation.changes:
            row.created_at = decode_values(table, {"created_at": mutation.changes["created_at"]})[
                "created_at"
            ]
        session.add(row)
    else:
        row = session.get(model, mutation.row_id, with_for_update=True)
        if row is None:
            raise Refused(f"No such {entity[:-1]} on the server")
        check_update(entity, row, values)
        _own_branch(author, device, values, row)
        if entity == "visits" and "status" in values:
            check_visit_move(author.role, row.status, VisitStatus(values["status"]))
        if entity == "claims" and "status" in values:
            check_claim_move(row.status, ClaimStatus(values["status"]))
        changed_elsewhere = _other_devices_fields(
            session, entity, row.id, mutation.base_version, device.id
        )
        for name, value in values.items():
            current = getattr(row, name)
            if name in changed_elsewhere and current != value:
                conflicts.append(
                    ConflictNote(
                        field=name,
                        winning_value=to_jsonable(value),
                        losing_value=to_jsonable(current),
                    )
                )
            setattr(row, name, value)
    if entity == "diagnoses":
        check_signed_diagnosis(session.get(Visit, row.visit_id))
    try:
        session.flush()
    except IntegrityError as error:
        raise Refused(f"The change does not fit the server's data: {error.orig}") from None
    version = log_central_change(session, row, list(values), device_id=device.id, user_id=author.id)
    for note in conflicts:
        conflict = Conflict(
            entity=entity,
            row_id=row.id,
            field=note.field,
            winning_value=note.winning_value,
            losing_value=note.losing_value,
            winning_device_id=device.id,
            device_id=device.id,
        )
        session.add(conflict)
        session.flush()
        log_central_change(
            session, conflict, ["entity", "row_id", "field"], device_id=device.id, user_id=None
        )
    return MutationResult(
        sequence=mutation.sequence, outcome=Outcome.APPLIED, version=version, conflicts=conflicts
    )


def _push_mutation(session: Session, caller: Caller, mutation: Mutation) -> MutationResult:
    savepoint = session.begin_nested()
    try:
        result = _apply(session, caller, mutation)
        savepoint.commit()
    except Refused as refusal:
        savepoint.rollback()
        result = MutationResult(
            sequence=mutation.sequence,
            outcome=Outcome.REFUSED,
            reason=str(refusal),
            row=wire_row(session, mutation.entity, mutation.row_id),
        )
    session.add(
        AppliedMutation(
            device_id=caller.device.id,
            sequence=mutation.sequence,
            digest=mutation_digest(mutation),
            outcome=result.model_dump(mode="json"),
        )
    )
    return result


def _accept_audit(
    session: Session, device_id: uuid.UUID, events: list[PushedAuditEvent]
) -> tuple[int, str | None]:
    """Append the device's new audit events if they continue its chain;
    returns the last sequence held and, if the chain broke, where and why."""
    last = session.execute(
        select(AuditEvent.device_sequence, AuditEvent.hash)
        .where(AuditEvent.device_id == device_id)
        .order_by(AuditEvent.device_sequence.desc())
        .limit(1)
    ).first()
    held, prev_hash = (last[0], last[1]) if last else (0, GENESIS_HASH)
    for pushed in sorted(events, key=lambda e: e.device_sequence):
        if pushed.device_sequence <= held:
            continue
        event = AuditEvent(device_id=device_id, **pushed.model_dump(exclude={"hash"}))
        event.hash = pushed.hash
        if (
            pushed.device_sequence != held + 1
            or pushed.prev_hash != prev_hash
            or pushed.hash != event_hash(prev_hash, audit_payload(event))
        ):
            return held, f"The audit chain breaks at event {pushed.device_sequence}"
        event.created_by = pushed.user_id
        event.version = 1
        session.add(event)
        held, prev_hash = pushed.device_sequence, pushed.hash
    return held, None


@router.post("/push", response_model=PushResponse, responses=ERRORS)
def push(body: PushRequest, caller: CurrentUser, session: DbSession) -> PushResponse:
    """Apply a device's queued changes, each exactly once, in order; a change
    the server refuses comes back with its reason and does not stop the rest."""
    check_protocol(body)
    device = caller.device
    _device_lock(session, device.id)
    sequences = [m.sequence for m in body.mutations]
    seen = {
        a.sequence: a
        for a in session.scalars(
            select(AppliedMutation).where(
                AppliedMutation.device_id == device.id, AppliedMutation.sequence.in_(sequences)
            )
        )
    }
    results = []
    for mutation in body.mutations:
        earlier = seen.get(mutation.sequence)
        if earlier is not None:
            if earlier.digest != mutation_digest(mutation):
                session.rollback()
                raise ApiError(
                    409,
                    ProtocolError.DEVICE_REUSED,
                    "This device's data folder was restored or copied: change "
                    f"{mutation.sequence} differs from the one the server applied. "
                    "Enrol it as a new device (POST /api/sync/enroll).",
                )
            # A retry: the PC missed the first answer and may have pulled the
            # row since, keeping its own values for the fields still waiting;
            # the row as it is now lets it go back to the server's.
            replay = MutationResult.model_validate(earlier.outcome)
            replay.row = wire_row(session, mutation.entity, mutation.row_id)
            results.append(replay)
            continue
        results.append(_push_mutation(session, caller, mutation))
    held, problem = _accept_audit(session, device.id, body.audit_events)
    now = utcnow()
    skew = (body.client_time - now).total_seconds()
    device.clock_skew_seconds = round(skew)
    device.last_seen_at = now
    session.commit()
    return PushResponse(
        results=results,
        audit_accepted_through=held,
        audit_problem=problem,
        server_time=now,
        clock_skew_seconds=skew,
    )


@router.post("/pull", response_model=PullResponse, responses=ERRORS)
def pull(body: PullRequest, request: Request, caller: CurrentUser, session: DbSession) -> Response:
    """The changes after ``cursor`` in the device's scope, as whole rows
    grouped by table, tables in dependency order. With ``wait_seconds`` the
    answer waits (up to 25 s) for a change when there is none yet."""
    check_protocol(body)
    try:
        cursor = decode_cursor(body.cursor)
    except ValueError:
        raise ApiError(
            422,
            "invalid",
            "Some values are not valid",
            [{"field": "cursor", "reason": "Not a cursor this server gave"}],
        ) from None
    notifier: ChangeNotifier | None = request.app.state.notifier
    deadline_wait = body.wait_seconds
    while True:
        seen = notifier.generation if notifier else 0
        page = read_page(session, cursor, caller.device.branch_id, body.limit)
        session.rollback()
        if page is not None or deadline_wait <= 0 or notifier is None:
            break
        started = utcnow()
        notifier.wait(seen, min(deadline_wait, 1.0))
        deadline_wait -= (utcnow() - started).total_seconds()
    tables = page.body() if page else "[]"
    next_cursor = json.dumps(page.cursor if page else body.cursor)
    more = json.dumps(page.more if page else False)
    server_time = json.dumps(utcnow().isoformat())
    if body.protocol < PROTOCOL_VERSION:
        return _protocol_1_pull(tables, next_cursor, more, server_time)
    next_end = json.dumps(page.next_end if page else None)
    # Built as text: the rows are JSON already, and validating them again
    # would cost more than the rest of the pull.
    return Response(
        f'{{"tables":{tables},"cursor":{next_cursor},"more":{more},"next_end":{next_end},'
        f'"server_time":{server_time}}}',
        media_type="application/json",
    )


def _protocol_1_pull(tables: str, cursor: str, more: str, server_time: str) -> Response:
    """A pull answer as protocol 1 has it: an object per row, times in ISO
    8601 with their zone, JSON values as JSON."""
    rows = []
    for table in json.loads(tables):
        entity_shape = shape(table["entity"])
        for values in table["rows"]:
            row = dict(zip(table["columns"], values, strict=True))
            for name in entity_shape.times:
                if row[name] is not None:
                    row[name] = f"{row[name]}+00:00"
            for name in entity_shape.json_columns:
                row[name] = json.loads(row[name])
            rows.append({"entity": table["entity"], "row": row})
    return Response(
        f'{{"rows":{json.dumps(rows)},"cursor":{cursor},"more":{more},"server_time":{server_time}}}',
        media_type="application/json",
    )


@router.post("/lease", response_model=LeaseResponse, responses=ERRORS)
def lease(body: LeaseRequest, caller: CurrentUser, session: DbSession) -> LeaseResponse:
    """``blocks`` new blocks of numbers of ``kind`` for this device, as one run."""
    check_protocol(body)
    block = lease_block(
        session, caller.device.id, body.kind, clinic_today().year, body.blocks * BLOCK_SIZE
    )
    session.commit()
    return LeaseResponse(kind=body.kind, year=block.year, first=block.first, last=block.last)


@router.post("/enroll", response_model=TokensOut, responses=ERRORS)
def enroll(
    body: EnrollRequest, caller: CurrentUser, session: DbSession, settings: AppSettings
) -> TokensOut:
    """Enrol a restored or copied data folder as a new device of the same
    branch, for the same user; its queued changes are then pushed afresh."""
    check_protocol(body)
    if session.get(Device, body.new_device_id) is not None:
        raise ApiError(409, "exists", "That device id is taken; make another")
    device = Device(
        id=body.new_device_id,
        name=body.device_name or f"{caller.device.name} (re-enrolled)",
        branch_id=caller.device.branch_id,
        roles=list(caller.device.roles),
        enrolled_at=utcnow(),
        created_by=caller.user.id,
    )
    add_central(session, device, caller.user.id)
    return issue_tokens(session, settings, caller.user, device)
