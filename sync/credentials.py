"""Tokens in the operating system's keyring, keyed by device.

Two data folders on one machine are two devices, so their tokens never mix.
Where no secure keyring exists (a Linux PC without a Secret Service) tokens
are kept in this process's memory for the session: the desktop says so once
and asks for the password at each start, the command line logs in at each
run (DESIGN.md, Command line). Tokens are never written to a plain file and
no plaintext backend is ever picked. (Tests choose a backend of their own
through keyring's ``PYTHON_KEYRING_BACKEND``; the product never picks one.)
"""

from __future__ import annotations

import json
import os
import threading
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


_in_memory: dict[str, Tokens] = {}
"""Tokens of the devices whose keyring failed, by key, for this process only."""
_in_memory_lock = threading.Lock()


class TokenStore:
    """The tokens of one device: in the keyring, or in this process's memory
    where there is none or it fails (then they last until the process ends).
    Threads may share it."""

    def __init__(self, device_id: uuid.UUID) -> None:
        self.key = f"device:{device_id}"

    @property
    def in_memory(self) -> bool:
        """Whether the tokens last only as long as this process: no secure
        keyring, or one that failed when they were saved."""
        with _in_memory_lock:
            if self.key in _in_memory:
                return True
        return not keyring_available()

    def load(self) -> Tokens | None:
        with _in_memory_lock:
            kept = _in_memory.get(self.key)
        if kept is not None:
            return kept
        try:
            raw = secure_backend().get_password(SERVICE, self.key)
        except (NoKeyring, KeyringError):
            return None
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
        except (NoKeyring, KeyringError):
            with _in_memory_lock:
                _in_memory[self.key] = tokens
        else:
            with _in_memory_lock:
                _in_memory.pop(self.key, None)

    def clear(self) -> None:
        with _in_memory_lock:
            _in_memory.pop(self.key, None)
        with suppress(NoKeyring, KeyringError):
            secure_backend().delete_password(SERVICE, self.key)
