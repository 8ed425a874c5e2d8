"""Tokens in the operating system's keyring, keyed by device.

Two data folders on one machine are two devices, so their tokens never mix.
Where no secure keyring exists the PC says so and how to get one; tokens are
never written to a plain file. (Tests choose a backend of their own through
keyring's ``PYTHON_KEYRING_BACKEND``; the product never picks one.)
"""

from __future__ import annotations

import json
import os
import uuid
from contextlib import suppress
from dataclasses import dataclass

import keyring
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError

SERVICE = "seth-clinic"
NO_KEYRING_HELP = (
    "No secure keyring is available to keep this PC's login tokens. On Windows and "
    "macOS the system keyring is used; on Linux install and start a Secret Service "
    "(for example gnome-keyring) in the desktop session. Tokens are never kept in a "
    "plain file."
)


class NoKeyring(RuntimeError):
    """No secure keyring backend; the message says how to enable one."""


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str


def secure_backend() -> KeyringBackend:
    """The keyring to use, or NoKeyring when only a failing or plaintext one
    is available (a backend named in PYTHON_KEYRING_BACKEND is trusted)."""
    backend = keyring.get_keyring()
    if os.environ.get("PYTHON_KEYRING_BACKEND"):
        return backend
    names = {type(b).__module__ + "." + type(b).__name__ for b in _backends(backend)}
    usable = [
        n
        for n in names
        if not n.startswith("keyring.backends.fail")
        and "plaintext" not in n.lower()
        and "null" not in n.lower()
    ]
    if not usable:
        raise NoKeyring(NO_KEYRING_HELP)
    return backend


def _backends(backend: KeyringBackend) -> list[KeyringBackend]:
    children = getattr(backend, "backends", None)
    return list(children) if children else [backend]


class TokenStore:
    """The tokens of one device."""

    def __init__(self, device_id: uuid.UUID) -> None:
        self.key = f"device:{device_id}"

    def load(self) -> Tokens | None:
        try:
            raw = secure_backend().get_password(SERVICE, self.key)
        except KeyringError as error:
            raise NoKeyring(f"{NO_KEYRING_HELP} ({error})") from None
        if not raw:
            return None
        data = json.loads(raw)
        return Tokens(access_token=data["access_token"], refresh_token=data["refresh_token"])

    def save(self, tokens: Tokens) -> None:
        payload = json.dumps(
            {"access_token": tokens.access_token, "refresh_token": tokens.refresh_token}
        )
        try:
            secure_backend().set_password(SERVICE, self.key, payload)
        except KeyringError as error:
            raise NoKeyring(f"{NO_KEYRING_HELP} ({error})") from None

    def clear(self) -> None:
        with suppress(KeyringError):
            secure_backend().delete_password(SERVICE, self.key)
