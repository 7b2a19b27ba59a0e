"""Decoding: robust to any integers, skips what does not fit, keeps the bar count."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from musicassist.codec import CodecError, decode, decode_with_stats, default_vocabulary
from musicassist.core import TempoMap, TimeSignature

V = default_vocabulary()


def ids(*names):
    return [V.id(n) for n in names]


def test_decodes_notes_meters_and_track_fields():
    tokens = ids("BOS", "STYLE_chorale", "BAR_3/4", "POS_6", "PITCH_60", "DUR_3", "VEL_7", "PITCH_67", "DUR_12",
                 "VEL_0", "BAR_2/4", "EOS")
    score = decode(tokens, tempo_map=TempoMap.constant(90), program=40, channel=2, name="Violin")
    assert [(n.start, n.pitch, n.duration, n.velocity, n.channel) for n in score.notes] == [
        (Fraction(1, 2), 60, Fraction(1, 4), 127, 2), (Fraction(1, 2), 67, Fraction(1), 16, 2)]
    assert score.bar_count == 2
    assert score.meter_map.time_signature_at_bar(1) == TimeSignature(2, 4)
    track = score.tracks[0]
    assert (track.name, track.program, track.channel) == ("Violin", 40, 2)
    assert score.tempo_map.bpm_at(Fraction(0)) == 90


def test_grammar_violations_are_skipped_and_counted():
    tokens = [*ids("BAR_4/4", "PITCH_60", "POS_12", "POS_6", "PITCH_62", "BAR_4/4", "DUR_6", "VEL_3",
                   "PITCH_61", "PITCH_64", "DUR_6", "VEL_3", "POS_0", "BOS"), 9999, -1]
    score, stats = decode_with_stats(tokens)
    # PITCH_60 before a POS, POS_6 after POS_12, BAR mid-note, PITCH_61 below 62, POS_0 going back, BOS,
    # and two out-of-range ids are skipped.
    assert stats.skipped == 8
    assert [(n.start, n.pitch) for n in score.notes] == [(Fraction(1), 62), (Fraction(1), 64)]
    assert score.bar_count == 1


def test_reading_stops_at_eos_and_unfinished_notes_are_dropped():
    tokens = ids("BAR_4/4", "POS_0", "PITCH_60", "DUR_6", "EOS", "BAR_4/4")
    score = decode(tokens)
    assert score.note_count == 0 and score.bar_count == 1


def test_notes_ringing_past_the_last_bar_are_shortened_to_fit():
    score = decode(ids("BAR_2/4", "POS_18", "PITCH_60", "DUR_96", "VEL_4"))
    assert score.bar_count == 1
    assert score.notes[0].duration == Fraction(1, 2)


def test_empty_and_bar_only_inputs():
    assert decode([]).bar_count == 0
    assert len(decode([]).tracks) == 1
    assert decode(ids("BAR_6/8", "BAR_6/8")).bar_count == 2
    assert decode(np.array([], dtype=np.float32)).note_count == 0


@pytest.mark.parametrize("bad", [np.array([1.5, 2.0]), np.array([[1, 2]]), ["a", "b"], np.array([True])])
def test_non_integer_input_raises_codec_error(bad):
    with pytest.raises(CodecError, match="not a sequence of token numbers"):
        decode(bad)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=-5, max_value=V.size + 5), max_size=200))
def test_decode_never_raises_on_random_ints(tokens):
    score, stats = decode_with_stats(np.asarray(tokens, dtype=np.int64))
    assert score.bar_count == stats.bars
    assert len(score.tracks) == 1


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(ids("BAR_4/4", "BAR_7/8", "POS_0", "POS_40", "POS_95", "PITCH_0", "PITCH_127",
                                    "PITCH_64", "DUR_96", "DUR_1", "VEL_0")), max_size=300))
def test_decode_never_raises_on_dense_token_soups(tokens):
    score = decode(tokens)
    assert all(n.end <= score.end for n in score.notes)
