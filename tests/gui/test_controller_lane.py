"""The controller lane, driven with the mouse at musical coordinates (beat, controller value)."""

from fractions import Fraction
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint

from musicassist.core.event_edits import PEDAL, PITCH_BEND, Controller
from musicassist.core.events import EXPRESSION, MODULATION, SUSTAIN_PEDAL, ChannelEvent, RawEvent

from .helpers import activate, click, drag, melody_score, set_zoom

pytestmark = pytest.mark.gui
F = Fraction


@pytest.fixture
def loaded(window, qtbot):
    window.document.load(melody_score(4), None)
    window.editor.center_on_notes()
    set_zoom(window.editor, 60)
    window.snap_combo.setCurrentText("1/16")
    activate(qtbot, window)
    return window


def at(lane, beat, value) -> QPoint:
    x, y = lane.point_at(beat, value)
    return QPoint(round(x), round(y))


def lane_of(window):
    return window.editor.controller_lane


def bar_of(window):
    return window.editor.controller_bar


def controls(window, number=None, kind="control_change"):
    return [(e.time, e.value) for e in window.document.track.events
            if isinstance(e, ChannelEvent) and e.kind == kind and (number is None or e.number == number)]


def test_the_lane_sits_under_the_velocity_lane_and_starts_on_the_sustain_pedal(loaded):
    editor = loaded.editor
    assert lane_of(loaded).controller == PEDAL
    assert lane_of(loaded).geometry().top() > editor.velocity_lane.geometry().top()
    assert lane_of(loaded).isVisible() and bar_of(loaded).chooser.currentText().startswith("Sustain pedal")


def test_drawing_a_pedal_bar_from_beat_1_to_beat_3_holds_the_pedal_between(loaded):
    lane = lane_of(loaded)
    drag(lane, at(lane, F(1), 100), at(lane, F(3), 100))
    assert controls(loaded, SUSTAIN_PEDAL) == [(F(1), 127), (F(3), 0)]
    (event,) = [e for e in loaded.document.track.events if e.time == 1]
    assert event.channel == loaded.document.track.channel
    stack = loaded.document.undo_stack
    assert stack.count() == 1  # the whole drag is one step
    stack.undo()
    assert controls(loaded) == []
    stack.redo()
    assert controls(loaded, SUSTAIN_PEDAL) == [(F(1), 127), (F(3), 0)]


def test_a_line_of_expression_over_a_bar_on_a_quarter_snap(loaded):
    loaded.snap_combo.setCurrentText("1/4")
    bar_of(loaded).choose("Expression (CC11)")
    bar_of(loaded).set_tool("line")
    lane = lane_of(loaded)
    assert lane.controller == Controller("control_change", EXPRESSION)
    drag(lane, at(lane, F(0), 0), at(lane, F(4), 127), steps=6)
    # one event per quarter, on the straight line from 0 to 127 (rounded half up)
    assert controls(loaded, EXPRESSION) == [(F(0), 0), (F(1), 32), (F(2), 64), (F(3), 95), (F(4), 127)]
    assert loaded.document.undo_stack.count() == 1
    loaded.document.undo_stack.undo()
    assert controls(loaded, EXPRESSION) == []
    loaded.document.undo_stack.redo()
    assert controls(loaded, EXPRESSION) == [(F(0), 0), (F(1), 32), (F(2), 64), (F(3), 95), (F(4), 127)]


def test_freehand_drawing_gives_one_value_per_snap_cell_and_replaces_what_was_there(loaded):
    loaded.snap_combo.setCurrentText("1/8")  # half a beat
    document = loaded.document
    old = (ChannelEvent(F(5, 4), "control_change", 0, MODULATION, 3), ChannelEvent(F(2), "pitchwheel", 0, 0, 99))
    document.push_edit(document.score.with_track(0, document.track.with_events(old)), "setup")
    bar_of(loaded).choose("Modulation (CC1)")
    lane = lane_of(loaded)
    drag(lane, at(lane, F(1), 20), at(lane, F(3), 100), steps=2)  # a fast stroke: few mouse moves
    drawn = controls(loaded, MODULATION)
    assert [t for t, _ in drawn] == [F(1), F(3, 2), F(2), F(5, 2), F(3)]  # no holes between the moves
    values = [v for _, v in drawn]
    assert values == sorted(values) and values[0] == 20 and values[-1] == 100
    assert (F(5, 4), 3) not in drawn  # replaced by the stroke
    assert controls(loaded, kind="pitchwheel") == [(F(2), 99)]  # another controller is untouched
    assert document.undo_stack.count() == 2  # the stroke is one step
    document.undo_stack.undo()
    assert controls(loaded, MODULATION) == [(F(5, 4), 3)]
    document.undo_stack.redo()
    assert controls(loaded, MODULATION) == drawn


