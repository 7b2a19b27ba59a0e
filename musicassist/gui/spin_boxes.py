"""Spin boxes that say why a typed value was refused, and Space that plays from (almost) anywhere.

Qt's spin boxes silently drop a keystroke that cannot lead to a value in
range: the composer types "40" into a 1..32 field and sees only "4". These
subclasses report the refusal with the allowed range through ``refused``.

``SpaceForPlayback`` is an application event filter: Space is the transport
key, so in spin boxes, combo boxes, buttons and lists it plays instead of
typing a blank or pressing a button. Only real text fields keep it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QValidator
from PySide6.QtWidgets import QAbstractSpinBox, QDoubleSpinBox, QLineEdit, QPlainTextEdit, QSpinBox, QTextEdit, QWidget


def _range_text(low: str, high: str, suffix: str) -> str:
    return f"between {low} and {high}{suffix}"


class ExplainingSpinBox(QSpinBox):
    refused = Signal(str)  # a sentence saying what is allowed

    def __init__(self, parent: QWidget | None = None, *, name: str = "This value", **kwargs: object) -> None:
        super().__init__(parent, **kwargs)  # type: ignore[arg-type]
        self.name = name

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        result = super().validate(text, pos)
        state = result[0]
        if state == QValidator.State.Invalid and text.strip():
            allowed = _range_text(str(self.minimum()), str(self.maximum()), self.suffix())
            self.refused.emit(f"{self.name} must be {allowed}: '{text.strip()}' is not.")
        return result


class ExplainingDoubleSpinBox(QDoubleSpinBox):
    refused = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, name: str = "This value", **kwargs: object) -> None:
        super().__init__(parent, **kwargs)  # type: ignore[arg-type]
        self.name = name

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        result = super().validate(text, pos)
        state = result[0]
        if state == QValidator.State.Invalid and text.strip():
            low, high = f"{self.minimum():g}", f"{self.maximum():g}"
            self.refused.emit(f"{self.name} must be {_range_text(low, high, self.suffix())}: "
                              f"'{text.strip()}' is not.")
        return result


def is_text_field(widget: QWidget | None) -> bool:
    """A field where Space is a character: a line edit of its own (not a spin box's) or a text editor."""
    if isinstance(widget, QTextEdit | QPlainTextEdit):
        return True
    if isinstance(widget, QLineEdit):
        return not isinstance(widget.parent(), QAbstractSpinBox)
    return False


class SpaceForPlayback(QObject):
    """Installed on the application: a plain Space goes to the window's Play shortcut, not the focused
    widget, unless that widget is a text field or lives in another window (a dialog)."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.ShortcutOverride or not isinstance(event, QKeyEvent):
            return False
        if event.key() != Qt.Key.Key_Space or event.modifiers() != Qt.KeyboardModifier.NoModifier:
            return False
        if not isinstance(watched, QWidget) or watched.window() is not self._window or is_text_field(watched):
            return False
        event.ignore()  # not claimed by the widget: the shortcut system gives Space to Play
        return True
