from fractions import Fraction

import pytest

from musicassist.core.edits import slice_bars
from musicassist.core.errors import ScoreError
from musicassist.core.score import BarRange, Note, Score, Track
from musicassist.core.timemaps import MeterChange, MeterMap, TempoChange, TempoMap, TimeSignature
from musicassist.gui.candidate_ops import (
    AcceptMode,
    apply_candidate,
    audition_range,
    continuation_offset,
    seed_for,
)

from .helpers import melody_score

F = Fraction


def _candidate(bars: int = 1, pitch: int = 80) -> Score:
    return Score(tracks=(Track("c", (Note(F(0), pitch, F(2)), Note(F(2), pitch + 1, F(1))), channel=5),),
                 length_bars=bars)


def test_seed_is_one_track_of_the_selected_bars_from_beat_zero():
    seed = seed_for(melody_score(4), 0, BarRange(1, 3))
    assert len(seed.tracks) == 1 and seed.bar_count == 2
    assert seed.tracks[0].notes[0].start == 0
    assert seed.tracks[0].notes[0].pitch == melody_score(4).tracks[0].notes[4].pitch
    with pytest.raises(ScoreError):
        seed_for(melody_score(1), 5, BarRange(0, 1))


def test_replace_writes_only_the_edited_track_on_its_channel():
    score = melody_score(4)
    result = apply_candidate(score, 1, 2, _candidate(), AcceptMode.REPLACE)
    bass = result.tracks[1].notes
    assert [(n.start, n.pitch, n.channel) for n in bass if 8 <= n.start < 12] == [(8, 80, 1), (10, 81, 1)]
    assert [n.start for n in bass] == [0, 4, 8, 10, 12]  # bar 3's old note gave way, bar 4's stays
    assert result.tracks[0] == score.tracks[0]
    assert result.bar_count == 4


def test_replace_past_the_end_lengthens_the_piece():
    result = apply_candidate(melody_score(2), 0, 2, _candidate(bars=2), AcceptMode.REPLACE)
    assert result.bar_count == 4


def test_insert_shifts_every_track_and_keeps_the_tempo_in_force():
    score = melody_score(2)
    score = Score(score.tracks, tempo_map=TempoMap((TempoChange(F(0), 90.0), TempoChange(F(4), 140.0))),
                  length_bars=2)
    result = apply_candidate(score, 0, 1, _candidate(), AcceptMode.INSERT)
    assert result.bar_count == 3
    assert [n.start for n in result.tracks[1].notes] == [0, 8]
    assert [(n.start, n.pitch) for n in result.tracks[0].notes if 4 <= n.start < 8] == [(4, 80), (6, 81)]
    assert result.tempo_map.bpm_at(F(5)) == 140.0
    assert result.tempo_map.bpm_at(F(9)) == 140.0


def test_offsets_follow_meter_changes():
    meter = MeterMap((MeterChange(0, TimeSignature(3, 4)), MeterChange(2, TimeSignature(6, 8))))
    score = Score((Track("m", (Note(F(0), 60, F(1)),)),), meter_map=meter, length_bars=4)
    assert continuation_offset(score, BarRange(0, 2)) == 6
    assert audition_range(score, BarRange(1, 2), 2) == (F(3), F(12))


def test_replace_is_meter_aware_and_never_spills_into_the_bars_after():
    """4/4 then 3/4 from bar 3: a 2-bar 4/4 candidate accepted after bars 1-2 fills exactly bars 3-4.

    Placing it by beat offset (the old Accept) put its second bar across bars 4-5 of 3/4, over bar 5's notes.
    """
    meter = MeterMap((MeterChange(0, TimeSignature(4, 4)), MeterChange(2, TimeSignature(3, 4))))
    melody = tuple(Note(F(i), 60 + i % 12, F(1)) for i in range(20))  # bars 5-6 of 3/4: beats 14-20
    score = Score((Track("m", melody),), meter_map=meter, length_bars=6)
    candidate = Score((Track("c", tuple(Note(F(i), 80, F(1)) for i in range(8))),), length_bars=2)
    result = apply_candidate(score, 0, 2, candidate, AcceptMode.REPLACE)
    assert result.bar_count == 6
    assert [result.meter_map.time_signature_at_bar(b) for b in range(6)] == [TimeSignature(4, 4)] * 4 + [
        TimeSignature(3, 4)] * 2
    assert [n.pitch for n in slice_bars(result, 2, 4).tracks[0].notes] == [80] * 8
    assert slice_bars(result, 4, 6).tracks[0].notes == slice_bars(score, 4, 6).tracks[0].notes
    assert audition_range(score, BarRange(0, 2), 2) == (F(0), F(16))
