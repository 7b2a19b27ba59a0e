"""Hypothesis strategies for codec tests: on-grid scores in supported meters, token soups."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import strategies as st

from musicassist.codec import DURATION_BINS, METERS, VELOCITY_CENTRES
from musicassist.core import MeterChange, MeterMap, Note, Score, TimeSignature, Track

supported_meters = st.sampled_from([TimeSignature.parse(m) for m in METERS])


@st.composite
def meter_maps(draw: st.DrawFn, max_bar: int = 12) -> MeterMap:
    bars = sorted(draw(st.sets(st.integers(min_value=1, max_value=max_bar), max_size=3)))
    changes = [MeterChange(0, draw(supported_meters))] + [MeterChange(b, draw(supported_meters)) for b in bars]
    return MeterMap.from_changes(changes)


@st.composite
def codec_exact_scores(draw: st.DrawFn) -> Score:
    """Scores the codec must reproduce exactly: on-grid starts, binned durations, centre velocities,
    at most one note per (start, pitch), every note ending inside the score."""
    meter_map = draw(meter_maps())
    bars = draw(st.integers(min_value=1, max_value=14))
    end = meter_map.bar_start(bars) * 12
    raw = draw(st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=int(end) - 1),
            st.integers(min_value=0, max_value=127),
            st.sampled_from(DURATION_BINS),
            st.sampled_from(VELOCITY_CENTRES),
            st.integers(min_value=0, max_value=2),
        ),
        max_size=40,
        unique_by=lambda t: (t[0], t[1]),
    ))
    tracks: list[list[Note]] = [[], [], []]
    for start, pitch, duration, velocity, track in raw:
        if start + duration <= end:
            tracks[track].append(Note(Fraction(start, 12), pitch, Fraction(duration, 12), velocity, track))
    return Score(
        tracks=tuple(Track(name=f"t{i}", notes=tuple(n), channel=i) for i, n in enumerate(tracks)),
        meter_map=meter_map,
        length_bars=bars,
    )


@st.composite
def loose_scores(draw: st.DrawFn) -> Score:
    """Any notes: off-grid starts, odd durations, any velocity, collisions."""
    meter_map = draw(meter_maps())
    grid = st.integers(min_value=0, max_value=48 * 10).map(lambda k: Fraction(k, 48))
    notes = draw(st.lists(st.builds(
        Note,
        start=grid,
        pitch=st.integers(min_value=0, max_value=127),
        duration=st.integers(min_value=1, max_value=48 * 12).map(lambda k: Fraction(k, 48)),
        velocity=st.integers(min_value=1, max_value=127),
    ), max_size=40))
    return Score(tracks=(Track(notes=tuple(notes)),), meter_map=meter_map,
                 length_bars=draw(st.integers(min_value=0, max_value=8)))
