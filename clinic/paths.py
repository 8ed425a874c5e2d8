"""Where the files that ship with the program are, in a checkout and in the
PyInstaller bundle alike."""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


def bundle_root() -> Path:
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root is not None:
        return Path(frozen_root)
    return Path(__file__).resolve().parent.parent


def migrations_dir(tree: str) -> Path:
    """The Alembic tree ``local`` (the PC's SQLite) or ``central`` (Postgres)."""
    return bundle_root() / "migrations" / tree


def resources_dir() -> Path:
    return bundle_root() / "resources"


def app_version() -> str:
    """The installed program's version (``unknown`` in a checkout that was
    never installed)."""
    try:
        return version("seth-clinic")
    except PackageNotFoundError:
        return "unknown"
