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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, Enum, Float, Integer, String, Text, Uuid
from sqlalchemy.sql.schema import Column, Table
from sqlalchemy.sql.sqltypes import NullType

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


Convert = Callable[[Any], Any]
"""A column's conversion of a pushed value that is not None and holds
storable text; raises BadValue, or TypeError, ValueError or OverflowError
(which :func:`decode_values` words as "not valid")."""


def _converter(column: Column[Any]) -> Convert:
    """``column``'s conversion, chosen once by its type (Enum first: it is
    a String, which comes next)."""
    kind = column.type
    name = column.name
    if isinstance(kind, Enum):
        enums, enum_class = kind.enums, kind.enum_class
        # The member, as a row loaded from the database holds it: the rules
        # (status moves) take members, not their text.
        members = {v: v if enum_class is None else enum_class(v) for v in enums}

        def enum(value: Any) -> Any:
            if type(value) is str and value in members:
                return members[value]
            raise BadValue(f"{name}: {value!r} is not one of {', '.join(enums)}")

        return enum
    if isinstance(kind, String | Text):
        length = kind.length

        def text(value: Any) -> Any:
            if not isinstance(value, str):
                raise BadValue(f"{name}: expected text")
            if length is not None and len(value) > length:
                raise BadValue(f"{name}: longer than {length} characters")
            return value

        return text
    if isinstance(kind, Uuid):
        return lambda value: uuid.UUID(str(value))
    if isinstance(kind, UTCDateTime):

        def moment(value: Any) -> datetime:
            decoded = datetime.fromisoformat(str(value))
            if decoded.tzinfo is None:
                raise BadValue(f"{name}: a time needs its time zone")
            return decoded

        return moment
    if isinstance(kind, Date):
        return lambda value: date.fromisoformat(str(value))
    if isinstance(kind, Boolean):

        def flag(value: Any) -> bool:
            if not isinstance(value, bool):
                raise BadValue(f"{name}: expected true or false")
            return value

        return flag
    if isinstance(kind, Integer | BigInteger):
        limit = INTEGER_LIMITS[BigInteger if isinstance(kind, BigInteger) else Integer]

        def whole(value: Any) -> int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise BadValue(f"{name}: expected a whole number")
            if not -limit <= value < limit:
                raise BadValue(f"{name}: {value} is out of range")
            return value

        return whole
    if isinstance(kind, Float):

        def number(value: Any) -> float:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise BadValue(f"{name}: expected a number")
            if not math.isfinite(float(value)):
                raise BadValue(f"{name}: expected a finite number")
            return float(value)

        return number
    if isinstance(kind, JSON):

        def json_value(value: Any) -> Any:
            if not _finite(value):
                raise BadValue(f"{name}: expected finite numbers")
            return value

        return json_value

    def unsendable(_value: Any) -> Any:
        raise BadValue(f"{name}: cannot be sent")

    return unsendable


@dataclass(frozen=True)
class _Field:
    """What decoding a column's pushed value needs, looked up once."""

    name: str
    required: bool
    convert: Convert


_FIELDS: dict[Table, dict[str, _Field]] = {}


def _fields(table: Table) -> dict[str, _Field]:
    """Each column of ``table`` by key, with its conversion, kept once every
    column knows its type (a push decodes thousands of values by them). A
    foreign key's column has none of its own: it takes that of the column it
    names once that table is loaded, until then it is chosen again."""
    fields = _FIELDS.get(table)
    if fields is None:
        fields = {
            column.key: _Field(
                column.name, not column.nullable and not column.primary_key, _converter(column)
            )
            for column in table.columns
        }
        if not any(isinstance(column.type, NullType) for column in table.columns):
            _FIELDS[table] = fields
    return fields


def decode_values(table: Table, values: dict[str, Any]) -> dict[str, Any]:
    """JSON values to Python values by column; raises BadValue naming the
    first unknown or malformed field. Each value is checked for text that
    cannot be stored (anywhere inside it) before its column's conversion."""
    fields = _fields(table)
    decoded: dict[str, Any] = {}
    for key, value in values.items():
        field = fields.get(key)
        if field is None:
            if _text_problem(key) is not None:
                raise BadValue(f"a field name in {table.name} is not valid text")
            raise BadValue(f"{key}: no such field in {table.name}")
        if value is None:
            if field.required:
                raise BadValue(f"{field.name}: a value is required")
            decoded[key] = None
            continue
        kind = type(value)
        # Plain numbers and ASCII text without NUL, the usual values, without a call.
        if not (kind in SCALARS or (kind is str and value.isascii() and "\x00" not in value)):
            problem = _text_problem(value)
            if problem is not None:
                raise BadValue(f"{field.name}: {problem}")
        try:
            decoded[key] = field.convert(value)
        except BadValue:
            raise
        except (TypeError, ValueError, OverflowError) as error:
            raise BadValue(f"{field.name}: {value!r} is not valid ({error})") from None
    return decoded


def decode_checked(table: Table, values: dict[str, Any]) -> dict[str, Any]:
    """:func:`decode_values` for a service: a value that does not fit is
    InvalidValue naming its field, as staff's other mistakes are."""
    try:
        return decode_values(table, values)
    except BadValue as error:
        field, _, reason = str(error).partition(": ")
        raise InvalidValue(field, reason) from None
