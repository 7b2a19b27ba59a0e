"""The note properties dialog (double-click a note): pitch, start, length, velocity and channel.

One note: its values, to overwrite. Several notes: "Change by" adds to each
note (they keep their shape), "Set to" gives all of them the value of every
field the composer changed. Values are offered in the composer's terms
(pitch by name and number, positions in beats); the pure edits are in
``core.note_edits``. Applying is one undo step.
"""

from __future__ import annotations

from fractions import Fraction

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QWidget,
)

from musicassist.core.note_edits import NoteChange
from musicassist.core.score import Note
from musicassist.core.timemaps import PITCH_CLASS_NAMES

from .spin_boxes import ExplainingDoubleSpinBox, ExplainingSpinBox

_BEAT_DECIMALS = 3
_FINEST = 960  # beats typed as decimals become Fractions of 1/960 (what the roll snaps "off" to)


def pitch_name(pitch: int) -> str:
    return f"{PITCH_CLASS_NAMES[pitch % 12]}{pitch // 12 - 1}"


def _beats(value: float) -> Fraction:
    return Fraction(round(value * _FINEST), _FINEST)


class NotePropertiesDialog(QDialog):
    def __init__(self, notes: list[Note], channel: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.notes = sorted(notes)
        self.channel = channel
        self.setWindowTitle("Note Properties" if len(notes) == 1 else f"Properties of {len(notes)} Notes")
        form = QFormLayout(self)
        self.relative_radio = QRadioButton("Change by", self)
        self.absolute_radio = QRadioButton("Set to", self)
        group = QButtonGroup(self)
        group.addButton(self.relative_radio)
        group.addButton(self.absolute_radio)
        mode = QHBoxLayout()
        mode.addWidget(self.relative_radio)
        mode.addWidget(self.absolute_radio)
        if len(notes) > 1:
            form.addRow("", mode)
        self.message = QLabel(self)
        self.message.setStyleSheet("color: #b00020;")
        self.message.setWordWrap(True)
        self.pitch_spin = ExplainingSpinBox(self, name="The pitch")
        self.start_spin = ExplainingDoubleSpinBox(self, name="The start", decimals=_BEAT_DECIMALS)
        self.length_spin = ExplainingDoubleSpinBox(self, name="The length", decimals=_BEAT_DECIMALS)
        self.velocity_spin = ExplainingSpinBox(self, name="The velocity")
        self.channel_spin = ExplainingSpinBox(self, name="The channel", minimum=1, maximum=16, value=channel + 1)
        self.channel_spin.setToolTip("A note sounds on its track's channel: another channel moves it to that "
                                     "channel's track (a new track when there is none)")
        for label, spin in (("Pitch", self.pitch_spin), ("Start (beats)", self.start_spin),
                            ("Length (beats)", self.length_spin), ("Velocity", self.velocity_spin),
                            ("Channel", self.channel_spin)):
            form.addRow(label, spin)
            spin.refused.connect(self.message.setText)
        self.pitch_spin.valueChanged.connect(self._show_pitch_name)
        form.addRow(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self._initial: dict[str, float] = {}
        self.relative_radio.toggled.connect(lambda _on: self._set_mode())
        if len(notes) > 1:
            self.relative_radio.setChecked(True)
        else:
            self.absolute_radio.setChecked(True)
            self._set_mode()  # the relative button did not toggle: fill the fields here

    @property
    def relative(self) -> bool:
        return self.relative_radio.isChecked()

    def _set_mode(self) -> None:
        first = self.notes[0]
        if self.relative:
            ranges = {self.pitch_spin: (-127, 127, 0), self.velocity_spin: (-126, 126, 0)}
            beat_ranges = {self.start_spin: (-100000.0, 100000.0, 0.0), self.length_spin: (-100000.0, 100000.0, 0.0)}
        else:
            ranges = {self.pitch_spin: (0, 127, first.pitch), self.velocity_spin: (1, 127, first.velocity)}
            beat_ranges = {self.start_spin: (0.0, 100000.0, float(first.start)),
                           self.length_spin: (1 / _FINEST, 100000.0, float(first.duration))}
        for int_spin, (low, high, value) in ranges.items():
            int_spin.setRange(low, high)
            int_spin.setValue(value)
        for beat_spin, (low_f, high_f, value_f) in beat_ranges.items():
            beat_spin.setRange(low_f, high_f)
            beat_spin.setValue(value_f)
        self._initial = {"pitch": self.pitch_spin.value(), "start": self.start_spin.value(),
                         "duration": self.length_spin.value(), "velocity": self.velocity_spin.value()}
        self._show_pitch_name(self.pitch_spin.value())

    def _show_pitch_name(self, value: int) -> None:
        self.pitch_spin.setSuffix("" if self.relative else f"  ({pitch_name(value)})")

    def change(self) -> NoteChange:
        """What the fields ask for: only fields the composer changed (in "Set to", the others stay)."""
        current = {"pitch": self.pitch_spin.value(), "start": self.start_spin.value(),
                   "duration": self.length_spin.value(), "velocity": self.velocity_spin.value()}
        changed = {k: v for k, v in current.items() if v != self._initial.get(k)}
        return NoteChange(
            pitch=int(changed["pitch"]) if "pitch" in changed else None,
            start=_beats(changed["start"]) if "start" in changed else None,
            duration=_beats(changed["duration"]) if "duration" in changed else None,
            velocity=int(changed["velocity"]) if "velocity" in changed else None,
            relative=self.relative,
        )

    def chosen_channel(self) -> int:
        return self.channel_spin.value() - 1
