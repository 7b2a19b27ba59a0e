"""Pure score model: notes, tracks, tempo/meter/key maps and edits.

Imports only the standard library (and numpy where needed): no Qt,
TensorFlow, mido or music21, so every other layer can build on it.
"""

from .edits import (
    delete_bars,
    insert_bars,
    merge_scores,
    merge_tracks,
    quantize,
    quantize_notes,
    replace_bars,
    resolve_overlaps,
    slice_bars,
    snap,
    transpose,
    transpose_notes,
)
from .errors import (
    FileFormatError,
    ModelError,
    MusicAssistError,
    OptionError,
    PortError,
    ScoreError,
    UnsupportedFormatError,
)
from .score import DRUM_CHANNEL, BarRange, Note, Score, Track
from .timemaps import KeySignature, MeterChange, MeterMap, TempoChange, TempoMap, TimeSignature

__all__ = [
    "DRUM_CHANNEL", "BarRange", "FileFormatError", "KeySignature", "MeterChange", "MeterMap",
    "ModelError", "MusicAssistError", "Note", "OptionError", "PortError", "Score", "ScoreError",
    "TempoChange", "TempoMap", "TimeSignature", "Track", "UnsupportedFormatError", "delete_bars",
    "insert_bars", "merge_scores", "merge_tracks", "quantize", "quantize_notes", "replace_bars",
    "resolve_overlaps", "slice_bars", "snap", "transpose", "transpose_notes",
]
