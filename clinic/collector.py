"""Python's cyclic garbage collector held off during bulk work."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cycle collector paused until leaving, then as it was before.

    For work that makes hundreds of thousands of objects that live until it
    ends (a first sync's pages, a report's lines, an import's rows) and no
    reference cycles, so that reference counting frees what it drops: the
    collector would otherwise walk them all again and again as they are
    made, each pass holding the interpreter lock (1.2-1.5 s of a 13 s
    first sync, a tenth of a month's register, a tenth of an import)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
