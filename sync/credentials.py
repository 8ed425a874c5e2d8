"""Tokens in the operating system's keyring, keyed by device.

Two data folders on one machine are two devices, so their tokens never mix.
Where no secure keyring exists (a Linux PC without a Secret Service) tokens
are kept in this process's memory for the session: the desktop says so once
and asks for the password at each start, the command line logs in at each
run (DESIGN.md, Command line). Tokens are never written to a plain file and
no plaintext backend is ever picked. Read from the keyring once, they are
kept in this process's memory for every request after (a real keyring
costs milliseconds a read), replaced there as they are saved; a refresh
reads the keyring again, where another process (the command line) may have
left newer ones. (Tests choose a backend of their own
through keyring's ``PYTHON_KEYRING_BACKEND``; the product never picks one.)
"""

from __future__ import annotations

import json
import threading
import uuid
from contextlib import suppress
from dataclasses import dataclass

from keyring.errors import KeyringError

from clinic.os_keyring import NoKeyring, keyring_available, secure_backend

SERVICE = "seth-clinic"


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str


_in_memory: dict[str, Tokens] = {}
"""Tokens of the devices whose keyring failed, by key, for this process only."""
_read: dict[str, Tokens] = {}
"""Tokens as last read from or saved to the keyring, by key, for this process."""
_in_memory_lock = threading.Lock()
_keyring_lock = threading.Lock()
"""Held from a keyring read or write until ``_read`` says what it found, so a
read under way never keeps tokens older than those just saved."""


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
        """The tokens; the keyring is read only the first time."""
        with _in_memory_lock:
            kept = _in_memory.get(self.key) or _read.get(self.key)
        return kept if kept is not None else self.reload()

    def reload(self) -> Tokens | None:
        """The tokens as the keyring holds them now, kept for :meth:`load`."""
        with _in_memory_lock:
            kept = _in_memory.get(self.key)
        if kept is not None:
            return kept
        with _keyring_lock:
            try:
                raw = secure_backend().get_password(SERVICE, self.key)
            except (NoKeyring, KeyringError):
                return None
            tokens = None
            if raw:
                data = json.loads(raw)
                tokens = Tokens(data["access_token"], data["refresh_token"])
            with _in_memory_lock:
                if tokens is None:
                    _read.pop(self.key, None)
                else:
                    _read[self.key] = tokens
            return tokens

    def save(self, tokens: Tokens) -> None:
        payload = json.dumps(
            {"access_token": tokens.access_token, "refresh_token": tokens.refresh_token}
        )
        with _keyring_lock:
            try:
                secure_backend().set_password(SERVICE, self.key, payload)
            except (NoKeyring, KeyringError):
                with _in_memory_lock:
                    _in_memory[self.key] = tokens
                    _read.pop(self.key, None)
            else:
                with _in_memory_lock:
                    _in_memory.pop(self.key, None)
                    _read[self.key] = tokens

    def clear(self) -> None:
        with _keyring_lock:
            with _in_memory_lock:
                _in_memory.pop(self.key, None)
                _read.pop(self.key, None)
            with suppress(NoKeyring, KeyringError):
                secure_backend().delete_password(SERVICE, self.key)
