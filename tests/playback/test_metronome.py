from fractions import Fraction as F

import pytest

from musicassist.core import MeterChange, MeterMap, OptionError, Score, TempoMap, TimeSignature
from musicassist.playback.metronome import (
    BEAT_PITCH,
    CLICK_CHANNEL,
    DOWNBEAT_PITCH,
    click_beats,
    click_messages,
    count_in_messages,
    count_in_seconds,
)


def _score(*meters: tuple[int, str], bars: int = 4, bpm: float = 120) -> Score:
    meter_map = MeterMap.from_changes([MeterChange(bar, TimeSignature.parse(ts)) for bar, ts in meters])
    return Score(meter_map=meter_map, tempo_map=TempoMap.constant(bpm), length_bars=bars)


def test_common_time_clicks_every_quarter_with_accented_downbeats():
    beats = click_beats(_score((0, "4/4")), F(0), F(8))
    assert [b for b, _ in beats] == list(range(8))
    assert [b for b, down in beats if down] == [0, 4]


def test_compound_meter_clicks_on_the_dotted_quarter_and_follows_meter_changes():
    beats = click_beats(_score((0, "6/8"), (1, "3/8")), F(0), F(9, 2))
    assert [b for b, _ in beats] == [0, F(3, 2), 3, F(7, 2), 4]
    assert [b for b, down in beats if down] == [0, 3]


def test_clicks_are_drum_notes_released_before_the_region_ends():
    out = click_messages(_score((0, "4/4")), F(0), F(2))
    ons = [m for m in out if m.message.type == "note_on"]
    assert [(m.message.channel, m.message.note) for m in ons] == [(CLICK_CHANNEL, DOWNBEAT_PITCH),
                                                                   (CLICK_CHANNEL, BEAT_PITCH)]
    assert max(m.beat for m in out) <= 2
    assert len([m for m in out if m.message.type == "note_off"]) == 2


def test_count_in_is_one_bar_before_the_start_in_the_tempo_there():
    score = _score((0, "3/4"), bpm=60)
    out = [m for m in count_in_messages(score, F(3), bars=1) if m.message.type == "note_on"]
    assert [m.beat for m in out] == [0, 1, 2]
    assert [m.seconds for m in out] == pytest.approx([0.0, 1.0, 2.0])
    from_zero = [m for m in count_in_messages(score, F(0), bars=2) if m.message.type == "note_on"]
    assert [m.seconds for m in from_zero] == pytest.approx([-6.0, -5.0, -4.0, -3.0, -2.0, -1.0])
    assert count_in_seconds(score, F(0), 2) == pytest.approx(6.0)
    assert count_in_messages(score, F(0), bars=0) == []
    with pytest.raises(OptionError):
        count_in_messages(score, F(0), bars=-1)
