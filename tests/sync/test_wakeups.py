"""Who a change wakes, and when (DESIGN.md, Scale): a waiting pull wakes for
a change of its branch or of the whole clinic, not another branch's, and
only once every older transaction has ended, so its read finds the change;
devices asking the same page at the same moment share one read."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from clinic.enums import Role
from clinic.journal.service import notify_change
from server.database import Database
from server.notifier import WAKE_AT_ONCE, WAKE_TICK_SECONDS, ChangeNotifier
from server.sync.feed import Page, Scope
from server.sync.shared import ANSWERS_AT_ONCE, SharedPage, SharedPages

HERE, THERE = uuid.uuid4(), uuid.uuid4()


@pytest.fixture
def notifier(central: Database) -> Iterator[ChangeNotifier]:
    notifier = ChangeNotifier(central.conninfo())
    notifier.start()
    yield notifier
    notifier.stop()


def commit_change(central: Database, branch_id: uuid.UUID | None) -> None:
    with central.sessions.begin() as session:
        notify_change(session, {branch_id})


async def listening(notifier: ChangeNotifier) -> None:
    """Until the listener is connected (it moves every generation then)."""
    for _ in range(200):
        if notifier.generation(HERE):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the listener never connected")


def test_a_waiting_pull_wakes_for_its_branch_and_the_clinic_not_another_branch(
    central: Database, notifier: ChangeNotifier
) -> None:
    async def scenario() -> None:
        await listening(notifier)
        seen = notifier.generation(HERE)
        waiting = asyncio.ensure_future(notifier.wait(HERE, seen, 10))
        await asyncio.to_thread(commit_change, central, THERE)
        await asyncio.sleep(1.0)
        assert not waiting.done()
        assert notifier.generation(HERE) == seen

        await asyncio.to_thread(commit_change, central, HERE)
        assert await asyncio.wait_for(waiting, 3) is True

        seen = notifier.generation(HERE)
        waiting = asyncio.ensure_future(notifier.wait(HERE, seen, 10))
        await asyncio.to_thread(commit_change, central, None)  # a patient: everyone's
        assert await asyncio.wait_for(waiting, 3) is True
        assert notifier.generation(THERE) > 0

    asyncio.run(scenario())


def test_a_change_behind_an_open_older_transaction_wakes_pulls_when_that_one_ends(
    central: Database, notifier: ChangeNotifier
) -> None:
    """Woken at the change's commit, a pull would find nothing (the feed
    hands out nothing above the oldest open transaction) and sleep through
    it; the listener holds the wake-up until the horizon passes."""

    async def scenario() -> None:
        await listening(notifier)
        seen = notifier.generation(HERE)
        older = central.sessions()
        try:
            older.execute(text("SELECT pg_current_xact_id()"))  # an xid, still open
            await asyncio.to_thread(commit_change, central, HERE)
            await asyncio.sleep(1.0)
            assert notifier.generation(HERE) == seen
            waiting = asyncio.ensure_future(notifier.wait(HERE, seen, 10))
            older.rollback()  # ends without a notification of its own
        finally:
            older.close()
        assert await asyncio.wait_for(waiting, 3) is True

    asyncio.run(scenario())


def a_page(cursor: str) -> Page:
    return Page([("patients", "[]")], {"patients": 1}, cursor, False, None)


def test_reads_of_one_page_at_one_generation_are_shared() -> None:
    scope = Scope.of(HERE, [Role.RECEPTIONIST])
    reads: list[int] = []

    async def read() -> SharedPage | None:
        reads.append(1)
        await asyncio.sleep(0.05)
        return SharedPage.of(a_page(f"{len(reads)}.1.{scope.tag}"))

    async def failing() -> SharedPage | None:
        raise RuntimeError("the database went away")

    async def scenario() -> None:
        pages = SharedPages()
        key = (scope, (0, 0), 1000)
        together = await asyncio.gather(*(pages.get(key, 7, read) for _ in range(50)))
        assert len(reads) == 1
        assert len({id(shared) for shared in together}) == 1  # the same bytes for all
        assert (await pages.get(key, 7, read)) is together[0]
        assert len(reads) == 1

        moved = await pages.get(key, 8, read)  # a change since: read again
        assert len(reads) == 2 and moved is not None and moved.page.cursor.startswith("2.")
        other = await pages.get((scope, (5, 9), 1000), 8, read)  # another cursor
        assert len(reads) == 3 and other is not moved

        with pytest.raises(RuntimeError):
            await pages.get((scope, (9, 9), 1000), 8, failing)
        again = await pages.get((scope, (9, 9), 1000), 8, read)  # a failure is not kept
        assert again is not None and len(reads) == 4
        assert pages.reads == 5

    asyncio.run(scenario())


def test_devices_sharing_a_read_go_on_a_few_a_turn_and_others_run_between() -> None:
    """A read shared by 50 devices ends for all at once; they go on to their
    answers :data:`ANSWERS_AT_ONCE` a turn of the loop, in order, and a
    health check's steps run between them; a device that hung up meanwhile
    holds nobody up."""
    scope = Scope.of(HERE, [Role.RECEPTIONIST])
    ran: list[str] = []
    release = asyncio.Event()

    async def read() -> SharedPage | None:
        await release.wait()
        return SharedPage.of(a_page(f"1.1.{scope.tag}"))

    async def device(number: int, pages: SharedPages) -> None:
        await pages.get((scope, (0, 0), 1000), 7, read)
        ran.append(f"device {number}")

    async def health_check() -> None:
        for _ in range(10):
            ran.append("health")
            await asyncio.sleep(0)

    async def scenario() -> None:
        pages = SharedPages()
        devices = [asyncio.ensure_future(device(n, pages)) for n in range(50)]
        await asyncio.sleep(0.01)
        gone = devices.pop(20)  # its PC hung up while the read ran
        gone.cancel()
        release.set()
        await asyncio.sleep(0)
        await asyncio.gather(health_check(), *devices)

    asyncio.run(scenario())
    answered = [step for step in ran if step != "health"]
    assert answered == [f"device {n}" for n in range(50) if n != 20]
    runs = "".join("h" if step == "health" else "d" for step in ran).split("h")
    assert max(len(run) for run in runs) <= ANSWERS_AT_ONCE
    assert ran.index("health") < ran.index("device 49")


def test_a_clinic_wide_change_wakes_every_waiting_pull_once_a_few_at_a_time(
    central: Database, notifier: ChangeNotifier
) -> None:
    """Thousands of PCs wait; a patient concerns them all. They are woken
    :data:`WAKE_AT_ONCE` at a time, every one of them, and a second change
    during the waking wakes again those already back to waiting: none is
    lost, and each pull sees both changes."""
    pulls = WAKE_AT_ONCE * 3 + 7
    woken: list[list[float]] = [[] for _ in range(pulls)]
    first_woken = asyncio.Event()

    async def pull(number: int, branch_id: uuid.UUID, start: int) -> None:
        seen = start
        while seen < start + 2:
            assert await notifier.wait(branch_id, seen, 20) is True
            woken[number].append(time.monotonic())
            first_woken.set()
            seen = notifier.generation(branch_id)

    async def scenario() -> None:
        await listening(notifier)
        waiting = []
        for number in range(pulls):
            branch_id = HERE if number % 2 else THERE
            start = notifier.generation(branch_id)
            waiting.append(asyncio.ensure_future(pull(number, branch_id, start)))
        await asyncio.sleep(0.2)
        await asyncio.to_thread(commit_change, central, None)
        await asyncio.wait_for(first_woken.wait(), 5)
        await asyncio.to_thread(commit_change, central, None)  # while waking
        await asyncio.wait_for(asyncio.gather(*waiting), 20)

    asyncio.run(scenario())
    assert all(1 <= len(times) <= 2 for times in woken)
    assert any(len(times) == 2 for times in woken)  # back to waiting, woken again
    firsts = sorted(times[0] for times in woken)
    # Not all at once: the next ones a tick after the first few.
    assert firsts[WAKE_AT_ONCE] - firsts[0] >= WAKE_TICK_SECONDS * 0.9
    assert firsts[-1] - firsts[0] >= 3 * WAKE_TICK_SECONDS * 0.9