def test_erase_removes_the_dragged_over_events_of_this_controller_only(loaded):
    document = loaded.document
    events = (*(ChannelEvent(F(i, 2), "control_change", 0, EXPRESSION, 10 * i) for i in range(10)),
              ChannelEvent(F(2), "control_change", 0, MODULATION, 50), RawEvent(F(2), 0x06, b"marker"))
    document.push_edit(document.score.with_track(0, document.track.with_events(events)), "setup")
    bar_of(loaded).choose("Expression (CC11)")
    bar_of(loaded).set_tool("erase")
    lane = lane_of(loaded)
    drag(lane, at(lane, F(3, 2), 60), at(lane, F(3), 60))
    assert [t for t, _ in controls(loaded, EXPRESSION)] == [0, F(1, 2), 1, F(7, 2), 4, F(9, 2)]
    assert controls(loaded, MODULATION) == [(F(2), 50)]
    assert any(isinstance(e, RawEvent) for e in document.track.events)
    assert document.undo_stack.count() == 2
    document.undo_stack.undo()
    assert len(controls(loaded, EXPRESSION)) == 10
    document.undo_stack.redo()
    assert [t for t, _ in controls(loaded, EXPRESSION)] == [0, F(1, 2), 1, F(7, 2), 4, F(9, 2)]


def test_a_click_with_the_eraser_on_a_pedal_bar_removes_the_whole_bar(loaded):
    lane = lane_of(loaded)
    drag(lane, at(lane, F(1), 100), at(lane, F(3), 100))
    drag(lane, at(lane, F(5), 100), at(lane, F(6), 100))
    bar_of(loaded).set_tool("erase")
    click(lane, at(lane, F(2), 64))
    assert controls(loaded, SUSTAIN_PEDAL) == [(F(5), 127), (F(6), 0)]
    assert loaded.document.undo_stack.count() == 3
    loaded.document.undo_stack.undo()
    assert controls(loaded, SUSTAIN_PEDAL) == [(F(1), 127), (F(3), 0), (F(5), 127), (F(6), 0)]


def test_pitch_bend_has_its_centre_in_the_middle_and_spans_the_whole_range(loaded):
    bar_of(loaded).choose("Pitch bend")
    bar_of(loaded).set_tool("line")
    lane = lane_of(loaded)
    assert lane.controller == PITCH_BEND
    assert lane.value_at_y(lane.y_of_value(0)) == 0
    drag(lane, at(lane, F(0), -8192), at(lane, F(1), 8191))
    bends = controls(loaded, kind="pitchwheel")
    assert bends[0] == (F(0), -8192) and bends[-1] == (F(1), 8191)
    assert [t for t, _ in bends] == [F(i, 4) for i in range(5)]  # the 1/16 snap: a quarter beat


def test_any_cc_number_through_other_cc(loaded):
    bar = bar_of(loaded)
    bar.choose("Other CC…", 74)
    assert bar.number.isVisible()
    lane = lane_of(loaded)
    assert lane.controller == Controller("control_change", 74)
    click(lane, at(lane, F(2), 90))
    ((time, value),) = controls(loaded, 74)
    assert time == 2 and abs(value - 90) <= 1  # a pixel is 1.8 values of 127
    bar.number.setValue(91)  # the number box switches the lane at once
    assert lane.controller == Controller("control_change", 91)
    bar.choose("Volume (CC7)")
    assert not bar.number.isVisible() and lane.controller.number == 7


def test_the_lane_follows_the_current_track_and_the_rolls_scrolling(loaded):
    document = loaded.document
    document.set_current_track(1)  # the bass, on channel 2
    editor = loaded.editor
    editor.hbar.setValue(editor.hbar.value() + 240)  # four beats at 60 px a beat
    lane = lane_of(loaded)
    drag(lane, at(lane, F(8), 100), at(lane, F(10), 100))
    assert [(e.time, e.channel) for e in document.score.tracks[1].events] == [(F(8), 1), (F(10), 1)]
    assert document.score.tracks[0].events == ()
    editor.zoom(2.0, 1.0)
    assert lane.point_at(F(8), 0)[0] == pytest.approx(editor.roll_geometry.beat_to_x(F(8)))


def test_a_notation_programs_pedal_is_shown_and_played(qtbot, make_window):
    """MuseScore's pedal marks, opened from its MIDI export: bars on the lane, CC64 through the real player."""
    from musicassist.core.event_edits import pedal_bars
    from musicassist.gui.qt_player import QtPlayer

    from ..playback.fakes import RecordingPort

    port = RecordingPort()
    window = make_window(players=lambda _name: QtPlayer(port))
    window.files.open_path(Path(__file__).resolve().parents[1] / "data/musescore/pedal_study.mid", ask_to_save=False)
    lane = lane_of(window)
    pedal = controls(window, SUSTAIN_PEDAL)
    assert [v >= 64 for _, v in pedal] == [True, False, True, False]
    assert pedal_bars(lane.shown_events(), lane.controller) == [(pedal[0][0], pedal[1][0]),
                                                                (pedal[2][0], pedal[3][0])]
    # Space in the middle of the first pedal bar: the held pedal is sent before the first note.
    window.document.set_cursor((pedal[0][0] + pedal[1][0]) / 2)
    window.play_action.trigger()
    qtbot.waitUntil(lambda: any(m.type == "note_on" and m.velocity for m in port.messages), timeout=5000)
    window.play_action.trigger()
    messages = port.messages
    first_note = next(i for i, m in enumerate(messages) if m.type == "note_on" and m.velocity)
    before = [(m.control, m.value) for m in messages[:first_note] if m.type == "control_change"]
    assert (SUSTAIN_PEDAL, pedal[0][1]) in before
    assert (SUSTAIN_PEDAL, 0) in [(m.control, m.value) for m in messages[first_note:]
                                  if m.type == "control_change"]  # lifted by the stop at the latest
