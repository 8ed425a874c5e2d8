"""What a PDF says, read with Qt's own PDF engine (QtPdf), so tests can check
the printed forms without poppler or any other system tool."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSizeF
from PySide6.QtPdf import QPdfDocument

POINTS_PER_MM = 72 / 25.4


def _open(path: Path) -> QPdfDocument:
    document = QPdfDocument()
    error = document.load(str(path))
    assert error == QPdfDocument.Error.None_, f"{path} is not a readable PDF: {error.name}"
    return document


def pdf_text(path: Path) -> str:
    """The text of every page of the PDF at ``path``, page after page."""
    document = _open(path)
    try:
        return "\n".join(document.getAllText(page).text() for page in range(document.pageCount()))
    finally:
        document.close()


def pdf_page_count(path: Path) -> int:
    document = _open(path)
    try:
        return document.pageCount()
    finally:
        document.close()


def pdf_page_size_mm(path: Path, page: int = 0) -> QSizeF:
    """The size of page ``page`` in millimetres (A4 is 210 x 297)."""
    document = _open(path)
    try:
        return document.pagePointSize(page) / POINTS_PER_MM
    finally:
        document.close()
