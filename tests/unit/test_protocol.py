"""The push request's own checks of pushed values (sync/protocol.py)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from pydantic import ValidationError

from sync.protocol import MAX_VALUE_DEPTH, Mutation


def nested(depth: int, innermost: Any) -> Any:
    """``innermost`` inside ``depth`` containers, lists and dicts in turn."""
    value = innermost
    for level in range(depth):
        value = [value] if level % 2 else {"x": value}
    return value


def pushed(changes: dict[str, Any]) -> Mutation:
    return Mutation.model_validate(
        {"sequence": 1, "entity": "patients", "row_id": uuid.uuid4(), "operation": "update",
         "changes": changes, "base_version": 1, "user_id": uuid.uuid4()}
    )  # fmt: skip


def test_values_nested_as_deep_as_allowed_are_taken_and_one_level_more_refused() -> None:
    """The changes are the first level: a value in them may nest
    ``MAX_VALUE_DEPTH - 1`` containers holding something, however wide, and
    an empty container one level further (it holds nothing deeper)."""
    wide = {"a": 1, "b": [2, "three", None], "c": nested(MAX_VALUE_DEPTH - 1, 4)}
    assert pushed(wide).changes == wide
    assert pushed({"c": nested(MAX_VALUE_DEPTH - 1, [])}).changes["c"] is not None
    with pytest.raises(ValidationError, match=f"nested deeper than {MAX_VALUE_DEPTH} levels"):
        pushed({"a": 1, "c": nested(MAX_VALUE_DEPTH, 4)})
    with pytest.raises(ValidationError, match=f"nested deeper than {MAX_VALUE_DEPTH} levels"):
        pushed({"c": nested(MAX_VALUE_DEPTH, [5])})
