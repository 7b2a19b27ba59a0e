"""Playback for the window: opens the MIDI port on first use, plays, auditions, sounds keys.

Without a usable port the controller reports one status line and every call
becomes a no-op: the window keeps working for editing and generating. The
player module (mido, rtmidi) is imported only when a port is first needed.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from fractions import Fraction
from typing import Any, Protocol

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from musicassist.core.errors import MusicAssistError
from musicassist.core.score import Score

from .preferences import Preferences


class PlayerLike(Protocol):
    """What the controller needs of a player (``QtPlayer``, or a fake in tests)."""

    signals: Any  # position_changed(pass_id, float), finished(pass_id), error(pass_id, str)
    metronome: bool
    count_in_bars: int

    @property
    def port_name(self) -> str: ...

    @property
    def pass_id(self) -> int: ...

    @property
    def is_playing(self) -> bool: ...
    def play(self, score: Score, start_beat: Fraction | int = 0,
             loop: tuple[Fraction, Fraction] | None = None) -> None: ...
    def stop(self) -> None: ...
    def panic(self) -> None: ...
    def switch_score(self, score: Score) -> None: ...
    def send_now(self, message: Any) -> None: ...
    def beat_at_time(self, clock_time: float) -> float | None: ...
    def close(self) -> None: ...


PlayerFactory = Callable[[str | None], PlayerLike]
_PREPARE_DELAY_MS = 150


def _default_factory(port_name: str | None) -> PlayerLike:
    from .qt_player import open_qt_player

    return open_qt_player(port_name)


class PlaybackController(QObject):
    position_changed = Signal(object)  # float beat, or None when stopped
    playing_changed = Signal(bool)
    status = Signal(str)

    def __init__(self, preferences: Preferences, factory: PlayerFactory | None = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.preferences = preferences
        self._factory = factory or _default_factory
        self.player: PlayerLike | None = None
        self.auditioning = False
        self._clicking = False  # the metronome was switched on for recording along
        self._to_prepare: Score | None = None
        self._prepare_timer = QTimer(self)
        self._prepare_timer.setSingleShot(True)
        self._prepare_timer.setInterval(_PREPARE_DELAY_MS)
        self._prepare_timer.timeout.connect(self._prepare_now)

    # -- ahead of playback ----------------------------------------------------------------------
    def prepare(self, score: Score) -> None:
        """Index the tracks' controller events off the GUI thread, so Space need not (a 600-bar file
        with dense controllers takes ~100 ms to index; playback then finds the index cached).
        Waits for a pause in the edits: a drag in the controller lane changes the score every move."""
        self._to_prepare = score
        self._prepare_timer.start()

    def _prepare_now(self) -> None:
        score, self._to_prepare = self._to_prepare, None
        if score is not None:
            self.prepare_now(score)

    def prepare_now(self, score: Score) -> None:
        """``prepare`` without waiting: a file was just opened, Space may come any moment."""
        events = [t.events for t in score.tracks if t.events]
        if not events:
            return
        from musicassist.playback.event_index import warm

        threading.Thread(target=warm, args=(events,), name="musicassist-index", daemon=True).start()

    # -- the port ------------------------------------------------------------------------------
    def ensure_player(self) -> PlayerLike | None:
        if self.player is not None:
            return self.player
        try:
            player = self._factory(self.preferences.midi_port or None)
        except MusicAssistError as exc:
            self.status.emit(f"No sound: {exc}")
            return None
        player.signals.position_changed.connect(self._on_position)
        player.signals.finished.connect(self._on_finished)
        player.signals.error.connect(self._on_error)
        self.player = player
        self.status.emit(f"Playing through {player.port_name}")
        return player

    def reopen(self) -> None:
        """Use the port chosen in the preferences from now on."""
        self.close()

    def close(self) -> None:
        if self.player is not None:
            self._clicking = False
            self.player.signals.position_changed.disconnect(self._on_position)
            self.player.signals.finished.disconnect(self._on_finished)
            self.player.signals.error.disconnect(self._on_error)
            with contextlib.suppress(MusicAssistError):  # the port may be gone; closing must not fail
                self.player.close()
            self.player = None
            self._set_stopped()

    # -- commands ------------------------------------------------------------------------------
    @property
    def is_playing(self) -> bool:
        return self.player is not None and self.player.is_playing

    def play(self, score: Score, start_beat: Fraction, loop: tuple[Fraction, Fraction] | None = None,
             audition: bool = False, *, count_in_bars: int | None = None) -> bool:
        """Play from ``start_beat``; with ``count_in_bars`` (recording along) the metronome clicks too."""
        player = self.ensure_player()
        if player is None:
            return False
        recording = count_in_bars is not None
        if recording or self._clicking:  # every other play is without the click again
            player.metronome = recording
            player.count_in_bars = count_in_bars or 0
            self._clicking = recording
        try:
            player.play(score, start_beat, loop=loop)
        except MusicAssistError as exc:
            self.status.emit(str(exc))
            return False
        self.auditioning = audition
        self.playing_changed.emit(True)
        return True

    def stop(self) -> None:
        if self.player is not None:
            self.player.stop()
        self._set_stopped()

    def panic(self) -> None:
        """Stop, and silence all 16 channels of the synth: sustain off, all notes and sounds off, bend
        centred (for notes or a pedal left hanging, by us or by another program)."""
        player = self.ensure_player()
        if player is not None:
            player.panic()
        self._set_stopped()

    def beat_at_time(self, clock_time: float) -> float | None:
        """The beat sounding at a ``time.perf_counter()`` reading; None unless playing (a recorder's clock)."""
        return self.player.beat_at_time(clock_time) if self.player is not None else None

    def switch_score(self, score: Score) -> None:
        """Hear another candidate from the next barline without stopping."""
        if self.player is not None and self.player.is_playing:
            self.player.switch_score(score)

    def note_on(self, pitch: int, channel: int = 0, velocity: int = 90) -> None:
        self._send_now("note_on", pitch, channel, velocity)

    def note_off(self, pitch: int, channel: int = 0) -> None:
        self._send_now("note_off", pitch, channel, 0)

    def _send_now(self, kind: str, pitch: int, channel: int, velocity: int) -> None:
        player = self.ensure_player()
        if player is None:
            return
        import mido

        try:
            player.send_now(mido.Message(kind, note=pitch, channel=channel, velocity=velocity))
        except MusicAssistError as exc:
            self.status.emit(str(exc))

    # -- from the player thread (queued) ----------------------------------------------------------
    # A report can wait in the queue while the window starts another pass: only the current
    # pass may move the playhead or end playing (and with it a recording take).
    def _is_current(self, pass_id: int) -> bool:
        return self.player is not None and pass_id == self.player.pass_id

    @Slot(int, float)
    def _on_position(self, pass_id: int, beat: float) -> None:
        if self._is_current(pass_id):
            self.position_changed.emit(beat)

    @Slot(int)
    def _on_finished(self, pass_id: int) -> None:
        if self._is_current(pass_id):
            self._set_stopped()

    @Slot(int, str)
    def _on_error(self, pass_id: int, message: str) -> None:
        self.status.emit(message)
        if self._is_current(pass_id):
            self._set_stopped()
            self.close()  # the port is gone: reopen on next use

    def _set_stopped(self) -> None:
        self.auditioning = False
        self.position_changed.emit(None)
        self.playing_changed.emit(False)
