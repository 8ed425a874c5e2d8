"""The server process's cycle collector (``server.cli._tune_collector``):
the objects made at start frozen out of its walks, and the youngest
generation let grow to :data:`server.cli.YOUNG_OBJECTS` between looks."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from server.cli import YOUNG_OBJECTS, _tune_collector


@pytest.fixture
def collector_restored() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("collector_restored")
def test_the_server_freezes_its_start_and_lets_the_young_grow() -> None:
    made_at_start = [{"row": n} for n in range(1_000)]
    before = gc.get_threshold()
    _tune_collector()
    assert gc.get_freeze_count() >= len(made_at_start)
    assert all(not any(o is row for o in gc.get_objects()) for row in made_at_start[:3])
    assert gc.get_threshold() == (YOUNG_OBJECTS, *before[1:])
