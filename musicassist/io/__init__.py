"""Files in and out: MIDI (mido), MusicXML, ABC and Humdrum (music21).

The public API:

- ``read_score(path, index=None)`` reads a ``.mid``/``.midi``, ``.musicxml``/
  ``.xml``/``.mxl``, ``.abc`` or ``.krn`` file. ``index`` (0-based) picks a
  tune of a multi-tune ABC book; ``None`` means the first tune, which is
  what a composer opening a tune book expects (the CLI, where a silent choice
  would surprise, asks for ``--index`` instead).
- ``list_pieces(path)`` gives the titles of the pieces in a file: each tune
  of an ABC book, or the file's name for formats that hold one piece. It is
  cheap (no music21 parse) and checks the file's content.
- ``write_score(score, path)`` saves ``.mid``/``.midi`` (format 1),
  ``.musicxml``/``.xml`` or ``.mxl``, atomically: the file is complete or
  untouched.

Every failure is a ``MusicAssistError`` with one sentence for the composer:
``UnsupportedFormatError`` for an extension no reader or writer handles,
``FileFormatError`` for a missing, empty, damaged, absurd or mislabelled
file, ``OptionError`` for an index that names no piece and
``FileWriteError`` when saving fails. music21 is imported only when a
notation file is read or written, so reading MIDI stays fast.
"""

from __future__ import annotations

import os
from pathlib import Path

from musicassist.core.score import Score

from . import formats
from .atomic import FileWriteError

READ_EXTENSIONS: tuple[str, ...] = tuple(formats.READ_FORMATS)
WRITE_EXTENSIONS: tuple[str, ...] = tuple(formats.WRITE_FORMATS)

__all__ = ["READ_EXTENSIONS", "WRITE_EXTENSIONS", "FileWriteError", "list_pieces", "read_score", "write_score"]


def read_score(path: str | os.PathLike[str], index: int | None = None) -> Score:
    """Read a score; ``index`` (0-based) picks a tune of an ABC book, None the first."""
    return formats.read(Path(path), index)


def list_pieces(path: str | os.PathLike[str]) -> list[str]:
    """Titles of the pieces in a file (several for an ABC book, one otherwise)."""
    return formats.piece_titles(Path(path))


def write_score(score: Score, path: str | os.PathLike[str]) -> None:
    """Save ``score`` in the format named by the extension; nothing is left behind on failure."""
    formats.write(score, Path(path))
