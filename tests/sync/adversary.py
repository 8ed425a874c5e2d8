"""A hostile device for the sync property test (issue: "random forged
fields, other branches' ids, NUL bytes, huge numbers, replays").

:class:`HostileDevice` is a real device of the clinic: a real user (of
another branch, or of a low role) logged in online on it, and it holds that
login's access token. It learns rows the way an attacker would, from its own
pulls, and pushes raw ``/api/sync/push`` bodies with its own sequence
numbers. :func:`hostile_batch` draws a batch of mutations meant to break the
server's rules (DESIGN.md, Sync 13): forged authors, other branches' ids,
fields its role may not write, status jumps, signed visits, NUL bytes and
lone surrogates in text, numbers beyond any column, NaN, wrong types,
unknown tables and fields, inserts of rows that exist, replays of its own
earlier mutations with the same or another body, malformed envelopes; and
at most one legitimate change, to show that a bad mutation is refused alone.

Each mutation says what the server must make of it (:class:`Expect`);
:meth:`HostileDevice.push` checks the answer and keeps what the server dealt
with, for the property test to compare with the server's records at the end.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

import httpx
from hypothesis import strategies as st

from clinic.enums import Role, VisitStatus
from sync.protocol import BIGGEST_SEQUENCE, BIGGEST_VERSION, PROTOCOL_VERSION

Handler = Callable[[httpx.Request], httpx.Response]


class Expect(StrEnum):
    """What the server must make of one hostile mutation."""

    REFUSED = "refused"
    """A forged change: refused alone, with a reason."""
    APPLIED = "applied"
    """A legitimate change: applied (refused only if its row was deleted)."""
    REPLAYED = "replayed"
    """An earlier mutation again, same sequence and body: the first answer."""
    DEVICE_REUSED = "device reused"
    """An earlier sequence with another body: the whole push answers 409."""
    MALFORMED = "malformed"
    """Not a mutation the protocol allows: the whole push answers 422."""


@dataclass
class Hostile:
    kind: str
    """What it tries, in a few words (for the statistics and messages)."""
    body: dict[str, Any]
    """The mutation as sent; ``sequence`` is set when it is sent."""
    expect: Expect

    @property
    def sequence(self) -> int:
        sequence: int = self.body["sequence"]
        return sequence


@dataclass(frozen=True)
class Persona:
    """Who the hostile device is: its user, logged in online on it."""

    name: str
    user_id: uuid.UUID
    role: Role
    branch_id: uuid.UUID
    device_id: uuid.UUID
    access_token: str
    other_branch_id: uuid.UUID
    """A branch that is not the device's."""
    forged_users: tuple[uuid.UUID, ...]
    """Users who never logged in on this device: real ones (an admin who
    logged in on another PC among them) and an id no user has."""


@dataclass
class Dealt:
    """A hostile mutation the server dealt with, and its answer."""

    hostile: Hostile
    result: dict[str, Any]


