from desktop.screens.admin.devices.screen import DevicesScreen

__all__ = ["DevicesScreen"]
