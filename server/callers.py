"""Who is calling, kept per API process for the long-polling pulls and the
pushes.

Thousands of PCs each ask for a pull every few seconds to every 25 s. Reading
their user and device for every one (two reads and a commit on a worker
thread) queued everything else behind them (DESIGN.md, Scale). Here each
process keeps what authentication reads of a user at a device, and a pull
whose caller is known needs no thread and no connection (a push reads its
user and device again in its own transaction, under the device's lock:
``server.sync.routes``).

What is kept is never trusted longer than it may be stale:

- The central database notifies the channel ``auth_changes`` when a user's
  row changes or a device is revoked, deleted, moved or given other roles,
  whichever path wrote it (a trigger, migration 0015); the change listener
  (``server.notifier``) forgets the callers it names. A revoked device is
  refused from the request after the revocation's commit reaches the
  listener (milliseconds), on every process; on the process that wrote it,
  from the commit on (:meth:`KnownCallers.watch`).
- Nothing is kept while the listener is not connected (a notification could
  be missed): the listener trusts the cache only once it listens, having
  emptied it, and empties it again when it loses its connection.
- A read that a change overtook is not kept (an epoch moves at each forget).
- A device's ``last_seen_at`` is written at most once a minute: a caller is
  read again (and the device's ``last_seen_at`` written) when it is due.

Callers not known are read together: the pulls that arrive while a read runs
(thousands reconnecting when another API process went away) wait for the
next read of up to :data:`READ_AT_ONCE` of them, one query each for their
users and devices on one thread, rather than a thread each.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from clinic.actor import Actor
from clinic.db import utcnow
from clinic.enums import Role
from clinic.org.models import Device, User
from server.database import SERVER_DEVICE_ID, Database
from server.errors import ApiError, unauthorized

LAST_SEEN_PRECISION = timedelta(minutes=1)
"""How stale a device's ``last_seen_at`` may get before a request writes it."""
READ_AT_ONCE = 500
"""The most callers read in one query."""

Key = tuple[uuid.UUID, uuid.UUID]
"""A user and the device they call from."""
DEVICE_AUTH_FIELDS = ("revoked_at", "deleted_at", "branch_id", "roles")
"""What authentication reads of a device that can change (as migration 0015's
trigger has it)."""
_CHANGED = "changed_callers"


def refusal(user: User | None, device: Device | None) -> ApiError | None:
    """Why a token of ``user`` at ``device`` is refused (401), if it is: the
    one check of every authenticated request."""
    if user is None or not user.active or user.deleted_at is not None:
        return unauthorized("This account is not active")
    if device is None or device.revoked_at is not None or device.deleted_at is not None:
        return unauthorized("This device was revoked; ask an admin")
    return None


def see_device(device: Device, now: datetime) -> None:
    """Note that ``device`` called at ``now``, unless it did within
    :data:`LAST_SEEN_PRECISION` (a long-polling PC asks every few seconds:
    not a write each time)."""
    if device.last_seen_at is None or now - device.last_seen_at > LAST_SEEN_PRECISION:
        device.last_seen_at = now


@dataclass(frozen=True)
class KnownCaller:
    """An authenticated user at their device, as a pull needs them."""

    user_id: uuid.UUID
    role: Role
    branch_id: uuid.UUID | None
    """The user's branch (None: an admin of all branches)."""
    must_change_password: bool
    device_id: uuid.UUID
    device_branch_id: uuid.UUID
    device_roles: tuple[str, ...]
    app_version: str | None
    seen_until: datetime
    """When the device's ``last_seen_at`` is due again: read it anew then."""

    @classmethod
    def of(cls, user: User, device: Device) -> KnownCaller:
        assert device.last_seen_at is not None
        return cls(
            user_id=user.id,
            role=user.role,
            branch_id=user.branch_id,
            must_change_password=user.must_change_password,
            device_id=device.id,
            device_branch_id=device.branch_id,
            device_roles=tuple(device.roles),
            app_version=device.app_version,
            seen_until=device.last_seen_at + LAST_SEEN_PRECISION,
        )

    def actor(self) -> Actor:
        """The server writing on this user's behalf (its own audit chain)."""
        return Actor(
            device_id=SERVER_DEVICE_ID,
            user_id=self.user_id,
            role=self.role,
            branch_id=self.branch_id,
        )


Found = KnownCaller | ApiError


