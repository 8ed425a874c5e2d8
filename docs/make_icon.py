"""The app's icon, drawn with Qt: resources/icon.png (the window's icon) and
the executable's, resources/icon.ico (Windows) and resources/icon.icns
(macOS), which build.spec gives PyInstaller.

    python docs/make_icon.py     (from a checkout, in the project's venv)

A white cross on the style sheet's blue, in a rounded square. The files are
committed: run this again only to change the icon.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter, QPainterPath

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
BLUE = QColor("#2f6f8f")  # the style sheet's accent (resources/style.qss)
SIZES = {"icon.png": 512, "icon.ico": 256, "icon.icns": 512}


def draw(size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    margin = size * 0.06
    square = QRectF(margin, margin, size - 2 * margin, size - 2 * margin)
    rounded = QPainterPath()
    rounded.addRoundedRect(square, size * 0.18, size * 0.18)
    painter.fillPath(rounded, BLUE)
    arm, length = size * 0.17, size * 0.56
    start = (size - length) / 2
    cross = QPainterPath()
    cross.addRoundedRect(QRectF((size - arm) / 2, start, arm, length), arm * 0.2, arm * 0.2)
    cross.addRoundedRect(QRectF(start, (size - arm) / 2, length, arm), arm * 0.2, arm * 0.2)
    cross.setFillRule(Qt.FillRule.WindingFill)
    painter.fillPath(cross.simplified(), Qt.GlobalColor.white)
    painter.end()
    return image


def main() -> None:
    _application = QGuiApplication.instance() or QGuiApplication(sys.argv)
    for name, size in SIZES.items():
        path = RESOURCES / name
        if not draw(size).save(str(path)):
            raise SystemExit(f"Qt could not write {path} (no image plugin for its format?)")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
