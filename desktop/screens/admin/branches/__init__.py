from desktop.screens.admin.branches.screen import BranchesScreen

__all__ = ["BranchesScreen"]
