from desktop.screens.admin.refused.screen import RefusedScreen

__all__ = ["RefusedScreen"]
