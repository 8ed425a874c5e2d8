"""Passwords (argon2id), access tokens (JWT, HS256) and refresh tokens.

Access tokens are short-lived and carry who, which device, which role and
branch; the server still checks the user and device on every request, so a
revoked device or a deactivated user stops at once. Only HS256 is accepted
when decoding: ``alg: none`` and any other algorithm are refused.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from clinic.db import utcnow
from clinic.enums import Role

ALGORITHM = "HS256"
ISSUER = "seth-clinic"
MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether the password matches; with no hash (unknown user) it still
    spends the time of a check, so timing does not tell the user exists."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_problem(password: str, username: str) -> str | None:
    """What is wrong with a new password, or None when it will do."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters"
    if password.casefold() == username.casefold():
        return "The password must not be the username"
    return None


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    device_id: uuid.UUID
    role: Role
    branch_id: uuid.UUID | None
    must_change_password: bool
    expires_at: datetime
    session_id: uuid.UUID | None
    """The refresh-token family the token was issued with (one login's
    session); None only in tokens issued before sessions were named."""


class InvalidToken(Exception):
    """The token is missing, expired, tampered with or not an access token."""


def issue_access_token(
    secret: str,
    *,
    user_id: uuid.UUID,
    device_id: uuid.UUID,
    role: Role,
    branch_id: uuid.UUID | None,
    must_change_password: bool,
    lifetime: timedelta,
    session_id: uuid.UUID,
) -> tuple[str, datetime]:
    now = utcnow()
    expires = now + lifetime
    claims = {
        "iss": ISSUER,
        "sub": str(user_id),
        "dev": str(device_id),
        "role": role.value,
        "br": str(branch_id) if branch_id else None,
        "pwc": must_change_password,
        "sid": str(session_id),
        "typ": "access",
        "iat": now,
        "exp": expires,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM), expires


DECODED_TOKENS_KEPT = 8192
"""Access tokens whose claims the process keeps once checked (one or two
per device: a clinic's thousands of PCs)."""


def decode_access_token(secret: str, token: str) -> AccessClaims:
    """The claims of a valid access token; raises InvalidToken. A token's
    signature and claims never change, so a token checked once is not
    checked again (0.1 ms each, for every push and pull), only its expiry;
    one that fails is checked again each time, as before."""
    claims = _checked_token(secret, token)
    if claims.expires_at <= utcnow():
        raise InvalidToken("Signature has expired")
    return claims


@lru_cache(maxsize=DECODED_TOKENS_KEPT)
def _checked_token(secret: str, token: str) -> AccessClaims:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss"]},
        )
        if claims.get("typ") != "access":
            raise InvalidToken("not an access token")
        return AccessClaims(
            user_id=uuid.UUID(claims["sub"]),
            device_id=uuid.UUID(claims["dev"]),
            role=Role(claims["role"]),
            branch_id=uuid.UUID(claims["br"]) if claims.get("br") else None,
            must_change_password=bool(claims.get("pwc")),
            expires_at=datetime.fromtimestamp(claims["exp"]).astimezone(),
            session_id=uuid.UUID(claims["sid"]) if claims.get("sid") else None,
        )
    except (jwt.InvalidTokenError, KeyError, ValueError, TypeError) as error:
        raise InvalidToken(str(error)) from None


def new_refresh_token() -> tuple[str, str]:
    """A fresh refresh token and the hash the database keeps of it."""
    token = secrets.token_urlsafe(32)
    return token, refresh_token_hash(token)


def refresh_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
