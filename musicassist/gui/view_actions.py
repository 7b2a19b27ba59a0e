"""The View menu: zoom in time and in pitch rows, fit, fit to the selection, docks, follow the playhead.

The roll editor does the zooming; this builds the actions with their
shortcuts (Ctrl+= / Ctrl+- zoom time, Ctrl+Alt+Up/Down the rows, Ctrl+0 fits
the piece, Ctrl+Shift+0 the selection) and the menu that holds them.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMenu, QWidget

from .roll_editor import PianoRollEditor


class ViewActions:
    def __init__(self, parent: QWidget, editor: PianoRollEditor):
        self._parent = parent
        self.editor = editor
        self.zoom_in = self._action("Zoom &In", lambda: editor.zoom(1.25, 1.0), QKeySequence.StandardKey.ZoomIn)
        self.zoom_out = self._action("Zoom &Out", lambda: editor.zoom(0.8, 1.0), QKeySequence.StandardKey.ZoomOut)
        self.taller_rows = self._action("&Taller Rows", lambda: editor.zoom(1.0, 1.15), "Ctrl+Alt+Up")
        self.shorter_rows = self._action("S&horter Rows", lambda: editor.zoom(1.0, 1 / 1.15), "Ctrl+Alt+Down")
        self.zoom_fit = self._action("Zoom to &Fit", editor.zoom_to_fit, "Ctrl+0")
        self.zoom_selection = self._action("Zoom to &Selection", editor.zoom_to_selection, "Ctrl+Shift+0")
        self.follow = QAction("&Follow Playhead", parent, checkable=True, checked=True)
        self.follow.toggled.connect(lambda on: setattr(editor, "follow_playhead", on))

    def _action(self, text: str, slot: Callable[[], object],
                shortcut: QKeySequence | QKeySequence.StandardKey | str) -> QAction:
        action = QAction(text, self._parent)
        action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def fill_menu(self, menu: QMenu, docks: list[QDockWidget]) -> None:
        menu.addActions([self.zoom_in, self.zoom_out, self.taller_rows, self.shorter_rows, self.zoom_fit,
                         self.zoom_selection])
        menu.addSeparator()
        menu.addActions([dock.toggleViewAction() for dock in docks])
        menu.addAction(self.follow)
