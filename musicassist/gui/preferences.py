"""Preferences kept in QSettings (MIDI ports, recording options, default model, recent files) and their dialog.

The theme follows the system: Qt's default style and palette already do, and
the roll paints from the palette, so there is nothing to store for it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QWidget

from musicassist.paths import models_dir

MAX_RECENT_FILES = 10
SYSTEM_DEFAULT = "(system default)"
SHIPPED_DEFAULT = "(shipped default)"
FIRST_INPUT = "(first available)"


def available_models() -> list[str]:
    """Names of the model folders (each holds a config.json) under the models directory."""
    root = models_dir()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "config.json").is_file())


class Preferences:
    """Typed access to the settings; a test passes its own QSettings."""

    def __init__(self, settings: QSettings | None = None):
        self.settings = settings if settings is not None else QSettings()

    def _text(self, key: str) -> str:
        value = self.settings.value(key, "")
        return value if isinstance(value, str) else ""

    @property
    def midi_port(self) -> str:
        """Name of the MIDI output port; empty means the system default."""
        return self._text("playback/port")

    @midi_port.setter
    def midi_port(self, name: str) -> None:
        self.settings.setValue("playback/port", name)

    @property
    def midi_input_port(self) -> str:
        """Name of the MIDI input port to record from (a keyboard); empty means the first available."""
        return self._text("recording/input_port")

    @midi_input_port.setter
    def midi_input_port(self, name: str) -> None:
        self.settings.setValue("recording/input_port", name)

    def _flag(self, key: str, default: bool) -> bool:
        value = self.settings.value(key, default)
        return value.lower() == "true" if isinstance(value, str) else bool(value)  # INI files give strings

    @property
    def quantize_recording(self) -> bool:
        """Snap recorded notes (live takes and the played idea) to the snap grid."""
        return self._flag("recording/quantize", True)

    @quantize_recording.setter
    def quantize_recording(self, on: bool) -> None:
        self.settings.setValue("recording/quantize", on)

    @property
    def count_in(self) -> bool:
        """One bar of metronome clicks before a live recording starts."""
        return self._flag("recording/count_in", True)

    @count_in.setter
    def count_in(self, on: bool) -> None:
        self.settings.setValue("recording/count_in", on)

    @property
    def midi_thru(self) -> bool:
        """Sound the keys played on the MIDI input through the output (for keyboards without sound)."""
        return self._flag("recording/thru", True)

    @midi_thru.setter
    def midi_thru(self, on: bool) -> None:
        self.settings.setValue("recording/thru", on)

    @property
    def default_model(self) -> str:
        """Name of the model folder to use; empty means the shipped default."""
        return self._text("assistant/model")

    @default_model.setter
    def default_model(self, name: str) -> None:
        self.settings.setValue("assistant/model", name)

    @property
    def last_directory(self) -> str:
        return self._text("files/last_directory")

    @last_directory.setter
    def last_directory(self, path: str) -> None:
        self.settings.setValue("files/last_directory", path)

    @property
    def recent_files(self) -> list[Path]:
        value = self.settings.value("files/recent", [])
        if isinstance(value, str):  # QSettings gives a lone string for a one-item list
            value = [value]
        items = value if isinstance(value, list | tuple) else []
        return [Path(p) for p in items if isinstance(p, str)]

    def add_recent_file(self, path: Path) -> None:
        resolved = path.resolve()
        recent = [resolved, *(p for p in self.recent_files if p != resolved)][:MAX_RECENT_FILES]
        self.settings.setValue("files/recent", [str(p) for p in recent])

    def clear_recent_files(self) -> None:
        self.settings.setValue("files/recent", [])


def _list_ports() -> tuple[list[str], str]:
    """Output port names, and a note when none can be listed (no MIDI system)."""
    try:
        from musicassist.playback.ports import list_output_ports

        return list_output_ports(), ""
    except Exception as exc:  # any backend failure: the dialog still opens
        return [], f"MIDI ports cannot be listed: {exc}"


def _list_input_ports() -> list[str]:
    """Input port names (keyboards); none when they cannot be listed (the output row says why)."""
    try:
        from musicassist.playback.ports import list_input_ports

        return list_input_ports()
    except Exception:  # any backend failure: the dialog still opens
        return []


class PreferencesDialog(QDialog):
    def __init__(self, preferences: Preferences, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.preferences = preferences
        layout = QFormLayout(self)
        self.port_combo = QComboBox(self)
        ports, problem = _list_ports()
        self.port_combo.addItems([SYSTEM_DEFAULT, *ports])
        if preferences.midi_port and preferences.midi_port not in ports:
            self.port_combo.addItem(preferences.midi_port)  # remembered even while unplugged
        if preferences.midi_port:
            self.port_combo.setCurrentText(preferences.midi_port)
        layout.addRow("MIDI output:", self.port_combo)
        if problem:
            layout.addRow("", QLabel(problem, self))
        self.input_combo = QComboBox(self)
        inputs = _list_input_ports()
        self.input_combo.addItems([FIRST_INPUT, *inputs])
        remembered = preferences.midi_input_port
        if remembered and remembered not in inputs:
            self.input_combo.addItem(remembered)  # remembered even while unplugged
        if remembered:
            self.input_combo.setCurrentText(remembered)
        layout.addRow("MIDI input:", self.input_combo)
        self.model_combo = QComboBox(self)
        self.model_combo.addItems([SHIPPED_DEFAULT, *available_models()])
        if preferences.default_model:
            self.model_combo.setCurrentText(preferences.default_model)
        layout.addRow("Default model:", self.model_combo)
        layout.addRow("", QLabel("The colours follow the system theme.", self))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addRow(buttons)

    def accept(self) -> None:
        port = self.port_combo.currentText()
        self.preferences.midi_port = "" if port == SYSTEM_DEFAULT else port
        keyboard = self.input_combo.currentText()
        self.preferences.midi_input_port = "" if keyboard == FIRST_INPUT else keyboard
        model = self.model_combo.currentText()
        self.preferences.default_model = "" if model == SHIPPED_DEFAULT else model
        super().accept()
