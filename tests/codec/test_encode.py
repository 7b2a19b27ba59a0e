"""Encoding scores: grammar of the output, bars, snapping, collisions, meters, round trips."""

from fractions import Fraction

import pytest
from hypothesis import given, settings

from musicassist.codec import CodecError, GrammarState, decode, default_vocabulary, encode, encode_with_stats
from musicassist.core import MeterChange, MeterMap, Note, Score, TimeSignature, Track

from .strategies import codec_exact_scores, loose_scores

V = default_vocabulary()


def _score(notes, meter="4/4", bars=0, tracks=None):
    tracks = tracks or (Track(notes=tuple(notes)),)
    return Score(tracks=tracks, meter_map=MeterMap.constant(TimeSignature.parse(meter)), length_bars=bars)


def test_known_sequence():
    score = _score([Note(Fraction(0), 60, Fraction(1)), Note(Fraction(0), 64, Fraction(1, 2), 100),
                    Note(Fraction(5, 2), 67, Fraction(3))], meter="3/4", bars=3)
    assert V.describe(encode(score, style="folk")) == [
        "BOS", "STYLE_folk", "BAR_3/4", "POS_0", "PITCH_60", "DUR_12", "VEL_4", "PITCH_64", "DUR_6", "VEL_5",
        "POS_30", "PITCH_67", "DUR_36", "VEL_4", "BAR_3/4", "BAR_3/4", "EOS",
    ]


def test_every_bar_is_emitted_even_when_empty_and_flags_drop_bos_eos():
    tokens = encode(_score([Note(Fraction(0), 60, Fraction(1))], bars=4), bos=False, eos=False)
    assert V.describe(tokens) == ["BAR_4/4", "POS_0", "PITCH_60", "DUR_12", "VEL_4"] + ["BAR_4/4"] * 3
    assert tokens.dtype.name == "int32"


def test_meter_changes_give_bar_tokens_and_positions_restart_each_bar():
    meter_map = MeterMap.from_changes([MeterChange(0, TimeSignature(6, 8)), MeterChange(1, TimeSignature(2, 4))])
    score = Score(tracks=(Track(notes=(Note(Fraction(3), 62, Fraction(1, 2)),)),), meter_map=meter_map,
                  length_bars=2)
    assert V.describe(encode(score, bos=False, eos=False)) == [
        "BAR_6/8", "BAR_2/4", "POS_0", "PITCH_62", "DUR_6", "VEL_4"]


def test_tracks_merge_drums_excluded_by_default_and_unison_collapses():
    melody = Track(notes=(Note(Fraction(0), 60, Fraction(1)),), channel=0)
    bass = Track(notes=(Note(Fraction(0), 48, Fraction(2)), Note(Fraction(0), 60, Fraction(2))), channel=1)
    drums = Track(notes=(Note(Fraction(0), 36, Fraction(1, 4)),), channel=9)
    score = _score([], tracks=(melody, bass, drums))
    tokens, stats = encode_with_stats(score)
    assert V.describe(tokens)[2:] == ["POS_0", "PITCH_48", "DUR_24", "VEL_4", "PITCH_60", "DUR_24", "VEL_4", "EOS"]
    assert (stats.notes_in, stats.notes_out, stats.collided) == (3, 2, 1)
    only_melody = encode(score, track_indices=[0])
    assert V.describe(only_melody)[3:6] == ["PITCH_60", "DUR_12", "VEL_4"]


def test_off_grid_start_snaps_and_long_duration_is_clipped_to_the_last_bin_then_to_the_score():
    score = _score([Note(Fraction(1, 25), 60, Fraction(12))], bars=5)
    assert V.describe(encode(score))[3:6] == ["PITCH_60", "DUR_96", "VEL_4"]
    short = _score([Note(Fraction(3), 60, Fraction(1))], bars=1)
    assert V.describe(encode(short))[4] == "DUR_12"
    # 1.1 beats before the end: 13.2 positions -> 13 -> bin 12 (the nearest bin, and it fits)
    tail = _score([Note(Fraction(29, 10), 60, Fraction(11, 10))], bars=1)
    assert decode(encode(tail)).bar_count == 1


def test_unsupported_meter_raises_a_plain_codec_error():
    with pytest.raises(CodecError, match="11/8"):
        encode(_score([Note(Fraction(0), 60, Fraction(1))], meter="11/8", bars=1))


def test_meter_change_after_the_last_bar_is_ignored():
    meter_map = MeterMap.from_changes([MeterChange(0, TimeSignature(3, 4)), MeterChange(5, TimeSignature(11, 8))])
    score = Score(tracks=(Track(),), meter_map=meter_map, length_bars=2)
    assert V.describe(encode(score)) == ["BOS", "BAR_3/4", "BAR_3/4", "EOS"]


@settings(max_examples=150, deadline=None)
@given(codec_exact_scores())
def test_decode_encode_round_trip_is_exact_for_representable_scores(score):
    decoded = decode(encode(score))
    key = lambda n: (n.start, n.pitch, n.duration, n.velocity)  # noqa: E731
    assert sorted(map(key, decoded.notes)) == sorted(map(key, score.notes))
    assert decoded.bar_count == score.bar_count
    meters = [score.meter_map.time_signature_at_bar(b) for b in range(score.bar_count)]
    assert [decoded.meter_map.time_signature_at_bar(b) for b in range(score.bar_count)] == meters


@settings(max_examples=150, deadline=None)
@given(loose_scores())
def test_encoded_sequences_are_grammatical_and_stable_after_one_round(score):
    tokens, stats = encode_with_stats(score, style="user")
    state = GrammarState.from_prefix(tokens)
    assert state.skipped == 0 and state.finished
    assert state.bars == score.bar_count
    again = encode(decode(tokens), style="user")
    assert again.tolist() == tokens.tolist()
    assert decode(tokens).note_count == stats.notes_out
