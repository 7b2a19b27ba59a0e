"""MusicXML scores of music21's corpus with pickups, voices and tempo marks: our notes equal MuseScore 3's
MIDI export, onsets and lengths within 1 ms, unisons included (each part's notes compared as a multiset)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import FULL, MUSICXML_SCORES
from .corpus_cases import musicxml_cases
from .measure import musicxml_outcome
from .reference import MSCORE

pytestmark = [pytest.mark.slow, pytest.mark.skipif(MSCORE is None, reason="MuseScore 3 (Debian musescore3) is missing")]

MIN_MATCHING_SHARE = 0.6  # see tests/data/README.md for the known differences


def test_corpus_scores_match_musescore_note_for_note(tmp_path: Path) -> None:
    outcomes = {path.name: musicxml_outcome(path, tmp_path) for path in musicxml_cases(MUSICXML_SCORES)}
    matching = [name for name, outcome in outcomes.items() if outcome == "match"]
    print(f"\n{len(matching)} of {len(outcomes)} scores match MuseScore")
    for name, outcome in outcomes.items():
        if outcome != "match":
            print(f"  {name}: {outcome}")
    assert len(matching) >= MIN_MATCHING_SHARE * len(outcomes)
    if FULL:
        assert len(matching) >= 50
