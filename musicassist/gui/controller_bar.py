"""The strip above the controller lane: which controller it shows, and its draw / line / erase tool.

The chooser offers what composers edit most (sustain pedal, modulation,
expression, volume, pitch bend) and "Other CC…", which shows a number box
for any controller 0..127. Choices and tools go straight to the lane.
"""

from __future__ import annotations

from PySide6.QtWidgets import QButtonGroup, QComboBox, QHBoxLayout, QLabel, QSpinBox, QToolButton, QWidget

from musicassist.core.event_edits import PEDAL, PITCH_BEND, Controller
from musicassist.core.events import EXPRESSION, MODULATION, VOLUME

from .controller_lane import TOOLS, ControllerLane

OTHER_CC = "Other CC…"
CHOICES: tuple[tuple[str, Controller | None], ...] = (
    ("Sustain pedal (CC64)", PEDAL),
    ("Modulation (CC1)", Controller("control_change", MODULATION)),
    ("Expression (CC11)", Controller("control_change", EXPRESSION)),
    ("Volume (CC7)", Controller("control_change", VOLUME)),
    ("Pitch bend", PITCH_BEND),
    (OTHER_CC, None),
)
_TOOL_TIPS = {
    "draw": "Draw: pedal bars, or values freehand (one per snap step)",
    "line": "Line: a straight ramp from press to release, one event per snap step",
    "erase": "Erase: drag over events to remove them; click a pedal bar to remove it",
}


class ControllerBar(QWidget):
    def __init__(self, lane: ControllerLane, parent: QWidget | None = None):
        super().__init__(parent)
        self.lane = lane
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 1, 4, 1)
        layout.addWidget(QLabel("Controller:", self))
        self.chooser = QComboBox(self)
        self.chooser.addItems([label for label, _ in CHOICES])
        self.chooser.setToolTip("The controller the lane shows and edits, on the current track's channel")
        layout.addWidget(self.chooser)
        self.number = QSpinBox(self)
        self.number.setRange(0, 127)
        self.number.setPrefix("CC ")
        self.number.setValue(74)
        self.number.setToolTip("Controller number (0..127)")
        self.number.hide()
        layout.addWidget(self.number)
        self.tool_buttons: dict[str, QToolButton] = {}
        group = QButtonGroup(self)
        group.setExclusive(True)
        for tool in TOOLS:
            button = QToolButton(self)
            button.setText(tool.capitalize())
            button.setCheckable(True)
            button.setToolTip(_TOOL_TIPS[tool])
            button.toggled.connect(lambda on, name=tool: self._on_tool(name, on))
            group.addButton(button)
            layout.addWidget(button)
            self.tool_buttons[tool] = button
        self.tool_buttons[lane.tool].setChecked(True)
        layout.addStretch(1)
        self.chooser.currentIndexChanged.connect(self._on_choice)
        self.number.valueChanged.connect(self._on_choice)

    def _on_tool(self, name: str, on: bool) -> None:
        if on:
            self.lane.set_tool(name)

    def _on_choice(self, *_args: object) -> None:
        chosen = CHOICES[self.chooser.currentIndex()][1]
        self.number.setVisible(chosen is None)
        self.lane.set_controller(chosen if chosen is not None else Controller("control_change", self.number.value()))

    def choose(self, label: str, number: int | None = None) -> None:
        """Pick a chooser entry by its label (and the CC number for "Other CC…")."""
        if number is not None:
            self.number.setValue(number)
        self.chooser.setCurrentIndex([text for text, _ in CHOICES].index(label))
        self._on_choice()

    def set_tool(self, tool: str) -> None:
        self.tool_buttons[tool].setChecked(True)
