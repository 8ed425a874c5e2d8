"""One read of the change feed for every device at the same place.

Devices that are caught up sit at the same cursor with the same scope: a
change wakes all of them at once, and each would read the same page
(DESIGN.md, Scale). Here the first of them reads it and the others await
that read and share its answer, the page's JSON built once. An answer is
kept while its branch's generation (``server.notifier``) has not moved since
its read began: a change the read might have missed moves the generation
first, so a kept answer is never older than one a new read could give.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from server.sync.feed import Page, Scope

KEEP_SECONDS = 30.0
"""How long an answer is kept at most (swept this often)."""


@dataclass(frozen=True)
class SharedPage:
    """A page and its ``tables`` JSON, built once for all who share it."""

    page: Page
    body: str

    @classmethod
    def of(cls, page: Page | None) -> SharedPage | None:
        return None if page is None else cls(page, page.body())


@dataclass
class _Read:
    generation: int
    started: float
    answer: asyncio.Task[SharedPage | None]


Key = tuple[Scope, tuple[int, int], int]


class SharedPages:
    """Answers of the feed by (scope, cursor, limit), one read each."""

    def __init__(self) -> None:
        self._reads: dict[Key, _Read] = {}
        self._swept = time.monotonic()
        self.reads = 0
        """How many reads reached the database."""

    async def get(
        self,
        key: Key,
        generation: int,
        read: Callable[[], Coroutine[Any, Any, SharedPage | None]],
    ) -> SharedPage | None:
        """The answer at ``key`` read at ``generation`` (the branch's
        generation seen before asking), reading it unless someone has. The
        read is a task of its own: a device that hangs up does not cancel
        it for the others."""
        kept = self._reads.get(key)
        if kept is None or kept.generation != generation:
            now = time.monotonic()
            if now - self._swept > KEEP_SECONDS:
                self._forget_before(now - KEEP_SECONDS)
            kept = _Read(generation, now, asyncio.ensure_future(read()))
            kept.answer.add_done_callback(lambda task: self._drop_failed(key, task))
            self._reads[key] = kept
            self.reads += 1
        return await asyncio.shield(kept.answer)

    def _drop_failed(self, key: Key, task: asyncio.Task[SharedPage | None]) -> None:
        kept = self._reads.get(key)
        if kept is not None and kept.answer is task and (task.cancelled() or task.exception()):
            del self._reads[key]

    def _forget_before(self, moment: float) -> None:
        self._swept = time.monotonic()
        for key in [key for key, read in self._reads.items() if read.started < moment]:
            if self._reads[key].answer.done():
                del self._reads[key]
