from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from musicassist.core import (
    KeySignature,
    MeterChange,
    MeterMap,
    ScoreError,
    TempoChange,
    TempoMap,
    TimeSignature,
)

from .strategies import grid_beats, meter_maps, tempo_maps


def test_bar_lengths_of_common_meters():
    assert TimeSignature(4, 4).bar_beats == 4
    assert TimeSignature(3, 4).bar_beats == 3
    assert TimeSignature(6, 8).bar_beats == 3
    assert TimeSignature(2, 2).bar_beats == 4
    assert TimeSignature(5, 4).bar_beats == 5
    assert TimeSignature(7, 8).bar_beats == Fraction(7, 2)


def test_bar_starts_under_meter_changes():
    meters = MeterMap.from_changes(
        [MeterChange(0, TimeSignature(4, 4)), MeterChange(2, TimeSignature(6, 8)), MeterChange(3, TimeSignature(7, 8))]
    )
    assert [meters.bar_start(b) for b in range(6)] == [0, 4, 8, 11, Fraction(29, 2), 18]
    assert meters.bar_at(Fraction(10)) == 2
    assert meters.bar_at(Fraction(11)) == 3  # a barline belongs to the new bar
    assert meters.time_signature_at_bar(100) == TimeSignature(7, 8)


@given(meter_maps(), st.integers(min_value=0, max_value=60))
def test_bar_to_beat_round_trip(meters, bar):
    start = meters.bar_start(bar)
    assert meters.bar_at(start) == bar
    assert meters.bar_at(start + meters.bar_length(bar) - Fraction(1, 960)) == bar
    assert meters.bars_to_cover(meters.bar_start(bar)) == bar


@given(meter_maps(), grid_beats)
def test_beat_to_bar_round_trip(meters, beat):
    bar = meters.bar_at(beat)
    assert meters.bar_start(bar) <= beat < meters.bar_start(bar + 1)


def test_meter_map_rejects_nonsense():
    with pytest.raises(ScoreError):
        TimeSignature(4, 3)
    with pytest.raises(ScoreError):
        MeterMap((MeterChange(1, TimeSignature()),))
    with pytest.raises(ScoreError):
        MeterMap().bar_at(Fraction(-1))


def test_seconds_follow_tempo_changes():
    tempo = TempoMap.from_changes([TempoChange(Fraction(0), 120.0), TempoChange(Fraction(4), 60.0)])
    assert tempo.seconds_at(Fraction(4)) == pytest.approx(2.0)
    assert tempo.seconds_at(Fraction(6)) == pytest.approx(4.0)
    assert tempo.beat_at_seconds(4.0) == pytest.approx(6.0)


@given(tempo_maps(), grid_beats)
def test_seconds_round_trip(tempo, beat):
    assert tempo.beat_at_seconds(tempo.seconds_at(beat)) == pytest.approx(float(beat), abs=1e-9)


@pytest.mark.parametrize(
    ("text", "tonic", "mode", "sharps"),
    [("C:major", 0, "major", 0), ("A minor", 9, "minor", 0), ("F#m", 6, "minor", 3), ("Bb", 10, "major", -2),
     ("Eb:major", 3, "major", -3), ("E major", 4, "major", 4)],
)
def test_key_parsing_and_sharps(text, tonic, mode, sharps):
    key = KeySignature.parse(text)
    assert (key.tonic, key.mode, key.sharps) == (tonic, mode, sharps)
    assert KeySignature.from_sharps(sharps, mode) == key


def test_key_scale_and_errors():
    assert KeySignature.parse("C").scale_pitch_classes == {0, 2, 4, 5, 7, 9, 11}
    assert KeySignature.parse("A:minor").scale_pitch_classes == {9, 11, 0, 2, 4, 5, 7, 8}  # with G sharp
    with pytest.raises(ScoreError):
        KeySignature.parse("H:dorian")
