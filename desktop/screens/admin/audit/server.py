"""The audit screen's calls to the central server (``/api/audit`` and
``/api/audit/verify``), answered as the same plain data the local queries
give. Blocking: run them off the GUI thread. Raises the transport's
Unreachable and ServerRefused."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from clinic.journal.audit import AuditRecord, AuditSearch, ChainReport
from clinic.journal.service import ChainBreak, ChainProblem
from sync.transport import Transport


def _uuid(value: str | None) -> uuid.UUID | None:
    return uuid.UUID(value) if value else None


def search_on_server(transport: Transport, search: AuditSearch) -> list[AuditRecord]:
    """The clinic's whole log searched on the server (every PC's events)."""
    given: dict[str, Any] = {
        "user_id": search.user_id,
        "patient_id": search.patient_id,
        "action": search.action,
        "entity": search.entity,
        "entity_id": search.entity_id,
        "device_id": search.device_id,
        "since": search.since.isoformat() if search.since else None,
        "until": search.until.isoformat() if search.until else None,
        "limit": search.limit,
    }
    query = urlencode({k: str(v) for k, v in given.items() if v is not None})
    answer: list[dict[str, Any]] = transport.call("GET", f"/api/audit?{query}")
    return [
        AuditRecord(
            id=uuid.UUID(e["id"]),
            occurred_at=datetime.fromisoformat(e["occurred_at"]),
            device_id=_uuid(e["device_id"]),
            device_name=e.get("device_name"),
            device_sequence=e["device_sequence"],
            user_id=_uuid(e["user_id"]),
            username=e.get("username"),
            action=e["action"],
            entity=e["entity"],
            entity_id=_uuid(e["entity_id"]),
            record=e.get("record"),
            before=e["before"],
            after=e["after"],
        )
        for e in answer
    ]


def verify_on_server(transport: Transport) -> list[ChainReport]:
    """Every device's chain as the server checked it, broken ones first."""
    answer: dict[str, Any] = transport.call("GET", "/api/audit/verify", timeout=300.0)
    return [
        ChainReport(
            device_id=_uuid(c["device_id"]),
            device_name=c["device_name"],
            events=c["events"],
            last_sequence=c["last_sequence"],
            broken=ChainBreak(
                sequence=c["broken"]["sequence"],
                event_id=uuid.UUID(c["broken"]["event_id"]),
                problem=ChainProblem(c["broken"]["problem"]),
                detail=c["broken"]["detail"],
            )
            if c["broken"]
            else None,
        )
        for c in answer["chains"]
    ]
