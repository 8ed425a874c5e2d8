"""The lab's worklist and result entry."""

from desktop.screens.lab.screen import LabScreen

__all__ = ["LabScreen"]
