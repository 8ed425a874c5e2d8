"""The claims manager's screen: the claims list (and a claim's page over it),
the batches, and the follow-up, one tab each."""

from __future__ import annotations

import uuid

from PySide6.QtWidgets import QLabel, QStackedWidget, QTabWidget, QVBoxLayout

from clinic.claims.queries import BranchChoice, branch_choices
from desktop.context import AppContext
from desktop.display import translate
from desktop.screens.base import Screen
from desktop.screens.claims.batch_panel import BatchPanel
from desktop.screens.claims.claim_page import ClaimPage
from desktop.screens.claims.follow_up import FollowUpPanel
from desktop.screens.claims.list_panel import ClaimsListPanel
from desktop.screens.patients.calls import submit_for


class ClaimsScreen(Screen):
    """For the main window: ``open_claim(id)`` shows a claim's page;
    ``refresh()`` reloads the tab shown."""

    key = "claims"

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        heading = QLabel(translate("Claims", "SHA claims"))
        heading.setObjectName("heading")
        self.list = ClaimsListPanel(ctx)
        self.list.sig_open_claim.connect(self.open_claim)
        self.page: ClaimPage | None = None
        self.claims_stack = QStackedWidget()
        self.claims_stack.addWidget(self.list)
        self.batches = BatchPanel(ctx)
        self.batches.sig_open_claim.connect(self.open_claim)
        self.follow_up = FollowUpPanel(ctx)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("claims_tabs")
        self.tabs.addTab(self.claims_stack, translate("Claims", "Claims"))
        self.tabs.addTab(self.batches, translate("Claims", "Batches"))
        self.tabs.addTab(self.follow_up, translate("Claims", "Follow-up"))
        self.tabs.currentChanged.connect(lambda _index: self.refresh())
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.tabs, 1)
        self._branches_loaded = False

    def title(self) -> str:
        return translate("Claims", "Claims")

    def refresh(self) -> None:
        if not self._branches_loaded:
            ctx = self.ctx

            def work() -> tuple[list[BranchChoice], uuid.UUID | None]:
                with ctx.store.session() as session:
                    return branch_choices(session=session), ctx.actor().branch_id

            submit_for(self, self.ctx.db, work, ClaimsScreen._branches, lambda _s, _e: None)
            return
        current = self.tabs.currentWidget()
        if current is self.claims_stack:
            if self.page is not None:
                self.page.refresh()
            else:
                self.list.apply_filter()
        elif current is self.batches:
            self.batches.refresh()
        elif current is self.follow_up:
            self.follow_up.refresh()

    def _branches(self, loaded: tuple[list[BranchChoice], uuid.UUID | None]) -> None:
        branches, own = loaded
        self._branches_loaded = True
        self.list.set_branches(branches)
        self.batches.set_branches(branches, own)
        self.follow_up.set_branches(branches)
        self.refresh()

    def open_claim(self, claim_id: uuid.UUID) -> ClaimPage:
        """Show claim ``claim_id``'s page on the claims tab."""
        self.close_claim()
        self.page = ClaimPage(self.ctx, claim_id)
        self.page.sig_closed.connect(self.close_claim)
        self.page.sig_moved.connect(lambda _status: self.batches.refresh())
        self.claims_stack.addWidget(self.page)
        self.claims_stack.setCurrentWidget(self.page)
        self.tabs.setCurrentWidget(self.claims_stack)
        return self.page

    def close_claim(self) -> None:
        if self.page is None:
            return
        page, self.page = self.page, None
        self.claims_stack.removeWidget(page)
        page.deleteLater()
        self.list.apply_filter()
        self.list.table.setFocus()
