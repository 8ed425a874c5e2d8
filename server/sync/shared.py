"""One read of the change feed for every device at the same place.

Devices that are caught up sit at the same cursor with the same scope: a
change wakes all of them at once, and each would read the same page
(DESIGN.md, Scale). Here the first of them reads it and the others await
that read and share its answer, the page's JSON built once. An answer is
kept while its branch's generation (``server.notifier``) has not moved since
its read began: a change the read might have missed moves the generation
first, so a kept answer is never older than one a new read could give.

Under sustained change the answers are spaced (:class:`AnswerSpacing`): a
device answered less than a moment ago that asks again gets its answer when
the moment has passed, carrying every change since, so a busy server sends
fewer, fuller pages rather than one per change per device; with many
devices the moment grows, so the answers a second stay bounded.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from server.sync.feed import Page, Scope

ANSWERS_AT_ONCE = 8
"""How many devices sharing a read go on to their answers in one turn of
the event loop."""
KEEP_SECONDS = 30.0
"""How long an answer is kept at most (swept this often)."""

SPACING_SECONDS = 1.5
"""A busy process answers a device with changes at most this often."""
BUSY_ANSWERS_PER_SECOND = 100
"""From how many answers with changes a second a process is busy."""
MOST_ANSWERS_PER_SECOND = 300
"""How many devices a busy process answers a second, at most, by
lengthening the period between two answers to one device."""
PERIOD_STEP_SECONDS = 0.5
"""The period grows and shrinks by this much."""


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


class Turnstile:
    """Lets the tasks that await :meth:`through` go on ``at_once`` a turn
    of the event loop, in the order they came. A read shared by tens or
    hundreds of devices ends for all of them at once, and each then builds
    and sends its answer: one after the other they would keep the loop for
    tens of milliseconds, and a health check or a push that came meanwhile
    would wait behind all of them, at each of its own steps. Through here
    it waits behind ``at_once`` at most."""

    def __init__(self, at_once: int) -> None:
        self.at_once = at_once
        self._queue: deque[asyncio.Future[None]] = deque()
        self._letting = False

    async def through(self) -> None:
        loop = asyncio.get_running_loop()
        go: asyncio.Future[None] = loop.create_future()
        self._queue.append(go)
        if not self._letting:
            self._letting = True
            loop.call_soon(self._let_some, loop)
        await go

    def _let_some(self, loop: asyncio.AbstractEventLoop) -> None:
        for _ in range(min(self.at_once, len(self._queue))):
            go = self._queue.popleft()
            if not go.done():  # not cancelled: its device is still there
                go.set_result(None)
        if self._queue:
            loop.call_soon(self._let_some, loop)
        else:
            self._letting = False


class SharedPages:
    """Answers of the feed by (scope, cursor, limit), one read each."""

    def __init__(self) -> None:
        self._reads: dict[Key, _Read] = {}
        self._swept = time.monotonic()
        self.reads = 0
        """How many reads reached the database."""
        self._turnstile = Turnstile(ANSWERS_AT_ONCE)

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
        answer = await asyncio.shield(kept.answer)
        await self._turnstile.through()
        return answer

    def _drop_failed(self, key: Key, task: asyncio.Task[SharedPage | None]) -> None:
        kept = self._reads.get(key)
        if kept is not None and kept.answer is task and (task.cancelled() or task.exception()):
            del self._reads[key]

    def _forget_before(self, moment: float) -> None:
        self._swept = time.monotonic()
        for key in [key for key, read in self._reads.items() if read.started < moment]:
            if self._reads[key].answer.done():
                del self._reads[key]


class AnswerSpacing:
    """When a process answers many pulls with changes (a patient a second
    concerns every PC of the clinic, and each answered PC asks again at
    once), a long-poll from a device it answered less than a period ago
    waits until the period has passed since, and then reads: one answer
    carries every change of that moment. A quiet process never holds: the
    first change after quiet goes out at once, and so does every change to
    a clinic's PCs at a clinic's pace (``busy_per_second`` counts the
    process's answers, not one device's).

    The period is ``seconds``, and longer when the process answers more
    devices than ``most_per_second`` times ``seconds``: then it is as long as
    answering each of them once at ``most_per_second`` takes (lengthened a
    :data:`PERIOD_STEP_SECONDS` at a time, and shortened only when a whole
    step too long). Thousands of PCs get fuller answers a little less
    often, and the process keeps time for health checks and pushes.

    ``seconds`` 0 never holds; ``busy_per_second`` 0 always may;
    ``most_per_second`` 0 keeps the period at ``seconds``. On the event
    loop only."""

    def __init__(
        self,
        seconds: float = SPACING_SECONDS,
        busy_per_second: int = BUSY_ANSWERS_PER_SECOND,
        most_per_second: int = MOST_ANSWERS_PER_SECOND,
    ) -> None:
        self.seconds = seconds
        self.busy_per_second = busy_per_second
        self.most_per_second = most_per_second
        self.period = seconds
        """How long a device answered waits before its next answer, now."""
        self._answered: dict[uuid.UUID, float] = {}
        self._window = time.monotonic()
        self._count = 0
        self._rate = 0.0
        self.held = 0
        """How many long-polls were held."""

    async def hold(self, device_id: uuid.UUID, most: float) -> None:
        """Wait (at most ``most`` seconds) until ``device_id`` may be
        answered again, when the process is busy."""
        now = time.monotonic()
        last = self._answered.get(device_id)
        if last is None or not self._busy(now):
            return
        delay = min(last + self.period - now, most)
        if delay > 0:
            self.held += 1
            await asyncio.sleep(delay)

    def answered(self, device_id: uuid.UUID) -> None:
        """Note that ``device_id`` was just sent changes."""
        now = time.monotonic()
        self._roll(now)
        self._count += 1
        if self.seconds > 0:
            self._answered[device_id] = now

    def fit_period(self, devices: int) -> None:
        """The period for answering ``devices`` each once in it, at most
        ``most_per_second`` a second: lengthened when too short, shortened
        when a whole step too long, never under ``seconds``."""
        if self.most_per_second <= 0:
            return
        needed = devices / self.most_per_second
        if needed > self.period or needed < self.period - PERIOD_STEP_SECONDS:
            steps = math.ceil(needed / PERIOD_STEP_SECONDS)
            self.period = max(self.seconds, steps * PERIOD_STEP_SECONDS)

    def _busy(self, now: float) -> bool:
        self._roll(now)
        return max(self._rate, self._count) >= self.busy_per_second

    def _roll(self, now: float) -> None:
        """Every second: the last second's rate; the period for the devices
        answered in the last two periods (each once in a period, give or
        take its answer's way back), and forget those answered before."""
        elapsed = now - self._window
        if elapsed < 1.0:
            return
        self._rate = self._count / elapsed
        self._window, self._count = now, 0
        old = now - 2 * self.period
        self._answered = {device: at for device, at in self._answered.items() if at > old}
        self.fit_period(len(self._answered))
