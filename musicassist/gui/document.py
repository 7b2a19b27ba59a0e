"""The open document: a Score, its file path, the modified flag and the undo stack.

Also holds the editing state that undo commands restore or that several
widgets share: which track is edited, which of its notes are selected, the
bar range the assistant continues, and the cursor beat where paste lands.
Every change of the score goes through ``push_edit`` (one undo step).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from musicassist.core.score import BarRange, Note, Score, Track

from .commands import ScoreEditCommand


def empty_score() -> Score:
    """What File > New opens: one piano track, 4/4, 120 BPM, eight empty bars."""
    return Score(tracks=(Track(name="Piano"),), length_bars=8)


class Document(QObject):
    loaded = Signal()  # a new, opened or restored document replaced the whole state (before score_changed)
    score_changed = Signal()
    selection_changed = Signal()
    modified_changed = Signal(bool)
    path_changed = Signal()
    current_track_changed = Signal(int)
    bar_selection_changed = Signal()
    cursor_changed = Signal()

    def __init__(self, score: Score | None = None, path: Path | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.score: Score = score if score is not None else empty_score()
        self.path: Path | None = path
        self.current_track = 0
        self.selection: frozenset[Note] = frozenset()
        self.bar_selection: BarRange | None = None
        self.cursor_beat = Fraction(0)
        # Set when the content differs from the file without any undo step (a restored recovery file).
        self._modified_without_undo = False
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)

    # -- whole document ------------------------------------------------------------------
    @property
    def is_modified(self) -> bool:
        return self._modified_without_undo or not self.undo_stack.isClean()

    def _on_clean_changed(self, clean: bool) -> None:
        self.modified_changed.emit(self._modified_without_undo or not clean)

    @property
    def display_name(self) -> str:
        return self.path.name if self.path else (self.score.title or "Untitled")

    def load(self, score: Score, path: Path | None, modified: bool = False) -> None:
        """Show another score: undo history, selection and bar range start afresh."""
        self.undo_stack.clear()
        self.score = score if score.tracks else score.with_tracks((Track(name="Piano"),))
        self.path = path
        self.current_track = 0
        self.selection = frozenset()
        self.bar_selection = None
        self.cursor_beat = Fraction(0)
        self._modified_without_undo = modified
        self.undo_stack.setClean()
        self.loaded.emit()
        self.score_changed.emit()
        self.selection_changed.emit()
        self.current_track_changed.emit(0)
        self.bar_selection_changed.emit()
        self.cursor_changed.emit()
        self.path_changed.emit()
        self.modified_changed.emit(self.is_modified)

    def mark_saved(self, path: Path) -> None:
        self.path = path
        self._modified_without_undo = False
        self.undo_stack.setClean()
        self.path_changed.emit()
        self.modified_changed.emit(self.is_modified)

    # -- edits (undoable) ----------------------------------------------------------------
    def push_edit(
        self, score: Score, text: str, selection: Iterable[Note] | None = None, session: int | None = None
    ) -> None:
        """Make ``score`` the document's score as one undo step (merged with its ``session``)."""
        new_selection = self.selection if selection is None else frozenset(selection)
        if score == self.score and new_selection == self.selection and session is None:
            return
        command = ScoreEditCommand(self, text, self.score, score, self.selection, new_selection, session)
        self.undo_stack.push(command)

    def edit_track_notes(
        self,
        removed: Iterable[Note],
        added: Iterable[Note],
        text: str,
        selection: Iterable[Note] | None = None,
        session: int | None = None,
    ) -> None:
        """Remove and add notes of the edited track as one undo step.

        ``selection`` is the note selection afterwards; by default the added notes.
        """
        track = self.track
        gone = set(removed)
        new_notes = [n for n in track.notes if n not in gone]
        added = tuple(replace(n, channel=track.channel) for n in added)
        new_notes.extend(added)
        score = self.score.with_track(self.current_track, track.with_notes(new_notes))
        self.push_edit(score, text, added if selection is None else selection, session)

    def apply_score(self, score: Score, selection: frozenset[Note]) -> None:
        """Called by undo commands only: set the score without recording history."""
        self.score = score
        if self.current_track >= len(score.tracks):
            self.current_track = max(0, len(score.tracks) - 1)
            self.current_track_changed.emit(self.current_track)
        self.score_changed.emit()
        self.set_selection(selection)

    # -- editing state (not undoable) ----------------------------------------------------
    @property
    def track(self) -> Track:
        return self.score.tracks[self.current_track]

    def set_current_track(self, index: int) -> None:
        if index == self.current_track or not 0 <= index < len(self.score.tracks):
            return
        self.current_track = index
        self.selection = frozenset()
        self.current_track_changed.emit(index)
        self.selection_changed.emit()

    def set_selection(self, notes: Iterable[Note]) -> None:
        present = set(self.track.notes)
        selection = frozenset(n for n in notes if n in present)
        if selection != self.selection:
            self.selection = selection
            self.selection_changed.emit()

    def set_bar_selection(self, bars: BarRange | None) -> None:
        if bars != self.bar_selection:
            self.bar_selection = bars
            self.bar_selection_changed.emit()

    def set_cursor(self, beat: Fraction) -> None:
        beat = max(Fraction(0), beat)
        if beat != self.cursor_beat:
            self.cursor_beat = beat
            self.cursor_changed.emit()
