"""Edit modes of the piano roll, one small state class each (as noisicaa does).

A *tool* is what the toolbar selects (pointer, draw); a press turns it into a
*gesture* that lives until the mouse is released: move, resize, rubber band.
Gestures push their edit on every mouse move with one session token, so the
undo stack merges a whole drag into one step. Tools speak beats and pitches
through the host's geometry; they never handle pixels themselves beyond
passing them to it.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from typing import Protocol

from PySide6.QtCore import QRectF, Qt

from musicassist.core.score import Note

from .commands import new_session
from .document import Document
from .roll_geometry import FINEST_BEAT, RollGeometry


class ToolHost(Protocol):
    """What the roll canvas offers its tools."""

    document: Document
    roll_geometry: RollGeometry
    new_note_velocity: int
    grid: Fraction | None  # None: snapping off

    def snap(self, beat: Fraction, mode: str = "nearest") -> Fraction: ...
    def grid_length(self) -> Fraction: ...
    def note_at(self, x: float, y: float) -> Note | None: ...
    def notes_in_rect(self, rect: QRectF) -> list[Note]: ...
    def ghost_note_at(self, x: float, y: float) -> Note | None: ...
    def toggle_ghost_lock(self, note: Note) -> None: ...


class Gesture:
    """One press-drag-release interaction."""

    def move(self, x: float, y: float) -> None:
        pass

    def release(self, x: float, y: float) -> None:
        pass

    def overlay(self) -> QRectF | None:
        """A rubber band to draw over the roll, if any."""
        return None


class MoveGesture(Gesture):
    """Drag the selected notes in time (snapped) and pitch; the grabbed note leads."""

    def __init__(self, host: ToolHost, grabbed: Note, x: float, y: float):
        self.host = host
        self.originals = tuple(host.document.selection)
        self.current = self.originals
        self.grabbed = grabbed
        self.start_beat = host.roll_geometry.x_to_beat(x)
        self.start_pitch = host.roll_geometry.y_to_pitch(y)
        self.session = new_session()

    def move(self, x: float, y: float) -> None:
        geometry = self.host.roll_geometry
        raw_start = self.grabbed.start + geometry.x_to_beat(x) - self.start_beat
        delta_beat = self.host.snap(max(Fraction(0), raw_start)) - self.grabbed.start
        delta_pitch = geometry.y_to_pitch(y) - self.start_pitch
        # Clamp so that no note leaves the piece or the MIDI range; the group keeps its shape.
        delta_beat = max(delta_beat, -min(n.start for n in self.originals))
        delta_pitch = max(-min(n.pitch for n in self.originals), delta_pitch)
        delta_pitch = min(127 - max(n.pitch for n in self.originals), delta_pitch)
        moved = tuple(replace(n, start=n.start + delta_beat, pitch=n.pitch + delta_pitch) for n in self.originals)
        if moved != self.current:
            self.host.document.edit_track_notes(self.current, moved, "Move notes", session=self.session)
            self.current = moved


class ResizeGesture(Gesture):
    """Drag the right edge of a note (and of the other selected notes by as much)."""

    def __init__(self, host: ToolHost, grabbed: Note, session: int | None = None, text: str = "Resize notes"):
        self.host = host
        selection = host.document.selection
        self.originals = tuple(selection) if grabbed in selection else (grabbed,)
        self.current = self.originals
        self.grabbed = grabbed
        self.session = session if session is not None else new_session()
        self.text = text

    def move(self, x: float, y: float) -> None:
        shortest = self.host.grid or FINEST_BEAT
        new_end = max(self.grabbed.start + shortest, self.host.snap(self.host.roll_geometry.x_to_beat(x)))
        delta = new_end - self.grabbed.end
        resized = tuple(replace(n, duration=max(shortest, n.duration + delta)) for n in self.originals)
        if resized != self.current:
            self.host.document.edit_track_notes(self.current, resized, self.text, session=self.session)
            self.current = resized


class RubberBandGesture(Gesture):
    """Select the notes inside a dragged rectangle (shift adds to the selection)."""

    def __init__(self, host: ToolHost, x: float, y: float, additive: bool):
        self.host = host
        self.origin = (x, y)
        self.rect = QRectF(x, y, 0, 0)
        self.before = host.document.selection if additive else frozenset()

    def move(self, x: float, y: float) -> None:
        self.rect = QRectF(min(self.origin[0], x), min(self.origin[1], y),
                           abs(x - self.origin[0]), abs(y - self.origin[1]))
        self.host.document.set_selection(self.before | frozenset(self.host.notes_in_rect(self.rect)))

    def release(self, x: float, y: float) -> None:
        self.move(x, y)
        self.rect = QRectF()

    def overlay(self) -> QRectF | None:
        return self.rect if self.rect.width() > 0 or self.rect.height() > 0 else None


class Tool:
    """A toolbar mode: turns a press into a gesture (or into an immediate edit)."""

    name = "tool"
    cursor = Qt.CursorShape.ArrowCursor

    def __init__(self, host: ToolHost):
        self.host = host

    def press(self, x: float, y: float, button: Qt.MouseButton, shift: bool) -> Gesture | None:
        raise NotImplementedError

    def press_on_note(self, note: Note, x: float, y: float, shift: bool) -> Gesture | None:
        """Shared by both tools: select, then move or resize."""
        document = self.host.document
        if shift:
            document.set_selection(document.selection ^ {note})
            return None
        if note not in document.selection:
            document.set_selection({note})
        if self.host.roll_geometry.near_right_edge(note, x):
            return ResizeGesture(self.host, note)
        return MoveGesture(self.host, note, x, y)

    def press_on_ghost(self, x: float, y: float) -> bool:
        """A click on a ghost note pins (or unpins) it for Lock notes."""
        ghost = self.host.ghost_note_at(x, y)
        if ghost is None:
            return False
        self.host.toggle_ghost_lock(ghost)
        return True


class PointerTool(Tool):
    """Select (click, shift-click, rubber band), move and resize."""

    name = "select"

    def press(self, x: float, y: float, button: Qt.MouseButton, shift: bool) -> Gesture | None:
        if button != Qt.MouseButton.LeftButton:
            return None
        note = self.host.note_at(x, y)
        if note is not None:
            return self.press_on_note(note, x, y, shift)
        if self.press_on_ghost(x, y):
            return None
        self.host.document.set_cursor(self.host.snap(self.host.roll_geometry.x_to_beat(x), "floor"))
        return RubberBandGesture(self.host, x, y, additive=shift)


class DrawTool(Tool):
    """Click to add a note one grid step long, drag to set its length; right-click deletes."""

    name = "draw"
    cursor = Qt.CursorShape.CrossCursor

    def press(self, x: float, y: float, button: Qt.MouseButton, shift: bool) -> Gesture | None:
        document = self.host.document
        note = self.host.note_at(x, y)
        if button == Qt.MouseButton.RightButton:
            if note is not None:
                document.edit_track_notes((note,), (), "Delete note", selection=document.selection - {note})
            return None
        if button != Qt.MouseButton.LeftButton:
            return None
        if note is not None:
            return self.press_on_note(note, x, y, shift)
        if self.press_on_ghost(x, y):
            return None
        geometry = self.host.roll_geometry
        start = self.host.snap(geometry.x_to_beat(x), "floor")
        created = Note(start, geometry.y_to_pitch(y), self.host.grid_length(), self.host.new_note_velocity,
                       document.track.channel)
        session = new_session()
        document.edit_track_notes((), (created,), "Draw note", session=session)
        # Dragging right after the press stretches the new note: same session, one undo step.
        return ResizeGesture(self.host, created, session=session, text="Draw note")
