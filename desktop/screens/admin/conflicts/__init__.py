from desktop.screens.admin.conflicts.screen import ConflictsScreen

__all__ = ["ConflictsScreen"]
