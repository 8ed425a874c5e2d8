"""PC A of ``bench.run_sync``'s sections 2 and 2b, in a process of its own.

    python -m bench.sync_pc --folder F --pc pc-1 --server URL --login L --seed S --count N
        [--controller]

Two clinic PCs do not share an interpreter: run in the bench's process, PC A
wrote its own change back (the server sends it to A's long-poll too) on the
interpreter lock B needed for its write, search and paint. Here A is what a
PC is: its own process, its own store (the one the bench made and logged
in, opened again; its user logged in offline), registering the patients
``new_patient_details(N, S)`` one by one when told and pushing each at once:
with ``--controller`` through the desktop's own ``SyncController`` (its push
loop woken as a screen's save wakes it, its long-poll running, as 2b has
it), else by ``engine.push`` on a thread (as 2 has it).

It talks JSON lines on stdin and stdout:

- ``{"register": i}``: register patient ``i``; answers ``{"id": hex,
  "a_committed": t}`` as soon as its commit returned (and the push started);
- ``{"marks": true}``: once that push is over (and with ``--controller`` A's
  own change written back, or two seconds gone), its marks: ``a_request_sent``
  and the server's push stages (``bench.run_sync.traced_pushes``); without
  it ``a_push_end`` (the push returned), with
  ``--controller`` also ``a_woken``, ``a_push_start``, ``a_own_write_start``
  and ``a_own_write_end``, and any ``errors``;
- ``{"stop": true}``: register the last patient and push it (it wakes B's
  long-poll, so B's loop ends), stop, answer ``{"stopped": true}`` and exit.

Every time is ``time.perf_counter()`` (CLOCK_MONOTONIC: one clock for every
process of the machine), so the bench lines A's marks up with its own.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.run_sync import (
    PASSWORD,
    Pc,
    _use_test_keyring,
    new_patient_details,
    register,
    traced_pushes,
)

OWN_WRITE_WAIT = 2.0  # seconds the marks wait for A's own change written back


def _answer(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def open_pc(folder: Path, name: str, server_url: str, login: str) -> Pc:
    """The PC the bench made in ``folder / name``, its user logged in offline."""
    from clinic.store import open_local_store
    from sync.auth import login_offline
    from sync.engine import SyncEngine
    from sync.transport import Transport

    store = open_local_store(folder / name)
    transport = Transport(server_url, store.device_id)
    pc = Pc(store=store, transport=transport, engine=SyncEngine(store, transport))
    pc.user = login_offline(store, login, PASSWORD)
    return pc


class PushedByThread:
    """Section 2: each registration pushed by ``engine.push`` on a thread."""

    def __init__(self, pc: Pc) -> None:
        self.pc = pc
        self.pusher: threading.Thread | None = None
        self.marks: dict[str, Any] = {}

    def start(self) -> None:
        pass

    def saved(self, marks: dict[str, Any]) -> None:
        from sync.engine import SyncReport

        self.marks = marks

        def push() -> None:
            try:
                with traced_pushes(self.pc, marks):
                    self.pc.engine.push(SyncReport())
            except Exception as error:
                marks.setdefault("errors", []).append(f"A push: {error!r}")
            finally:
                marks["a_push_end"] = time.perf_counter()

        self.pusher = threading.Thread(target=push, name="pc-a-push")
        self.pusher.start()

    def settled(self) -> dict[str, Any]:
        if self.pusher is not None:
            self.pusher.join()
        return self.marks

    def stop(self) -> None:
        from sync.engine import SyncReport

        self.pc.engine.push(SyncReport())


class PushedByController:
    """Section 2b: the desktop's ``SyncController`` pushes (woken as a
    screen's save wakes it) and long-polls; A's sync run and its own
    change written back are marked."""

    def __init__(self, pc: Pc) -> None:
        from desktop.sync_controller import SyncController
        from sync.engine import SyncReport

        self.pc = pc
        self.controller = SyncController(pc.store, pc.engine)
        self.marks: dict[str, Any] = {}
        engine = pc.engine
        restore, push, own_write = engine.finish_restore, engine.push, engine._write_page

        def traced_restore(report: SyncReport) -> None:
            self.marks.setdefault("a_woken", time.perf_counter())
            restore(report)

        def traced_push(report: SyncReport) -> None:
            self.marks.setdefault("a_push_start", time.perf_counter())
            push(report)

        def traced_own_write(answer: dict[str, Any], *args: Any) -> None:
            self.marks.setdefault("a_own_write_start", time.perf_counter())
            own_write(answer, *args)
            self.marks.setdefault("a_own_write_end", time.perf_counter())

        engine.finish_restore = traced_restore  # type: ignore[method-assign]
        engine.push = traced_push  # type: ignore[method-assign]
        engine._write_page = traced_own_write  # type: ignore[method-assign]
        self._tracing = traced_pushes(pc, self.marks)

    def start(self) -> None:
        self._tracing.__enter__()
        self.controller.start()

    def saved(self, marks: dict[str, Any]) -> None:
        self.marks.clear()
        self.marks.update(marks)
        self.controller.local_change_saved()

    def settled(self) -> dict[str, Any]:
        deadline = time.perf_counter() + OWN_WRITE_WAIT
        while "a_own_write_end" not in self.marks and time.perf_counter() < deadline:
            time.sleep(0.005)
        return dict(self.marks)

    def stop(self) -> None:
        from sync.engine import SyncReport

        self.controller._stopping.set()
        self.controller._wake_push.set()
        self.pc.engine.push(SyncReport())  # wakes the long-polls, A's and B's
        self.controller.stop()
        self._tracing.__exit__(None, None, None)


def main(argv: list[str] | None = None) -> int:
    from clinic.clock import clinic_today
    from sync.engine import SyncReport

    parser = argparse.ArgumentParser(prog="python -m bench.sync_pc")
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--pc", required=True, help="the PC's data folder in --folder")
    parser.add_argument("--server", required=True)
    parser.add_argument("--login", required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--controller", action="store_true")
    args = parser.parse_args(argv)
    _use_test_keyring(args.folder)
    pc = open_pc(args.folder, args.pc, args.server, args.login)
    today = clinic_today()
    people = new_patient_details(args.count, args.seed, today)
    pc.engine.top_up_numbers(SyncReport())
    pushing = PushedByController(pc) if args.controller else PushedByThread(pc)
    pushing.start()
    _answer({"ready": True})
    try:
        for line in sys.stdin:
            command = json.loads(line)
            if "register" in command:
                patient_id = register(pc, people[command["register"]], today)
                committed = time.perf_counter()
                pushing.saved({"a_committed": committed})
                _answer({"id": patient_id.hex, "a_committed": committed})
            elif "marks" in command:
                _answer(pushing.settled())
            elif "stop" in command:
                register(pc, people[-1], today)
                pushing.stop()
                _answer({"stopped": True})
                return 0
    finally:
        pc.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
