"""Which corpus pieces the differential tests use: a fixed, spread-out sample of music21's corpus.

ABC: tunes from every ABC collection in music21's corpus (Ryan's Mammoth,
O'Neill's 1850, Essen, Aird's airs, ...), preferring those with voices,
repeats, tempo marks and tuplets, taken evenly across each collection so the
sample does not depend on file order. MusicXML: corpus scores with several
parts (voices), pickups or tempo marks, smallest first so MuseScore's time
stays bounded.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from musicassist.io.abc_tunes import AbcTune, split_abc

_FEATURES = (
    re.compile(r"^V:", re.MULTILINE),  # voices
    re.compile(r"\|:|:\||\[1|\|1"),  # repeats and endings
    re.compile(r"^Q:", re.MULTILINE),  # tempo
    re.compile(r"\([2-9]"),  # tuplets
)


@cache
def _corpus_paths(extensions: tuple[str, ...]) -> tuple[Path, ...]:
    from music21 import corpus

    return tuple(sorted(Path(str(p)) for p in corpus.corpora.CoreCorpus().getPaths(fileExtensions=extensions)))


def abc_cases(limit: int) -> list[tuple[str, AbcTune]]:
    """Up to ``limit`` (label, tune) pairs, most featureful first within each collection, spread evenly."""
    by_collection: dict[str, list[tuple[int, str, AbcTune]]] = {}
    for path in _corpus_paths(("abc",)):
        tunes = split_abc(path.read_text(encoding="utf-8", errors="replace"))
        for tune in tunes:
            score = sum(1 for feature in _FEATURES if feature.search(tune.text))
            label = f"{path.parent.name}/{path.name}#{tune.number}"
            by_collection.setdefault(path.parent.name, []).append((-score, label, tune))
    for tunes in by_collection.values():
        tunes.sort(key=lambda item: (item[0], item[1]))
    chosen: list[tuple[str, AbcTune]] = []
    queues = [list(reversed(tunes)) for _, tunes in sorted(by_collection.items())]
    while len(chosen) < limit and any(queues):  # round robin over the collections
        for queue in queues:
            if queue and len(chosen) < limit:
                _, label, tune = queue.pop()
                chosen.append((label, tune))
    return chosen


_PICKUP = re.compile(r'<measure[^>]*(?:implicit="yes"|number="0")')
_TEMPO = re.compile(r"<sound[^>]*\btempo=|<metronome\b")
_VOICES = re.compile(r"<backup>|<voice>2</voice>")
_PARTS = re.compile(r"<score-part\b")
MAX_MUSICXML_BYTES = 400_000  # keeps MuseScore and music21 to a few seconds a score


def musicxml_features(path: Path) -> set[str]:
    """Which of pickup, tempo, voices (several parts or voices in a part) a corpus score has."""
    data = path.read_bytes()
    if path.suffix == ".mxl":
        from musicassist.io.music21_files import unzip_mxl

        data = unzip_mxl(data, 16 * 2**20)
    text = data.decode("utf-8", errors="replace")
    found = set()
    if _PICKUP.search(text):
        found.add("pickup")
    if len(_TEMPO.findall(text)) >= 1:
        found.add("tempo")
    if _VOICES.search(text) or len(_PARTS.findall(text)) > 1:
        found.add("voices")
    return found


def musicxml_cases(limit: int) -> list[Path]:
    """Up to ``limit`` corpus MusicXML files with pickups, voices or tempo marks: most features first, then
    smallest first (MuseScore's time grows with the score)."""
    paths = [p for p in _corpus_paths(("xml", "mxl", "musicxml")) if p.stat().st_size <= MAX_MUSICXML_BYTES]
    scored = [(-len(features), p.stat().st_size, str(p), p) for p in paths if (features := musicxml_features(p))]
    scored.sort()
    return [p for *_, p in scored[:limit]]
