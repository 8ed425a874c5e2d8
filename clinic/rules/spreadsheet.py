"""Text written into a file a spreadsheet will open (CSV exports).

A cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage
return) is taken by Excel and LibreOffice as a formula, so a patient named
``=HYPERLINK(...)`` could run one on the claims manager's PC. :func:`text_cell`
puts an apostrophe in front of such text, which spreadsheets show as text and
do not display; numbers and dates are written as themselves, not through it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

FORMULA_STARTS = frozenset(("=", "+", "-", "@", "\t", "\r"))


def text_cell(value: str | None) -> str:
    """``value`` safe to open in a spreadsheet; None is an empty cell."""
    if value is None:
        return ""
    return f"'{value}" if value[:1] in FORMULA_STARTS else value


def text_row(cells: Sequence[Any]) -> list[Any]:
    """A line of cells with every text cell made safe as :func:`text_cell`
    makes it and the rest as they are; a register of tens of thousands of
    lines goes through here, so the test is written inline."""
    return [
        f"'{cell}" if cell.__class__ is str and cell[:1] in FORMULA_STARTS else cell
        for cell in cells
    ]
