"""Bar edits, transposition, quantize and continuations carry a track's events (issue 10)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from musicassist.core import Note, Score, ScoreError, Track, delete_bars, insert_bars, quantize, slice_bars, transpose
from musicassist.core.continuation import AcceptMode, write_continuation
from musicassist.core.events import ChannelEvent, Event, RawEvent
from musicassist.core.timemaps import KeyChange, KeySignature, TempoChange, TempoMap

from .strategies import scores

F = Fraction
PEDAL_DOWN = ChannelEvent(F(1), "control_change", 0, 64, 127)
PEDAL_UP = ChannelEvent(F(6), "control_change", 0, 64, 0)
MARKER = RawEvent(F(4), 0x06, b"Chorus")


def _piece() -> Score:
    notes = (Note(F(0), 60, F(2)), Note(F(4), 64, F(1)), Note(F(8), 67, F(1)))
    events = (PEDAL_DOWN, ChannelEvent(F(5), "polytouch", 0, 64, 90), PEDAL_UP, MARKER,
              ChannelEvent(F(9), "pitchwheel", 0, 0, -2000))
    return Score(tracks=(Track("piano", notes, events=events),), key=KeySignature(0),
                 key_changes=(KeyChange(F(4), KeySignature(7)),), events=(RawEvent(F(8), 0x01, b"coda"),))


def test_slice_takes_the_events_and_the_key_of_its_bars() -> None:
    bar2 = slice_bars(_piece(), 1, 2)  # beats 4..8
    times = [(type(e).__name__, e.time) for e in bar2.tracks[0].events]
    assert times == [("RawEvent", F(0)), ("ChannelEvent", F(1)), ("ChannelEvent", F(2))]
    assert bar2.key == KeySignature(7) and bar2.key_changes == ()
    assert slice_bars(_piece(), 2, 3).events == (RawEvent(F(0), 0x01, b"coda"),)


def test_deleting_a_bar_removes_its_events_and_moves_the_later_ones() -> None:
    shorter = delete_bars(_piece(), 1, 2)
    assert [e.time for e in shorter.tracks[0].events] == [F(1), F(5)]  # pedal down, the bend of bar 3
    assert shorter.events == (RawEvent(F(4), 0x01, b"coda"),)
    assert shorter.key_at(F(5)) == KeySignature(7)  # bar 3 was in G: it still is


def test_an_event_on_the_closing_barline_adds_a_bar() -> None:
    """A pedal released as the last bar ends: bars are half-open, so it needs a bar of its own."""
    release = ChannelEvent(F(4), "control_change", 0, 64, 0)
    score = Score(tracks=(Track("p", (Note(F(0), 60, F(4)),), events=(release,)),))
    assert score.bar_count == 2
    assert slice_bars(score, 0, 2).tracks[0].events == score.tracks[0].events


def test_transposition_moves_polyphonic_pressure_with_its_note_and_leaves_controllers() -> None:
    up = transpose(_piece(), 3)
    kinds = {(e.kind, e.number) for e in up.tracks[0].events if isinstance(e, ChannelEvent)}
    assert ("polytouch", 67) in kinds and ("control_change", 64) in kinds
    assert up.key_changes == (KeyChange(F(4), KeySignature(10)),)
    drums = Score(tracks=(Track("d", channel=9, events=(ChannelEvent(F(0), "polytouch", 9, 36, 50),)),))
    assert transpose(drums, 5) == drums
    high = Score(tracks=(Track("p", events=(ChannelEvent(F(0), "polytouch", 0, 126, 50),)),))
    with pytest.raises(ScoreError):
        transpose(high, 5)


def test_quantize_touches_notes_only() -> None:
    swung = _piece().with_tracks([_piece().tracks[0].with_events([ChannelEvent(F(1, 3), "control_change", 0, 1, 9)])])
    assert quantize(swung, F(1, 2)).tracks[0].events == swung.tracks[0].events


def test_exact_tempo_is_kept_through_slices_and_gives_exact_seconds() -> None:
    tempo = TempoMap.from_changes([TempoChange.exact(F(0), 465172), TempoChange.exact(F(8), 465173)])
    assert len(tempo.changes) == 2  # both round to 128.98 BPM; they are still two tempi
    assert tempo.changes[0].microseconds == 465172
    assert tempo.seconds_at(F(1000)) == pytest.approx(8 * 0.465172 + 992 * 0.465173, abs=1e-9)
    score = Score(tempo_map=tempo, length_bars=4)
    assert slice_bars(score, 2, 4).tempo_map.changes[0].microseconds == 465173
    assert insert_bars(score, 1, slice_bars(score, 0, 1)).tempo_map.changes[0].us_per_beat == 465172


def _two_tracks() -> Score:
    melody = Track("melody", (Note(F(0), 72, F(1)), Note(F(4), 74, F(1)), Note(F(8), 76, F(1))), channel=0,
                   events=(ChannelEvent(F(0), "control_change", 0, 64, 127),
                           ChannelEvent(F(5), "control_change", 0, 64, 0),
                           RawEvent(F(5), 0x05, b"la"), ChannelEvent(F(9), "control_change", 0, 11, 90)))
    bass = Track("bass", (Note(F(4), 48, F(4)),), channel=1, events=(ChannelEvent(F(6), "pitchwheel", 1, 0, 300),))
    return Score(tracks=(melody, bass), length_bars=3)


CONTINUATION = Score(tracks=(Track("c", (Note(F(0), 79, F(2)),)),), length_bars=1)


@pytest.mark.parametrize("choice", ["keep", "clear"])
def test_accepting_keeps_or_clears_the_target_tracks_controllers_in_the_replaced_bars(choice: str) -> None:
    score = _two_tracks()
    result = write_continuation(score, 1, CONTINUATION, 0, AcceptMode.REPLACE, replaced_events=choice)  # type: ignore[arg-type]
    melody = result.tracks[0].events
    outside = [e for e in melody if not F(4) <= e.time < F(8)]
    assert outside == [e for e in score.tracks[0].events if not F(4) <= e.time < F(8)]
    inside = [e for e in melody if F(4) <= e.time < F(8)]
    if choice == "keep":
        assert inside == [ChannelEvent(F(5), "control_change", 0, 64, 0), RawEvent(F(5), 0x05, b"la")]
    else:
        assert inside == [RawEvent(F(5), 0x05, b"la")]  # meta and sysex always stay
    assert result.tracks[1].events == score.tracks[1].events  # another track's events are never touched


def test_insert_mode_opens_bars_without_events_and_moves_the_later_ones() -> None:
    result = write_continuation(_two_tracks(), 1, CONTINUATION, 0, AcceptMode.INSERT)
    assert [e.time for e in result.tracks[0].events] == [F(0), F(9), F(9), F(13)]
    assert [e.time for e in result.tracks[1].events] == [F(10)]


def test_an_unknown_choice_is_refused() -> None:
    with pytest.raises(ScoreError):
        write_continuation(_two_tracks(), 1, CONTINUATION, 0, replaced_events="drop")  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(scores(max_tracks=2), st.integers(min_value=0, max_value=8), st.sampled_from(["keep", "clear"]))
def test_events_outside_the_replaced_bars_are_untouched(score: Score, at_bar: int, choice: str) -> None:
    result = write_continuation(score, at_bar, CONTINUATION, 0, AcceptMode.REPLACE, replaced_events=choice)  # type: ignore[arg-type]
    begin, stop = score.bar_start(at_bar), score.bar_start(at_bar + 1)
    shift = result.bar_start(at_bar + 1) - stop  # the continuation's bar may be longer or shorter

    def outside(events: tuple[Event, ...], delta: Fraction) -> list[Event]:
        return [e.moved(delta) if e.time >= stop else e for e in events if not begin <= e.time < stop]

    for old, new in zip(score.tracks, result.tracks, strict=True):
        assert [e for e in new.events if not begin <= e.time < stop + shift] == outside(old.events, shift)
    assert [e for e in result.events if not begin <= e.time < stop + shift] == outside(score.events, shift)


def test_moving_an_exact_tempo_keeps_its_microseconds() -> None:
    from musicassist.core.map_edits import move_tempo

    score = Score(tempo_map=TempoMap((TempoChange(F(0), 120.0), TempoChange.exact(F(4), 465172))), length_bars=4)
    moved = move_tempo(score, F(4), F(6))
    assert moved.tempo_map.changes[1] == TempoChange.exact(F(6), 465172)
