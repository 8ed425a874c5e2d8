"""A stateful property test of sync over random schedules (issue 4).

Two or three clinic PCs, each a real SQLite store, work offline (register,
edit, tombstone patients; open and cancel visits) and sync, push or pull
whenever hypothesis says, through a network that loses requests, loses
responses after the server committed, delivers requests twice, lets the
access token expire mid-sync, restarts the server, and kills the PC's
process before a request, after the server committed, or inside a local
write (the store is then closed and reopened and a new engine built). The
server is the real FastAPI app on a real PostgreSQL, driven in-process over
ASGI. One PC may be a nurse's, whose patient and visit writes the server
refuses. A hostile device (:mod:`tests.sync.adversary`: a receptionist of
another branch, or a nurse) pulls, and pushes raw batches of forged
mutations with at most one legitimate change among them. Each example
starts from copies made once: a database (staff, the PCs' devices, the
hostile devices, four patients with a visit) and each PC's store after its
user's online login and first sync, so schedules often edit the same
patients on several PCs.

After each schedule every PC syncs twice without faults, then:

* all stores are equal to each other and to the server (patients, visits and
  conflicts, every column), but for the PC's own refused inserts, tombstoned;
* no acknowledged write is lost: every write the test made (its outbox
  sequence taken when its local transaction committed) was dealt with by the
  server with the same digest, and each row on the server equals the replay
  of the applied writes in server order (last writer wins per field);
* none was applied twice: per row the applied writes' versions follow on,
  one each, from the row's version at the start; the change feed holds one
  entry for each and the row's version is the last; no OP number twice;
  each device's audit chain arrived whole, once;
* no conflict unrecorded: the replay predicts every Conflict row (a field
  another device changed after the write's base version, to another value)
  and the server holds exactly those;
* every refused change is visible: each refusal is a RejectedChange on the
  PC that made it (and counted in its status), and nothing was refused but
  the nurse's writes and writes to rows already deleted on the server;
* no forged change landed: the server answered every hostile push with 200
  and a refusal for each forged mutation (or with the 409 or 422 the whole
  batch called for), never 5xx; what it recorded for the hostile device is
  what it answered; its legitimate changes that were applied take part in
  the replay above like any PC's, and nothing else of it is on the server.

CI runs ``SETH_SYNC_EXAMPLES`` examples (default 25). Run 10,000 with::

    SETH_SYNC_EXAMPLES=10000 ./dev test tests/sync/test_properties.py

and add ``-s`` to see the count of faults injected by kind.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from clinic.actor import Actor
from clinic.clock import clinic_today
from clinic.enums import ChangeOperation, Role, VisitStatus
from clinic.errors import NotAllowed, ValidationFailed
from clinic.journal.entities import SYNCED
from clinic.journal.models import (
    AppliedMutation,
    AuditEvent,
    ChangeLogEntry,
    Conflict,
    OutboxEntry,
    RejectedChange,
    StoreSetting,
)
from clinic.journal.service import record_delete, to_jsonable
from clinic.migrate import head_revision
from clinic.org.models import Branch, Device
from clinic.patients.models import Patient
from clinic.patients.service import (
    PatientDetails,
    clean_patient_fields,
    register_patient,
    update_patient,
)
from clinic.store import DEVICE_ID_KEY, LocalStore, open_local_store
from clinic.visits.models import Visit
from clinic.visits.service import move_visit, open_visit
from server.config import Settings
from server.database import Database
from server.models import DeviceUser
from server.sync.apply import MANAGED_COLUMNS
from sync.credentials import TokenStore
from sync.engine import SyncEngine, SyncReport, sync_status
from sync.protocol import Mutation
from sync.transport import Transport, Unreachable
from tests.central import PASSWORD, MakeStaff, Staff
from tests.conftest import StoreTemplate, copy_template
from tests.sync.adversary import Expect, HostileDevice, Persona, hostile_batch
from tests.sync.faults import (
    INJECTED,
    NETWORK_FAULTS,
    Fault,
    FaultyNetwork,
    InProcessServer,
    KillClient,
    expire_stored_token,
    expired_access_token,
    summary,
)

EXAMPLES = int(os.environ.get("SETH_SYNC_EXAMPLES", "25"))
SERVER_URL = "http://seth-central.test"
TABLES: dict[str, Any] = {
    "patients": Patient.__table__,
    "visits": Visit.__table__,
    "conflicts": Conflict.__table__,
}

NAMES = ["Grace", "Achieng", "Wanjiru", "Otieno"]
SURNAMES = ["Kamau", "Odhiambo", "Mutua", None]
PHONES = ["0722114455", "0733221100", "0711000111", None]
PLACES = ["Kibera", "Kisumu", "Nakuru", None]
EDITS = [
    *(("phone", v) for v in PHONES),
    *(("residence", v) for v in PLACES),
    *(("first_name", v) for v in NAMES[:3]),
    *(("last_name", v) for v in SURNAMES),
]
REASONS = ["left", "went home", "duplicate"]
PATIENT_EDITS = [
    (name, to_jsonable(clean_patient_fields({name: value}, today=clinic_today())[name]))
    for name, value in EDITS
]
"""The edits as a PC pushes them (values in their checked form)."""
HOSTILE = ["west_reception", "nurse_m"]
"""The hostile devices' users: a receptionist of another branch, a nurse."""

