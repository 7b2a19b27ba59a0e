"""File menu behaviour: new, open (with a piece picker), save, save as, export, recent files.

Also the unsaved-changes prompt that guards New, Open and closing the
window. Opening reads the file in the background behind a busy dialog with
Cancel (``load_worker``); the document is replaced only by a complete read.
Reading and writing go through ``musicassist.io`` (imported on first
use: music21 is slow to import and the window must appear fast). Errors the
composer can cause are shown as a message; the open document is never lost.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QProgressDialog, QWidget

from musicassist.core.errors import MusicAssistError
from musicassist.core.score import Score

from .document import Document, empty_score
from .load_worker import LoadCancelled, load_with_progress
from .preferences import Preferences

MIDI_FILTER = "MIDI files (*.mid *.midi)"
MUSICXML_FILTER = "MusicXML files (*.musicxml *.xml)"
PNG_FILTER = "PNG picture of the roll (*.png)"


def read_extensions() -> tuple[str, ...]:
    from musicassist.io import READ_EXTENSIONS

    return tuple(READ_EXTENSIONS)


def read_document(path: Path, index: int | None = None) -> Score:
    from musicassist.io import read_score

    from .midi_mix import read_mix

    return read_mix(path, read_score(path, index=index))


def list_document_pieces(path: Path) -> list[str]:
    from musicassist.io import list_pieces

    return list(list_pieces(path))


def write_document(score: Score, path: Path) -> None:
    from musicassist.io import write_score

    from .midi_mix import add_mix

    write_score(score, path)
    add_mix(path, score)


class DocumentFiles(QObject):
    """The window's file operations on one ``Document``."""

    opened = Signal(object)  # Path | None
    saved = Signal(object)  # Path
    exported = Signal(object)  # Path of a copy written by Export
    recent_changed = Signal()

    def __init__(self, parent_widget: QWidget, document: Document, preferences: Preferences):
        super().__init__(parent_widget)
        self.window = parent_widget
        self.document = document
        self.preferences = preferences
        # A hook for the PNG export, set by the window (the roll knows how to draw itself).
        self.render_png: Callable[[Path], bool] | None = None
        # Called with the busy dialog when a slow open shows it (tests press its Cancel button).
        self.on_progress_dialog: Callable[[QProgressDialog], None] | None = None

    # -- prompts -----------------------------------------------------------------------------
    def show_error(self, title: str, error: Exception) -> None:
        QMessageBox.warning(self.window, title, str(error))

    def maybe_save(self) -> bool:
        """Ask what to do with unsaved changes; False means the composer cancelled."""
        if not self.document.is_modified:
            return True
        answer = QMessageBox.question(
            self.window,
            "Unsaved changes",
            f"Save the changes to {self.document.display_name} before closing it?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    # -- new / open --------------------------------------------------------------------------
    def new(self) -> None:
        if self.maybe_save():
            self.document.load(empty_score(), None)
            self.opened.emit(None)

    def open_dialog(self) -> None:
        if not self.maybe_save():
            return
        try:
            patterns = " ".join(f"*{ext}" for ext in read_extensions())
        except ImportError:
            patterns = "*.mid *.midi"
        name, _ = QFileDialog.getOpenFileName(self.window, "Open", self.preferences.last_directory,
                                              f"Music files ({patterns});;All files (*)")
        if name:
            self.open_path(Path(name), ask_to_save=False)

    def open_path(self, path: Path, ask_to_save: bool = True) -> bool:
        """Open ``path`` (asking which piece for multi-piece files); False if nothing was opened."""
        if ask_to_save and not self.maybe_save():
            return False
        try:
            index = self._choose_piece(path)
            if index == -1:
                return False
            # In a child process behind a busy dialog with Cancel (large scores take music21 seconds).
            score = load_with_progress(self.window, f"Opening {path.name}...", lambda: read_document(path, index),
                                       self.on_progress_dialog)
        except LoadCancelled:
            return False  # the open document stays as it was
        except (MusicAssistError, OSError) as exc:
            self.show_error("Cannot open the file", exc)
            return False
        # Only MIDI files are saved in place; other formats save as a new MIDI file.
        self.document.load(score, path if path.suffix.lower() in (".mid", ".midi") else None)
        self.preferences.add_recent_file(path)
        self.preferences.last_directory = str(path.parent)
        self.recent_changed.emit()
        self.opened.emit(path)
        return True

    def _choose_piece(self, path: Path) -> int | None:
        """None for a one-piece file, the chosen index, or -1 when the composer cancels."""
        if path.suffix.lower() != ".abc":  # only ABC tune books hold several pieces; others need no read here
            return None
        titles = list_document_pieces(path)
        if len(titles) <= 1:
            return None
        labels = [f"{i + 1}. {title or 'untitled'}" for i, title in enumerate(titles)]
        choice, ok = QInputDialog.getItem(self.window, "Choose a piece",
                                          f"{path.name} holds {len(titles)} pieces:", labels, 0, False)
        return labels.index(choice) if ok else -1

    # -- save / export -----------------------------------------------------------------------
    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self._write(self.document.path, as_document=True)

    def save_as(self) -> bool:
        suggested = self._suggested_name(".mid")
        name, _ = QFileDialog.getSaveFileName(self.window, "Save as MIDI", suggested, MIDI_FILTER)
        if not name:
            return False
        path = Path(name)
        if path.suffix.lower() not in (".mid", ".midi"):
            path = path.with_suffix(".mid")
        return self._write(path, as_document=True)

    def export_dialog(self) -> None:
        suggested = self._suggested_name(".mid")
        name, chosen = QFileDialog.getSaveFileName(self.window, "Export", suggested,
                                                   f"{MIDI_FILTER};;{MUSICXML_FILTER};;{PNG_FILTER}")
        if not name:
            return
        path = Path(name)
        if not path.suffix:
            path = path.with_suffix({MUSICXML_FILTER: ".musicxml", PNG_FILTER: ".png"}.get(chosen, ".mid"))
        self.export(path)

    def export(self, path: Path) -> bool:
        """Write a copy (MIDI, MusicXML or PNG by extension); the document keeps its own file."""
        if path.suffix.lower() == ".png":
            if self.render_png is None or not self.render_png(path):
                self.show_error("Cannot export", MusicAssistError(f"Could not write the picture {path.name}."))
                return False
            self.exported.emit(path)
            return True
        if not self._write(path, as_document=False):
            return False
        self.exported.emit(path)
        return True

    def _write(self, path: Path, as_document: bool) -> bool:
        try:
            write_document(self.document.score, path)
        except (MusicAssistError, OSError) as exc:
            self.show_error("Cannot save", exc)
            return False
        if as_document:
            self.document.mark_saved(path)
            self.preferences.add_recent_file(path)
            self.recent_changed.emit()
            self.saved.emit(path)
        self.preferences.last_directory = str(path.parent)
        return True

    def _suggested_name(self, suffix: str) -> str:
        directory = Path(self.preferences.last_directory or Path.home())
        stem = self.document.path.stem if self.document.path else (self.document.score.title or "untitled")
        return str(directory / f"{stem}{suffix}")
