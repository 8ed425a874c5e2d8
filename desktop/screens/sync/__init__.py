from desktop.screens.sync.screen import SyncScreen

__all__ = ["SyncScreen"]
