"""Where training pieces come from, and how one piece becomes tokens (the worker side).

A source is a named set of files with one style: the bundled music21 corpus
collections, or a user folder. Its files are cut into small, picklable
``PieceTask``s (one score file, or the text of one ABC tune, since ABC
collections hold hundreds of tunes per file); ``parse_batch`` runs in the
worker processes and returns tokens or the reason a piece was skipped.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from musicassist.codec import CodecError, default_vocabulary, encode_with_stats
from musicassist.core.errors import MusicAssistError
from musicassist.core.score import Score
from musicassist.core.timemaps import TimeSignature
from musicassist.io.abc_tunes import split_abc

# Part of every source's cache key: bump it whenever what a piece becomes changes (the io converter
# musicassist.io.music21_bridge and its measure_layout, or the options _training_score passes), so
# stale caches rebuild. v3: the corpus is read by the same unified converter the app's importer uses
# (measure_layout), so the model trains on exactly the bar layout it is later seeded with.
CONVERTER_VERSION = "convert-v3"

BUNDLED_SOURCES = ("chorales", "essen", "oneill", "ryans", "aird")
USER_SUFFIXES = (".mid", ".midi", ".mxl", ".musicxml", ".xml", ".abc", ".krn")

# name -> (folder inside music21/corpus, filename glob, style)
_BUNDLED: dict[str, tuple[str, str, str]] = {
    "chorales": ("bach", "bwv*.mxl", "chorale"),
    "essen": ("essenFolksong", "*.abc", "folk"),
    "oneill": ("oneills1850", "*.abc", "fiddle"),
    "ryans": ("ryansMammoth", "*.abc", "fiddle"),
    "aird": ("airdsAirs", "*.abc", "fiddle"),
}


@dataclass(frozen=True)
class Source:
    name: str  # "essen", ... or "user:<folder>"
    style: str
    root: Path
    files: tuple[Path, ...]

    @property
    def cache_stem(self) -> str:
        if self.name.startswith("user:"):
            return "user-" + hashlib.sha1(self.name.encode()).hexdigest()[:12]
        return self.name

    def fingerprint(self) -> str:
        """sha1 over file names and contents: same files, same cache, on any machine."""
        digest = hashlib.sha1(CONVERTER_VERSION.encode())
        for path in self.files:
            digest.update(str(path.relative_to(self.root)).encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()


@dataclass(frozen=True)
class PieceTask:
    piece_id: str
    style: str
    path: str  # file to read (ABC tasks carry their text instead)
    abc_text: str | None = None


@dataclass(frozen=True)
class PieceResult:
    piece_id: str
    tokens: np.ndarray | None
    notes: int = 0
    dropped_notes: int = 0
    failure: str | None = None  # short reason when tokens is None


def music21_corpus_dir() -> Path:
    spec = importlib.util.find_spec("music21")
    if spec is None or spec.origin is None:
        raise CodecError("The music21 package is not installed, so its bundled corpus is unavailable.")
    return Path(spec.origin).parent / "corpus"


def bundled_source(name: str) -> Source:
    folder, pattern, style = _BUNDLED[name]
    root = music21_corpus_dir() / folder
    files = sorted(p for p in root.glob(pattern) if not p.name.startswith("test"))
    return Source(name, style, root, tuple(files))


def user_source(folder: Path) -> Source:
    root = folder.expanduser().resolve()
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in USER_SUFFIXES)
    return Source(f"user:{root}", "user", root, tuple(files))


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def piece_tasks(source: Source) -> list[PieceTask]:
    tasks: list[PieceTask] = []
    kind = "user" if source.name.startswith("user:") else source.name
    for path in source.files:
        rel = path.relative_to(source.root).as_posix()
        if path.suffix.lower() == ".abc":
            for ordinal, tune in enumerate(split_abc(_read_text(path))):  # the same split a composer's file gets
                tasks.append(PieceTask(f"{kind}/{rel}#{ordinal}", source.style, str(path), tune.text))
        else:
            tasks.append(PieceTask(f"{kind}/{rel}", source.style, str(path)))
    return tasks


def _training_score(music: Any) -> Score:
    """The io layer's converter, with the options that keep a piece within what the codec can hold."""
    from musicassist.io.music21_bridge import stream_to_score

    meters = frozenset(TimeSignature.parse(m) for m in default_vocabulary().meters)
    return stream_to_score(music, normalize_long_meters=True, require_time_signature=True, irregular_meters=meters)


def _load_score(task: PieceTask) -> Score:
    """The task's music as a core Score: MIDI through the io layer's reader, notation through music21."""
    if task.abc_text is not None:
        from music21.abcFormat import ABCHandler, translate

        handler = ABCHandler()
        handler.process(task.abc_text)
        return _training_score(translate.abcToStreamScore(handler))
    if task.path.lower().endswith((".mid", ".midi")):
        from musicassist.io import read_score

        return read_score(Path(task.path))
    from music21 import converter

    return _training_score(converter.parse(task.path))


def parse_piece(task: PieceTask) -> PieceResult:
    """Never raises: a piece that fails is returned with a short reason for the manifest."""
    try:
        score = _load_score(task)
        tokens, stats = encode_with_stats(score, style=task.style)
    except CodecError as exc:
        meter = re.search(r"time signature (\S+) ", str(exc))
        reason = f"unsupported meter {meter.group(1)}" if meter else str(exc).rstrip(".")
        return PieceResult(task.piece_id, None, failure=reason)
    except MusicAssistError as exc:
        return PieceResult(task.piece_id, None, failure=str(exc).rstrip("."))
    except Exception as exc:  # music21 raises anything on odd files; a bad piece is only counted
        return PieceResult(task.piece_id, None, failure=f"parse error: {type(exc).__name__}")
    if stats.notes_out == 0:
        return PieceResult(task.piece_id, None, failure="The piece has no notes")
    return PieceResult(task.piece_id, tokens.astype(np.int16), stats.notes_out, stats.dropped)


def parse_batch(tasks: list[PieceTask]) -> list[PieceResult]:
    """Worker entry point: several pieces per call keeps process round-trips cheap."""
    import warnings

    warnings.filterwarnings("ignore")  # music21 warns on every odd ABC ornament
    return [parse_piece(task) for task in tasks]
