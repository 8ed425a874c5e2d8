"""Database calls whose answer goes to a widget that may be gone by then.

The callbacks given to :meth:`DbRunner.submit` travel with the work item and
are released by the database thread when it is done with it. A callback that
held a widget (a bound method, a closure over ``self``) could thereby drop the
last Python reference to that widget on the database thread, and Python would
destroy it there, off the GUI thread: a crash. So the callbacks here reach
their widget through a weak reference only, and receive it as an argument.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QObject

from desktop.runner import DbRunner

Owner = TypeVar("Owner", bound=QObject)


def submit_for(
    owner: Owner,
    db: DbRunner,
    work: Callable[[], Any],
    on_done: Callable[[Owner, Any], None],
    on_error: Callable[[Owner, BaseException], None],
) -> None:
    """Run ``work`` on the database thread, then ``on_done(owner, result)`` or
    ``on_error(owner, error)`` on the GUI thread, unless ``owner`` was deleted
    meanwhile. ``work``, ``on_done`` and ``on_error`` must not hold ``owner``
    or any other widget (use unbound methods, or closures over plain data)."""
    ref = weakref.ref(owner)

    def alive() -> Owner | None:
        target = ref()
        return target if target is not None and shiboken6.isValid(target) else None

    def done(result: Any) -> None:
        target = alive()
        if target is not None:
            on_done(target, result)

    def failed(error: BaseException) -> None:
        target = alive()
        if target is not None:
            on_error(target, error)

    db.submit(work, done, failed)
