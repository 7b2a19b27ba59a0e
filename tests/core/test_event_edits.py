"""The controller lane's pure edits: they change one controller and nothing else."""

from fractions import Fraction as F

import pytest

from musicassist.core.errors import ScoreError
from musicassist.core.event_edits import (
    PEDAL,
    PITCH_BEND,
    Controller,
    draw_line,
    draw_pedal,
    erase,
    grid_times,
    lane_events,
    pedal_bar_at,
    pedal_bars,
    ramp,
    set_values,
)
from musicassist.core.events import EXPRESSION, ChannelEvent, RawEvent

CC11 = Controller("control_change", EXPRESSION)


def cc(time, number, value, channel=0):
    return ChannelEvent(F(time), "control_change", channel, number, value)


OTHERS = (cc(1, 7, 100), ChannelEvent(F(1), "pitchwheel", 0, 0, 300), RawEvent(F(1), 0x05, b"la"),
          ChannelEvent(F(2), "aftertouch", 0, 0, 5), cc(2, 64, 127))


def test_a_ramp_has_one_value_per_step_on_a_straight_line_and_ends_on_the_end():
    assert ramp(CC11, (F(0), 0), (F(4), 127), F(1)) == {0: 0, 1: 32, 2: 64, 3: 95, 4: 127}
    assert ramp(CC11, (F(4), 127), (F(0), 0), F(1)) == {0: 0, 1: 32, 2: 64, 3: 95, 4: 127}  # either direction
    assert list(ramp(CC11, (F(0), 10), (F(5, 2), 10), F(1))) == [0, 1, 2, F(5, 2)]
    assert grid_times(F(1), F(1), F(1, 4)) == [F(1)]
    with pytest.raises(ScoreError):
        grid_times(F(0), F(1), F(0))


def test_set_values_replaces_the_span_of_one_controller_and_keeps_everything_else():
    before = (*OTHERS, cc(F(1, 2), EXPRESSION, 1), cc(F(3, 2), EXPRESSION, 2), cc(3, EXPRESSION, 3))
    after = set_values(before, CC11, 4, {F(1): 50, F(2): 60})
    assert [(e.time, e.value, e.channel) for e in lane_events(after, CC11)] == [
        (F(1, 2), 1, 0), (F(1), 50, 4), (F(2), 60, 4), (F(3), 3, 0)]
    assert [e for e in after if not CC11.matches(e)] == list(OTHERS)


def test_line_and_erase_touch_only_their_controller_and_clamp_values():
    lined = draw_line(OTHERS, PITCH_BEND, 0, (F(0), -9000), (F(1), 9000), F(1, 2))
    bends = [(e.time, e.value) for e in lane_events(lined, PITCH_BEND)]
    assert bends == [(F(0), -8192), (F(1, 2), 0), (F(1), 8191)]  # the old bend at beat 1 is replaced
    assert erase(lined, PITCH_BEND, F(1), F(0)) == tuple(e for e in OTHERS if not PITCH_BEND.matches(e))


def test_pedal_bars_from_down_and_up_events():
    events = (cc(1, 64, 127), cc(2, 64, 100), cc(3, 64, 0), cc(5, 64, 90), *OTHERS[:2])
    assert pedal_bars(events) == [(F(1), F(3)), (F(5), None)]
    assert pedal_bar_at(events, F(2)) == (F(1), F(3)) and pedal_bar_at(events, F(4)) is None
    drawn = draw_pedal(events, 0, F(3, 2), F(1, 2))
    assert [(e.time, e.value) for e in lane_events(drawn, PEDAL)] == [
        (F(1, 2), 127), (F(3, 2), 0), (F(2), 100), (F(3), 0), (F(5), 90)]
    assert draw_pedal(events, 0, F(2), F(2)) == events  # no length, no bar


def test_a_controller_outside_the_lane_kinds_is_refused():
    with pytest.raises(ScoreError):
        Controller("aftertouch", 0)
    with pytest.raises(ScoreError):
        Controller("control_change", 128)
