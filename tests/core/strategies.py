"""Hypothesis strategies for core values, shared by the core property tests."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import strategies as st

from musicassist.core import MeterChange, MeterMap, Note, Score, TempoChange, TempoMap, TimeSignature, Track

METERS = [TimeSignature(n, d) for n, d in ((4, 4), (3, 4), (6, 8), (2, 2), (5, 4), (7, 8), (2, 4), (12, 8))]

grid_beats = st.integers(min_value=0, max_value=40 * 12).map(lambda k: Fraction(k, 12))
durations = st.integers(min_value=1, max_value=8 * 12).map(lambda k: Fraction(k, 12))


@st.composite
def meter_maps(draw: st.DrawFn) -> MeterMap:
    bars = sorted(draw(st.sets(st.integers(min_value=1, max_value=20), max_size=4)))
    changes = [MeterChange(0, draw(st.sampled_from(METERS)))]
    changes += [MeterChange(b, draw(st.sampled_from(METERS))) for b in bars]
    return MeterMap.from_changes(changes)


@st.composite
def tempo_maps(draw: st.DrawFn) -> TempoMap:
    beats = sorted(draw(st.sets(grid_beats.filter(lambda b: b > 0), max_size=3)))
    bpm = st.integers(min_value=30, max_value=240).map(float)
    return TempoMap.from_changes([TempoChange(Fraction(0), draw(bpm))] + [TempoChange(b, draw(bpm)) for b in beats])


notes = st.builds(
    Note,
    start=grid_beats,
    pitch=st.integers(min_value=20, max_value=108),
    duration=durations,
    velocity=st.integers(min_value=1, max_value=127),
    channel=st.just(0),
)


@st.composite
def scores(draw: st.DrawFn, max_tracks: int = 2) -> Score:
    tracks = tuple(
        Track(name=f"t{i}", notes=tuple(draw(st.lists(notes, max_size=25))), channel=i)
        for i in range(draw(st.integers(min_value=1, max_value=max_tracks)))
    )
    tracks = tuple(t.with_notes(n.__class__(n.start, n.pitch, n.duration, n.velocity, t.channel) for n in t.notes)
                   for t in tracks)
    return Score(tracks=tracks, meter_map=draw(meter_maps()), tempo_map=draw(tempo_maps()),
                 length_bars=draw(st.integers(min_value=0, max_value=30)))
