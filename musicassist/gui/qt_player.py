"""A thin Qt layer over the pure playback ``Player``: its hooks become Qt signals.

As in Frescobaldi's ``qmidi/player.py``, the subclass only swaps the
reporting: the player thread calls the hooks, the hooks emit signals of a
QObject that lives in the GUI thread, and Qt queues them there. The window
never touches the player thread. ``send_now`` sounds a single message at once
(the keyboard column's key clicks) on the same port.
"""

from __future__ import annotations

from typing import Any

import mido
from PySide6.QtCore import QObject, Signal

from musicassist.core.errors import MusicAssistError
from musicassist.playback.engine import Player
from musicassist.playback.ports import open_output


class PlayerSignals(QObject):
    """Every signal carries the pass id of the ``play()`` it reports on, so a late report of an
    older pass (queued behind a new ``play()``) can be told apart and dropped."""

    position_changed = Signal(int, float)
    finished = Signal(int)
    error = Signal(int, str)


class QtPlayer(Player):
    def __init__(self, port: Any, **options: Any):
        super().__init__(port, **options)
        self.output_port = port
        self.signals = PlayerSignals()  # created in the GUI thread, so receivers get queued calls

    @property
    def port_name(self) -> str:
        return str(getattr(self.output_port, "name", "") or "MIDI output")

    def on_position(self, beat: float) -> None:
        self.signals.position_changed.emit(self.reporting_pass_id, float(beat))

    def on_finished(self) -> None:
        self.signals.finished.emit(self.reporting_pass_id)

    def on_error(self, error: MusicAssistError) -> None:
        self.signals.error.emit(self.reporting_pass_id, str(error))

    def send_now(self, message: mido.Message) -> None:
        self.output_port.send(message)

    def close(self) -> None:
        """Stop, then close the port too (the window opened it, so the window closes it)."""
        super().close()
        self.output_port.close()


def open_qt_player(port_name: str | None) -> QtPlayer:
    """Open ``port_name`` (None or "": the first usable output) and a player on it; PortError if none."""
    return QtPlayer(open_output(port_name or None))
