"""``/api/sync``: push, pull (with long-poll), number leases, re-enrolment.

Push applies each mutation exactly once: the device's sequence number and a
digest of the mutation are recorded in the same transaction as its effect
(:mod:`server.sync.apply`). Pull follows the change feed by a cursor that
cannot skip a change committed out of order, in the device's scope
(:mod:`server.sync.feed`); pulling clinical data is itself audited.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from clinic.clock import clinic_today
from clinic.db import utcnow
from clinic.journal.models import AppliedMutation
from clinic.journal.service import record_audit
from clinic.numbering.service import BLOCK_SIZE
from clinic.org.models import Device, User
from server.callers import KnownCaller, KnownCallers, refusal
from server.database import SERVER_DEVICE_ID, Database, add_central
from server.deps import ONE_TIME_PASSWORD, AppSettings, CurrentUser, DbSession, SyncCaller
from server.errors import ApiError, forbidden
from server.notifier import ChangeNotifier
from server.numbers import lease_block
from server.routes.auth import issue_tokens
from server.schemas import TokensOut
from server.sync.apply import among, push_batch
from server.sync.audit import accept_audit
from server.sync.feed import Page, Scope, decode_cursor, read_page, shape
from server.sync.shared import AnswerSpacing, SharedPage, SharedPages
from sync.protocol import (
    OLDEST_PROTOCOL_VERSION,
    PROTOCOL_VERSION,
    EnrollRequest,
    LeaseRequest,
    LeaseResponse,
    ProtocolError,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
    Versioned,
)

MAX_SKEW_SECONDS = 2**31 - 1  # PostgreSQL's integer
ERRORS: dict[int | str, dict[str, Any]] = {401: {}, 403: {}, 409: {}, 422: {}, 426: {}}


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


@router.post("/push", response_model=PushResponse, responses=ERRORS)
async def push(body: PushRequest, request: Request, caller: SyncCaller) -> PushResponse:
    """Apply a device's queued changes, each exactly once, in order; a change
    the server refuses comes back with its reason and does not stop the rest.

    The caller is one the process knows (``server.callers``, as a pull's),
    and the whole push, from the device's lock to the commit, is one call on
    one worker thread (a PC waits for its push before anything else)."""
    check_protocol(body)
    database: Database = request.app.state.database
    answer = await run_in_threadpool(_push, database, caller, body)
    if body.app_version is not None and body.app_version != caller.app_version:
        callers: KnownCallers = request.app.state.callers
        callers.note_app_version(caller, body.app_version)
    return answer


def _push(database: Database, caller: KnownCaller, body: PushRequest) -> PushResponse:
    """The push of ``caller``'s device in one transaction. Its user and
    device are read again under the device's lock and checked as
    authentication checks them: a device revoked or a user deactivated
    while the request came is refused here, and the change is checked
    against the user's role and the device's branch as they are now."""
    with database.sessions() as session:
        _device_lock(session, caller.device_id)
        pair = session.execute(
            select(User, Device)
            .join_from(User, Device, Device.id == caller.device_id)
            .where(User.id == caller.user_id)
        ).one_or_none()
        user, device = pair if pair is not None else (None, None)
        refused = refusal(user, device)
        if refused is not None:
            raise refused
        assert user is not None and device is not None
        if user.must_change_password:
            raise forbidden(ONE_TIME_PASSWORD)
        scope = Scope.of(device.branch_id, device.roles)
        sequences = [m.sequence for m in body.mutations]
        seen = {
            a.sequence: a
            for a in session.scalars(
                select(AppliedMutation).where(
                    AppliedMutation.device_id == device.id,
                    among(AppliedMutation.sequence, sequences),
                )
            )
        }
        for mutation in body.mutations:
            earlier = seen.get(mutation.sequence)
            if earlier is not None and not mutation.digested_as(earlier.digest):
                raise ApiError(
                    409,
                    ProtocolError.DEVICE_REUSED,
                    "This device's data folder was restored or copied: change "
                    f"{mutation.sequence} differs from the one the server applied. "
                    "Enrol it as a new device (POST /api/sync/enroll).",
                )
        results = push_batch(session, user, device, scope, body.mutations, seen)
        held, problem = accept_audit(session, device, user.id, body.audit_events)
        now = utcnow()
        skew = (body.client_time - now).total_seconds()
        # Kept within its column: a clock decades off (a dead CMOS battery) still syncs.
        device.clock_skew_seconds = max(-MAX_SKEW_SECONDS, min(MAX_SKEW_SECONDS, round(skew)))
        device.last_seen_at = now
        # What the PC reports for the admin's device list (not fed to other
        # PCs: every push would wake every device of the clinic).
        device.app_version = body.app_version or device.app_version
        if body.pending is not None:
            device.pending_changes = body.pending
        session.commit()
    return PushResponse(
        results=results,
        audit_accepted_through=held,
        audit_problem=problem,
        server_time=now,
        clock_skew_seconds=skew,
    )


@router.post("/pull", response_model=PullResponse, responses=ERRORS)
async def pull(body: PullRequest, request: Request, caller: SyncCaller) -> Response:
    """The changes after ``cursor`` in the device's scope, as whole rows
    grouped by table, tables in dependency order. With ``wait_seconds`` the
    answer waits (up to 25 s) for a change when there is none yet: the wait
    is a future on the event loop (``server.notifier``), woken by a change
    of the device's branch or of the whole clinic. The caller is one the
    process knows (``server.callers``), and devices at the same cursor and
    scope share one read and its JSON (``server.sync.shared``): a pull takes
    a worker thread only for a page nobody has read yet, a caller not known,
    a new app version or a clinical page's audit. A busy process spaces its
    answers to one device (``AnswerSpacing``): fewer, fuller pages."""
    check_protocol(body)
    scope = Scope.of(caller.device_branch_id, caller.device_roles)
    database: Database = request.app.state.database
    if body.app_version is not None and body.app_version != caller.app_version:
        await run_in_threadpool(_note_app_version, database, caller.device_id, body.app_version)
        callers: KnownCallers = request.app.state.callers
        callers.note_app_version(caller, body.app_version)
    try:
        cursor = decode_cursor(scope, body.cursor)
    except ValueError:
        raise ApiError(
            422,
            "invalid",
            "Some values are not valid",
            [{"field": "cursor", "reason": "Not a cursor this server gave"}],
        ) from None
    notifier: ChangeNotifier | None = request.app.state.notifier
    pages: SharedPages = request.app.state.shared_pages

    async def read() -> SharedPage | None:
        return SharedPage.of(
            await run_in_threadpool(_read_page_alone, database, scope, cursor, body.limit)
        )

    spacing: AnswerSpacing = request.app.state.answer_spacing
    wait_until = time.monotonic() + body.wait_seconds
    if notifier is not None and body.wait_seconds > 0:
        await spacing.hold(caller.device_id, body.wait_seconds)
    while True:
        if notifier is None:
            shared = await read()
            break
        seen = notifier.generation(scope.branch_id)
        shared = await pages.get((scope, cursor, body.limit), seen, read)
        left = wait_until - time.monotonic()
        if shared is not None or left <= 0 or notifier.ending:
            break
        await notifier.wait(scope.branch_id, seen, left)
    page = shared.page if shared else None
    if page is not None and not page.more:
        spacing.answered(caller.device_id)
    if page is not None and any(scope.clinical(name) for name in page.counts):
        # Only then a worker thread: a page of patients is sent at once.
        await run_in_threadpool(_audit_clinical_pull, database, caller, scope, page)
    tables = shared.body if shared else "[]"
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


def _note_app_version(database: Database, device_id: uuid.UUID, app_version: str) -> None:
    with database.sessions() as session:
        device = session.get(Device, device_id)
        if device is not None:
            device.app_version = app_version
            session.commit()


def _read_page_alone(
    database: Database, scope: Scope, cursor: tuple[int, int], limit: int
) -> Page | None:
    """One read of the change feed on a session of its own: the devices
    sharing it (``server.sync.shared``) may hang up, the read goes on."""
    with database.sessions() as session:
        return read_page(session, scope, cursor, limit)


def _audit_clinical_pull(database: Database, caller: KnownCaller, scope: Scope, page: Page) -> None:
    """Pulling clinical data to a device is an audit event: how many
    changes of which clinical tables went to which device (DESIGN.md,
    Security). For a page with clinical changes (the caller looks, on the
    event loop)."""
    pulled = {name: n for name, n in page.counts.items() if scope.clinical(name)}
    with database.sessions() as session:
        record_audit(
            session,
            caller.actor(),
            action="pull_clinical_data",
            entity="devices",
            entity_id=caller.device_id,
            after={"rows": pulled, "cursor": page.cursor},
        )
        session.commit()


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
    if (
        body.new_device_id == SERVER_DEVICE_ID
        or session.get(Device, body.new_device_id) is not None
    ):
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
