"""The track list dock: add, remove, duplicate, rename, reorder, instrument, channel, mute/solo, volume/pan.

Each change is one undo step; what playback sends is heard through the real
QtPlayer on an in-memory port.
"""

from fractions import Fraction

import pytest

from musicassist.core.score import Note, Score, Track
from musicassist.core.timemaps import TempoMap
from musicassist.gui.qt_player import QtPlayer
from tests.playback.fakes import RecordingPort

from .helpers import melody_score

pytestmark = pytest.mark.gui
F = Fraction
WAIT_MS = 5000


def _fast_score() -> Score:
    melody = Track("Melody", (Note(F(0), 72, F(1, 2)),))
    bass = Track("Bass", (Note(F(0), 36, F(1, 2), channel=1),), channel=1)
    return Score(tracks=(melody, bass), tempo_map=TempoMap.constant(600), length_bars=1)


def _heard(qtbot, window, port):
    """Play the whole piece and return what reached the port."""
    port.received.clear()
    window.play_action.trigger()
    qtbot.waitUntil(lambda: not window.playback.is_playing, timeout=WAIT_MS)
    return port.messages


@pytest.fixture
def heard_window(make_window):
    port = RecordingPort()
    window = make_window(players=lambda _name: QtPlayer(port))
    window.document.load(_fast_score(), None)
    yield window, port
    window.playback.close()


def test_add_rename_reorder_remove_each_one_undo_step(window):
    tracks = window.track_list
    window.document.load(melody_score(2), None)
    tracks.add_button.click()
    score = window.document.score
    assert [t.name for t in score.tracks] == ["Melody", "Bass", "Track 3"] and score.tracks[2].channel == 2
    assert window.document.current_track == 2
    tracks.name_edit.setText("Strings")
    tracks.name_edit.editingFinished.emit()
    assert window.document.score.tracks[2].name == "Strings"
    tracks.up_button.click()
    assert [t.name for t in window.document.score.tracks] == ["Melody", "Strings", "Bass"]
    assert window.document.current_track == 1
    tracks.remove_button.click()
    assert [t.name for t in window.document.score.tracks] == ["Melody", "Bass"]
    assert window.document.undo_stack.count() == 4
    for expected in (["Melody", "Strings", "Bass"], ["Melody", "Bass", "Strings"], ["Melody", "Bass", "Track 3"],
                     ["Melody", "Bass"]):
        window.edits.undo.trigger()
        assert [t.name for t in window.document.score.tracks] == expected
    assert tracks.tracks.count() == 2  # the list follows undo


def test_duplicate_copies_the_notes_to_a_new_channel(window):
    window.document.load(melody_score(2), None)
    window.track_list.duplicate_button.click()
    copy = window.document.score.tracks[1]
    assert copy.name == "Melody copy" and copy.channel == 2
    assert [n.pitch for n in copy.notes] == [n.pitch for n in window.document.score.tracks[0].notes]


def test_the_instrument_list_has_families_and_the_choice_is_heard(qtbot, heard_window):
    window, port = heard_window
    combo = window.track_list.instrument_combo
    assert combo.itemText(0) == "Piano" and combo.itemData(0) is None  # a family header
    violin = combo.findData(40)
    assert combo.itemText(violin).strip() == "Violin"
    combo.activated.emit(violin)
    assert window.document.score.tracks[0].program == 40
    assert window.document.undo_stack.count() == 1
    messages = _heard(qtbot, window, port)
    assert any(m.type == "program_change" and m.channel == 0 and m.program == 40 for m in messages)


def test_mute_and_solo_decide_what_is_heard(qtbot, heard_window):
    window, port = heard_window

    def struck(messages):
        return sorted({m.note for m in messages if m.type == "note_on" and m.velocity > 0})

    assert struck(_heard(qtbot, window, port)) == [36, 72]
    window.track_list.mute_check.setChecked(True)  # the melody (current track)
    assert window.document.score.tracks[0].mute
    assert struck(_heard(qtbot, window, port)) == [36]
    window.track_list.mute_check.setChecked(False)
    window.document.set_current_track(1)
    window.track_list.solo_check.setChecked(True)
    assert struck(_heard(qtbot, window, port)) == [36]
    assert "[S]" in window.track_list.tracks.item(1).text()


def test_volume_and_pan_are_sent_at_the_start_and_saved_in_the_midi_file(qtbot, heard_window, tmp_path):
    window, port = heard_window
    window.track_list.volume_spin.setValue(90)
    window.track_list.pan_spin.setValue(20)
    assert (window.document.score.tracks[0].volume, window.document.score.tracks[0].pan) == (90, 20)
    messages = _heard(qtbot, window, port)
    controls = [(m.channel, m.control, m.value) for m in messages if m.type == "control_change"
                and m.control in (7, 10)]
    assert controls == [(0, 7, 90), (0, 10, 20)]
    first_note = next(i for i, m in enumerate(messages) if m.type == "note_on")
    assert all(messages.index(m) < first_note for m in messages if m.type == "control_change"
               and m.control in (7, 10))
    path = tmp_path / "mix.mid"
    assert window.files.export(path)
    window.document.load(_fast_score(), None)
    assert window.open_path(path)
    reopened = window.document.score.tracks[0]
    assert (reopened.volume, reopened.pan) == (90, 20)


def test_a_channel_change_moves_the_notes(window):
    window.document.load(melody_score(2), None)
    window.track_list.channel_spin.setValue(5)
    track = window.document.score.tracks[0]
    assert track.channel == 4 and all(n.channel == 4 for n in track.notes)


def test_clicking_a_mixer_arrow_several_times_is_one_undo_step(window):
    window.document.load(melody_score(2), None)
    spin = window.track_list.volume_spin
    for _ in range(5):
        spin.stepUp()
    assert window.document.score.tracks[0].volume == 4  # from "default" (-1) up five steps
    assert window.document.undo_stack.count() == 1
    window.track_list.mute_check.setChecked(True)  # another kind of edit: its own step
    spin.stepUp()
    assert window.document.undo_stack.count() == 3
    window.edits.undo.trigger()
    window.edits.undo.trigger()
    window.edits.undo.trigger()
    assert window.document.score.tracks[0].volume is None
