"""``MidiSplicer`` writes exactly the bytes ``score_to_midi_bytes`` writes, only faster (issue 12's merge)."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from musicassist.cli.generate_command import merged
from musicassist.core import MeterMap, Note, Score, TimeSignature, Track
from musicassist.core.score import BarRange
from musicassist.io.midi_file import read_midi_bytes, score_to_midi_bytes
from musicassist.io.midi_splice import MidiSplicer
from musicassist.io.midi_writer import midi_resolution

from ..core.strategies import notes, scores

F = Fraction


@st.composite
def candidates(draw: st.DrawFn, bars: int) -> Score:
    """A continuation of ``bars`` 4/4 bars on the 1/12 grid, as the sampler writes one."""
    found = [n for n in draw(st.lists(notes, max_size=12)) if n.start < 4 * bars]
    return Score(tracks=(Track("c", tuple(found)),), meter_map=MeterMap.constant(TimeSignature(4, 4)),
                 length_bars=bars)


@settings(max_examples=80, deadline=None)
@given(scores(max_tracks=3), st.data())
def test_spliced_bytes_are_the_writers_bytes(score: Score, data: st.DataObject) -> None:
    if score.bar_count < 2:
        score = Score(tracks=score.tracks, meter_map=score.meter_map, tempo_map=score.tempo_map,
                      length_bars=2, key=score.key, key_changes=score.key_changes, events=score.events)
    seed_end = data.draw(st.integers(min_value=1, max_value=score.bar_count - 1))
    length = data.draw(st.integers(min_value=1, max_value=3))
    bars = BarRange(0, seed_end)
    chosen = list(range(len(score.tracks)))[: data.draw(st.integers(min_value=1, max_value=len(score.tracks)))]
    splicer = MidiSplicer(score, score.bar_start(bars.end), score.bar_start(bars.end + length))
    for _ in range(2):  # the base's bytes are reused: a second candidate must not see the first
        whole = merged(score, bars, chosen, data.draw(candidates(length)))
        assert splicer.midi_bytes(whole) == score_to_midi_bytes(whole)


def test_a_large_piece_is_spliced_not_rewritten() -> None:
    """A merge into a 4/4 piece of 2,000 notes takes the spliced path (same bytes, same notes)."""
    melody = tuple(Note(F(i, 2), 48 + (i * 7) % 36, F(1, 2), 60 + i % 60) for i in range(2000))
    score = Score(tracks=(Track("m", melody, 5, 0), Track("b", melody[::4], 33, 1)), ticks_per_beat=480)
    bars = BarRange(0, 4)
    splicer = MidiSplicer(score, score.bar_start(4), score.bar_start(6))
    candidate = Score(tracks=(Track("c", (Note(F(0), 72, F(1, 3)), Note(F(7, 3), 74, F(2)))),), length_bars=2)
    whole = merged(score, bars, [0], candidate)
    assert splicer._windows(whole) is not None  # the fast path, not the fallback
    data = splicer.midi_bytes(whole)
    assert data == score_to_midi_bytes(whole)
    assert midi_resolution(whole) == 480
    assert read_midi_bytes(data).tracks[0].notes == read_midi_bytes(score_to_midi_bytes(whole)).tracks[0].notes
