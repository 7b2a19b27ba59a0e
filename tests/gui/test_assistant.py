"""The assistant loop in the window: generate on the worker thread, show, audition, accept, undo."""

import threading
from fractions import Fraction

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from musicassist.core.errors import ModelError, OptionError
from musicassist.core.generation import GenerationOptions, assistant_default_steering
from musicassist.core.score import BarRange

from .fakes import FakeSampler, PlayerBox
from .helpers import activate, click, melody_score, point_at

pytestmark = pytest.mark.gui
F = Fraction
WAIT_MS = 5000


def _prepare(window, bars=None):
    window.document.load(melody_score(4), None)
    window.editor.center_on_notes()
    window.document.set_bar_selection(bars or BarRange(0, 2))
    return window


def _generate(qtbot, window):
    with qtbot.waitSignal(window.assistant.host.finished, timeout=WAIT_MS):
        window.assistant.generate()


def test_generate_select_accept_undo_accept_another(qtbot, window):
    sampler = FakeSampler()
    window = _prepare(window)
    window.assistant.host._worker._factory = lambda _name: sampler  # same fake, kept to inspect it
    original = window.document.score
    _generate(qtbot, window)
    candidates = window.panel.candidates.candidates()
    assert [c.index for c in candidates] == [0, 1, 2, 3]
    assert sampler.thread_names and sampler.thread_names[0] != threading.main_thread().name
    request = sampler.requests[0]
    assert request.seed.bar_count == 2 and len(request.seed.tracks) == 1
    assert window.panel.progress.value() == window.panel.progress.maximum() == 16
    # The first candidate shows as ghost notes right after the selected bars (bar 3 = beat 8).
    ghost = window.editor.canvas.ghost
    assert ghost is not None and ghost.offset == 8
    assert window.document.score == original  # showing is not editing

    window.panel.candidates.setCurrentRow(1)
    second = candidates[1]
    assert window.editor.canvas.ghost.notes == tuple(n for t in second.score.tracks for n in t.notes)
    window.panel.accept_button.click()
    assert window.document.undo_stack.count() == 1
    written = [n for n in window.document.track.notes if 8 <= n.start < 24]
    assert [(n.start - 8, n.pitch) for n in written] == [(n.start, n.pitch) for n in second.score.tracks[0].notes]
    assert window.document.score.tracks[1] == original.tracks[1]  # the bass stays

    window.edits.undo.trigger()
    assert window.document.score == original
    window.panel.candidates.setCurrentRow(2)
    window.panel.accept_button.click()
    third = candidates[2]
    written = [n for n in window.document.track.notes if 8 <= n.start < 24]
    assert [n.pitch for n in written] == [n.pitch for n in third.score.tracks[0].notes]


def test_insert_mode_opens_new_bars_in_every_track(qtbot, window):
    window = _prepare(window)
    window.panel.insert_radio.setChecked(True)
    _generate(qtbot, window)
    bass_before = window.document.score.tracks[1].notes
    window.assistant.accept()
    score = window.document.score
    assert score.bar_count == 8
    assert [n.start for n in score.tracks[1].notes] == [0, 4, 24, 28]
    assert [n.start for n in bass_before] == [0, 4, 8, 12]


