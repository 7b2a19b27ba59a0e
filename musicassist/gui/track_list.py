"""The track list dock: the piece's tracks, and the chosen track's instrument, channel and mixer.

A list of tracks (click one to edit it in the roll) with Add, Duplicate,
Remove, Up and Down, and under it the current track's name, instrument (by
General MIDI name, grouped in families), channel, mute, solo, volume and
pan. Every change is one undo step through the document; the pure edits are
in ``core.track_edits``. The widgets follow the document's signals, so undo,
redo and loading another file show here at once.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from musicassist.core import track_edits
from musicassist.core.errors import MusicAssistError
from musicassist.core.score import DRUM_CHANNEL, Score, Track
from musicassist.io.general_midi import GM_PROGRAM_NAMES, instrument_name

from .commands import new_session
from .document import Document

_UNSET = -1  # the spin boxes' "not set" value for volume and pan (shown as "default")


def track_label(index: int, track: Track) -> str:
    marks = " ".join(m for m, on in (("[M]", track.mute), ("[S]", track.solo)) if on)
    text = f"{index + 1}. {track.name or 'Track'} — {instrument_name(track.program, track.channel)} " \
           f"(ch {track.channel + 1})"
    return f"{text} {marks}" if marks else text


class TrackList(QWidget):
    def __init__(self, document: Document, report: Callable[[str], None], parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
        self._report = report  # one line for the status bar (a refused edit)
        self._updating = False
        self._merge_key: tuple[object, ...] | None = None
        self._session: int | None = None
        layout = QVBoxLayout(self)
        self.tracks = QListWidget(self)
        self.tracks.setMinimumWidth(120)
        self.tracks.currentRowChanged.connect(self._on_row_changed)
        layout.addWidget(self.tracks, 1)
        layout.addLayout(self._build_buttons())
        layout.addLayout(self._build_form())
        for signal in (document.score_changed, document.current_track_changed):
            signal.connect(self.refresh)
        self.refresh()

    # -- building ------------------------------------------------------------------------------
    def _build_buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.add_button = self._button(row, "Add", "A new empty track on a free channel", self.add_track)
        self.duplicate_button = self._button(row, "Duplicate", "Copy this track, notes and all",
                                             self.duplicate_track)
        self.remove_button = self._button(row, "Remove", "Remove this track (undo brings it back)",
                                          self.remove_track)
        self.up_button = self._button(row, "▲", "Move this track up", lambda: self.move_track(-1))
        self.down_button = self._button(row, "▼", "Move this track down", lambda: self.move_track(1))
        return row

    def _button(self, row: QHBoxLayout, text: str, tip: str, slot: Callable[[], None]) -> QToolButton:
        button = QToolButton(self)  # compact: the dock stays narrow and the roll keeps the room
        button.setText(text)
        button.setToolTip(tip)
        button.clicked.connect(lambda _checked=False: slot())
        row.addWidget(button)
        return button

    def _build_form(self) -> QFormLayout:
        form = QFormLayout()
        self.name_edit = QLineEdit(self)
        self.name_edit.editingFinished.connect(lambda: self._update("Rename track", name=self.name_edit.text()))
        form.addRow("Name", self.name_edit)
        self.instrument_combo = QComboBox(self)
        self._fill_instruments()
        self.instrument_combo.activated.connect(self._on_instrument)
        form.addRow("Instrument", self.instrument_combo)
        self.channel_spin = QSpinBox(self, minimum=1, maximum=16)
        self.channel_spin.setKeyboardTracking(False)  # typing "12" is one change, not "1" then "12"
        self.channel_spin.setToolTip("MIDI channel; channel 10 is the General MIDI drum kit")
        self.channel_spin.valueChanged.connect(lambda v: self._update("Change channel", channel=v - 1))
        form.addRow("Channel", self.channel_spin)
        row = QHBoxLayout()
        self.mute_check = QCheckBox("Mute", self)
        self.mute_check.toggled.connect(lambda on: self._update("Mute track" if on else "Unmute track", mute=on))
        self.solo_check = QCheckBox("Solo", self)
        self.solo_check.toggled.connect(lambda on: self._update("Solo track" if on else "Unsolo track", solo=on))
        row.addWidget(self.mute_check)
        row.addWidget(self.solo_check)
        form.addRow("", row)
        self.volume_spin = self._mixer_spin("Volume (CC7) sent when playback starts")
        self.volume_spin.valueChanged.connect(
            lambda v: self._update("Change volume", volume=None if v == _UNSET else v))
        form.addRow("Volume", self.volume_spin)
        self.pan_spin = self._mixer_spin("Pan (CC10): 0 left, 64 centre, 127 right")
        self.pan_spin.valueChanged.connect(lambda v: self._update("Change pan", pan=None if v == _UNSET else v))
        form.addRow("Pan", self.pan_spin)
        return form

    def _mixer_spin(self, tip: str) -> QSpinBox:
        spin = QSpinBox(self, minimum=_UNSET, maximum=127)
        spin.setKeyboardTracking(False)
        spin.setSpecialValueText("default")  # below 0: the synth's own setting, nothing is sent
        spin.setToolTip(tip)
        return spin

    def _fill_instruments(self) -> None:
        """Instruments by name under their family headers (headers cannot be chosen)."""
        combo = self.instrument_combo
        model = combo.model()
        assert isinstance(model, QStandardItemModel)
        bold = QFont(self.font())
        bold.setBold(True)
        for family_index, family in enumerate(track_edits.GM_FAMILIES):
            combo.addItem(family, None)
            header = model.item(combo.count() - 1)
            header.setFlags(header.flags() & ~Qt.ItemFlag.ItemIsSelectable & ~Qt.ItemFlag.ItemIsEnabled)
            header.setFont(bold)
            for program in range(family_index * 8, family_index * 8 + 8):
                combo.addItem(f"    {GM_PROGRAM_NAMES[program]}", program)

    # -- following the document ----------------------------------------------------------------
    def refresh(self) -> None:
        self._updating = True
        try:
            score, current = self.document.score, self.document.current_track
            labels = [track_label(i, t) for i, t in enumerate(score.tracks)]
            if labels != [self.tracks.item(i).text() for i in range(self.tracks.count())]:
                self.tracks.clear()
                self.tracks.addItems(labels)
            self.tracks.setCurrentRow(current)
            track = score.tracks[current]
            if not self.name_edit.hasFocus():
                self.name_edit.setText(track.name)
            self.instrument_combo.setCurrentIndex(self.instrument_combo.findData(track.program))
            self.instrument_combo.setEnabled(track.channel != DRUM_CHANNEL)
            self.channel_spin.setValue(track.channel + 1)
            self.mute_check.setChecked(track.mute)
            self.solo_check.setChecked(track.solo)
            self.volume_spin.setValue(_UNSET if track.volume is None else track.volume)
            self.pan_spin.setValue(_UNSET if track.pan is None else track.pan)
            self.remove_button.setEnabled(len(score.tracks) > 1)
            self.up_button.setEnabled(current > 0)
            self.down_button.setEnabled(current < len(score.tracks) - 1)
        finally:
            self._updating = False

    def _on_row_changed(self, row: int) -> None:
        if not self._updating and row >= 0:
            self.document.set_current_track(row)

    def _on_instrument(self, index: int) -> None:
        program = self.instrument_combo.itemData(index)
        if isinstance(program, int):
            self._update(f"Instrument: {GM_PROGRAM_NAMES[program]}", program=program)

    # -- edits (one undo step each) -----------------------------------------------------------
    def _edit(self, make: Callable[[], Score], text: str, current: int | None = None,
              merge_key: tuple[object, ...] | None = None) -> None:
        """Push ``make()`` as one undo step; consecutive edits with one ``merge_key`` (the arrows of one
        spin box on one track, clicked or held) fold into the same step."""
        try:
            score = make()
        except MusicAssistError as exc:
            self._report(str(exc))
            self.refresh()
            return
        if merge_key is None or merge_key != self._merge_key:
            self._session = new_session() if merge_key is not None else None
        self._merge_key = merge_key
        self.document.push_edit(score, text, session=self._session)
        if current is not None:
            self.document.set_current_track(current)

    def _update(self, text: str, **changes: object) -> None:
        if self._updating:
            return
        index = self.document.current_track
        numeric = set(changes) <= {"channel", "volume", "pan"}
        self._edit(lambda: track_edits.update_track(self.document.score, index, **changes), text,
                   merge_key=(index, *sorted(changes)) if numeric else None)

    def add_track(self) -> None:
        count = len(self.document.score.tracks)
        self._edit(lambda: track_edits.add_track(self.document.score), "Add track", current=count)

    def duplicate_track(self) -> None:
        index = self.document.current_track
        self._edit(lambda: track_edits.duplicate_track(self.document.score, index), "Duplicate track",
                   current=index + 1)

    def remove_track(self) -> None:
        index = self.document.current_track
        self._edit(lambda: track_edits.remove_track(self.document.score, index), "Remove track",
                   current=max(0, index - 1))

    def move_track(self, step: int) -> None:
        index = self.document.current_track
        target = index + step
        if not 0 <= target < len(self.document.score.tracks):
            return
        self._edit(lambda: track_edits.move_track(self.document.score, index, target), "Move track",
                   current=target)
