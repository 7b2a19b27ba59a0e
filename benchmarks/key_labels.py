"""Build (once) and load the labelled key set the key-finding benchmark judges against.

Pieces come straight from the music21 corpus files (not from the training cache),
parsed with music21, and every label says how it was made:

* ``chorale``: Bach chorales (``bach/bwv*.mxl``): the written key signature gives a
  major key and its relative minor; the last bass note picks one of the two. A
  chorale whose last bass note is neither (Phrygian and modal endings) is left out.
* ``essen``: Essen folk songs (``essenFolksong/*.abc``): the ``K:`` field is the
  Essen KEY field's tonic (accidentals are written out in the tune); the mode is
  the third above that tonic that the tune holds longer (major or minor third).
  Tunes that hold neither third, or that do not end on the tonic, are left out.
* ``oneill``: O'Neill's fiddle tunes (``oneills1850/*.abc``): ``K:`` names the key
  with its mode (``K:G``, ``K:Em``); modal keys (Dmix, Ador) and tunes that do not
  end on the tonic are left out.

Each entry keeps the notes as (start, duration, pitch) in quarters with the bar
lines at multiples of the bar length (a pickup is shifted so its bar is full),
the bar length, and the key signature's sharps (what a Score read from the file carries).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

CACHE = Path.home() / ".cache" / "musicassist-bench" / "key_labels.json"
PER_SOURCE = 150


def _corpus_dir() -> Path:
    import music21

    return Path(music21.__file__).parent / "corpus"


def _notes_of(score: Any) -> tuple[list[list[float]], float, int | None, list[list[float]]]:
    """All parts' notes with shifted starts, the bar length, the first key signature's sharps, the last part's notes."""
    from music21 import key, meter

    signatures = list(score.recurse().getElementsByClass(meter.TimeSignature))
    bar = float(signatures[0].barDuration.quarterLength) if signatures else 4.0
    keys = list(score.recurse().getElementsByClass(key.KeySignature))
    sharps = int(keys[0].sharps) if keys else None
    parts = list(score.parts) if hasattr(score, "parts") and len(score.parts) else [score]
    measures = list(parts[0].getElementsByClass("Measure"))
    shift = 0.0
    if measures:
        first = float(measures[0].duration.quarterLength)
        if 0 < first < bar:  # a pickup: shift so that bar lines fall at multiples of the bar length
            shift = bar - first
    per_part = []
    for part in parts:
        rows = []
        for element in part.flatten().notes:
            if element.duration.quarterLength <= 0:
                continue
            pitches = element.pitches
            for p in pitches:
                rows.append([float(element.offset) + shift, float(element.duration.quarterLength), int(p.midi)])
        per_part.append(rows)
    everything = sorted(row for rows in per_part for row in rows)
    return everything, bar, sharps, per_part[-1]


def _major_tonic(sharps: int) -> int:
    return (7 * sharps) % 12


def _entry(source: str, ident: str, notes: list[list[float]], bar: float, sharps: int | None, tonic: int,
           mode: str, how: str) -> dict[str, Any]:
    return {"id": ident, "source": source, "tonic": tonic, "mode": mode, "how": how, "bar": bar,
            "sharps": sharps, "notes": notes}


def _chorales(limit: int) -> list[dict[str, Any]]:
    from music21 import converter

    files = sorted((_corpus_dir() / "bach").glob("bwv*.mxl"))
    out = []
    for path in files[:: max(1, len(files) // (limit * 2))]:
        if len(out) >= limit:
            break
        try:
            score = converter.parse(str(path))
            notes, bar, sharps, bass = _notes_of(score)
        except Exception:  # a file music21 cannot read is simply not in the set
            continue
        if sharps is None or not bass:
            continue
        last = max(bass, key=lambda r: r[0])[2] % 12
        major = _major_tonic(sharps)
        if last == major:
            out.append(_entry("chorale", path.stem, notes, bar, sharps, major, "major", "signature+last bass"))
        elif last == (major + 9) % 12:
            out.append(_entry("chorale", path.stem, notes, bar, sharps, last, "minor", "signature+last bass"))
    return out


def _tunes(folder: str, pattern: str, limit: int) -> list[tuple[str, str]]:
    tunes = []
    for path in sorted((_corpus_dir() / folder).glob(pattern)):
        text = path.read_text(encoding="latin-1")
        for number, chunk in enumerate(text.split("\nX:")[1:]):
            tunes.append((f"{path.stem}#{number}", "X:" + chunk))
    step = max(1, len(tunes) // (limit * 3))
    return tunes[::step]


def _abc_key(chunk: str) -> str:
    for line in chunk.splitlines():
        if line.startswith("K:"):
            return line[2:].strip()
    return ""


_LETTERS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def _tonic_of(name: str) -> int | None:
    if not name or name[0].upper() not in _LETTERS:
        return None
    tonic = _LETTERS[name[0].upper()]
    rest = name[1:]
    if rest.startswith("b"):
        tonic -= 1
    elif rest.startswith("#"):
        tonic += 1
    return tonic % 12


def _abc_set(source: str, folder: str, pattern: str, limit: int) -> list[dict[str, Any]]:
    from music21 import converter

    out = []
    for ident, chunk in _tunes(folder, pattern, limit):
        if len(out) >= limit:
            break
        name = _abc_key(chunk)
        tonic = _tonic_of(name)
        suffix = name[1:].lstrip("b#").strip().lower()
        if tonic is None or suffix not in ("", "m", "min", "maj", "major", "minor"):
            continue  # modal keys are left out
        try:
            score = converter.parse(chunk, format="abc")
            notes, bar, sharps, _ = _notes_of(score)
        except Exception:  # a tune music21 cannot read is simply not in the set
            continue
        if len(notes) < 8 or notes[-1][2] % 12 != tonic:
            continue
        if source == "essen":
            held = [0.0] * 12
            for _, duration, pitch in notes:
                held[(pitch - tonic) % 12] += duration
            if held[3] == held[4]:
                continue
            mode, how = ("major" if held[4] > held[3] else "minor"), "K: tonic + longer-held third"
        else:
            mode, how = ("minor" if suffix in ("m", "min", "minor") else "major"), "K: key and mode"
        out.append(_entry(source, ident, notes, bar, sharps, tonic, mode, how))
    return out


def build(limit: int = PER_SOURCE) -> list[dict[str, Any]]:
    pieces = _chorales(limit) + _abc_set("essen", "essenFolksong", "*.abc", limit)
    pieces += _abc_set("oneill", "oneills1850", "*.abc", limit)
    return pieces


def load() -> list[dict[str, Any]]:
    """The labelled set, built on first use (a few minutes of music21 parsing) and cached."""
    if CACHE.exists():
        data: list[dict[str, Any]] = json.loads(CACHE.read_text())
        return data
    pieces = build()
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    CACHE.write_text(json.dumps(pieces))
    return pieces


if __name__ == "__main__":
    made = load()
    counts: dict[str, int] = {}
    for piece in made:
        counts[piece["source"]] = counts.get(piece["source"], 0) + 1
    print(len(made), counts, file=sys.stderr)
