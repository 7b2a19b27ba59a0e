"""Which reader or writer handles a file: by extension, checked against the content.

The extension chooses the format; the first bytes must agree before any
parser sees them. A PNG renamed ``.mid`` or a MIDI file renamed
``.musicxml`` is refused with a sentence saying what the file really is, and
music21 (slow and unpredictable on garbage) only ever receives text that
looks like the notation it expects. Sizes are capped per format so that an
absurd file is refused before it is read into memory.

music21 is imported only inside the functions that need it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

from musicassist.core.errors import FileFormatError, OptionError, UnsupportedFormatError
from musicassist.core.score import Score

from .abc_tunes import looks_like_abc, split_abc
from .atomic import atomic_write_bytes

KB = 1024
MB = 1024 * KB
_SNIFF_BYTES = 64 * KB
# music21 takes time quadratic in the length of an ABC tune or a Humdrum file: these caps keep
# any file under a few seconds while admitting every piece of the music21 corpus (longest ABC
# tune 2.4 KB, largest Humdrum file 83 KB).
MAX_ABC_TUNE_BYTES = 10 * KB


@dataclass(frozen=True)
class Format:
    name: str  # "midi", "musicxml", "mxl", "abc", "kern"
    description: str  # for sentences: "a MIDI file"
    max_bytes: int


MIDI = Format("midi", "a MIDI file", 16 * MB)
MUSICXML = Format("musicxml", "a MusicXML score", 16 * MB)
MXL = Format("mxl", "a compressed MusicXML score", 16 * MB)
ABC = Format("abc", "an ABC tune book", 8 * MB)
KERN = Format("kern", "a Humdrum score", 100 * KB)

READ_FORMATS: dict[str, Format] = {
    ".mid": MIDI, ".midi": MIDI, ".musicxml": MUSICXML, ".xml": MUSICXML, ".mxl": MXL, ".abc": ABC, ".krn": KERN,
}
WRITE_FORMATS: dict[str, Format] = {".mid": MIDI, ".midi": MIDI, ".musicxml": MUSICXML, ".xml": MUSICXML, ".mxl": MXL}
_EXTENSION_FOR = {"midi": ".mid", "musicxml": ".musicxml", "mxl": ".mxl", "abc": ".abc", "kern": ".krn"}

# What the first bytes say a file is; the values finish "'x.mid' is ...".
_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"MThd", "midi", "a MIDI file"),
    (b"PK\x03\x04", "zip", "a ZIP archive"),
    (b"\x89PNG", "png", "a PNG image"),
    (b"\xff\xd8\xff", "jpeg", "a JPEG image"),
    (b"GIF8", "gif", "a GIF image"),
    (b"%PDF", "pdf", "a PDF document"),
    (b"ID3", "mp3", "an MP3 recording"),
    (b"OggS", "ogg", "an Ogg recording"),
    (b"fLaC", "flac", "a FLAC recording"),
)
_KERN_SPINE = re.compile(r"^\*\*\w+", re.MULTILINE)
_ABC_FIELD = re.compile(r"^[XK]:", re.MULTILINE)


def format_for_reading(path: Path) -> Format:
    found = READ_FORMATS.get(path.suffix.lower())
    if found is None:
        known = ", ".join(READ_FORMATS)
        raise UnsupportedFormatError(
            f"MusicAssist cannot open '{path.name}': it opens {known} files."
            if path.suffix else f"'{path.name}' has no extension; MusicAssist opens {known} files."
        )
    return found


def format_for_writing(path: Path) -> Format:
    found = WRITE_FORMATS.get(path.suffix.lower())
    if found is None:
        raise UnsupportedFormatError(
            f"MusicAssist cannot save '{path.name}': it saves {', '.join(WRITE_FORMATS)} files."
        )
    return found


def sniff(head: bytes) -> tuple[str, str] | None:
    """(kind, description) of what the first bytes of a file show, or None when unknown."""
    for magic, kind, description in _MAGIC:
        if head.startswith(magic):
            return kind, description
    if head[:4] == b"RIFF":
        if head[8:12] == b"RMID":
            return "midi", "a MIDI file"
        if head[8:12] == b"WAVE":
            return "wav", "a WAV recording"
    text = _decode_head(head)
    if text is None:
        return None
    stripped = text.lstrip()
    if stripped.startswith("<"):
        if "<score-partwise" in text or "<score-timewise" in text:
            return "musicxml", "a MusicXML score"
        if stripped[:200].lower().startswith(("<!doctype html", "<html")):
            return "html", "a web page"
        return "xml", "an XML document"
    if _KERN_SPINE.search(text):
        return "kern", "a Humdrum score"
    if _ABC_FIELD.search(text):
        return "abc", "an ABC tune book"
    return "text", "a text file"


def _decode_head(head: bytes) -> str | None:
    """The start of a text file, or None when the bytes are binary."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="replace")
    if b"\x00" in head:
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = head.decode("latin-1")  # never fails; old ABC and Humdrum files are often Latin-1
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\t\n\r\f")
    # Text has (almost) no control characters; random bytes have one in eight.
    return text if controls <= len(text) // 100 else None


