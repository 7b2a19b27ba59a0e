"""Small dialogs: document properties (title, tempo, meter, key).

``with_properties`` is the pure part: the score with a new opening tempo,
opening meter and key. Later tempo and meter changes in the piece are kept;
notes keep their beats, so changing the meter only moves the barlines.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from musicassist.core.score import Score
from musicassist.core.timemaps import (
    PITCH_CLASS_NAMES,
    KeySignature,
    MeterChange,
    MeterMap,
    TempoChange,
    TempoMap,
    TimeSignature,
)

DENOMINATORS = ("1", "2", "4", "8", "16", "32")


def with_properties(score: Score, title: str, bpm: float, time_signature: TimeSignature,
                    key: KeySignature | None) -> Score:
    tempo = TempoMap.from_changes([TempoChange(score.tempo_map.changes[0].beat, bpm),
                                   *score.tempo_map.changes[1:]])
    meter = MeterMap.from_changes([MeterChange(0, time_signature), *score.meter_map.changes[1:]])
    return replace(score, title=title, tempo_map=tempo, meter_map=meter, key=key)


class PropertiesDialog(QDialog):
    def __init__(self, score: Score, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Document Properties")
        self.score = score
        form = QFormLayout(self)
        self.title_edit = QLineEdit(score.title, self)
        form.addRow("Title", self.title_edit)
        self.tempo_spin = QDoubleSpinBox(self, minimum=10.0, maximum=400.0, decimals=1, suffix=" BPM")
        self.tempo_spin.setValue(score.tempo_map.changes[0].bpm)
        form.addRow("Tempo", self.tempo_spin)
        meter_row = QHBoxLayout()
        self.numerator_spin = QSpinBox(self, minimum=1, maximum=32, value=score.time_signature.numerator)
        self.denominator_combo = QComboBox(self)
        self.denominator_combo.addItems(DENOMINATORS)
        self.denominator_combo.setCurrentText(str(score.time_signature.denominator))
        meter_row.addWidget(self.numerator_spin)
        meter_row.addWidget(QLabel("/", self))
        meter_row.addWidget(self.denominator_combo)
        form.addRow("Time signature", meter_row)
        self.key_combo = QComboBox(self)
        self.key_combo.addItem("None", None)
        for mode in ("major", "minor"):
            for tonic, name in enumerate(PITCH_CLASS_NAMES):
                self.key_combo.addItem(f"{name} {mode}", KeySignature(tonic, mode))
        for index in range(self.key_combo.count()):
            if self.key_combo.itemData(index) == score.key:
                self.key_combo.setCurrentIndex(index)
        form.addRow("Key", self.key_combo)
        if len(score.tempo_map.changes) > 1 or len(score.meter_map.changes) > 1:
            form.addRow("", QLabel("These set the opening values; later changes in the piece are kept.", self))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def edited_score(self) -> Score:
        signature = TimeSignature(self.numerator_spin.value(), int(self.denominator_combo.currentText()))
        key = self.key_combo.currentData()
        return with_properties(self.score, self.title_edit.text().strip(), self.tempo_spin.value(), signature,
                               key if isinstance(key, KeySignature) else None)