STATS: Counter[str] = Counter()
EXAMPLE_SECONDS = [0.0]


@pytest.fixture(scope="module", autouse=True)
def print_fault_summary() -> Iterator[None]:
    """With ``-s``: what the run did, and the faults it injected by kind."""
    started = time.monotonic()
    yield
    extra: dict[str, Any] = dict(STATS)
    extra["example seconds"] = round(EXAMPLE_SECONDS[0], 1)
    extra["wall seconds (with set-up)"] = round(time.monotonic() - started, 1)
    if STATS["examples"]:
        extra["seconds per example"] = round(EXAMPLE_SECONDS[0] / STATS["examples"], 2)
    print("\n" + summary(extra))


@dataclass(frozen=True)
class Write:
    """One acknowledged local write: what its outbox entry holds."""

    device: uuid.UUID
    sequence: int
    entity: str
    row_id: uuid.UUID
    operation: ChangeOperation
    changes: dict[str, Any]
    base_version: int
    user_id: uuid.UUID | None
    role: Role

    def mutation(self) -> Mutation:
        return Mutation(
            sequence=self.sequence,
            entity=self.entity,
            row_id=self.row_id,
            operation=self.operation,
            changes=self.changes,
            base_version=self.base_version,
            user_id=self.user_id,
        )

    def fields(self) -> set[str]:
        return {k for k in self.changes if k not in MANAGED_COLUMNS}


@dataclass
class Pc:
    name: str
    folder: Path
    staff: Staff
    branch_id: uuid.UUID
    network: FaultyNetwork
    store: LocalStore = field(init=False)
    transport: Transport = field(init=False)
    engine: SyncEngine = field(init=False)

    device_id: uuid.UUID = field(init=False)

    def actor(self) -> Actor:
        return Actor(
            device_id=self.device_id,
            user_id=self.staff.id,
            role=self.staff.role,
            branch_id=self.branch_id,
        )

    def open(self) -> None:
        self.store = open_local_store(self.folder)
        self.device_id = self.store.device_id
        self.transport = Transport(SERVER_URL, self.store.device_id, transport=self.network)
        self.engine = SyncEngine(self.store, self.transport)

    def close(self) -> None:
        self.transport.close()
        self.store.close()

    def restart(self) -> None:
        """The process died: drop everything in memory, open the file again."""
        self.network.disarm()
        self.close()
        self.open()


@contextmanager
def killing_writes(store: LocalStore, after: int) -> Iterator[None]:
    """Kill the process inside the ``after``-th local write transaction
    (0: the next one), after its work and before its commit."""
    original = store.write
    countdown = [after]

    @contextmanager
    def write(**options: bool) -> Iterator[Session]:
        with original(**options) as session:
            yield session
            if countdown[0] == 0:
                countdown[0] = -1
                INJECTED[Fault.KILL_IN_TRANSACTION.value] += 1
                raise KillClient("inside a local write")
            countdown[0] -= 1

    store.write = write  # type: ignore[method-assign]
    try:
        yield
    finally:
        del store.write


def read_rows(session: Session, table: Any) -> dict[str, dict[str, Any]]:
    rows = session.execute(select(table)).mappings().all()
    return {str(m["id"]): {k: to_jsonable(v) for k, v in m.items()} for m in rows}


