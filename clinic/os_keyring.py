"""The operating system's keyring, where one is secure: it keeps a PC's login
tokens (``sync.credentials``) and its store's key (``clinic.store_key``).

A failing, null or plaintext backend counts as none: nothing secret is ever
kept in a plain file by keyring. (Tests choose a backend of their own through
keyring's ``PYTHON_KEYRING_BACKEND``; the product never picks one.)
"""

from __future__ import annotations

import os

import keyring
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError as KeyringError  # for the callers

NO_KEYRING_HELP = (
    "No secure keyring is available to keep this PC's login tokens. On Windows and "
    "macOS the system keyring is used; on Linux install and start a Secret Service "
    "(for example gnome-keyring) in the desktop session. Tokens are never kept in a "
    "plain file."
)


class NoKeyring(RuntimeError):
    """No secure keyring backend; the message says how to enable one."""


def secure_backend() -> KeyringBackend:
    """The keyring to use, or NoKeyring when only a failing, null or plaintext
    one is available (a backend named in PYTHON_KEYRING_BACKEND is trusted to
    be secure, but its failing or null one still means no keyring)."""
    backend = keyring.get_keyring()
    names = {type(b).__module__ + "." + type(b).__name__ for b in _backends(backend)}
    usable = [
        n
        for n in names
        if not n.startswith("keyring.backends.fail") and not n.startswith("keyring.backends.null")
    ]
    if not os.environ.get("PYTHON_KEYRING_BACKEND"):
        usable = [n for n in usable if "plaintext" not in n.lower() and "null" not in n.lower()]
    if not usable:
        raise NoKeyring(NO_KEYRING_HELP)
    return backend


def keyring_available() -> bool:
    """Whether this PC has a secure keyring to keep tokens between runs."""
    try:
        secure_backend()
    except NoKeyring:
        return False
    return True


def _backends(backend: KeyringBackend) -> list[KeyringBackend]:
    children = getattr(backend, "backends", None)
    return list(children) if children else [backend]
