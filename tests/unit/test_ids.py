"""Record ids: UUIDv7, in the order they were made."""

from __future__ import annotations

import itertools
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


def test_an_id_of_a_new_millisecond_draws_new_random_bits(monkeypatch: pytest.MonkeyPatch) -> None:
    # Only ids within one millisecond count on from the last; another PC's
    # ids of the same millisecond must not collide with these.
    start_ms = time.time_ns() // 1_000_000 + 60_000
    made = []
    for ms in range(start_ms, start_ms + 20):
        monkeypatch.setattr(time, "time_ns", lambda ms=ms: ms * 1_000_000)
        made.append(uuid7())
    randoms = [i.int & ((1 << 80) - 1) for i in made]
    assert [i.int >> 80 for i in made] == list(range(start_ms, start_ms + 20))
    assert all(later != earlier + 1 for earlier, later in itertools.pairwise(randoms))
    assert len(set(randoms)) == len(randoms)
