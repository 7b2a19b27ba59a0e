"""Preferences: MIDI port and default model in QSettings, offered from what exists."""

import pytest

from musicassist.gui import preferences as prefs_module
from musicassist.gui.preferences import SHIPPED_DEFAULT, SYSTEM_DEFAULT, Preferences, PreferencesDialog

pytestmark = pytest.mark.gui


def test_models_are_the_folders_with_a_config(tmp_path, monkeypatch):
    (tmp_path / "folk" ).mkdir()
    (tmp_path / "folk" / "config.json").write_text("{}")
    (tmp_path / "notes").mkdir()
    monkeypatch.setenv("MUSICASSIST_MODELS", str(tmp_path))
    assert prefs_module.available_models() == ["folk"]


def test_dialog_saves_port_and_model(qtbot, settings, tmp_path, monkeypatch):
    (tmp_path / "folk").mkdir()
    (tmp_path / "folk" / "config.json").write_text("{}")
    monkeypatch.setenv("MUSICASSIST_MODELS", str(tmp_path))
    monkeypatch.setattr(prefs_module, "_list_ports", lambda: (["FLUID Synth", "Midi Through"], ""))
    preferences = Preferences(settings)
    dialog = PreferencesDialog(preferences)
    qtbot.addWidget(dialog)
    assert [dialog.port_combo.itemText(i) for i in range(dialog.port_combo.count())] == [
        SYSTEM_DEFAULT, "FLUID Synth", "Midi Through"]
    dialog.port_combo.setCurrentText("FLUID Synth")
    dialog.model_combo.setCurrentText("folk")
    dialog.accept()
    again = Preferences(settings)
    assert (again.midi_port, again.default_model) == ("FLUID Synth", "folk")
    dialog = PreferencesDialog(again)
    qtbot.addWidget(dialog)
    dialog.port_combo.setCurrentText(SYSTEM_DEFAULT)
    dialog.model_combo.setCurrentText(SHIPPED_DEFAULT)
    dialog.accept()
    assert (again.midi_port, again.default_model) == ("", "")


def test_a_remembered_port_that_is_unplugged_stays_selectable(qtbot, settings, monkeypatch):
    monkeypatch.setattr(prefs_module, "_list_ports", lambda: ([], "MIDI ports cannot be listed: no ALSA."))
    preferences = Preferences(settings)
    preferences.midi_port = "USB Keys"
    dialog = PreferencesDialog(preferences)
    qtbot.addWidget(dialog)
    assert dialog.port_combo.currentText() == "USB Keys"


def test_the_window_plays_through_the_chosen_port(make_window):
    from .fakes import PlayerBox

    asked = []

    class Recording(PlayerBox):
        def __call__(self, port_name):
            asked.append(port_name)
            return super().__call__(port_name)

    window = make_window(players=Recording())
    window.preferences.midi_port = "FLUID Synth"
    window.play_action.trigger()
    assert asked == ["FLUID Synth"]
