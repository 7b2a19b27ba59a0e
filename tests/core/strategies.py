"""Hypothesis strategies for core values, shared by the core property tests."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import strategies as st

from musicassist.core import (
    KeySignature,
    MeterChange,
    MeterMap,
    Note,
    Score,
    TempoChange,
    TempoMap,
    TimeSignature,
    Track,
)
from musicassist.core.events import ChannelEvent, Event, RawEvent
from musicassist.core.timemaps import KeyChange

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
    # Some tempi as a MIDI file writes them (exact microseconds per beat, like 465172).
    tempo = st.one_of(bpm.map(lambda v: (v, None)),
                      st.integers(min_value=250_000, max_value=2_000_000).map(lambda us: (0.0, us)))

    def change(beat: Fraction, value: tuple[float, int | None]) -> TempoChange:
        return TempoChange(beat, value[0]) if value[1] is None else TempoChange.exact(beat, value[1])

    return TempoMap.from_changes([change(Fraction(0), draw(tempo))] + [change(b, draw(tempo)) for b in beats])


@st.composite
def events(draw: st.DrawFn, channel: int) -> Event:
    """A controller, bend, pressure, program, sysex or meta event on the grid (several may share a beat)."""
    time = draw(grid_beats)
    kind = draw(st.sampled_from(("control_change", "pitchwheel", "aftertouch", "polytouch", "program_change",
                                 "raw")))
    if kind == "raw":
        return RawEvent(time, draw(st.sampled_from((-1, 0x01, 0x05, 0x06, 0x7F, 0x60))),
                        draw(st.binary(max_size=6)))
    value = draw(st.integers(-8192, 8191)) if kind == "pitchwheel" else draw(st.integers(0, 127))
    # Polyphonic pressure is on a note: in the notes' range, so transposing by an octave stays in range.
    number = draw(st.integers(20, 108)) if kind == "polytouch" else \
        draw(st.integers(0, 127)) if kind in ("control_change", "program_change") else 0
    return ChannelEvent(time, kind, channel, number, 0 if kind == "program_change" else value)  # type: ignore[arg-type]


@st.composite
def key_changes(draw: st.DrawFn) -> tuple[KeySignature | None, tuple[KeyChange, ...]]:
    """An opening key and changes after it, each different from the key before it; or no key at all.

    A key cannot change back to "none", so a piece with key changes has an opening key (the MIDI
    reader makes the first key signature the opening key)."""
    keys = st.builds(KeySignature, st.integers(0, 11), st.sampled_from(("major", "minor")))
    if draw(st.booleans()):
        return None, ()
    opening = draw(keys)
    changes, current = [], opening
    for beat in sorted(draw(st.sets(grid_beats.filter(lambda b: b > 0), max_size=3))):
        key = draw(keys)
        if key != current:
            changes.append(KeyChange(beat, key))
            current = key
    return opening, tuple(changes)


notes = st.builds(
    Note,
    start=grid_beats,
    pitch=st.integers(min_value=20, max_value=108),
    duration=durations,
    velocity=st.integers(min_value=1, max_value=127),
    channel=st.just(0),
)


@st.composite
def scores(draw: st.DrawFn, max_tracks: int = 2, with_events: bool = True) -> Score:
    """Scores on the 1/12 grid; ``with_events`` adds controllers, meta, key changes and exact tempi."""
    tracks = tuple(
        Track(name=f"t{i}", notes=tuple(draw(st.lists(notes, max_size=25))), channel=i,
              events=tuple(draw(st.lists(events(i), max_size=12))) if with_events else ())
        for i in range(draw(st.integers(min_value=1, max_value=max_tracks)))
    )
    tracks = tuple(t.with_notes(n.__class__(n.start, n.pitch, n.duration, n.velocity, t.channel) for n in t.notes)
                   for t in tracks)
    key, changes = draw(key_changes()) if with_events else (None, ())
    piece_events = tuple(e for e in draw(st.lists(events(0), max_size=4)) if isinstance(e, RawEvent)) \
        if with_events else ()
    return Score(tracks=tracks, meter_map=draw(meter_maps()), tempo_map=draw(tempo_maps()),
                 length_bars=draw(st.integers(min_value=0, max_value=30)), key=key, key_changes=changes,
                 events=piece_events)
