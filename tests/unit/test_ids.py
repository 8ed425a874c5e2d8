"""Record ids: UUIDv7, in the order they were made."""

from __future__ import annotations

import time
import uuid

import pytest

from clinic.db import uuid7


def test_ids_made_within_one_millisecond_sort_in_the_order_they_were_made() -> None:
    ids = [uuid7() for _ in range(5_000)]
    assert sorted(ids) == ids
    assert len(set(ids)) == len(ids)
    assert {(i.version, i.variant) for i in ids} == {(7, uuid.RFC_4122)}


def test_ids_keep_their_order_when_the_clock_steps_back(monkeypatch: pytest.MonkeyPatch) -> None:
    first = uuid7()
    made_ms = first.int >> 80
    monkeypatch.setattr(time, "time_ns", lambda: (made_ms - 60_000) * 1_000_000)
    later = [uuid7() for _ in range(3)]
    assert [first, *later] == sorted({first, *later})
    assert {i.int >> 80 for i in later} == {made_ms}
    assert {(i.version, i.variant) for i in later} == {(7, uuid.RFC_4122)}


def test_an_id_carries_the_time_it_was_made() -> None:
    before = time.time_ns() // 1_000_000
    made = uuid7().int >> 80
    assert before <= made <= time.time_ns() // 1_000_000
