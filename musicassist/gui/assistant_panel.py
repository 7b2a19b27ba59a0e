"""The assistant panel: generation controls, progress, messages and the candidate list.

Widgets only: it reports clicks through signals and offers the chosen
settings as plain values. The ``AssistantController`` turns them into
requests, runs the worker and writes candidates into the document.
"""

from __future__ import annotations

from typing import Literal

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from musicassist.core.timemaps import PITCH_CLASS_NAMES, KeySignature

from .candidate_list import CandidateList
from .candidate_ops import AcceptMode
from .preferences import SHIPPED_DEFAULT
from .spin_boxes import ExplainingDoubleSpinBox, ExplainingSpinBox

AUTO_KEY = "auto"
LIKE_SELECTION = "like"
REGISTER_CHOICES: tuple[tuple[str, object], ...] = (
    ("Like the selection", LIKE_SELECTION),
    ("Any", None),
    ("Low (C2–C4)", (36, 60)),
    ("Middle (C3–C5)", (48, 72)),
    ("High (C4–C6)", (60, 84)),
)
DENSITY_CHOICES: tuple[tuple[str, object], ...] = (
    ("Free", None),
    ("Like the selection", 1.0),
    ("Sparser", 0.6),
    ("Denser", 1.6),
)


class AssistantPanel(QWidget):
    generate_clicked = Signal()
    cancel_clicked = Signal()
    audition_toggled = Signal(bool)
    accept_clicked = Signal()
    reject_clicked = Signal()
    regenerate_clicked = Signal()
    lock_clicked = Signal()
    model_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.model_status = QLabel("The model loads when you first generate.", self)
        self.model_status.setWordWrap(True)
        layout.addWidget(self.model_status)
        self.selection_label = QLabel(self)
        self.selection_label.setWordWrap(True)
        layout.addWidget(self.selection_label)
        layout.addLayout(self._build_form())
        layout.addLayout(self._build_run_row())
        self.progress = QProgressBar(self)
        self.progress.setTextVisible(True)
        self.progress.setValue(0)
        layout.addWidget(self.progress)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.message)
        self.candidates = CandidateList(self)
        layout.addWidget(self.candidates, 1)
        layout.addLayout(self._build_candidate_buttons())
        self.set_running(False)
        self.set_has_candidate(False)

    # -- building ------------------------------------------------------------------------------
    def _build_form(self) -> QFormLayout:
        form = QFormLayout()
        self.model_combo = QComboBox(self)
        self.model_combo.currentTextChanged.connect(self.model_changed)
        form.addRow("Model", self.model_combo)
        # The ranges the generate command allows (core.generation checks them for both).
        self.length_spin = ExplainingSpinBox(self, name="The length", minimum=1, maximum=64, value=4,
                                             suffix=" bars")
        form.addRow("Continue for", self.length_spin)
        self.count_spin = ExplainingSpinBox(self, name="The number of candidates", minimum=1, maximum=32, value=4)
        form.addRow("Candidates", self.count_spin)
        self.temperature_spin = ExplainingDoubleSpinBox(self, name="The temperature", minimum=0.1, maximum=2.0,
                                                        singleStep=0.05, value=1.0)
        for spin in (self.length_spin, self.count_spin, self.temperature_spin):
            spin.refused.connect(lambda text: self.show_message(text, error=True))
        self.temperature_spin.setToolTip("Lower: safer, more predictable. Higher: more surprising.")
        form.addRow("Temperature", self.temperature_spin)
        self.key_combo = QComboBox(self)
        self.key_combo.addItem("Auto", AUTO_KEY)
        self.key_combo.addItem("Any notes", None)
        for mode in ("major", "minor"):
            for tonic, name in enumerate(PITCH_CLASS_NAMES):
                self.key_combo.addItem(f"{name} {mode}", KeySignature(tonic, mode))
        self.strict_check = QCheckBox("only notes of the scale", self)
        self.strict_check.setToolTip("Unticked, notes outside the scale stay possible, only rarer, "
                                     "about as rare as in real music in that key.")
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_combo, 1)
        key_row.addWidget(self.strict_check)
        form.addRow("Scale", key_row)
        self.register_combo = QComboBox(self)
        for label, value in REGISTER_CHOICES:
            self.register_combo.addItem(label, value)
        form.addRow("Register", self.register_combo)
        self.density_combo = QComboBox(self)
        for label, value in DENSITY_CHOICES:
            self.density_combo.addItem(label, value)
        form.addRow("Density", self.density_combo)
        self.replace_radio = QRadioButton("replace the bars after", self)
        self.insert_radio = QRadioButton("insert new bars", self)
        self.replace_radio.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.replace_radio)
        group.addButton(self.insert_radio)
        mode_row = QHBoxLayout()
        mode_row.addWidget(self.replace_radio)
        mode_row.addWidget(self.insert_radio)
        form.addRow("Accept will", mode_row)
        # The composer's pedal, expression and bend in the bars a candidate replaces: kept by default
        # (a pedalled passage stays pedalled), or cleared for a fresh start. Events elsewhere always stay.
        self.events_combo = QComboBox(self)
        self.events_combo.addItem("keep my controllers", "keep")
        self.events_combo.addItem("clear them", "clear")
        self.events_combo.setToolTip("What happens to the pedal, controllers and pitch bend of the edited "
                                     "track in the bars a candidate replaces")
        self.insert_radio.toggled.connect(lambda inserting: self.events_combo.setEnabled(not inserting))
        form.addRow("Controllers there", self.events_combo)
        return form

    def _build_run_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.generate_button = QPushButton("Generate", self)
        self.generate_button.setToolTip("Continue the selected bars (Ctrl+G)")
        self.generate_button.clicked.connect(self.generate_clicked)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setToolTip("Stop generating (Esc)")
        self.cancel_button.clicked.connect(self.cancel_clicked)
        row.addWidget(self.generate_button, 2)
        row.addWidget(self.cancel_button, 1)
        return row

    def _build_candidate_buttons(self) -> QGridLayout:
        grid = QGridLayout()
        self.audition_button = QPushButton("Audition", self)
        self.audition_button.setCheckable(True)
        self.audition_button.setToolTip("Loop the selected bars followed by this candidate")
        self.audition_button.toggled.connect(self.audition_toggled)
        self.accept_button = QPushButton("Accept", self)
        self.accept_button.setToolTip("Write this candidate into the track (Enter); undo takes it back")
        self.accept_button.clicked.connect(self.accept_clicked)
        self.reject_button = QPushButton("Reject", self)
        self.reject_button.clicked.connect(self.reject_clicked)
        self.regenerate_button = QPushButton("Regenerate", self)
        self.regenerate_button.clicked.connect(self.regenerate_clicked)
        self.lock_button = QPushButton("Lock notes && regenerate", self)
        self.lock_button.setToolTip("Click ghost notes in the roll to pin them; the rest is generated anew")
        self.lock_button.clicked.connect(self.lock_clicked)
        grid.addWidget(self.audition_button, 0, 0)
        grid.addWidget(self.accept_button, 0, 1)
        grid.addWidget(self.reject_button, 0, 2)
        grid.addWidget(self.regenerate_button, 1, 0)
        grid.addWidget(self.lock_button, 1, 1, 1, 2)
        return grid

    # -- state shown -----------------------------------------------------------------------------
    def set_models(self, names: list[str], chosen: str) -> None:
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        self.model_combo.addItems([SHIPPED_DEFAULT, *names])
        from musicassist.ml.tune_card import model_summary  # a tuned model's rules, as a tooltip (issue 16)
        from musicassist.paths import models_dir

        for index, name in enumerate(names, start=1):
            self.model_combo.setItemData(index, model_summary(models_dir() / name), Qt.ItemDataRole.ToolTipRole)
        self.model_combo.setCurrentText(chosen or SHIPPED_DEFAULT)
        self.model_combo.blockSignals(False)

    def set_detected_key(self, key: KeySignature | None) -> None:
        self.key_combo.setItemText(0, f"Auto: {key_name(key)}" if key else "Auto (no notes selected)")

    def set_running(self, running: bool) -> None:
        self.cancel_button.setEnabled(running)
        self.generate_button.setText("Generate again" if running else "Generate")
        if not running:
            self.progress.setMaximum(max(1, self.progress.maximum()))

    def set_has_candidate(self, present: bool) -> None:
        for button in (self.audition_button, self.accept_button, self.reject_button, self.lock_button):
            button.setEnabled(present)

    def show_message(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet("color: #b00020;" if error else "")
        self.message.setText(text)

    # -- chosen values ---------------------------------------------------------------------------
    def model_name(self) -> str | None:
        text = self.model_combo.currentText()
        return None if text in ("", SHIPPED_DEFAULT) else text

    def key_choice(self) -> object:
        """AUTO_KEY, None (any notes) or a KeySignature."""
        return self.key_combo.currentData()

    def register_choice(self) -> object:
        return self.register_combo.currentData()

    def density_factor(self) -> float | None:
        value = self.density_combo.currentData()
        return float(value) if isinstance(value, float | int) else None

    def accept_mode(self) -> AcceptMode:
        return AcceptMode.INSERT if self.insert_radio.isChecked() else AcceptMode.REPLACE

    def replaced_events(self) -> Literal["keep", "clear"]:
        """The edited track's controllers in the replaced bars: "keep" (the default) or "clear"."""
        return "clear" if self.events_combo.currentData() == "clear" else "keep"


def key_name(key: KeySignature) -> str:
    return f"{PITCH_CLASS_NAMES[key.tonic]} {key.mode}"