def diff(left: dict[str, Any], right: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {
        k: (left.get(k), right.get(k))
        for k in sorted(set(left) | set(right))
        if left.get(k) != right.get(k)
    }


F = TypeVar("F", bound=Callable[..., Any])


def step(method: F) -> F:
    """Mark the machine broken if a step raises, so the final check does
    not hide the step's own failure."""

    @functools.wraps(method)
    def run(self: SyncSchedules, *args: Any, **kwargs: Any) -> Any:
        self.broken = True
        result = method(self, *args, **kwargs)
        self.broken = False
        return result

    return run  # type: ignore[return-value]


@dataclass
class World:
    """What outlives one example: the template database (staff, the PCs'
    devices, leases and tokens) and each PC's store after its first sync."""

    admin: Engine
    server_url: str
    template: str
    settings: Settings
    staff: dict[str, Staff]
    branch_id: uuid.UUID
    pc_templates: dict[str, tuple[Path, uuid.UUID]]
    keyring_file: Path
    keyring: bytes
    folder: Path
    initial: dict[str, dict[str, dict[str, Any]]]
    initial_applied: frozenset[tuple[uuid.UUID, int]]
    hostile: dict[str, Persona]


class SyncSchedules(RuleBasedStateMachine):
    world: World

    def __init__(self) -> None:
        super().__init__()
        self.broken = False
        self.pcs: list[Pc] = []
        self.ledger: list[Write] = []
        self.server: InProcessServer | None = None
        self.hostile: HostileDevice | None = None
        self.database_name = f"ex_{uuid.uuid4().hex[:12]}"
        self.folder = self.world.folder / self.database_name
        self.started = time.monotonic()

    # --- setting up -----------------------------------------------------

    @initialize(pcs=st.integers(2, 3), nurse=st.booleans(), hostile=st.sampled_from(HOSTILE))
    def set_up(self, pcs: int, nurse: bool, hostile: str) -> None:
        self.broken = True
        STATS["examples"] += 1
        world = self.world
        with world.admin.connect() as connection:
            connection.execute(
                text(f'CREATE DATABASE "{self.database_name}" TEMPLATE "{world.template}"')
            )
            connection.execute(
                text(f'ALTER DATABASE "{self.database_name}" SET synchronous_commit = off')
            )
        url = world.server_url.replace("/postgres?", f"/{self.database_name}?", 1)
        self.server = InProcessServer(world.settings, url)
        world.keyring_file.write_bytes(world.keyring)
        names = ["reception_a", "reception_b", "nurse" if nurse else "reception_c"]
        for index in range(pcs):
            self.pcs.append(self._copy_pc(f"pc{index}", names[index]))
        server = self.server
        self.hostile = HostileDevice(
            world.hostile[hostile], lambda r: server.handle(r), SERVER_URL, head_revision("local")
        )
        self.broken = False

    def _copy_pc(self, name: str, staff_name: str) -> Pc:
        """A PC whose user logged in and took the first sync (a copy of its
        template: the database the example runs on knows its device)."""
        assert self.server is not None
        template, device_id = self.world.pc_templates[staff_name]
        folder = self.folder / name
        shutil.copytree(template, folder)
        # The keyring file was put back as the templates left it: this
        # process reads it again rather than keep the tokens of the last example.
        TokenStore(device_id).reload()
        staff = self.world.staff[staff_name]
        settings = self.world.settings
        branch_id = self.world.branch_id

        # One expired token per PC: its token expires, it is not swapped for
        # another (the transport tells a refresh made meanwhile by the token).
        token = expired_access_token(settings, staff.id, device_id, staff.role, branch_id)

        def expired() -> None:
            expire_stored_token(device_id, token)

        pc = Pc(
            name=name,
            folder=folder,
            staff=staff,
            branch_id=branch_id,
            network=FaultyNetwork(self.server, expired),
        )
        pc.open()
        assert pc.device_id == device_id
        return pc

    def pc(self, index: int) -> Pc:
        return self.pcs[index % len(self.pcs)]

    # --- offline work ---------------------------------------------------

    def _write(self, pc: Pc, work: Callable[[Session], Any]) -> bool:
        """Run ``work`` in one local transaction and put the outbox entries
        it made in the ledger once it committed. False if it was refused."""
        try:
            with pc.store.write() as session:
                before = (
                    session.scalar(text("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'"))
                    or 0
                )
                work(session)
                entries = session.scalars(
                    select(OutboxEntry).where(OutboxEntry.sequence > before)
                ).all()
                made = [
                    Write(
                        device=pc.device_id,
                        sequence=e.sequence,
                        entity=e.entity,
                        row_id=e.row_id,
                        operation=e.operation,
                        changes=e.changes,
                        base_version=e.base_version,
                        user_id=e.user_id,
                        role=pc.staff.role,
                    )
                    for e in entries
                ]
        except (LookupError, NotAllowed, ValidationFailed):
            return False
        self.ledger.extend(made)
        STATS["local writes"] += len(made)
        return True

    def _alive(self, pc: Pc, model: Any, pick: int) -> uuid.UUID | None:
        with pc.store.session() as session:
            ids = session.scalars(
                select(model.id).where(model.deleted_at.is_(None)).order_by(model.id)
            ).all()
        return ids[pick % len(ids)] if ids else None

    @rule(
        pc=st.integers(0, 2),
        first=st.sampled_from(NAMES),
        last=st.sampled_from(SURNAMES),
        phone=st.sampled_from(PHONES),
        place=st.sampled_from(PLACES),
    )
    @step
    def register(
        self, pc: int, first: str, last: str | None, phone: str | None, place: str | None
    ) -> None:
        machine = self.pc(pc)
        details = PatientDetails(first_name=first, last_name=last, phone=phone, residence=place)
        self._write(
            machine,
            lambda s: register_patient(
                details, session=s, actor=machine.actor(), today=clinic_today()
            ),
        )

    @rule(pc=st.integers(0, 2), pick=st.integers(0, 30), edit=st.sampled_from(EDITS))
    @step
    def edit_patient(self, pc: int, pick: int, edit: tuple[str, str | None]) -> None:
        machine = self.pc(pc)
        patient_id = self._alive(machine, Patient, pick)
        if patient_id is None:
            return
        name, value = edit
        self._write(
            machine,
            lambda s: update_patient(
                patient_id, {name: value}, session=s, actor=machine.actor(), today=clinic_today()
            ),
        )

    @rule(pc=st.integers(0, 2), pick=st.integers(0, 30), patient=st.booleans())
    @step
    def tombstone(self, pc: int, pick: int, patient: bool) -> None:
        machine = self.pc(pc)
        model: Any = Patient if patient else Visit
        row_id = self._alive(machine, model, pick)
        if row_id is None:
            return

        def delete(session: Session) -> None:
            row = session.get(model, row_id)
            assert row is not None
            record_delete(session, machine.actor(), row, action=f"delete_{model.__tablename__}")

        self._write(machine, delete)

    @rule(pc=st.integers(0, 2), pick=st.integers(0, 30))
    @step
    def open_a_visit(self, pc: int, pick: int) -> None:
        machine = self.pc(pc)
        patient_id = self._alive(machine, Patient, pick)
        if patient_id is None:
            return
        self._write(
            machine,
            lambda s: open_visit(
                patient_id, session=s, actor=machine.actor(), today=clinic_today()
            ),
        )

    @rule(pc=st.integers(0, 2), pick=st.integers(0, 30), reason=st.sampled_from(REASONS))
    @step
    def cancel_a_visit(self, pc: int, pick: int, reason: str) -> None:
        machine = self.pc(pc)
        visit_id = self._alive(machine, Visit, pick)
        if visit_id is None:
            return
        self._write(
            machine,
            lambda s: move_visit(
                visit_id, VisitStatus.CANCELLED, session=s, actor=machine.actor(), reason=reason
            ),
        )

    # --- a hostile device -----------------------------------------------

    @rule(pull=st.booleans(), data=st.data())
    @step
    def hostile_push(self, pull: bool, data: st.DataObject) -> None:
        """The hostile device (maybe) pulls, then pushes a hostile batch."""
        device = self.hostile
        assert device is not None
        if pull or not device.known:
            device.pull()
        batch = data.draw(hostile_batch(device, PATIENT_EDITS), label="batch")
        if not batch:
            return
        status = device.push(batch)
        STATS[f"hostile pushes answered {status}"] += 1
        STATS["hostile mutations sent"] += len(batch)

    # --- syncing, with faults -------------------------------------------

    # A fault and where it strikes; a quarter of syncs go clean, and the
    # faults that hit after the server committed come up most often.
    FAULTS = st.tuples(
        st.sampled_from(
            [
                *[None] * 4,
                *[Fault.RESPONSE_LOST, Fault.KILL_AFTER_COMMIT, Fault.KILL_IN_TRANSACTION] * 2,
                *Fault,
            ]
        ),
        st.integers(0, 4),
    )

    @rule(pc=st.integers(0, 2), fault=FAULTS)
    @step
    def sync(self, pc: int, fault: tuple[Fault | None, int]) -> None:
        self._sync(self.pc(pc), "sync", fault)

    @rule(pc=st.integers(0, 2), fault=FAULTS)
    @step
    def push(self, pc: int, fault: tuple[Fault | None, int]) -> None:
        self._sync(self.pc(pc), "push", fault)

    @rule(pc=st.integers(0, 2), fault=FAULTS)
    @step
    def pull(self, pc: int, fault: tuple[Fault | None, int]) -> None:
        self._sync(self.pc(pc), "pull", fault)

    def _sync(self, pc: Pc, mode: str, fault: tuple[Fault | None, int]) -> None:
        """Sync (or only push, or only pull) with ``fault`` injected into the
        n-th sync request (network faults: 0 or 1, as most syncs make one or
        two) or the n-th local write transaction (a kill inside one; a
        whole sync makes four or five)."""
        STATS["syncs"] += 1
        killing = None
        kind, after = fault
        if kind is not None:
            if kind in NETWORK_FAULTS:
                pc.network.arm(kind, after % 2)
            else:
                killing = killing_writes(pc.store, after)
        try:
            with killing or _nothing():
                if mode == "sync":
                    pc.engine.sync()
                elif mode == "push":
                    pc.engine.push(SyncReport())
                else:
                    pc.engine.pull(SyncReport())
        except Unreachable:
            STATS["syncs cut off (unreachable)"] += 1
        except KillClient:
            STATS["PCs killed and reopened"] += 1
            pc.restart()
        finally:
            pc.network.disarm()

    # --- the end of a schedule ------------------------------------------

    def teardown(self) -> None:
        try:
            if not self.broken and self.server is not None:
                self.check()
        finally:
            self._clean_up()
            EXAMPLE_SECONDS[0] += time.monotonic() - self.started

    def _clean_up(self) -> None:
        for pc in self.pcs:
            pc.close()
        if self.server is not None:
            self.server.close()
            with self.world.admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE "{self.database_name}" WITH (FORCE)'))
        shutil.rmtree(self.folder, ignore_errors=True)

    def check(self) -> None:
        assert self.server is not None
        for _round in range(2):
            for pc in self.pcs:
                report = pc.engine.sync()
                assert report.audit_problem is None, (pc.name, report.audit_problem)
        database = self.server.database
        with database.sessions() as central:
            server_rows = {name: read_rows(central, table) for name, table in TABLES.items()}
            applied = {
                (a.device_id, a.sequence): a for a in central.scalars(select(AppliedMutation))
            }
            feed: dict[uuid.UUID, list[ChangeLogEntry]] = defaultdict(list)
            for entry in central.scalars(
                select(ChangeLogEntry).where(ChangeLogEntry.entity.in_(["patients", "visits"]))
            ):
                feed[entry.row_id].append(entry)
            server_audit = dict(
                central.execute(
                    select(AuditEvent.device_id, func.count()).group_by(AuditEvent.device_id)
                ).all()
            )
            served = {d.id: [Role(r) for r in d.roles] for d in central.scalars(select(Device))}
            self._check_hostile_traces(central)
        by_device = {pc.device_id: pc for pc in self.pcs}
        refused, refused_inserts = self._check_ledger(applied, server_rows, feed, by_device)
        self._check_stores(server_rows, refused, refused_inserts, server_audit, served)
        STATS["conflicts recorded"] += len(server_rows["conflicts"])

    def _check_hostile_traces(self, central: Session) -> None:
        """The rows the hostile device inserted and the changes it made on
        the server, in any table: its applied legitimate changes, no more."""
        assert self.hostile is not None
        device_id = self.hostile.persona.device_id
        applied = self.hostile.applied()
        inserted: dict[str, set[uuid.UUID]] = defaultdict(set)
        for dealt in applied:
            if dealt.hostile.body["operation"] == ChangeOperation.INSERT:
                inserted[dealt.hostile.body["entity"]].add(uuid.UUID(dealt.hostile.body["row_id"]))
        for name, entity in SYNCED.items():
            model: Any = entity.model
            if name == "conflicts":
                continue  # a legitimate change may record one: checked by the replay
            found = set(central.scalars(select(model.id).where(model.device_id == device_id)))
            assert found == inserted[name], ("hostile rows on the server", name, found)
        changes = central.scalar(
            select(func.count())
            .select_from(ChangeLogEntry)
            .where(ChangeLogEntry.device_id == device_id, ChangeLogEntry.entity != "conflicts")
        )
        assert changes == len(applied), ("hostile changes in the feed", changes, len(applied))
        STATS["hostile mutations refused"] += len(self.hostile.dealt) - len(applied)
        STATS["hostile legitimate changes applied"] += len(applied)

    def _check_ledger(
        self,
        applied: dict[tuple[uuid.UUID, int], AppliedMutation],
        server_rows: dict[str, dict[str, dict[str, Any]]],
        feed: dict[uuid.UUID, list[ChangeLogEntry]],
        by_device: dict[uuid.UUID, Pc],
    ) -> tuple[dict[uuid.UUID, dict[int, Write]], dict[uuid.UUID, set[str]]]:
        ledger_keys = {(w.device, w.sequence) for w in self.ledger}
        dealt_with = set(applied) - self.world.initial_applied
        hostile_writes = self._check_hostile_records(applied)
        dealt_with -= {(w.device, w.sequence) for w in hostile_writes}
        assert ledger_keys == dealt_with, {
            "lost (written, never dealt with)": sorted(ledger_keys - dealt_with),
            "dealt with, never written": sorted(dealt_with - ledger_keys),
        }
        rows: dict[tuple[str, uuid.UUID], list[tuple[int, Write]]] = defaultdict(list)
        refused: dict[uuid.UUID, dict[int, Write]] = defaultdict(dict)
        refused_inserts: dict[uuid.UUID, set[str]] = defaultdict(set)
        for write in self.ledger:
            record = applied[(write.device, write.sequence)]
            assert record.digest == write.mutation().digest(), write
            outcome = record.outcome
            if outcome["outcome"] == "applied":
                assert write.role == Role.RECEPTIONIST, ("a nurse's write applied", write)
                rows[(write.entity, write.row_id)].append((outcome["version"], write))
                continue
            refused[write.device][write.sequence] = write
            if write.operation == ChangeOperation.INSERT:
                refused_inserts[write.device].add(str(write.row_id))
            if write.role != Role.NURSE:
                row = server_rows[write.entity].get(str(write.row_id))
                assert row is not None and row["deleted_at"] is not None, (write, outcome)
                assert "deleted" in outcome["reason"], (write, outcome)
        STATS["refusals"] += sum(len(r) for r in refused.values())
        for write in hostile_writes:
            outcome = applied[(write.device, write.sequence)].outcome
            if outcome["outcome"] == "applied" and write.entity in TABLES:
                rows[(write.entity, write.row_id)].append((outcome["version"], write))

        initial = self.world.initial
        expected_conflicts = []
        for entity in ("patients", "visits"):
            expected_rows = set(initial[entity]) | {
                str(row_id)
                for (e, row_id), history in rows.items()
                if e == entity and any(w.operation == ChangeOperation.INSERT for _, w in history)
            }
            assert set(server_rows[entity]) == expected_rows, (entity, "rows on the server")
        for (entity, row_id), history in rows.items():
            history.sort(key=lambda pair: pair[0])
            start = initial[entity].get(str(row_id))
            first = start["version"] if start else 0
            versions = [v for v, _ in history]
            assert versions == list(range(first + 1, first + len(versions) + 1)), (
                "versions are not one per applied write",
                entity,
                row_id,
                first,
                versions,
            )
            server = server_rows[entity][str(row_id)]
            assert server["version"] == first + len(versions), (entity, row_id, server, versions)
            entries = sorted(
                (e for e in feed[row_id] if e.version > first), key=lambda e: e.version
            )
            assert [(e.version, e.device_id) for e in entries] == [
                (v, w.device) for v, w in history
            ], ("change feed", entity, row_id, entries)
            state = {k: v for k, v in (start or {}).items() if k not in MANAGED_COLUMNS}
            for version, write in history:
                if write.operation == ChangeOperation.INSERT:
                    assert version == 1, (write, version)
                    state = {k: v for k, v in write.changes.items() if k not in MANAGED_COLUMNS}
                    continue
                assert state.get("deleted_at") is None, ("a tombstone came back", write)
                elsewhere = {
                    name
                    for other_version, other in history
                    if other.device != write.device and write.base_version < other_version < version
                    for name in other.fields()
                }
                for name, value in write.changes.items():
                    if name in MANAGED_COLUMNS:
                        continue
                    if name in elsewhere and state.get(name) != value:
                        expected_conflicts.append(
                            (
                                entity,
                                str(row_id),
                                name,
                                json.dumps(value),
                                json.dumps(state.get(name)),
                            )
                        )
                    state[name] = value
            business = {k: v for k, v in server.items() if k not in MANAGED_COLUMNS}
            assert business == state, (
                "server row is not the replay",
                entity,
                diff(business, state),
            )

        numbers = [r["op_number"] for r in server_rows["patients"].values()]
        assert len(numbers) == len(set(numbers)), ("an OP number twice", numbers)

        recorded = sorted(
            (
                c["entity"],
                c["row_id"],
                c["field"],
                json.dumps(c["winning_value"]),
                json.dumps(c["losing_value"]),
            )
            for c in server_rows["conflicts"].values()
        )
        assert recorded == sorted(expected_conflicts), {
            "unrecorded": sorted(set(expected_conflicts) - set(recorded)),
            "unexpected": sorted(set(recorded) - set(expected_conflicts)),
        }

        for device, pc in by_device.items():
            with pc.store.session() as session:
                kept = session.scalars(select(RejectedChange)).all()
            kept_by_sequence = Counter(r.sequence for r in kept)
            assert kept_by_sequence == Counter(refused[device].keys()), (
                pc.name,
                "refused changes on the PC differ from the server's refusals",
                sorted(kept_by_sequence),
                sorted(refused[device]),
            )
            for rejected in kept:
                write = refused[device][rejected.sequence]
                assert rejected.row_id == write.row_id and rejected.changes == write.changes
        return refused, refused_inserts

    def _check_hostile_records(
        self, applied: dict[tuple[uuid.UUID, int], AppliedMutation]
    ) -> list[Write]:
        """What the server recorded for the hostile device is what it
        answered, each with the digest of what was sent; the mutations it
        dealt with, as writes."""
        assert self.hostile is not None
        persona = self.hostile.persona
        recorded = {s for d, s in applied if d == persona.device_id}
        assert recorded == set(self.hostile.dealt), ("hostile mutations recorded", recorded)
        writes = []
        for sequence, dealt in self.hostile.dealt.items():
            record = applied[(persona.device_id, sequence)]
            mutation = Mutation.model_validate(dealt.hostile.body)
            assert record.digest == mutation.digest(), dealt
            assert record.outcome["outcome"] == dealt.result["outcome"], (dealt, record.outcome)
            if dealt.hostile.expect == Expect.REFUSED:
                assert record.outcome["outcome"] == "refused", ("a forged change landed", dealt)
            writes.append(
                Write(
                    device=persona.device_id,
                    sequence=sequence,
                    entity=mutation.entity,
                    row_id=mutation.row_id,
                    operation=mutation.operation,
                    changes=mutation.changes,
                    base_version=mutation.base_version,
                    user_id=mutation.user_id,
                    role=persona.role,
                )
            )
        return writes

    def _check_stores(
        self,
        server_rows: dict[str, dict[str, dict[str, Any]]],
        refused: dict[uuid.UUID, dict[int, Write]],
        refused_inserts: dict[uuid.UUID, set[str]],
        server_audit: dict[uuid.UUID | None, int],
        served: dict[uuid.UUID, list[Role]],
    ) -> None:
        for pc in self.pcs:
            status = sync_status(pc.store)
            assert status.pending == 0, (pc.name, "outbox not empty after two clean syncs")
            assert status.rejected == len(refused[pc.device_id]), (pc.name, status)
            assert status.last_error is None, (pc.name, status)
            with pc.store.session() as session:
                local_audit = session.scalar(
                    select(func.count())
                    .select_from(AuditEvent)
                    .where(AuditEvent.device_id == pc.device_id)
                )
                assert server_audit.get(pc.device_id, 0) == local_audit, (pc.name, "audit chain")
                for name, table in TABLES.items():
                    local = read_rows(session, table)
                    server = server_rows[name]
                    missing = set(server) - set(local)
                    assert not missing, (pc.name, name, "missing rows", sorted(missing))
                    for row_id in set(local) - set(server):
                        assert row_id in refused_inserts[pc.device_id], (
                            pc.name,
                            name,
                            "a row the server never had",
                            local[row_id],
                        )
                        assert local[row_id]["deleted_at"] is not None, (pc.name, local[row_id])
                    hidden = SYNCED[name].hidden_from(served[pc.device_id])
                    for row_id, row in server.items():
                        row = {k: None if k in hidden else v for k, v in row.items()}
                        assert local[row_id] == row, (
                            pc.name,
                            name,
                            row_id,
                            "local differs from the server",
                            diff(local[row_id], row),
                        )


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def _pc_templates(
    folder: Path,
    store_template: StoreTemplate,
    server: InProcessServer,
    staff: dict[str, Staff],
    branch_id: uuid.UUID,
) -> dict[str, tuple[Path, uuid.UUID]]:
    """Each PC's store after its user logged in online and it took its first
    sync (twice round, so every PC has every device), for examples to copy."""
    made: dict[str, tuple[Path, uuid.UUID]] = {}
    pcs = []
    for name, person in staff.items():
        pc_folder = folder / name
        copy_template(store_template, pc_folder)
        store = open_local_store(pc_folder)
        with store.write() as session:
            session.merge(StoreSetting(key=DEVICE_ID_KEY, value=str(uuid.uuid4())))
        transport = Transport(
            SERVER_URL, store.device_id, transport=FaultyNetwork(server, lambda: None)
        )
        transport.login(person.username, PASSWORD)
        pcs.append((store, transport))
        made[name] = (pc_folder, store.device_id)
    for store, transport in pcs:
        SyncEngine(store, transport).sync()
    # Patients every PC knows from the start, so that schedules often edit
    # the same ones on several PCs; one has a visit.
    store = pcs[0][0]
    person = staff["reception_a"]
    actor = Actor(store.device_id, person.id, person.role, branch_id)
    with store.write() as session:
        for first, last, phone in zip(NAMES, SURNAMES, PHONES, strict=True):
            details = PatientDetails(first_name=first, last_name=last, phone=phone)
            patient = register_patient(
                details, session=session, actor=actor, today=clinic_today()
            ).patient
        open_visit(patient.id, session=session, actor=actor, today=clinic_today())
    for _round in range(2):
        for store, transport in pcs:
            SyncEngine(store, transport).sync()
    for store, transport in pcs:
        transport.close()
        store.close()
    return made


def _hostile_persona(
    server: InProcessServer,
    person: Staff,
    *,
    other_branch_id: uuid.UUID,
    forged_users: tuple[uuid.UUID, ...],
) -> Persona:
    """A device of its own on which ``person`` logged in online."""
    device_id = uuid.uuid4()
    with httpx.Client(base_url=SERVER_URL, transport=_Handler(server)) as client:
        response = client.post(
            "/api/auth/login",
            json={"username": person.username, "password": PASSWORD, "device_id": str(device_id)},
        )
    assert response.status_code == 200, response.text
    with server.database.sessions() as session:
        device = session.get(Device, device_id)
        assert device is not None
        device_branch = device.branch_id
    return Persona(
        name=person.username,
        user_id=person.id,
        role=person.role,
        branch_id=device_branch,
        device_id=device_id,
        access_token=response.json()["access_token"],
        other_branch_id=other_branch_id,
        forged_users=forged_users,
    )


class _Handler(httpx.BaseTransport):
    def __init__(self, server: InProcessServer) -> None:
        self.server = server

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.server.handle(request)


@pytest.fixture
def schedules(
    postgres_server: str,
    central: Database,
    make_staff: MakeStaff,
    settings: Settings,
    store_template: StoreTemplate,
    tmp_path: Path,
    test_keyring: Path,
) -> Iterator[type[SyncSchedules]]:
    """The state machine, bound to a template database with the staff and
    the PCs' devices, and to the PCs' stores after their first sync."""
    staff = {
        "reception_a": make_staff(Role.RECEPTIONIST, "reception-a"),
        "reception_b": make_staff(Role.RECEPTIONIST, "reception-b"),
        "reception_c": make_staff(Role.RECEPTIONIST, "reception-c"),
        "nurse": make_staff(Role.NURSE, "nurse-n"),
    }
    hostile_staff = {
        "west_reception": make_staff(Role.RECEPTIONIST, "west-reception", branch_code="WEST"),
        "nurse_m": make_staff(Role.NURSE, "nurse-m"),
    }
    admin_staff = make_staff(Role.ADMIN, "admin-a", branch_code=None)
    with central.sessions() as session:
        branch_id = session.scalar(select(Branch.id).where(Branch.code == "MAIN"))
        west_id = session.scalar(select(Branch.id).where(Branch.code == "WEST"))
    assert branch_id is not None and west_id is not None
    template = central.engine.url.database
    assert template is not None
    # Access tokens that outlive a long run; TOKEN_EXPIRED forges expired ones.
    long_lived = replace(settings, access_minutes=7 * 24 * 60)
    shm = Path("/dev/shm")
    folder = Path(tempfile.mkdtemp(dir=shm if shm.is_dir() else tmp_path))
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    try:
        server = InProcessServer(long_lived, central.engine.url.render_as_string(False))
        pc_templates = _pc_templates(folder / "templates", store_template, server, staff, branch_id)
        # Login does not record who logged in on a device yet (DeviceUser):
        # the rows for the honest users, and for an admin who logged in on
        # reception-a's PC, so that forging their ids is forging someone the
        # server knows on some device, only not on the hostile one.
        with server.database.sessions.begin() as session:
            for name, (_folder, device_id) in pc_templates.items():
                session.merge(DeviceUser(device_id=device_id, user_id=staff[name].id))
            admins_pc = pc_templates["reception_a"][1]
            session.merge(DeviceUser(device_id=admins_pc, user_id=admin_staff.id))
        everyone = [admin_staff.id, *(p.id for p in staff.values()), uuid.uuid4()]
        hostile = {
            name: _hostile_persona(
                server,
                person,
                other_branch_id=branch_id if person.branch_code == "WEST" else west_id,
                forged_users=tuple(
                    u
                    for u in [*everyone, *(p.id for p in hostile_staff.values())]
                    if u != person.id
                ),
            )
            for name, person in hostile_staff.items()
        }
        with server.database.sessions() as session:
            initial = {name: read_rows(session, table) for name, table in TABLES.items()}
            initial_applied = frozenset(
                session.execute(select(AppliedMutation.device_id, AppliedMutation.sequence)).all()
            )
        server.close()
        central.engine.dispose()
        world = World(
            admin=admin,
            server_url=postgres_server,
            template=template,
            settings=long_lived,
            staff=staff,
            branch_id=branch_id,
            pc_templates=pc_templates,
            keyring_file=test_keyring,
            keyring=test_keyring.read_bytes(),
            folder=folder,
            initial=initial,
            initial_applied=initial_applied,
            hostile=hostile,
        )

        class Schedules(SyncSchedules):
            pass

        Schedules.world = world
        yield Schedules
    finally:
        admin.dispose()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.postgres
def test_sync_converges_under_faults(schedules: type[SyncSchedules]) -> None:
    run_state_machine_as_test(schedules, settings=settings_for_ci())


def settings_for_ci() -> hypothesis_settings:
    return hypothesis_settings(
        max_examples=EXAMPLES,
        stateful_step_count=20,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
    )
