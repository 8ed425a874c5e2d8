"""Pushed values from JSON, for the server: decoded by the model's columns,
a value of the wrong type or shape is refused with a reason, never stored
half-understood: text with NUL characters (PostgreSQL stores none) or
lone surrogates (not Unicode: neither PostgreSQL nor a JSON answer can
carry them), whole
numbers beyond their column's range, numbers that are not finite. (Pulled
rows go the other way as PostgreSQL writes them: ``server.sync.feed``.)
"""

from __future__ import annotations

import math
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, Enum, Float, Integer, String, Text, Uuid
from sqlalchemy.sql.schema import Column, Table

from clinic.db import UTCDateTime
from clinic.errors import InvalidValue


class BadValue(ValueError):
    """A value does not fit its column; the message names the field."""


INTEGER_LIMITS = {Integer: 2**31, BigInteger: 2**63}
"""PostgreSQL's range of each whole-number column: -limit to limit - 1."""


SCALARS = frozenset({int, float, bool, type(None)})
"""Types of JSON value with no text in them."""


def _text_problem(value: Any) -> str | None:
    """Why text in ``value`` (a string, or inside a JSON value) cannot be
    stored; None when it can."""
    if isinstance(value, str):
        if value.isascii():  # no lone surrogate: only NUL to look for
            return "contains a NUL character; remove it" if "\x00" in value else None
        if "\x00" in value:
            return "contains a NUL character; remove it"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "contains characters that are not valid text"
        return None
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, list):
        for item in value:
            kind = type(item)
            if kind in SCALARS or (kind is str and item.isascii() and "\x00" not in item):
                continue  # the usual case, without a call
            problem = _text_problem(item)
            if problem is not None:
                return problem
    return None


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return all(_finite(v) for v in items if isinstance(v, float | dict | list))


def _decode(column: Column[Any], value: Any) -> Any:
    if value is None:
        if not column.nullable and not column.primary_key:
            raise BadValue(f"{column.name}: a value is required")
        return None
    kind = column.type
    problem = None if type(value) in SCALARS else _text_problem(value)
    if problem is not None:
        raise BadValue(f"{column.name}: {problem}")
    try:
        # Enum first: it is a String (the commonest), which comes next.
        if isinstance(kind, Enum):
            if value not in kind.enums:
                raise BadValue(f"{column.name}: {value!r} is not one of {', '.join(kind.enums)}")
            # The member, as a row loaded from the database holds it: the
            # rules (status moves) take members, not their text.
            return kind.enum_class(value) if kind.enum_class is not None else value
        if isinstance(kind, String | Text):
            if not isinstance(value, str):
                raise BadValue(f"{column.name}: expected text")
            if kind.length is not None and len(value) > kind.length:
                raise BadValue(f"{column.name}: longer than {kind.length} characters")
            return value
        if isinstance(kind, Uuid):
            return uuid.UUID(str(value))
        if isinstance(kind, UTCDateTime):
            moment = datetime.fromisoformat(str(value))
            if moment.tzinfo is None:
                raise BadValue(f"{column.name}: a time needs its time zone")
            return moment
        if isinstance(kind, Date):
            return date.fromisoformat(str(value))
        if isinstance(kind, Boolean):
            if not isinstance(value, bool):
                raise BadValue(f"{column.name}: expected true or false")
            return value
        if isinstance(kind, Integer | BigInteger):
            if isinstance(value, bool) or not isinstance(value, int):
                raise BadValue(f"{column.name}: expected a whole number")
            limit = INTEGER_LIMITS[BigInteger if isinstance(kind, BigInteger) else Integer]
            if not -limit <= value < limit:
                raise BadValue(f"{column.name}: {value} is out of range")
            return value
        if isinstance(kind, Float):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise BadValue(f"{column.name}: expected a number")
            if not math.isfinite(float(value)):
                raise BadValue(f"{column.name}: expected a finite number")
            return float(value)
        if isinstance(kind, JSON):
            if not _finite(value):
                raise BadValue(f"{column.name}: expected finite numbers")
            return value
    except (TypeError, ValueError, OverflowError) as error:
        if isinstance(error, BadValue):
            raise
        raise BadValue(f"{column.name}: {value!r} is not valid ({error})") from None
    raise BadValue(f"{column.name}: cannot be sent")


def decode_values(table: Table, values: dict[str, Any]) -> dict[str, Any]:
    """JSON values to Python values by column; raises BadValue naming the
    first unknown or malformed field."""
    decoded = {}
    for name, value in values.items():
        column = table.columns.get(name)
        if column is None and _text_problem(name) is not None:
            raise BadValue(f"a field name in {table.name} is not valid text")
        if column is None:
            raise BadValue(f"{name}: no such field in {table.name}")
        decoded[name] = _decode(column, value)
    return decoded


def decode_checked(table: Table, values: dict[str, Any]) -> dict[str, Any]:
    """:func:`decode_values` for a service: a value that does not fit is
    InvalidValue naming its field, as staff's other mistakes are."""
    try:
        return decode_values(table, values)
    except BadValue as error:
        field, _, reason = str(error).partition(": ")
        raise InvalidValue(field, reason) from None
