"""The key that encrypts a PC's local store (SQLCipher), and where it is kept.

Each store has a key of its own: 32 random bytes, given to SQLCipher as a raw
key (no passphrase to stretch, so opening a connection costs no key
derivation). The file ``clinic.key`` beside the store (0600, in the 0700 data
folder) says where the key is:

- ``{"keyring": NAME}``: in the operating system's keyring (DESIGN.md,
  Security), under :data:`KEYRING_SERVICE` and NAME, a random name made with
  the key so that a folder can be moved or renamed and keep its key;
- ``{"key": HEX}``: in the file itself, on a PC with no secure keyring (a
  Linux PC without a Secret Service). The store is opened before anyone logs
  in (its settings say which server to use, its cached verifiers let users log
  in offline, the command line's reports and backups run with no user), so
  its key cannot wait for a user's password; kept apart from the store's file
  it still keeps the store, its ``-wal`` and its backups unreadable to whoever
  copies them alone.

A store's key is never changed: a key that does not open its store, or a
missing one, is refused with a message that says what to do
(:class:`StoreKeyRefused`), and a new key is made only for a store that has
no data yet or is still plain (:func:`clinic.store.open_local_store`).
"""

from __future__ import annotations

import json
import os
import secrets
import uuid
from pathlib import Path

from clinic.files import write_whole
from clinic.os_keyring import KeyringError, NoKeyring, secure_backend

KEY_FILE = "clinic.key"
KEYRING_SERVICE = "seth-clinic-store"
KEY_BYTES = 32
KEY_ENV = "SETH_CLINIC_STORE_KEY"
"""A store key in hex, for restoring a backup made on another PC."""


class StoreKeyRefused(Exception):
    """The store's key is missing, unreadable or wrong; the message says what
    to do. Nothing was changed."""


def key_file(data_dir: Path) -> Path:
    return Path(data_dir) / KEY_FILE


def has_key(data_dir: Path) -> bool:
    return key_file(data_dir).exists()


def load_key(data_dir: Path) -> bytes:
    """The key of the store in ``data_dir``; StoreKeyRefused when it is
    missing or cannot be read."""
    path = key_file(data_dir)
    try:
        where = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StoreKeyRefused(
            f"the store's key is missing: {data_dir} holds an encrypted clinic store but no"
            f" {KEY_FILE} beside it. Put back the {KEY_FILE} that was in this folder, or"
            " restore a backup into a new data folder"
        ) from None
    except (OSError, ValueError) as error:
        raise StoreKeyRefused(
            f"the store's key file {path} cannot be read ({error}); put back the {KEY_FILE}"
            " that was in this folder, or restore a backup into a new data folder"
        ) from None
    if isinstance(where, dict) and isinstance(where.get("key"), str):
        return parse_key(where["key"], f"the key in {path}")
    if isinstance(where, dict) and isinstance(where.get("keyring"), str):
        try:
            secret = secure_backend().get_password(KEYRING_SERVICE, where["keyring"])
        except (NoKeyring, KeyringError) as error:
            raise StoreKeyRefused(
                f"the store's key is in this PC's keyring, which cannot be used now ({error})."
                " Start the keyring (on Linux, the Secret Service such as gnome-keyring) and"
                " log in to the desktop session as the user who set up Seth Clinic"
            ) from None
        if secret is None:
            raise StoreKeyRefused(
                f"the store's key is missing from this PC's keyring ({KEYRING_SERVICE},"
                f" {where['keyring']}): the folder {data_dir} was copied from another PC or"
                " user, or the keyring was reset. Restore a backup into a new data folder"
            )
        return parse_key(secret, "the key in the keyring")
    raise StoreKeyRefused(
        f"the store's key file {path} is not one Seth Clinic wrote; put back the {KEY_FILE}"
        " that was in this folder, or restore a backup into a new data folder"
    )


def save_new_key(data_dir: Path, key: bytes | None = None) -> bytes:
    """Make a key (or keep ``key``) for the store in ``data_dir`` and save it:
    in the keyring where there is a secure one, else in the key file
    (0600). Returns the key. Raises OSError when the folder cannot be
    written."""
    key = key or secrets.token_bytes(KEY_BYTES)
    where: dict[str, str]
    try:
        name = str(uuid.uuid4())
        secure_backend().set_password(KEYRING_SERVICE, name, key.hex())
        where = {"keyring": name}
    except (NoKeyring, KeyringError):
        where = {"key": key.hex()}
    path = write_whole(key_file(data_dir), json.dumps(where).encode())  # mkstemp: 0600
    os.chmod(path, 0o600)
    return key


def parse_key(text: str, what: str) -> bytes:
    """A key from its hex text; StoreKeyRefused naming ``what`` otherwise."""
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise StoreKeyRefused(f"{what} is not a store key ({KEY_BYTES * 2} hex digits)")
    return key
