"""How long a busy process holds a device it answered lately
(:class:`server.sync.shared.AnswerSpacing`): the period grows with the
devices it answers, so the answers a second stay bounded, and shrinks back
when they are fewer."""

from __future__ import annotations

import asyncio
import time
import uuid

from server.sync.shared import AnswerSpacing


def device(number: int) -> uuid.UUID:
    return uuid.UUID(int=number)


def test_the_period_grows_with_the_devices_and_shrinks_a_whole_step_after() -> None:
    spacing = AnswerSpacing(1.5, busy_per_second=0, most_per_second=100)
    spacing.fit_period(100)  # one second's answers
    assert spacing.period == 1.5
    spacing.fit_period(1000)
    assert spacing.period == 10.0
    spacing.fit_period(960)  # within a step: kept, not moved back and forth
    assert spacing.period == 10.0
    spacing.fit_period(890)
    assert spacing.period == 9.0
    spacing.fit_period(3)
    assert spacing.period == 1.5


def test_a_period_fixed_by_its_setting_does_not_grow() -> None:
    spacing = AnswerSpacing(1.5, busy_per_second=0, most_per_second=0)
    spacing.fit_period(100_000)
    assert spacing.period == 1.5


def test_the_devices_answered_set_the_period_and_the_hold() -> None:
    """60 devices answered, at most 20 a second: at the next second's roll
    the period is 3 s, and a device answered then is held 3 s, not 1."""
    spacing = AnswerSpacing(1.0, busy_per_second=0, most_per_second=20)

    async def scenario() -> float:
        for number in range(60):
            spacing.answered(device(number))
        await asyncio.sleep(1.01)
        spacing.answered(device(0))  # the roll, then its answer
        started = time.monotonic()
        await spacing.hold(device(0), 10)
        return time.monotonic() - started

    held_for = asyncio.run(scenario())
    assert spacing.period == 3.0
    assert 2.9 <= held_for < 3.5
    assert spacing.held == 1
