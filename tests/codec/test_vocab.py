"""The vocabulary: layout, lookups, bins, and its JSON form saved with models."""

import json

import numpy as np
import pytest

from musicassist.codec import (
    CODEC_VERSION,
    DURATION_BINS,
    VELOCITY_CENTRES,
    CodecError,
    Vocabulary,
    default_vocabulary,
    velocity_bin,
)
from musicassist.core import MusicAssistError, TimeSignature

V = default_vocabulary()


def test_special_ids_and_groups_are_contiguous_and_disjoint():
    assert (V.PAD, V.BOS, V.EOS) == (0, 1, 2)
    assert [V.name(i) for i in range(3)] == ["PAD", "BOS", "EOS"]
    groups = [V.style_ids, V.bar_ids, V.pos_ids, V.pitch_ids, V.dur_ids, V.vel_ids]
    joined = np.concatenate([np.arange(3), *groups])
    assert joined.tolist() == list(range(V.size))
    assert len(V.pitch_ids) == 128 and len(V.vel_ids) == 8 and len(V.pos_ids) == 96


def test_names_round_trip_through_ids():
    for token_id in range(V.size):
        assert V.id(V.name(token_id)) == token_id
    assert V.name(V.id("BAR_6/8")) == "BAR_6/8"
    assert V.value_of[V.id("PITCH_61")] == 61
    assert V.bar_positions[V.id("BAR_7/8")] == 42
    assert V.bar_positions[V.id("BAR_4/2")] == 96


@pytest.mark.parametrize("meter", ["2/4", "3/4", "4/4", "5/4", "6/4", "7/4", "2/2", "3/2", "3/8", "6/8",
                                   "9/8", "12/8", "5/8", "7/8"])
def test_required_meters_are_supported(meter):
    assert V.meter_of(V.bar_id(TimeSignature.parse(meter))) == TimeSignature.parse(meter)


def test_unknown_meter_and_token_raise_codec_errors_that_read_as_sentences():
    with pytest.raises(CodecError, match="11/8 is not supported") as info:
        V.bar_id(TimeSignature(11, 8))
    assert isinstance(info.value, MusicAssistError)
    with pytest.raises(CodecError):
        V.id("PITCH_128")
    with pytest.raises(CodecError):
        V.name(V.size)


def test_duration_bins_nearest_clipped_and_fitting():
    assert all(V.duration_bin(d) == d for d in DURATION_BINS)
    assert V.duration_bin(13) == 12  # 12 and 15: nearer is 12
    assert V.duration_bin(14) == 15
    assert V.duration_bin(500) == 96
    assert V.longest_bin_within(14) == 12
    assert V.longest_bin_within(40) == 36


def test_velocity_bins_map_to_nearest_centre_and_centres_are_fixed_points():
    assert [velocity_bin(c) for c in VELOCITY_CENTRES] == list(range(8))
    assert velocity_bin(1) == 0 and velocity_bin(23) == 0 and velocity_bin(24) == 1
    assert velocity_bin(119) == 6 and velocity_bin(120) == 7 and velocity_bin(127) == 7


def test_json_round_trip_and_version_check():
    text = V.to_json()
    again = Vocabulary.from_json(text)
    assert again == V and again.names == V.names
    data = json.loads(text)
    data["version"] = "remi12-v0"
    with pytest.raises(CodecError, match="retrain"):
        Vocabulary.from_json(json.dumps(data))
    with pytest.raises(CodecError, match="damaged"):
        Vocabulary.from_json("{not json")
    assert json.loads(text)["version"] == CODEC_VERSION


def test_tables_are_read_only():
    with pytest.raises(ValueError):
        V.type_of[0] = 3
