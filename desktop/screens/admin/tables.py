"""What the admin's review screens share: times in Nairobi, and running a
settling action on the database thread with its refusal shown (their tables
are :func:`desktop.widgets.rows_table`'s)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtWidgets import (
    QMessageBox,
    QWidget,
)

from clinic.clock import NAIROBI, clinic_today
from clinic.errors import InvalidValue, NotAllowed
from desktop.context import AppContext
from desktop.display import translate


def when(moment: datetime | None, *, with_date: bool = True) -> str:
    """A time in Nairobi; the day only when ``with_date`` and not today."""
    if moment is None:
        return ""
    local = moment.astimezone(NAIROBI)
    today = local.date() == clinic_today()
    return local.strftime("%d %b %H:%M" if with_date and not today else "%H:%M")


def run_write(
    parent: QWidget,
    ctx: AppContext,
    work: Callable[[], None],
    done: Callable[[], None],
    on_invalid: Callable[[InvalidValue], None] | None = None,
) -> None:
    """Run ``work`` (a write in its own transaction) on the database thread;
    then push it and call ``done``. A refusal (NotAllowed, or InvalidValue
    without ``on_invalid``) is shown in a message box; nothing was written."""

    def finished(_result: object) -> None:
        ctx.saved()
        done()

    def failed(error: BaseException) -> None:
        if isinstance(error, InvalidValue) and on_invalid is not None:
            on_invalid(error)
            return
        if not isinstance(error, NotAllowed | InvalidValue):
            raise error
        QMessageBox.warning(parent, translate("AdminTables", "Not done"), str(error))

    ctx.db.submit(work, finished, failed)
