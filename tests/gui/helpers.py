"""Mouse helpers that speak music: click and drag at (pitch, beat), not at pixels."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from musicassist.core.score import Note, Score, Track
from musicassist.gui.roll_editor import PianoRollEditor

F = Fraction
NO_MODIFIER = Qt.KeyboardModifier.NoModifier
LEFT = Qt.MouseButton.LeftButton


def point_at(editor: PianoRollEditor, pitch: int, beat: Fraction | float) -> QPoint:
    x, y = editor.point_at(pitch, beat)
    return QPoint(round(x), round(y))


def set_zoom(editor: PianoRollEditor, pixels_per_beat: float) -> None:
    """A fixed horizontal zoom, so that clicks rounded to whole pixels land within 1/100 beat."""
    editor.zoom(pixels_per_beat / editor.roll_geometry.pixels_per_beat, 1.0)


def click(widget: QWidget, point: QPoint, modifier: Qt.KeyboardModifier = NO_MODIFIER,
          button: Qt.MouseButton = LEFT) -> None:
    QTest.mousePress(widget, button, modifier, point)
    QTest.mouseRelease(widget, button, modifier, point)


def drag(widget: QWidget, start: QPoint, end: QPoint, steps: int = 4,
         modifier: Qt.KeyboardModifier = NO_MODIFIER) -> None:
    """Press, move in several steps (as a hand does), release."""
    QTest.mousePress(widget, LEFT, modifier, start)
    for i in range(1, steps + 1):
        QTest.mouseMove(widget, QPoint(start.x() + (end.x() - start.x()) * i // steps,
                                       start.y() + (end.y() - start.y()) * i // steps))
    QTest.mouseRelease(widget, LEFT, modifier, end)


def activate(qtbot, window: QWidget) -> None:
    """Make ``window`` the active one, so that its keyboard shortcuts answer key clicks."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)


def melody_score(bars: int = 4) -> Score:
    """A C-major line, one quarter per beat, plus a bass track, ``bars`` bars of 4/4."""
    scale = (60, 62, 64, 65, 67, 69, 71, 72)
    melody = tuple(Note(F(i), scale[i % 8], F(1), 60 + i % 40) for i in range(4 * bars))
    bass = tuple(Note(F(4 * i), 48, F(4), 70, channel=1) for i in range(bars))
    return Score(tracks=(Track("Melody", melody), Track("Bass", bass, channel=1)), length_bars=bars)


def write_midi(score: Score, path: Path) -> Path:
    from musicassist.io import write_score

    write_score(score, path)
    return path
