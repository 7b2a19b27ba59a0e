"""ABC tunes of music21's corpus: our notes (pitch, start and length in seconds, channel) equal abc2midi's.

The sample spreads over every ABC collection of the corpus and prefers tunes
with voices, repeats, tempo marks and tuplets (``corpus_cases``). A tune may
fail to match for a known reason listed in tests/data/README.md; the test
holds the share that matches, and every refusal of abc2midi must be ours too.
"""

from __future__ import annotations

import pytest

from musicassist.core.errors import MusicAssistError
from musicassist.io import music21_files

from .conftest import ABC_TUNES, FULL
from .corpus_cases import abc_cases
from .measure import abc_outcome
from .reference import ABC2MIDI, Refused, abc2midi_notes

pytestmark = [pytest.mark.slow, pytest.mark.skipif(ABC2MIDI is None, reason="abc2midi (Debian abcmidi) is missing")]

# Measured: 380 of the full sample of 450 tunes match (84%), 31 of the 40-tune slice (78%; the slice is
# the most featureful tunes of each collection, the hardest). The slice guards against losing ground.
MIN_MATCHING_SHARE = 0.7


def test_corpus_tunes_match_abc2midi_note_for_note() -> None:
    outcomes = {label: abc_outcome(tune.text) for label, tune in abc_cases(ABC_TUNES)}
    matching = [label for label, outcome in outcomes.items() if outcome == "match"]
    differing = {label: outcome for label, outcome in outcomes.items() if outcome != "match"}
    print(f"\n{len(matching)} of {len(outcomes)} tunes match abc2midi")
    for label, outcome in differing.items():
        print(f"  {label}: {outcome}")
    assert not [label for label, outcome in outcomes.items() if outcome.startswith("abc2midi refuses")]
    assert len(matching) >= MIN_MATCHING_SHARE * len(outcomes)
    if FULL:
        assert len(matching) >= 300


BROKEN_HEADERS = [("K:Zmajor", "K:"), ("K:", "K:"), ("K:clef=bass", "K:"), ("K:H", "K:")]


@pytest.mark.parametrize(("field", "named"), BROKEN_HEADERS)
def test_every_tune_abc2midi_refuses_we_refuse_with_a_clear_line(field: str, named: str) -> None:
    for _, tune in abc_cases(5):
        lines = tune.text.split("\n")
        key_line = next(i for i, line in enumerate(lines) if line.startswith("K:"))
        broken = "\n".join([*lines[:key_line], field, *lines[key_line + 1:]])
        with pytest.raises(Refused):
            abc2midi_notes(broken)
        with pytest.raises(MusicAssistError, match=rf"{named} field on line {key_line + 1}\b") as refused:
            music21_files.read_abc_tune(broken)
        assert "\n" not in str(refused.value)
