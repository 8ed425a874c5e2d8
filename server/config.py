"""The server's settings, read once from the environment (the README lists
every variable: ``DATABASE_URL``, ``JWT_SECRET``, ``SETH_CLINIC_*``)."""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

DATA_DIR_ENV = "SETH_CLINIC_SERVER_DATA_DIR"
SECRET_FILE = "jwt-secret"
MIN_SECRET_LENGTH = 32


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str | None
    jwt_secret: str
    access_minutes: int = 15
    refresh_days: int = 30
    lockout_failures: int = 5
    lockout_minutes: int = 15
    login_rate_per_minute: int = 10
    max_body_bytes: int = 1_048_576
    answer_spacing_ms: int = 1500
    busy_answers_per_second: int = 100
    most_answers_per_second: int = 300
    trusted_proxies: tuple[str, ...] = ()
    """Proxies (addresses or networks) whose forwarded headers are believed."""


def resolve_data_dir(given: str | os.PathLike[str] | None) -> Path:
    if given:
        return Path(given)
    from_env = os.environ.get(DATA_DIR_ENV)
    if from_env:
        return Path(from_env)
    return Path(platformdirs.user_data_dir("seth-clinic", appauthor=False)) / "server"


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be above 0, got {value}")
    return value


def _networks(name: str) -> tuple[str, ...]:
    """Comma-separated IP addresses or networks from the environment."""
    entries = [entry.strip() for entry in os.environ.get(name, "").split(",") if entry.strip()]
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ConfigError(
                f"{name} must list IP addresses or networks separated by commas, got {entry!r}"
            ) from None
    return tuple(entries)


SHUTDOWN_GRACE_SECONDS = 15
"""How long a stopping server lets requests in flight run on (its waiting
long-polls are answered at once: ``server.app.ApiServer``): a push or a
page read ends well within it; one still running then is cut off, and its
PC sends it again (nothing it was told of is lost)."""


def uvicorn_options(trusted_proxies: tuple[str, ...]) -> dict[str, Any]:
    """uvicorn's options as ``serve`` and the threaded server use them:
    ``X-Forwarded-For`` and ``-Proto`` believed only from
    ``trusted_proxies``, and ignored when there are none (uvicorn by default
    believes them from 127.0.0.1, so anyone on the server's PC could pick
    the address each login is counted under); the grace at shutdown."""
    return {
        "proxy_headers": bool(trusted_proxies),
        "forwarded_allow_ips": list(trusted_proxies),
        "timeout_graceful_shutdown": SHUTDOWN_GRACE_SECONDS,
    }


def owner_only_secret(path: Path) -> str:
    """The random secret kept in ``path``: made once, readable by its owner
    alone (its mode is set back to 0600 at each read)."""
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    os.chmod(path, 0o600)
    return path.read_text().strip()


def load_settings(data_dir: str | os.PathLike[str] | None = None) -> Settings:
    """Settings from the environment; raises ConfigError naming a bad one."""
    folder = resolve_data_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    secret = os.environ.get("JWT_SECRET") or owner_only_secret(folder / SECRET_FILE)
    if len(secret) < MIN_SECRET_LENGTH:
        raise ConfigError(f"JWT_SECRET must be at least {MIN_SECRET_LENGTH} characters long")
    return Settings(
        data_dir=folder,
        database_url=os.environ.get("DATABASE_URL") or None,
        jwt_secret=secret,
        access_minutes=_int("SETH_CLINIC_ACCESS_MINUTES", 15),
        refresh_days=_int("SETH_CLINIC_REFRESH_DAYS", 30),
        lockout_failures=_int("SETH_CLINIC_LOCKOUT_FAILURES", 5),
        lockout_minutes=_int("SETH_CLINIC_LOCKOUT_MINUTES", 15),
        login_rate_per_minute=_int("SETH_CLINIC_LOGIN_RATE", 10),
        max_body_bytes=_int("SETH_CLINIC_MAX_BODY_BYTES", 1_048_576),
        answer_spacing_ms=_int("SETH_CLINIC_ANSWER_SPACING_MS", 1500),
        busy_answers_per_second=_int("SETH_CLINIC_BUSY_ANSWERS", 100),
        most_answers_per_second=_int("SETH_CLINIC_MOST_ANSWERS", 300),
        trusted_proxies=_networks("SETH_CLINIC_TRUSTED_PROXIES"),
    )
