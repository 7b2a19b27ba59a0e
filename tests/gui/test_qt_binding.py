"""Guard against a broken Qt binding: PySide6 6.12.0 on Python 3.11 drops a reference to None
on every call of a method returning void, so a GUI session dies with "deallocating None"
after some thousands of paints. pyproject.toml pins PySide6 below 6.12 for that reason."""

import sys

import pytest
from PySide6.QtCore import QObject, QRectF
from PySide6.QtGui import QColor, QImage, QPainter

pytestmark = pytest.mark.gui


def test_void_qt_calls_keep_the_reference_count_of_none(qapp):
    image = QImage(16, 16, QImage.Format.Format_ARGB32_Premultiplied)
    painter = QPainter(image)
    holder = QObject()
    before = sys.getrefcount(None)
    for _ in range(2000):
        painter.drawRect(QRectF(1, 1, 4, 4))
        painter.setBrush(QColor(10, 20, 30))
        holder.setObjectName("x")
    after = sys.getrefcount(None)
    painter.end()
    assert after - before > -100, f"None lost {before - after} references in 6000 void calls"
