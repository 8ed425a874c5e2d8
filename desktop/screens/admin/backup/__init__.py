from desktop.screens.admin.backup.screen import BackupScreen

__all__ = ["BackupScreen"]
