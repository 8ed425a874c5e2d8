"""The program's version: the package metadata's (pyproject.toml's), which
an install and the PyInstaller bundle (build.spec copies it) both carry."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def app_version() -> str:
    try:
        return version("seth-clinic")
    except PackageNotFoundError:
        return "unknown"
