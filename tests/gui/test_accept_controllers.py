"""Accepting a candidate in replace mode: the composer's controllers in the replaced bars, kept or cleared."""

from fractions import Fraction

import pytest

from musicassist.core.events import EXPRESSION, SUSTAIN_PEDAL, ChannelEvent, RawEvent
from musicassist.core.score import BarRange

from .helpers import melody_score

pytestmark = pytest.mark.gui
F = Fraction
WAIT_MS = 5000

# Melody track: a pedal in bar 1 (kept by the seed), pedal and expression in bars 3-4 (replaced by the
# candidate after a two-bar selection), a marker in bar 3 and a pedal in bar 9 (after the candidate).
EVENTS = (ChannelEvent(F(1), "control_change", 0, SUSTAIN_PEDAL, 127),
          ChannelEvent(F(3), "control_change", 0, SUSTAIN_PEDAL, 0),
          ChannelEvent(F(9), "control_change", 0, SUSTAIN_PEDAL, 127),
          ChannelEvent(F(10), "control_change", 0, EXPRESSION, 70),
          RawEvent(F(9), 0x06, b"B section"),
          ChannelEvent(F(12), "control_change", 0, SUSTAIN_PEDAL, 0),
          ChannelEvent(F(33), "control_change", 0, SUSTAIN_PEDAL, 127))


def _accept(qtbot, window, choice: str | None):
    score = melody_score(10)
    score = score.with_track(0, score.tracks[0].with_events(EVENTS))
    window.document.load(score, None)
    window.document.set_bar_selection(BarRange(0, 2))
    if choice is not None:
        window.panel.events_combo.setCurrentIndex(window.panel.events_combo.findData(choice))
    with qtbot.waitSignal(window.assistant.host.finished, timeout=WAIT_MS):
        window.assistant.generate()
    assert window.assistant.panel.candidates.current_candidate().score.bar_count < 7  # ends before bar 9
    window.assistant.accept()
    assert window.document.undo_stack.count() == 1
    return window.document.score.tracks[0].events


def _times(events, cls=ChannelEvent):
    return [e.time for e in events if isinstance(e, cls)]


def test_by_default_the_controllers_in_the_replaced_bars_stay(qtbot, window):
    assert window.panel.replaced_events() == "keep"
    events = _accept(qtbot, window, None)
    assert _times(events) == [1, 3, 9, 10, 12, 33]
    assert _times(events, RawEvent) == [9]


def test_clear_them_removes_the_controllers_of_the_replaced_bars_only(qtbot, window):
    events = _accept(qtbot, window, "clear")
    assert _times(events) == [1, 3, 33]  # bars 1-2 (the seed) and bar 9 keep theirs
    assert _times(events, RawEvent) == [9]  # a marker is not a controller
    window.document.undo_stack.undo()
    assert set(window.document.score.tracks[0].events) == set(EVENTS)


def test_the_choice_is_off_when_accept_inserts_bars(window):
    window.panel.insert_radio.setChecked(True)
    assert not window.panel.events_combo.isEnabled()
    window.panel.replace_radio.setChecked(True)
    assert window.panel.events_combo.isEnabled()
