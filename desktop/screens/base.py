"""What the main window expects of a screen."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from desktop.context import AppContext


class Screen(QWidget):
    """A page of the main window. ``key`` names it for navigation and role
    checks; ``refresh`` reloads what it shows (when it is opened, and when
    changes arrive from other PCs) without blocking the GUI thread."""

    key = ""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx

    def title(self) -> str:
        raise NotImplementedError

    def refresh(self) -> None:
        """Reload from the store (on the database thread)."""
