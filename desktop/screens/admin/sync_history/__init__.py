from desktop.screens.admin.sync_history.screen import SyncHistoryScreen

__all__ = ["SyncHistoryScreen"]
