"""Menu and keyboard edits of the selected notes, each one undo step.

Delete, duplicate, copy/cut/paste at the cursor, nudge with the arrows,
transpose, quantize, and select all. They work on the ``Document`` only, so
they are tested without any widget. Impossible edits (a note pushed out of
the MIDI range) are refused with a ``ScoreError`` the window shows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

from musicassist.core.edits import quantize_notes, transpose_notes
from musicassist.core.errors import ScoreError
from musicassist.core.note_edits import NoteChange, changed_notes, move_notes_to_channel
from musicassist.core.score import Note

from .document import Document


@dataclass(frozen=True)
class Clip:
    """Copied notes with starts relative to the earliest one, so they paste anywhere."""

    notes: tuple[Note, ...]
    length: Fraction


def select_all(document: Document) -> None:
    document.set_selection(document.track.notes)


def delete_selection(document: Document) -> None:
    if document.selection:
        document.edit_track_notes(document.selection, (), "Delete notes", selection=())


def copy_selection(document: Document) -> Clip | None:
    notes = sorted(document.selection)
    if not notes:
        return None
    first = notes[0].start
    relative = tuple(n.moved(-first) for n in notes)
    return Clip(relative, max(n.end for n in relative))


def cut_selection(document: Document) -> Clip | None:
    clip = copy_selection(document)
    if clip is not None:
        document.edit_track_notes(document.selection, (), "Cut notes", selection=())
    return clip


def paste(document: Document, clip: Clip, at: Fraction) -> None:
    """Paste ``clip`` so that its first note starts at ``at``; the cursor moves past it."""
    pasted = tuple(n.moved(at) for n in clip.notes)
    document.edit_track_notes((), pasted, "Paste notes")
    document.set_cursor(at + clip.length)


def duplicate_selection(document: Document) -> None:
    """Copy the selection right after itself, as a DAW's duplicate does."""
    notes = sorted(document.selection)
    if not notes:
        return
    span = max(n.end for n in notes) - notes[0].start
    copies = tuple(n.moved(span) for n in notes)
    document.edit_track_notes((), copies, "Duplicate notes")


def nudge_selection(document: Document, beats: Fraction = Fraction(0), semitones: int = 0) -> None:
    """Move the selection in time and/or pitch (the arrow keys; shift+up/down is an octave)."""
    notes = tuple(document.selection)
    if not notes:
        return
    if min(n.start for n in notes) + beats < 0:
        beats = -min(n.start for n in notes)
    moved = transpose_notes((n.moved(beats) for n in notes), semitones) if semitones else \
        tuple(n.moved(beats) for n in notes)
    if moved != notes:
        document.edit_track_notes(notes, moved, "Transpose notes" if semitones else "Move notes")


def transpose_selection(document: Document, semitones: int) -> None:
    """Transpose the selection, or the whole track when nothing is selected."""
    notes = tuple(document.selection) or document.track.notes
    if not notes or semitones == 0:
        return
    moved = transpose_notes(notes, semitones)
    keep_selection = bool(document.selection)
    document.edit_track_notes(notes, moved, f"Transpose {semitones:+d}",
                              selection=moved if keep_selection else ())


def quantize_selection(document: Document, grid: Fraction | None) -> None:
    """Snap starts and lengths of the selection (or the whole track) to ``grid``."""
    if grid is None:
        raise ScoreError("Choose a snap value other than Off to quantize.")
    notes = tuple(document.selection) or document.track.notes
    if not notes:
        return
    snapped = quantize_notes(notes, grid)
    document.edit_track_notes(notes, snapped, "Quantize", selection=snapped if document.selection else ())


def set_selection_velocity(document: Document, velocity: int) -> None:
    notes = tuple(document.selection)
    if notes:
        document.edit_track_notes(notes, tuple(replace(n, velocity=velocity) for n in notes), "Change velocity")


def apply_note_properties(document: Document, notes: list[Note], change: NoteChange, channel: int) -> None:
    """The note properties dialog's result as one undo step (ScoreError when a value is impossible)."""
    track = document.track
    edited = changed_notes(notes, change)
    gone = set(notes)
    score = document.score.with_track(document.current_track,
                                      track.with_notes([n for n in track.notes if n not in gone] + edited))
    selection: list[Note] = edited
    if channel != track.channel:
        score, _ = move_notes_to_channel(score, document.current_track, edited, channel)
        selection = []  # they now belong to another track
    document.push_edit(score, "Note properties", selection=selection)
