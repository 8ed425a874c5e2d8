from desktop.screens.login.dialogs import FirstStartDialog, LoginDialog, PasswordChangeDialog

__all__ = ["FirstStartDialog", "LoginDialog", "PasswordChangeDialog"]
