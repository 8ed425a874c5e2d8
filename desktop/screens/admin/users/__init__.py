from desktop.screens.admin.users.screen import UsersScreen

__all__ = ["UsersScreen"]
