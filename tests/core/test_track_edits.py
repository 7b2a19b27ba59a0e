"""Track list edits as pure functions: channels, copies, order, settings."""

from fractions import Fraction as F

import pytest

from musicassist.core.errors import ScoreError
from musicassist.core.score import Note, Score, Track
from musicassist.core.track_edits import (
    add_track,
    duplicate_track,
    family_of,
    free_channel,
    move_track,
    remove_track,
    update_track,
)


def _score() -> Score:
    return Score(tracks=(Track("Melody", (Note(F(0), 60, F(1)),)), Track("Bass", (Note(F(0), 36, F(4), channel=1),),
                                                                          channel=1)), length_bars=2)


def test_add_takes_the_lowest_free_channel_and_skips_drums():
    score = _score()
    added = add_track(score, "Strings", program=48)
    assert added.tracks[-1] == Track("Strings", (), 48, 2)
    crowded = Score(tracks=tuple(Track(str(c), channel=c) for c in range(9)))
    assert free_channel(crowded) == 10


def test_duplicate_copies_notes_onto_a_free_channel_right_after():
    dup = duplicate_track(_score(), 0)
    assert [t.name for t in dup.tracks] == ["Melody", "Melody copy", "Bass"]
    assert dup.tracks[1].channel == 2 and all(n.channel == 2 for n in dup.tracks[1].notes)
    assert [n.pitch for n in dup.tracks[1].notes] == [60]


def test_remove_and_move_keep_the_piece_and_the_last_track_stays():
    score = _score()
    assert [t.name for t in move_track(score, 0, 1).tracks] == ["Bass", "Melody"]
    removed = remove_track(score, 0)
    assert [t.name for t in removed.tracks] == ["Bass"] and removed.bar_count == 2
    with pytest.raises(ScoreError):
        remove_track(removed, 0)


def test_changing_the_channel_moves_the_notes_and_settings_are_checked():
    score = update_track(_score(), 0, channel=5, volume=100, pan=20, mute=True, program=40)
    track = score.tracks[0]
    assert (track.channel, track.volume, track.pan, track.mute, track.program) == (5, 100, 20, True, 40)
    assert all(n.channel == 5 for n in track.notes)
    with pytest.raises(ScoreError):
        update_track(score, 0, volume=200)
    with pytest.raises(ScoreError):
        update_track(score, 0, notes=())


def test_general_midi_families():
    assert family_of(0) == "Piano" and family_of(40) == "Strings" and family_of(127) == "Sound Effects"
