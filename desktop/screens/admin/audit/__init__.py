from desktop.screens.admin.audit.screen import AuditScreen

__all__ = ["AuditScreen"]
