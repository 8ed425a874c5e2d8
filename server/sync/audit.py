"""The devices' audit chains as pushed: each device's events, in order, each
hash covering the one before (DESIGN.md, Security).

A chain belongs to the device the token was issued to. An event is taken
only where it continues the chain the server holds, names a user who has
logged in online on that device (or none, for the PC's own work), and has
values the database can hold. An event the server already holds must come
again unchanged: a different one is a fork of the chain, reported, never
passed over.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import literal, select, union_all
from sqlalchemy.orm import Session

from clinic.journal.entities import Refused
from clinic.journal.models import AuditEvent
from clinic.journal.service import GENESIS_HASH, audit_payload, event_hash
from clinic.journal.wire import BadValue, decode_values
from clinic.org.models import Device
from server.sync.apply import among, copy_rows, device_user
from sync.protocol import PushedAuditEvent

TAKEN = ("id", "device_id", "device_sequence", "user_id", "action", "entity", "entity_id",
         "before", "after", "occurred_at", "prev_hash", "hash")  # fmt: skip
"""An accepted event's values as pushed (the device is the token's)."""
PUSHED = tuple(PushedAuditEvent.model_fields)
"""An event's values as pushed, read as they were validated (no copy)."""
CHECKED = ("action", "entity", "before", "after")
"""The event's values the server checks as it would a pushed row's."""


def accept_audit(
    session: Session, device: Device, pusher_id: uuid.UUID, events: list[PushedAuditEvent]
) -> tuple[int, str | None]:
    """Append the device's new audit events where they continue its chain;
    returns the last sequence held and, if the chain broke, where and why."""
    held_events, last, ids_taken = _held(session, device, events)
    held, prev_hash = last if last else (0, GENESIS_HASH)
    taken: list[dict[str, Any]] = []
    held, problem = _continue_chain(session, device, pusher_id, events, held, prev_hash,
                                    held_events, ids_taken, taken)  # fmt: skip
    copy_rows(session, AuditEvent.__table__, taken)
    return held, problem


def _held(
    session: Session, device: Device, events: list[PushedAuditEvent]
) -> tuple[dict[int, str], tuple[int, str] | None, set[uuid.UUID]]:
    """What the server holds of the pushed ``events``, read in one
    statement (a round trip each cost more than the reading): the hashes
    it holds at their places in the device's chain, the chain's last event
    (place and hash; None for none yet), and which of their ids it holds."""
    columns = (AuditEvent.device_sequence, AuditEvent.hash, AuditEvent.id)
    sequences = [e.device_sequence for e in events] or [0]
    mine = AuditEvent.device_id == device.id
    last = select(*columns).where(mine).order_by(AuditEvent.device_sequence.desc()).limit(1)
    found: list[Any] = session.execute(
        union_all(
            # The pushed span's events: a range has two bounds, where the
            # list of the pushed numbers had thousands.
            select(*columns, literal("held")).where(
                mine, AuditEvent.device_sequence.between(min(sequences), max(sequences))
            ),
            select(*last.subquery().c, literal("last")),
            select(*columns, literal("id")).where(among(AuditEvent.id, (e.id for e in events))),
        )
    ).all()  # type: ignore[assignment]
    held = {sequence: hash_ for sequence, hash_, _id, kind in found if kind == "held"}
    chain_end = next(((s, h) for s, h, _id, kind in found if kind == "last"), None)
    ids = {id_ for _sequence, _hash, id_, kind in found if kind == "id"}
    return held, chain_end, ids


def _continue_chain(session: Session, device: Device, pusher_id: uuid.UUID,
                    events: list[PushedAuditEvent], held: int, prev_hash: str,
                    held_events: dict[int, str], ids_taken: set[uuid.UUID],
                    taken: list[dict[str, Any]]) -> tuple[int, str | None]:  # fmt: skip
    """The events that continue the chain, in order, each checked, into
    ``taken`` (written together by the caller, in one statement)."""
    table: Any = AuditEvent.__table__
    for pushed in sorted(events, key=lambda e: e.device_sequence):
        where = f"The audit chain breaks at event {pushed.device_sequence}"
        event = {name: getattr(pushed, name) for name in PUSHED} | {"device_id": device.id}
        # Its hash must cover what it says: a held hash on other contents is a fork too.
        hash_holds = pushed.hash == event_hash(pushed.prev_hash, audit_payload(event))
        if pushed.device_sequence <= held:
            if held_events.get(pushed.device_sequence) != pushed.hash or not hash_holds:
                return held, f"{where}: the server holds another event there"
            continue
        if pushed.device_sequence != held + 1 or pushed.prev_hash != prev_hash or not hash_holds:
            return held, where
        if pushed.id in ids_taken:
            return held, f"{where}: the server holds another event with its id"
        try:
            decode_values(table, {name: getattr(pushed, name) for name in CHECKED})
            if pushed.user_id not in (None, pusher_id):
                device_user(session, device, pushed.user_id)
        except (BadValue, Refused) as error:
            return held, f"{where}: {error}"
        taken.append(
            {
                **{name: event[name] for name in TAKEN},
                "created_by": pushed.user_id,
                "version": 1,
            }
        )
        ids_taken.add(pushed.id)
        held, prev_hash = pushed.device_sequence, pushed.hash
    return held, None