def read_file_bytes(path: Path, expected: Format) -> bytes:
    """The whole file, after the checks a composer can be told about in one sentence."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise FileFormatError(f"There is no file '{path}'.") from None
    except OSError as exc:
        raise FileFormatError(f"'{path.name}' cannot be opened: {exc.strerror or 'the system refused'}.") from exc
    if path.is_dir():
        raise FileFormatError(f"'{path}' is a folder, not {expected.description}.")
    if size == 0:
        raise FileFormatError(f"'{path.name}' is empty.")
    if size > expected.max_bytes:
        kind = expected.description.split(" ", 1)[1]
        raise FileFormatError(
            f"'{path.name}' is {_size(size)}; MusicAssist opens {kind}s of up to {_size(expected.max_bytes)}."
        )
    try:
        with open(path, "rb") as handle:
            data = handle.read(expected.max_bytes + 1)  # the file may grow while we read it
    except PermissionError:
        raise FileFormatError(f"'{path.name}' cannot be opened: permission denied.") from None
    except OSError as exc:
        raise FileFormatError(f"'{path.name}' cannot be read: {exc.strerror or 'the system refused'}.") from exc
    if len(data) > expected.max_bytes:
        raise FileFormatError(f"'{path.name}' is larger than {_size(expected.max_bytes)}, too large to open.")
    if not data:
        raise FileFormatError(f"'{path.name}' is empty.")
    return data


def _size(count: int) -> str:
    return f"{count / MB:.0f} MB" if count >= MB else f"{max(1, round(count / KB))} KB"


def checked_format(path: Path, data: bytes, expected: Format) -> Format:
    """The format to read ``data`` with; raises when the content is not what the extension says.

    MusicXML and compressed MusicXML are told apart by content, since both
    are commonly saved under either extension.
    """
    found = sniff(data[:_SNIFF_BYTES])
    kind = found[0] if found else None
    if expected in (MUSICXML, MXL) and kind in ("musicxml", "zip"):
        return MUSICXML if kind == "musicxml" else MXL
    if kind == expected.name or (expected is ABC and kind == "text" and looks_like_abc(_text(data))):
        return expected  # (an ABC book whose first tune starts after the sniffed head is still ABC)
    if found is None:
        raise FileFormatError(f"'{path.name}' is not {expected.description}: it is damaged or another kind of file.")
    sentence = f"'{path.name}' is {found[1]}, not {expected.description}"
    if kind in _EXTENSION_FOR:
        sentence += f"; rename it to end in {_EXTENSION_FOR[kind]} to open it"
    raise FileFormatError(sentence + ".")


def _text(data: bytes) -> str:
    """Decode a text file: UTF-8 (with or without BOM) or UTF-16 when marked, else Latin-1."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


# ------------------------------------------------------------------------------------------ the operations


def piece_titles(path: Path) -> list[str]:
    """Titles of the pieces in a file: every tune of an ABC book, the file's name otherwise."""
    expected = format_for_reading(path)
    data = read_file_bytes(path, expected)
    actual = checked_format(path, data, expected)
    if actual is ABC:
        tunes = split_abc(_text(data))
        if not tunes:
            raise FileFormatError(f"'{path.name}' holds no ABC tune.")
        return [tune.title for tune in tunes]
    return [path.stem]


def read(path: Path, index: int | None) -> Score:
    """Read piece ``index`` (0-based; None is the first) of the file at ``path``."""
    expected = format_for_reading(path)
    data = read_file_bytes(path, expected)
    actual = checked_format(path, data, expected)
    if actual is ABC:
        return _read_abc(path, _text(data), index)
    if index not in (None, 0):
        raise OptionError(f"'{path.name}' holds one piece; there is no piece {index + 1}.")
    if actual is MIDI:
        from .midi_file import read_midi_bytes

        return read_midi_bytes(data)
    from . import music21_files

    if actual is MUSICXML:
        return music21_files.read_musicxml(data)
    if actual is MXL:
        return music21_files.read_mxl(data, MUSICXML.max_bytes)
    return music21_files.read_kern(_text(data))


def _read_abc(path: Path, text: str, index: int | None) -> Score:
    tunes = split_abc(text)
    if not tunes:
        raise FileFormatError(f"'{path.name}' holds no ABC tune.")
    chosen = 0 if index is None else index
    if not 0 <= chosen < len(tunes):
        count = "one tune" if len(tunes) == 1 else f"{len(tunes)} tunes"
        raise OptionError(f"'{path.name}' holds {count}; there is no tune {chosen + 1}.")
    tune = tunes[chosen]
    if len(tune.text) > MAX_ABC_TUNE_BYTES:
        raise FileFormatError(
            f"Tune {chosen + 1} of '{path.name}' is {_size(len(tune.text))} long; MusicAssist opens ABC tunes "
            f"of up to {_size(MAX_ABC_TUNE_BYTES)}."
        )
    from . import music21_files

    score = music21_files.read_abc_tune(tune.text)
    return score if score.title else replace(score, title=tune.title)


def write(score: Score, path: Path) -> None:
    """Save ``score`` in the format its extension names; nothing is written on failure."""
    chosen = format_for_writing(path)
    if chosen is MIDI:
        from .midi_file import score_to_midi_bytes

        data = score_to_midi_bytes(score)
    else:
        from . import music21_files

        data = music21_files.musicxml_bytes(score) if chosen is MUSICXML else music21_files.mxl_bytes(score)
    atomic_write_bytes(os.fspath(path), data)