class KnownCallers:
    """The callers this process knows, and the reads of those it does not.

    Used on the event loop; :meth:`forget`, :meth:`trust` and
    :meth:`distrust` are called from the change listener's thread."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._lock = threading.Lock()
        self._known: dict[Key, KnownCaller] = {}
        self._trusted = False
        self._epoch = 0
        self._asked: dict[Key, asyncio.Future[Found]] = {}
        self._reading: asyncio.Task[None] | None = None
        self.reads = 0
        """How many reads reached the database."""

    async def get(self, user_id: uuid.UUID, device_id: uuid.UUID) -> Found:
        """The caller, or the refusal (401) of their token; read unless known
        and not due."""
        key = (user_id, device_id)
        with self._lock:
            known = self._known.get(key)
        if known is not None and utcnow() < known.seen_until:
            return known
        asked = self._asked.get(key)
        if asked is None:
            asked = asyncio.get_running_loop().create_future()
            self._asked[key] = asked
            if self._reading is None:
                self._reading = asyncio.ensure_future(self._read_asked())
        return await asyncio.shield(asked)

    def note_app_version(self, caller: KnownCaller, app_version: str) -> None:
        """The device's app version was written: keep it."""
        key = (caller.user_id, caller.device_id)
        with self._lock:
            if self._known.get(key) == caller:
                self._known[key] = replace(caller, app_version=app_version)

    def forget(self, kind: str, row_id: uuid.UUID) -> None:
        """Forget the callers of a changed user (``u``) or device (``d``)."""
        with self._lock:
            self._epoch += 1
            place = 0 if kind == "u" else 1
            self._known = {key: c for key, c in self._known.items() if key[place] != row_id}

    def watch(self, sessions: sessionmaker[Session]) -> None:
        """Forget, at the commit of a session of ``sessions``, the callers of
        the users and devices it changed (without waiting for the listener)."""

        @event.listens_for(sessions, "after_flush")
        def note(session: Session, _context: object) -> None:
            changed = session.info.setdefault(_CHANGED, set())
            for row in (*session.dirty, *session.deleted):
                if isinstance(row, User):
                    changed.add(("u", row.id))
                elif isinstance(row, Device):
                    state = inspect(row)
                    if row in session.deleted or any(
                        state.attrs[name].history.has_changes() for name in DEVICE_AUTH_FIELDS
                    ):
                        changed.add(("d", row.id))

        @event.listens_for(sessions, "after_commit")
        def forget(session: Session) -> None:
            for kind, row_id in session.info.pop(_CHANGED, ()):
                self.forget(kind, row_id)

        @event.listens_for(sessions, "after_rollback")
        def keep(session: Session) -> None:
            session.info.pop(_CHANGED, None)

    def forget_everyone(self) -> None:
        """Forget every caller (a notification not understood)."""
        self._reset(trusted=self._trusted)

    def trust(self) -> None:
        """The listener listens: keep callers from now on, none from before."""
        self._reset(trusted=True)

    def distrust(self) -> None:
        """The listener lost its connection: keep nothing until it is back."""
        self._reset(trusted=False)

    def _reset(self, *, trusted: bool) -> None:
        with self._lock:
            self._epoch += 1
            self._known.clear()
            self._trusted = trusted

    async def _read_asked(self) -> None:
        """Read the asked callers, :data:`READ_AT_ONCE` at a time, until none
        is waiting."""
        try:
            while self._asked:
                keys = list(self._asked)[:READ_AT_ONCE]
                asked = [self._asked.pop(key) for key in keys]
                with self._lock:
                    epoch = self._epoch
                try:
                    found = await run_in_threadpool(_read_callers, self._database, keys)
                except Exception as error:
                    for waiting in asked:
                        if not waiting.done():
                            waiting.set_exception(error)
                    continue
                self.reads += 1
                with self._lock:
                    if self._trusted and self._epoch == epoch:
                        self._known.update(
                            (key, caller)
                            for key, caller in found.items()
                            if isinstance(caller, KnownCaller)
                        )
                for key, waiting in zip(keys, asked, strict=True):
                    if not waiting.done():
                        waiting.set_result(found[key])
        finally:
            self._reading = None


def _read_callers(database: Database, keys: list[Key]) -> dict[Key, Found]:
    """The users and devices of ``keys`` in one query each, writing the
    ``last_seen_at`` of the devices due, in one transaction of its own."""
    with database.sessions() as session:
        users = {
            user.id: user
            for user in session.scalars(select(User).where(User.id.in_({u for u, _ in keys})))
        }
        devices = {
            device.id: device
            for device in session.scalars(select(Device).where(Device.id.in_({d for _, d in keys})))
        }
        now = utcnow()
        found: dict[Key, Found] = {}
        for user_id, device_id in keys:
            user, device = users.get(user_id), devices.get(device_id)
            refused = refusal(user, device)
            if refused is not None:
                found[(user_id, device_id)] = refused
                continue
            assert user is not None and device is not None
            see_device(device, now)
            found[(user_id, device_id)] = KnownCaller.of(user, device)
        session.commit()
        return found
