"""The wire protocol between a clinic PC and the central server.

Shared by both sides; every request states ``protocol`` (this module's
:data:`PROTOCOL_VERSION`) and ``schema`` (the PC's local migration head), and
may state ``app_version`` (the PC's program, which the admin sees; a push
also its ``pending`` changes still to push after it). The
server serves the current and the previous protocol version and answers an
older one with 426 and an "update the app" message.

Push: a batch of mutations from the PC's outbox, each with the device's
sequence number (applied exactly once), the row, the operation, the changed
fields and the server version they were based on; plus the device's new
audit events (a hash chain the server checks). Pull: the changes after a
cursor, a page at a time, each changed row in its whole current state,
grouped by table as arrays in the table's column order, each value in the
form the PC's SQLite store keeps it: ids as 32 hex digits, times in UTC as
``2026-11-26 07:30:00.000000``, dates ISO, JSON values as their JSON text,
true and false for flags. Protocol 1 sent each row as an object of its own,
times in ISO 8601 with their zone; the server still answers a protocol-1
pull that way.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

import orjson
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from clinic.enums import ChangeOperation
from clinic.rules.numbers import NumberKind

PROTOCOL_VERSION = 2
OLDEST_PROTOCOL_VERSION = PROTOCOL_VERSION - 1
MAX_PUSH_MUTATIONS = 500
MAX_PULL_PAGE = 10000
MAX_LEASE_BLOCKS = 50
"""Blocks one lease request may ask for (a PC needing more asks again)."""
LONG_POLL_SECONDS = 25.0
BIGGEST_SEQUENCE = 2**63 - 1  # PostgreSQL's bigint
BIGGEST_VERSION = 2**31 - 1  # PostgreSQL's integer


MAX_VALUE_DEPTH = 16
"""How deep a pushed value may nest: JSON columns hold small records, and a
value nested hundreds deep would exhaust the recursion of whatever reads it."""
_CONTAINERS = (dict, list)
"""What a JSON value nests in (a tuple: ``isinstance`` takes it faster than ``dict | list``)."""


def _shallow(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """``value`` if it nests at most :data:`MAX_VALUE_DEPTH` deep (walked
    without recursion, container by container); raises ValueError otherwise.
    Every pushed row's values pass here: a plain loop, no generator."""
    stack: list[tuple[dict[str, Any] | list[Any], int]] = [] if value is None else [(value, 0)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if not children:
            continue
        if depth >= MAX_VALUE_DEPTH:
            raise ValueError(f"nested deeper than {MAX_VALUE_DEPTH} levels")
        for child in children:
            if isinstance(child, _CONTAINERS):
                stack.append((child, depth + 1))
    return value


Values = Annotated[dict[str, Any], AfterValidator(_shallow)]
"""Values by field name, as pushed."""


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid")


APP_VERSION_PATTERN = r"^[0-9A-Za-z.+_-]{1,40}$"


class Versioned(Message):
    protocol: int
    schema_version: str = Field(alias="schema", max_length=64)
    app_version: str | None = Field(default=None, pattern=APP_VERSION_PATTERN)
    """The PC's program version, kept on its device row for the admin."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Mutation(Message):
    sequence: int = Field(ge=1, le=BIGGEST_SEQUENCE)
    entity: str = Field(max_length=40)
    row_id: uuid.UUID
    operation: ChangeOperation
    changes: Values
    base_version: int = Field(ge=0, le=BIGGEST_VERSION)
    user_id: uuid.UUID | None = None

    def digest(self) -> str:
        """What tells this change sent again (its answer lost) from another
        one under its sequence number; the server records it as it applies
        the change. A hash of the fields, values with their keys sorted, as
        orjson writes them (a seventh of the json module's time, which was
        a tenth of a push's); one orjson cannot write (an integer past 64
        bits) is hashed as servers before wrote it (:meth:`_digest_before`)."""
        try:
            text = orjson.dumps(self.__dict__, option=orjson.OPT_SORT_KEYS)
        except TypeError:
            return self._digest_before()
        return hashlib.sha256(text).hexdigest()

    def _digest_before(self) -> str:
        """The digest as servers before 2026-12-07 recorded it: the json
        module's text of the whole mutation."""
        payload = self.model_dump(mode="json")
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    def digested_as(self, digest: str) -> bool:
        """Whether ``digest``, recorded as a change under this sequence
        number was applied, is this change's, as made now or before (a
        change applied before an upgrade may come again after it)."""
        return digest == self.digest() or digest == self._digest_before()


class PushedAuditEvent(Message):
    id: uuid.UUID
    device_sequence: int = Field(ge=1, le=BIGGEST_VERSION)
    user_id: uuid.UUID | None
    action: str = Field(max_length=40)
    entity: str = Field(max_length=40)
    entity_id: uuid.UUID | None
    before: Values | None
    after: Values | None
    occurred_at: AwareDatetime
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class PushRequest(Versioned):
    client_time: AwareDatetime
    pending: int | None = Field(default=None, ge=0, le=BIGGEST_VERSION)
    """The changes the PC still has to push after these (the admin sees it)."""
    mutations: list[Mutation] = Field(max_length=MAX_PUSH_MUTATIONS)
    audit_events: list[PushedAuditEvent] = Field(default=[], max_length=MAX_PUSH_MUTATIONS)

    @field_validator("mutations")
    @classmethod
    def _each_sequence_once(cls, mutations: list[Mutation]) -> list[Mutation]:
        if len({m.sequence for m in mutations}) != len(mutations):
            raise ValueError("each change's sequence number comes once in a push")
        return mutations


class Outcome(StrEnum):
    APPLIED = "applied"
    REFUSED = "refused"


class ConflictNote(Message):
    field: str
    winning_value: Any
    losing_value: Any


class MutationResult(Message):
    """What became of one mutation. ``version`` is the row's server version
    after it; a refused one carries the ``reason`` and the server's ``row``
    (by column name, values as a pull sends them; None when the server has
    no such row) for the PC to go back to."""

    sequence: int
    outcome: Outcome
    version: int | None = None
    written_at: str | None = None
    """An applied one's time as the server wrote it on the row (its
    ``updated_at``, and a new row's ``created_at``), in the form a pull
    sends times: the PC takes it with the version, so that the row it pulls
    back is the one it holds, and is not written again (None from a server
    that predates it)."""
    reason: str | None = None
    row: dict[str, Any] | None = None
    conflicts: list[ConflictNote] = []


class PushResponse(Message):
    results: list[MutationResult]
    audit_accepted_through: int
    audit_problem: str | None = None
    server_time: datetime
    clock_skew_seconds: float


class PullRequest(Versioned):
    cursor: str | None = None
    limit: int = Field(default=1000, ge=1, le=MAX_PULL_PAGE)
    wait_seconds: float = Field(default=0.0, ge=0.0, le=LONG_POLL_SECONDS)


class PulledTable(Message):
    """The changed rows of one table, each a list of values in ``columns`` order."""

    entity: str
    columns: list[str]
    rows: list[list[Any]]


class PullResponse(Message):
    tables: list[PulledTable]
    cursor: str | None
    more: bool
    next_end: str | None = None
    """The cursor the next page will end at, when it is a full one (same
    ``limit``): a PC may ask for the page after it at once, in parallel."""
    server_time: datetime


class LeaseRequest(Versioned):
    """``blocks`` blocks of numbers of ``kind`` for the device, leased as one
    run (a PC asks for several to replace many provisional numbers at once);
    one block when the field is left out, as older PCs ask."""

    kind: NumberKind
    blocks: int = Field(default=1, ge=1, le=MAX_LEASE_BLOCKS)


class LeaseResponse(Message):
    kind: NumberKind
    year: int
    first: int
    last: int


class EnrollRequest(Versioned):
    """Sent by a PC that found its data folder was restored or copied: it
    takes a new device id and keeps its queued changes."""

    new_device_id: uuid.UUID
    device_name: str | None = Field(default=None, max_length=120)


class ProtocolError(StrEnum):
    """Machine-readable codes of the errors a PC must act on."""

    UPDATE_REQUIRED = "update_required"
    DEVICE_REUSED = "device_reused"


def wire_time(moment: datetime) -> str:
    """An aware time as a pull sends it, and the PC's store keeps it: UTC,
    to the microsecond, without its zone."""
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S.%f}"


def encode_cursor(xid: int, change_id: int) -> str:
    return f"{xid}.{change_id}"


def decode_cursor(cursor: str | None) -> tuple[int, int]:
    """``(xid, change id)`` of a cursor; (0, 0) before the first pull.
    Raises ValueError for a malformed cursor."""
    if not cursor:
        return (0, 0)
    xid, _, change_id = cursor.partition(".")
    return (int(xid), int(change_id))
