"""What every screen works with: the store, the database thread, the sync
controller (and its connection to the server, with a thread for calls to
it), who is logged in, and how to ask for another screen."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from clinic.actor import Actor
from clinic.clock import clinic_today
from clinic.store import LocalStore
from desktop.runner import DbRunner
from desktop.sync_controller import SyncController
from sync.auth import BRANCH_ID_KEY, SignedIn
from sync.transport import Transport


class Navigator(Protocol):
    """The main window, as screens see it."""

    def has_screen(self, key: str) -> bool:
        """Whether the logged-in user has screen ``key`` (see main_window.SCREENS)."""
        ...

    def open_screen(self, key: str) -> None: ...

    def open_patient(self, patient_id: uuid.UUID) -> None: ...

    def open_visit(self, screen_key: str, visit_id: uuid.UUID) -> None: ...

    def show_message(self, text: str, seconds: int = 5) -> None: ...


@dataclass
class AppContext:
    store: LocalStore
    db: DbRunner
    user: SignedIn
    sync: SyncController | None
    navigator: Navigator | None = None
    net: DbRunner = field(default_factory=DbRunner)
    """Calls to the central server the screens make (the admin's desk), on
    a worker of their own: a slow server never holds up the store's."""

    def transport(self) -> Transport | None:
        """This PC's connection to the clinic server (None: none is set up)."""
        return self.sync.engine.transport if self.sync is not None else None

    def actor(self) -> Actor:
        """The logged-in user at this PC, writing for this PC's branch."""
        branch = self.store.get_setting(BRANCH_ID_KEY)
        return Actor(
            device_id=self.store.device_id,
            user_id=self.user.user_id,
            role=self.user.role,
            branch_id=uuid.UUID(branch) if branch else self.user.branch_id,
        )

    def today(self) -> date:
        return clinic_today()

    def saved(self) -> None:
        """A screen saved a change: push it to the server now."""
        if self.sync is not None:
            self.sync.local_change_saved()
