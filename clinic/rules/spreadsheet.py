"""Text written into a file a spreadsheet will open (CSV exports).

A cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage
return) is taken by Excel and LibreOffice as a formula, so a patient named
``=HYPERLINK(...)`` could run one on the claims manager's PC. :func:`text_cell`
puts an apostrophe in front of such text, which spreadsheets show as text and
do not display; numbers and dates are written as themselves, not through it.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(value: str | None) -> str:
    """``value`` safe to open in a spreadsheet; None is an empty cell."""
    if value is None:
        return ""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value
