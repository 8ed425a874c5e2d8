"""What a PDF says, read with Qt's own PDF engine (QtPdf), so tests can check
the printed forms without poppler or any other system tool; and Qt's print
dialog answered with a PDF file, so printing is tested through the dialog."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSizeF, QTimer
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrintDialog
from PySide6.QtWidgets import QApplication, QLineEdit

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


def answer_print_dialog(file_name: str | None) -> None:
    """On the next print dialog, print to the PDF ``file_name``, or cancel."""

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QPrintDialog):
            QTimer.singleShot(10, answer)
            return
        if file_name is None:
            dialog.reject()
            return
        target = dialog.findChild(QLineEdit, "filename")
        assert target is not None, "Qt's print dialog has its print-to-file name field"
        target.setText(file_name)
        dialog.accept()

    QTimer.singleShot(0, answer)
