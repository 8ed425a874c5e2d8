"""The program's version: the package metadata's (pyproject.toml's), which
an install and the PyInstaller bundle (build.spec copies it) both carry."""

from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError, version


@cache
def app_version() -> str:
    """Read once: every sync request carries it, and finding the package's
    metadata walks the import path (about a millisecond a time); an update
    installs a new program, which starts again."""
    try:
        return version("seth-clinic")
    except PackageNotFoundError:
        return "unknown"
