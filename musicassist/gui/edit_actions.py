"""The Edit menu and the roll's keyboard shortcuts, wired to ``note_actions``.

Arrow keys (nudge, shift+up/down an octave) are scoped to the piano roll so
they keep working normally in the assistant panel's spin boxes.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox, QWidget

from musicassist.core.errors import MusicAssistError

from . import note_actions
from .document import Document
from .note_actions import Clip
from .roll_editor import PianoRollEditor


class EditActions(QObject):
    def __init__(self, window: QWidget, document: Document, editor: PianoRollEditor):
        super().__init__(window)
        self.window = window
        self.document = document
        self.editor = editor
        self.clipboard: Clip | None = None
        stack = document.undo_stack
        self.undo = stack.createUndoAction(self, "&Undo")
        self.undo.setShortcuts([QKeySequence(QKeySequence.StandardKey.Undo)])
        self.redo = stack.createRedoAction(self, "&Redo")
        self.redo.setShortcuts(_unique([*QKeySequence.keyBindings(QKeySequence.StandardKey.Redo),
                                        QKeySequence("Ctrl+Shift+Z")]))
        self.cut = self._action("Cu&t", self._cut, QKeySequence.StandardKey.Cut)
        self.copy = self._action("&Copy", self._copy, QKeySequence.StandardKey.Copy)
        self.paste = self._action("&Paste at Cursor", self._paste, QKeySequence.StandardKey.Paste)
        self.delete = self._action("&Delete", lambda: note_actions.delete_selection(document),
                                   QKeySequence.StandardKey.Delete)
        self.duplicate = self._action("D&uplicate", lambda: note_actions.duplicate_selection(document), "Ctrl+D")
        self.select_all = self._action("Select &All", lambda: note_actions.select_all(document),
                                       QKeySequence.StandardKey.SelectAll)
        self.select_none = self._action("Select &None", lambda: document.set_selection(()), "Ctrl+Shift+A")
        self.quantize = self._action("&Quantize to Snap", self._quantize, "Q")
        self.transpose_up = self._action("Transpose Up a Semitone",
                                         lambda: note_actions.transpose_selection(document, 1))
        self.transpose_down = self._action("Transpose Down a Semitone",
                                           lambda: note_actions.transpose_selection(document, -1))
        self.octave_up = self._action("Transpose Up an Octave",
                                      lambda: note_actions.transpose_selection(document, 12))
        self.octave_down = self._action("Transpose Down an Octave",
                                        lambda: note_actions.transpose_selection(document, -12))
        self._roll_shortcuts()

    def _action(self, text: str, slot: Callable[[], None],
                shortcut: QKeySequence.StandardKey | str | None = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: self._guarded(slot))
        return action

    def _guarded(self, slot: Callable[[], None]) -> None:
        """Run an edit; a refused edit (e.g. out of range) becomes a message, not a crash."""
        try:
            slot()
        except MusicAssistError as exc:
            QMessageBox.information(self.window, "Cannot edit", str(exc))

    def _roll_shortcuts(self) -> None:
        grid = self.editor.canvas.grid_length
        nudges = {
            "Left": lambda: note_actions.nudge_selection(self.document, beats=-grid()),
            "Right": lambda: note_actions.nudge_selection(self.document, beats=grid()),
            "Up": lambda: note_actions.nudge_selection(self.document, semitones=1),
            "Down": lambda: note_actions.nudge_selection(self.document, semitones=-1),
            "Shift+Up": lambda: note_actions.nudge_selection(self.document, semitones=12),
            "Shift+Down": lambda: note_actions.nudge_selection(self.document, semitones=-12),
        }
        for key, slot in nudges.items():
            action = self._action(f"Nudge {key}", slot, key)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.editor.addAction(action)

    def fill_menu(self, menu: QMenu) -> None:
        menu.addActions([self.undo, self.redo])
        menu.addSeparator()
        menu.addActions([self.cut, self.copy, self.paste, self.delete, self.duplicate])
        menu.addSeparator()
        menu.addActions([self.select_all, self.select_none])
        menu.addSeparator()
        menu.addActions([self.quantize, self.transpose_up, self.transpose_down, self.octave_up,
                         self.octave_down])

    # -- clipboard ------------------------------------------------------------------------------
    def _copy(self) -> None:
        self.clipboard = note_actions.copy_selection(self.document) or self.clipboard

    def _cut(self) -> None:
        self.clipboard = note_actions.cut_selection(self.document) or self.clipboard

    def _paste(self) -> None:
        if self.clipboard is not None:
            note_actions.paste(self.document, self.clipboard, self.document.cursor_beat)

    def _quantize(self) -> None:
        grid: Fraction | None = self.editor.canvas.grid
        note_actions.quantize_selection(self.document, grid)


def _unique(sequences: list[QKeySequence]) -> list[QKeySequence]:
    seen: list[QKeySequence] = []
    for sequence in sequences:
        if sequence not in seen:
            seen.append(sequence)
    return seen