def _wire(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


@dataclass
class HostileDevice:
    persona: Persona
    handle: Handler
    base_url: str
    schema: str
    cursor: str | None = None
    known: dict[str, dict[uuid.UUID, dict[str, Any]]] = field(default_factory=dict)
    """Rows it pulled, by table and id (the latest values it saw)."""
    next_sequence: int = 1
    dealt: dict[int, Dealt] = field(default_factory=dict)
    answers: list[int] = field(default_factory=list)
    """The HTTP status of each push."""

    def _client(self) -> httpx.Client:
        handle = self.handle

        class Link(httpx.BaseTransport):
            def handle_request(self, request: httpx.Request) -> httpx.Response:
                return handle(request)

        return httpx.Client(
            base_url=self.base_url,
            transport=Link(),
            headers={"Authorization": f"Bearer {self.persona.access_token}"},
        )

    def _post(self, path: str, body: Mapping[str, Any]) -> httpx.Response:
        # allow_nan: the attacker sends NaN and Infinity as JSON numbers.
        content = json.dumps(body, allow_nan=True)
        with self._client() as client:
            response = client.post(
                path, content=content, headers={"Content-Type": "application/json"}
            )
            response.read()
        return response

    def pull(self) -> None:
        """Pull what the device's scope holds since its cursor, as the app does."""
        while True:
            body = {"protocol": PROTOCOL_VERSION, "schema": self.schema, "cursor": self.cursor}
            response = self._post("/api/sync/pull", body)
            assert response.status_code == 200, (response.status_code, response.text)
            page = response.json()
            for table in page["tables"]:
                rows = self.known.setdefault(table["entity"], {})
                for values in table["rows"]:
                    row = dict(zip(table["columns"], values, strict=True))
                    rows[_uuid(row["id"])] = row
            self.cursor = page["cursor"]
            if not page["more"]:
                return

    def push(self, batch: Sequence[Hostile]) -> int:
        """Push ``batch`` (new mutations get the next sequence numbers), check
        the answer against each mutation's :class:`Expect`, keep what was
        dealt with; the HTTP status."""
        for hostile in batch:
            if "sequence" not in hostile.body:
                hostile.body["sequence"] = self.next_sequence
                self.next_sequence += 1
        body = {
            "protocol": PROTOCOL_VERSION,
            "schema": self.schema,
            "client_time": datetime.now(UTC).isoformat(),
            "mutations": [h.body for h in batch],
        }
        response = self._post("/api/sync/push", body)
        status = response.status_code
        self.answers.append(status)
        expects = {h.expect for h in batch}
        wanted = (
            422 if Expect.MALFORMED in expects else 409 if Expect.DEVICE_REUSED in expects else 200
        )
        assert status == wanted, (status, wanted, response.text, batch)
        if status != 200:
            error = response.json()["error"]
            assert error["message"] and error["code"], response.text
            return status
        results = response.json()["results"]
        assert [r["sequence"] for r in results] == [h.sequence for h in batch], results
        for hostile, result in zip(batch, results, strict=True):
            self._check_result(hostile, result)
        return status

    def _check_result(self, hostile: Hostile, result: dict[str, Any]) -> None:
        outcome = result["outcome"]
        if hostile.expect == Expect.REPLAYED:
            first = self.dealt[hostile.sequence].result
            keep = ("outcome", "version", "reason", "conflicts")
            assert {k: result[k] for k in keep} == {k: first[k] for k in keep}, (hostile, result)
            return
        assert hostile.sequence not in self.dealt, ("a new sequence answered as a replay", hostile)
        if hostile.expect == Expect.REFUSED:
            assert outcome == "refused" and result["reason"], ("a forged change landed", hostile)
        else:
            assert hostile.expect == Expect.APPLIED
            assert outcome == "applied" or "deleted" in result["reason"], (
                "a legitimate change was refused",
                hostile,
                result,
            )
        self.dealt[hostile.sequence] = Dealt(hostile, result)

    def applied(self) -> list[Dealt]:
        return [d for d in self.dealt.values() if d.result["outcome"] == "applied"]

    # --- what it knows, for the generators -------------------------------

    def rows(self, entity: str, *, alive: bool | None = None) -> list[dict[str, Any]]:
        rows = self.known.get(entity, {}).values()
        if alive is not None:
            rows = [r for r in rows if (r["deleted_at"] is None) == alive]
        return sorted(rows, key=lambda r: str(r["id"]))


# --- the generators ------------------------------------------------------

NUL_TEXT = ["Gr\x00ace", "\x00", "Kibera\x00; DROP TABLE patients"]
SURROGATE_TEXT = ["Gr\ud800ace", "\udfff"]
HUGE = [10**12, 2**31, 2**63, -(2**63) - 1, 10**400, 2**64]
NOT_FINITE = [math.nan, math.inf, -math.inf]
CLINICAL_TEXT = ["complaint", "history", "examination", "plan"]
UNREACHED = [
    VisitStatus.IN_CONSULTATION,
    VisitStatus.WAITING_LAB,
    VisitStatus.WAITING_PHARMACY,
    VisitStatus.COMPLETED,
]
"""Statuses no honest PC of the test and no hostile role moves a visit to,
so a move there is never 'staying put'."""


def _refused_or_malformed(name: str) -> Expect:
    """A table name that is not Unicode text (a lone surrogate) makes a
    malformed envelope (the protocol's ``entity`` is text); another unknown
    table is refused alone. (A field name in ``changes`` is refused alone
    either way: the server checks the keys.)"""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return Expect.MALFORMED
    return Expect.REFUSED


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _pick(draw: st.DrawFn, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    return draw(st.sampled_from(rows)) if rows else None


def _update(entity: str, row: Mapping[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    return {
        "entity": entity,
        "row_id": str(_uuid(row["id"])),
        "operation": "update",
        "changes": changes,
        "base_version": row["version"],
    }


def _insert(
    entity: str, changes: dict[str, Any], row_id: uuid.UUID | None = None
) -> dict[str, Any]:
    return {
        "entity": entity,
        "row_id": str(row_id or uuid.uuid4()),
        "operation": "insert",
        "changes": changes,
        "base_version": 0,
    }


NORMAL_VITALS = {"temperature_c": 36.8, "pulse_bpm": 78.0, "respiratory_rate": 16.0}


@st.composite
def hostile_batch(
    draw: st.DrawFn, device: HostileDevice, patient_edits: Sequence[tuple[str, Any]]
) -> list[Hostile]:
    """One to four hostile mutations and, often, one legitimate change, in
    a random order. ``patient_edits`` are legitimate patient edits (field,
    value in its checked form) for a receptionist; a nurse's legitimate
    change is vitals for a visit."""
    persona = device.persona
    role = persona.role
    patients = device.rows("patients", alive=True)
    visits = device.rows("visits")

    def legit() -> dict[str, Any] | None:
        if role == Role.NURSE:
            visit = _pick(draw, device.rows("visits", alive=True))
            if visit is None:
                return None
            changes = {"visit_id": str(_uuid(visit["id"])), **NORMAL_VITALS}
            return _insert("triages", changes)
        assert role == Role.RECEPTIONIST, role
        patient = _pick(draw, patients)
        if patient is None:
            return None
        name, value = draw(st.sampled_from(list(patient_edits)))
        body = _update("patients", patient, {name: value})
        if draw(st.booleans()):
            body["user_id"] = str(persona.user_id)
        return body

    def legit_like() -> dict[str, Any] | None:
        """A legitimate change, or a visit change when there is none."""
        body = legit()
        if body is None and visits:
            body = _update("visits", draw(st.sampled_from(visits)), {"queue_position": 3})
        return body

    def forged_author() -> Hostile | None:
        body = legit_like()
        if body is None:
            return None
        body["user_id"] = str(draw(st.sampled_from(persona.forged_users)))
        return Hostile("forged author", body, Expect.REFUSED)

    def bad_text() -> Hostile | None:
        text = draw(st.sampled_from(NUL_TEXT + SURROGATE_TEXT))
        kind = "NUL byte" if "\x00" in text else "lone surrogate"
        if role == Role.NURSE:
            visit = _pick(draw, visits)
            if visit is None:
                return None
            body = _insert("triages", {"visit_id": str(_uuid(visit["id"])), "notes": text})
            return Hostile(f"{kind} in a vitals note", body, Expect.REFUSED)
        patient = _pick(draw, patients)
        if patient is None:
            return None
        name = draw(st.sampled_from(["first_name", "residence", "next_of_kin_name"]))
        return Hostile(
            f"{kind} in text", _update("patients", patient, {name: text}), Expect.REFUSED
        )

    def huge_number() -> Hostile | None:
        number = draw(st.sampled_from(HUGE + NOT_FINITE))
        kind = "NaN or infinity" if isinstance(number, float) else "huge number"
        if role == Role.NURSE and draw(st.booleans()):
            visit = _pick(draw, visits)
            if visit is None:
                return None
            vital = draw(st.sampled_from(["temperature_c", "pulse_bpm", "weight_kg"]))
            body = _insert("triages", {"visit_id": str(_uuid(visit["id"])), vital: number})
            return Hostile(f"{kind} in vitals", body, Expect.REFUSED)
        visit = _pick(draw, visits)
        if visit is None:
            return None
        return Hostile(
            f"{kind} in a visit",
            _update("visits", visit, {"queue_position": number}),
            Expect.REFUSED,
        )

    def other_branch() -> Hostile | None:
        patient = _pick(draw, patients)
        if draw(st.booleans()) or patient is None:
            visit = _pick(draw, visits)
            if visit is None:
                return None
            changes = {"branch_id": str(persona.other_branch_id)}
            return Hostile("move a visit to another branch", _update("visits", visit, changes),
                           Expect.REFUSED)  # fmt: skip
        changes = {
            "patient_id": str(_uuid(patient["id"])),
            "branch_id": str(persona.other_branch_id),
            "visit_date": date.today().isoformat(),
            "is_new": False,
        }
        return Hostile("a visit in another branch", _insert("visits", changes), Expect.REFUSED)

    def role_field() -> Hostile | None:
        visit = _pick(draw, visits)
        if visit is None:
            return None
        choice = draw(st.sampled_from(["notes", "signed", "clinician", "status", "tombstone"]))
        if choice == "tombstone" and role == Role.RECEPTIONIST:
            if visit["branch_id"] and _uuid(visit["branch_id"]) == persona.branch_id:
                return None  # a receptionist may tombstone its own branch's visits
            changes: dict[str, Any] = {"deleted_at": _now()}
        elif choice == "tombstone":
            changes = {"deleted_at": _now()}
        elif choice == "notes":
            changes = {draw(st.sampled_from(CLINICAL_TEXT)): "forged note"}
        elif choice == "signed":
            changes = {"signed_at": _now()}
        elif choice == "clinician":
            changes = {"clinician_id": str(persona.user_id)}
        else:
            changes = {"status": draw(st.sampled_from(UNREACHED)).value}
        return Hostile(f"a visit's {choice} by a {role.value}", _update("visits", visit, changes),
                       Expect.REFUSED)  # fmt: skip

    def new_visit_beyond_role() -> Hostile | None:
        patient = _pick(draw, patients)
        if patient is None:
            return None
        extra = draw(
            st.sampled_from(
                [
                    {"signed_at": _now()},
                    {"status": draw(st.sampled_from(UNREACHED)).value},
                    {"complaint": "forged"},
                    {"clinician_id": str(persona.user_id)},
                ]
            )
        )
        changes = {
            "patient_id": str(_uuid(patient["id"])),
            "branch_id": str(persona.branch_id),
            "visit_date": date.today().isoformat(),
            "is_new": False,
            **extra,
        }
        return Hostile(f"a new visit with {next(iter(extra))}", _insert("visits", changes),
                       Expect.REFUSED)  # fmt: skip

    def patient_beyond_role() -> Hostile | None:
        patient = _pick(draw, patients)
        if patient is None:
            return None
        if role == Role.NURSE:
            changes: dict[str, Any] = draw(
                st.sampled_from([{"phone": "+254722114455"}, {"deleted_at": _now()}])
            )
            return Hostile("a patient edit by a nurse", _update("patients", patient, changes),
                           Expect.REFUSED)  # fmt: skip
        if str(patient["op_number"]).startswith("TMP-"):
            return None
        changes = {"op_number": "OP-2026-999999-0"}
        return Hostile("a new OP number", _update("patients", patient, changes), Expect.REFUSED)

    def insert_existing() -> Hostile | None:
        entity = draw(st.sampled_from(["patients", "visits"]))
        row = _pick(draw, device.rows(entity))
        if row is None:
            return None
        changes = {k: v for k, v in row.items() if k not in {"id", "version"}}
        body = _insert(entity, changes, _uuid(row["id"]))
        return Hostile("insert a row that exists", body, Expect.REFUSED)

    def not_pushable() -> Hostile:
        entity = draw(
            st.sampled_from(
                ["users", "branches", "devices", "device_users", "applied_mutations",
                 "refresh_tokens", "patients\x00", "patients\ud800", "", "audit_events"]
            )
        )  # fmt: skip
        changes = {"username": "evil", "role": "admin", "branch_id": None, "password_hash": "x"}
        return Hostile(f"write {entity!r}", _insert(entity, changes), _refused_or_malformed(entity))

    def unknown_or_wrong() -> Hostile | None:
        visit = _pick(draw, visits)
        patient = _pick(draw, patients)
        options: list[tuple[str, dict[str, Any], Mapping[str, Any] | None]] = [
            ("patients", {"password_hash": "x"}, patient),
            ("patients", {"first\x00name": "Grace"}, patient),
            ("patients", {"first\udfffname": "Grace"}, patient),
            ("patients", {"first_name": 7}, patient),
            ("patients", {"first_name": None}, patient),
            ("patients", {"date_of_birth": "31/12/2020"}, patient),
            ("patients", {"date_of_birth": "9999-12-31"}, patient),
            ("patients", {"sex": "X"}, patient),
            ("patients", {"first_name": "G" * 100_000}, patient),
            ("patients", {"merged_into": str(uuid.uuid4())}, patient),
            ("visits", {"queue_position": "12"}, visit),
            ("visits", {"is_new": "yes"}, visit),
            ("visits", {"visit_date": "2026-02-30"}, visit),
            ("visits", {"patient_id": "not a uuid"}, visit),
            ("visits", {"status": "DISCHARGED"}, visit),
        ]
        entity, changes, row = draw(st.sampled_from(options))
        if row is None:
            return None
        return Hostile(f"bad field {next(iter(changes))!r}", _update(entity, row, changes),
                       Expect.REFUSED)  # fmt: skip

    def no_such_row() -> Hostile:
        entity = draw(st.sampled_from(["patients", "visits", "triages"]))
        body = _update(entity, {"id": uuid.uuid4(), "version": 1}, {"notes": "x"})
        return Hostile("edit a row that does not exist", body, Expect.REFUSED)

    def revive() -> Hostile | None:
        entity = draw(st.sampled_from(["patients", "visits"]))
        row = _pick(draw, device.rows(entity, alive=False))
        if row is None:
            return None
        return Hostile("revive a tombstone", _update(entity, row, {"deleted_at": None}),
                       Expect.REFUSED)  # fmt: skip

    def replay() -> Hostile | None:
        if not device.dealt:
            return None
        earlier = draw(st.sampled_from(sorted(device.dealt)))
        body = json.loads(json.dumps(device.dealt[earlier].hostile.body, allow_nan=True))
        if draw(st.booleans()):
            return Hostile("replay, same body", body, Expect.REPLAYED)
        body["base_version"] = (body["base_version"] + 1) % BIGGEST_VERSION
        return Hostile("replay, another body", body, Expect.DEVICE_REUSED)

    def malformed() -> Hostile | None:
        body = legit_like()
        if body is None:
            return None
        key, value = draw(
            st.sampled_from(
                [
                    ("sequence", BIGGEST_SEQUENCE + 1),
                    ("sequence", 0),
                    ("base_version", BIGGEST_VERSION + 1),
                    ("base_version", -1),
                    ("base_version", math.nan),
                    ("row_id", "../../etc/passwd"),
                    ("operation", "upsert"),
                    ("entity", "p" * 1000),
                    ("device_id", str(uuid.uuid4())),
                    ("\ud800", "an unknown key that is not text"),
                    ("changes", ["first_name", "Grace"]),
                ]
            )
        )
        body[key] = value
        return Hostile(f"malformed {key}", body, Expect.MALFORMED)

    makers: list[Callable[[], Hostile | None]] = [
        forged_author, bad_text, huge_number, other_branch, role_field,
        new_visit_beyond_role, patient_beyond_role, insert_existing, not_pushable,
        unknown_or_wrong, no_such_row, revive, replay, malformed,
    ]  # fmt: skip
    batch: list[Hostile] = []
    replayed: set[int] = set()
    for maker in draw(st.lists(st.sampled_from(makers), min_size=1, max_size=4)):
        hostile = maker()
        if hostile is None or hostile.body.get("sequence") in replayed:
            continue
        if "sequence" in hostile.body and hostile.expect != Expect.MALFORMED:
            replayed.add(hostile.body["sequence"])
        batch.append(hostile)
    if draw(st.booleans()):
        body = legit()
        if body is not None:
            batch.insert(
                draw(st.integers(0, len(batch))), Hostile("legitimate", body, Expect.APPLIED)
            )
    return batch