def test_shortcuts_generate_and_accept(qtbot, window):
    window = _prepare(window)
    activate(qtbot, window)
    with qtbot.waitSignal(window.assistant.host.finished, timeout=WAIT_MS):
        QTest.keyClick(window.editor.canvas, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(window.editor.canvas, Qt.Key.Key_Return)
    assert window.document.undo_stack.count() == 1


def test_cancel_stops_the_worker_and_drops_its_results(qtbot, make_window):
    sampler = FakeSampler(delay=0.05)
    window = _prepare(make_window(sampler=sampler))
    host = window.assistant.host
    with qtbot.waitSignal(host.progress, timeout=WAIT_MS):
        window.assistant.generate()
    with qtbot.waitSignal(host.cancelled, timeout=500):
        window.cancel_action.trigger()
    assert window.panel.message.text() == "Cancelled."
    assert not host.busy
    # The worker is free again soon: a fresh request finishes, and nothing of the old one shows.
    sampler.delay = 0.0
    _generate(qtbot, window)
    ids = {c.request_id for c in window.panel.candidates.candidates()}
    assert ids == {sampler.requests[-1].request_id}


def test_a_new_generate_cancels_the_running_one(qtbot, make_window):
    sampler = FakeSampler(delay=0.03)
    window = _prepare(make_window(sampler=sampler))
    host = window.assistant.host
    with qtbot.waitSignal(host.progress, timeout=WAIT_MS):
        window.assistant.generate()
    first_id = host.current_id
    sampler.delay = 0.0
    _generate(qtbot, window)
    shown = window.panel.candidates.candidates()
    assert len(shown) == 4
    assert all(c.request_id != first_id for c in shown)


@pytest.mark.parametrize("error, expected", [
    (ModelError("No model is installed: train one or copy it into the models folder."), "No model is installed"),
    (OptionError("No note of this scale fits the chosen register."), "No note of this scale"),
    (RuntimeError("boom"), "failed unexpectedly"),
])
def test_worker_errors_show_in_the_panel_and_leave_the_document_alone(qtbot, make_window, error, expected):
    window = _prepare(make_window(sampler=FakeSampler(error=error)))
    before = window.document.score
    with qtbot.waitSignal(window.assistant.host.failed, timeout=WAIT_MS):
        window.assistant.generate()
    assert expected in window.panel.message.text()
    assert window.document.score == before
    assert not window.document.is_modified
    assert window.panel.cancel_button.isEnabled() is False
    # Still usable: editing works.
    click(window.editor.canvas, point_at(window.editor, 60, F(1, 2)))
    assert len(window.document.selection) == 1


def test_generate_without_bars_uses_the_last_bars_with_notes(qtbot, window):
    window.document.load(melody_score(6), None)
    _generate(qtbot, window)
    assert window.document.bar_selection == BarRange(2, 6)


def test_generate_on_an_empty_track_explains_what_to_do(window):
    window.assistant.generate()
    assert "ruler" in window.panel.message.text()
    assert not window.assistant.host.busy


def test_audition_loops_seed_and_candidate_and_switches_at_the_barline(qtbot, make_window):
    players = PlayerBox()
    window = _prepare(make_window(players=players))
    _generate(qtbot, window)
    window.panel.audition_button.click()
    player = players.player
    assert player is not None and player.is_playing
    kind, score, start, loop = player.calls[-1]
    assert (kind, start, loop) == ("play", 0, (F(0), F(24)))
    shown = window.panel.candidates.current_candidate()
    heard = [(n.start - 8, n.pitch) for n in score.tracks[0].notes if 8 <= n.start < 24]
    assert heard == [(n.start, n.pitch) for n in shown.score.tracks[0].notes]
    window.panel.candidates.setCurrentRow(2)
    assert player.calls[-1][0] == "switch"
    window.panel.audition_button.click()
    assert not player.is_playing


def test_audition_without_a_midi_port_reports_and_keeps_working(qtbot, make_window):
    window = _prepare(make_window(players=PlayerBox(available=False)))
    _generate(qtbot, window)
    window.panel.audition_button.click()
    assert not window.panel.audition_button.isChecked()
    assert "No MIDI output port" in window.statusBar().currentMessage()
    window.assistant.accept()
    assert window.document.undo_stack.count() == 1


def test_lock_notes_sends_the_pinned_ghost_notes(qtbot, make_window):
    sampler = FakeSampler()
    window = _prepare(make_window(sampler=sampler))
    _generate(qtbot, window)
    ghost = window.editor.canvas.ghost
    pinned = ghost.notes[0]
    click(window.editor.canvas, point_at(window.editor, pinned.pitch, ghost.offset + pinned.start + F(1, 2)))
    assert window.assistant.locked == {pinned}
    with qtbot.waitSignal(window.assistant.host.finished, timeout=WAIT_MS):
        window.panel.lock_button.click()
    assert sampler.requests[-1].options.steering.locked == (pinned,)


def test_reject_removes_the_candidate_and_its_ghost(qtbot, window):
    window = _prepare(window)
    _generate(qtbot, window)
    window.panel.candidates.setCurrentRow(3)
    window.panel.reject_button.click()
    assert window.panel.candidates.count() == 3
    window.panel.candidates.clear()
    assert window.editor.canvas.ghost is None


def test_steering_follows_the_panel_and_the_selection(qtbot, make_window):
    sampler = FakeSampler()
    window = _prepare(make_window(sampler=sampler))
    window.panel.length_spin.setValue(2)
    window.panel.count_spin.setValue(3)
    window.panel.density_combo.setCurrentText("Like the selection")
    _generate(qtbot, window)
    options = sampler.requests[-1].options
    assert (options.length_bars, options.candidates) == (2, 3)
    steering = options.steering
    assert steering.scale is not None and steering.scale.tonic == 0  # C-major line in bars 1-2
    assert (steering.lowest, steering.highest) == (55, 77)  # 60..72 with 5 semitones of room
    assert steering.density == 4.0
    assert window.panel.key_combo.itemText(0).startswith("Auto: C")


def test_untouched_panel_asks_for_what_the_continuation_check_measures(qtbot, make_window):
    # evaluate's "app" setting reports in-key and in-meter rates for assistant_default_steering at the
    # default options: the panel's defaults must be exactly that, or the reported figure is not what
    # composers hear.
    sampler = FakeSampler()
    window = _prepare(make_window(sampler=sampler))
    _generate(qtbot, window)
    request = sampler.requests[-1]
    defaults = GenerationOptions()
    assert (request.options.temperature, request.options.top_p) == (defaults.temperature, defaults.top_p)
    assert request.options.steering == assistant_default_steering(request.seed.notes)
    assert request.options.steering.scale is not None and not request.options.steering.scale_strict
