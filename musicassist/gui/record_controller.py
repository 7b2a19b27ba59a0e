"""MIDI keyboard input for the window: what is played becomes undoable edits of the current track.

The input port is opened on first need from the preference, as the output is
by ``PlaybackController``. rtmidi calls back on its own thread, so the callback
only stamps the message with the clock and emits a queued signal; recording,
and every change of the document, happens in the GUI thread. One mode at a time:
live recording (a ``LiveRecorder`` on the player's beats while playback runs
from the cursor with the metronome; the take is ONE undo step), step input (a
``StepRecorder``: each key or chord at the cursor, one undo step each), else,
while nothing plays, the "played idea" (a free ``LiveRecorder``), which "Use
Played Idea as Seed" puts at the cursor with its bars selected for Generate.
No port is a status message; a port that vanishes stops, keeping what was played.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from musicassist.core.errors import MusicAssistError
from musicassist.core.score import BarRange, Note, Score
from musicassist.core.timemaps import TempoMap

from .document import Document
from .playback_controller import PlaybackController
from .preferences import Preferences

if TYPE_CHECKING:
    from musicassist.playback.recorder import BeatClock, LiveRecorder, StepRecorder

IDEA_GAP_SECONDS = 4.0  # a key after this much silence starts a new idea; older playing is forgotten
RECORD_HEADROOM_BARS = 200  # a take may run this far past the end of the piece
PORT_CHECK_MS = 1000
FALLBACK_STEP = Fraction(1, 4)  # step length when snap is off: a 16th, as the draw tool does


class InputPortLike(Protocol):
    """What the controller needs of an input port (``ports.MidiInput``, or a fake in tests)."""

    name: str

    def close(self) -> None: ...


InputFactory = Callable[[str | None, Callable[[Any], None]], InputPortLike]


def _default_input_factory(name: str | None, callback: Callable[[Any], None]) -> InputPortLike:
    from musicassist.playback.ports import open_input

    return open_input(name, callback)


def input_is_alive(port: Any) -> bool:
    """Whether the keyboard behind ``port`` is still there (ports without the check count as alive)."""
    is_alive = getattr(port, "is_alive", None)
    return bool(is_alive()) if callable(is_alive) else True


def bars_covering(score: Score, notes: tuple[Note, ...]) -> BarRange:
    """The bars from the first note's start to the last note's end (a tail ending on a barline stays out)."""
    first = score.bar_at(min(n.start for n in notes))
    end = max(n.end for n in notes)
    last = score.bar_at(end)
    if score.bar_start(last) == end:
        last -= 1
    last = min(max(first, last), score.bar_count - 1)
    return BarRange(first, last + 1)


def _key_down_up(message: Any) -> tuple[bool, bool]:
    """(a key went down, a key came up); a note-on of velocity 0 is a key coming up."""
    down = message.type == "note_on" and message.velocity > 0
    return down, not down and message.type in ("note_on", "note_off")


class RecordController(QObject):
    status = Signal(str)
    recording_changed = Signal(bool)
    step_input_changed = Signal(bool)
    _arrived = Signal(object, float)  # (frozen mido message, clock reading) emitted on the MIDI thread

    def __init__(self, document: Document, playback: PlaybackController, preferences: Preferences,
                 grid: Callable[[], Fraction | None], input_factory: InputFactory | None = None,
                 clock: Callable[[], float] = time.perf_counter, parent: QObject | None = None):
        super().__init__(parent)
        self.document = document
        self.playback = playback
        self.preferences = preferences
        self.grid = grid  # the snap grid; None when snap is off
        self.input_factory = input_factory or _default_input_factory
        self.clock = clock  # must be the player's clock: the take asks the player which beat a reading is
        self.port: InputPortLike | None = None
        self._opened_for: str | None = None  # the preference the port was opened for
        self._freeze: Callable[[Any], Any] = lambda message: message
        self._take: LiveRecorder | None = None
        self._take_track = 0
        self._step: StepRecorder | None = None
        self._idea: LiveRecorder | None = None
        self._keys_down: set[int] = set()
        self._last_key_at = float("-inf")
        self._thru_failed = False
        self._arrived.connect(self.on_input, Qt.ConnectionType.QueuedConnection)
        playback.playing_changed.connect(self._on_playing_changed)
        self._port_timer = QTimer(self)
        self._port_timer.setInterval(PORT_CHECK_MS)
        self._port_timer.timeout.connect(self.check_input)

    # -- the port ------------------------------------------------------------------------------
    def ensure_input(self) -> InputPortLike | None:
        """The open input port, opened now if need be; None (with a status message) when there is none."""
        if self.port is not None:
            return self.port
        wanted = self.preferences.midi_input_port
        try:
            port = self.input_factory(wanted or None, self._from_midi_thread)
        except MusicAssistError as exc:
            self.status.emit(f"No MIDI keyboard: {exc}")
            return None
        from mido.frozen import freeze_message  # mido only once a port exists, as for the output

        self._freeze = freeze_message
        self.port, self._opened_for = port, wanted
        self._port_timer.start()
        self.status.emit(f"Listening to the MIDI keyboard '{port.name}'.")
        return port

    def reopen(self) -> None:
        """After Preferences: listen to the input chosen there (nothing changes if it is the same)."""
        self._thru_failed = False  # the output may have changed too
        if self.port is not None and self._opened_for == self.preferences.midi_input_port:
            return
        self.stop_recording()
        self._close_port()
        self.ensure_input()

    def close(self) -> None:
        """The window closes: stop listening (no callback may reach a deleted object)."""
        self._take = self._step = None
        self._close_port()

    def _close_port(self) -> None:
        self._port_timer.stop()
        port, self.port = self.port, None
        self._keys_down.clear()  # their note-offs will never arrive
        if port is not None:
            with contextlib.suppress(Exception):  # the port may already be gone
                port.close()

    def _from_midi_thread(self, message: Any) -> None:
        """The port's callback, on the MIDI thread: stamp now, hand over to the GUI thread."""
        stamp = self.clock()
        with contextlib.suppress(RuntimeError):  # the controller is being deleted
            self._arrived.emit(self._freeze(message), stamp)

    @Slot()
    def check_input(self) -> None:
        """Polled: a keyboard unplugged (or its program quit) stops recording, keeping what was played."""
        port = self.port
        if port is None or input_is_alive(port):
            return
        name = port.name
        self._close_port()
        recorded = self._take is not None
        self.stop_recording()
        self.set_step_input(False)
        kept = " Recording stopped; what was recorded is kept." if recorded else ""
        self.status.emit(f"The MIDI keyboard '{name}' has disappeared.{kept} Reconnect it to play again.")

    # -- what arrives --------------------------------------------------------------------------
    @Slot(object, float)
    def on_input(self, message: Any, at: float) -> None:
        """One message from the keyboard, in the GUI thread; ``at`` is the clock reading of its arrival."""
        is_on, is_off = _key_down_up(message)
        if is_on or is_off:
            self._thru(message, is_on)
        if self._take is not None:
            self._take.on_message(message, at=at)
        elif self._step is not None:
            self._feed_step(message, is_on)
        elif not self.playback.is_playing:
            self._feed_idea(message, at, is_on)
        if is_on or is_off:
            (self._keys_down.add if is_on else self._keys_down.discard)(message.note)
            self._last_key_at = at

    def _thru(self, message: Any, is_on: bool) -> None:
        """Sound the key on the track's channel: most controller keyboards have no sound of their own."""
        if not self.preferences.midi_thru or (self.playback.player is None and self._thru_failed):
            return
        if self.playback.ensure_player() is None:
            self._thru_failed = True  # one message is enough, not one per key
            return
        channel = self.document.track.channel
        if is_on:
            self.playback.note_on(message.note, channel, message.velocity)
        else:
            self.playback.note_off(message.note, channel)

    # -- live recording ------------------------------------------------------------------------
    @property
    def is_recording(self) -> bool:
        return self._take is not None

    def quantize_grid(self) -> Fraction | None:
        return self.grid() if self.preferences.quantize_recording else None

    def toggle_recording(self) -> None:
        if self._take is not None:
            self.stop_recording()
        else:
            self.start_recording()

    def start_recording(self) -> bool:
        """Play from the cursor with the metronome (and count-in) and record along; False if impossible."""
        if self._take is not None:
            return True
        if self.ensure_input() is None:
            self.recording_changed.emit(False)
            return False
        self.set_step_input(False)
        document = self.document
        start, score = document.cursor_beat, document.score
        # Room to play on past the end: the piece grows to take what is recorded there.
        room = replace(score, length_bars=max(score.length_bars, score.bar_at(start) + 1) + RECORD_HEADROOM_BARS)
        if self.playback.is_playing:
            self.playback.stop()
        if not self.playback.play(room, start, count_in_bars=1 if self.preferences.count_in else 0):
            self.recording_changed.emit(False)
            return False
        from musicassist.playback.recorder import LiveRecorder

        self._take = LiveRecorder(self._beat_clock(start), channel=document.track.channel, clock=self.clock)
        self._take_track = document.current_track
        self.recording_changed.emit(True)
        self.status.emit(f"Recording into '{document.track.name or 'Track'}'… press R or Space to stop.")
        return True

    def _beat_clock(self, start: Fraction) -> BeatClock:
        def beat_at(stamp: float) -> float | None:
            beat = self.playback.beat_at_time(stamp)
            return None if beat is None else max(beat, float(start))  # a key in the count-in lands on the cursor

        return beat_at

    def stop_recording(self, stop_playback: bool = True) -> None:
        """End the take: its notes go into the track as one undo step; playback stops too."""
        take, self._take = self._take, None
        if take is None:
            return
        notes = take.stop(self.quantize_grid())  # before playback stops: held keys end at the beat sounding now
        if stop_playback and self.playback.is_playing:
            self.playback.stop()
        self.recording_changed.emit(False)
        if not notes:
            self.status.emit("Nothing was recorded.")
            return
        if self.document.current_track != self._take_track:
            self.document.set_current_track(self._take_track)
        self.document.edit_track_notes((), notes, "Record")
        quantized = ", quantized to the snap grid" if self.quantize_grid() else ""
        self.status.emit(f"Recorded {len(notes)} notes{quantized}.")

    def discard_take(self) -> None:
        """Another piece was opened: a take in progress belonged to the old one."""
        if self._take is not None:
            self._take = None
            self.recording_changed.emit(False)

    @Slot(bool)
    def _on_playing_changed(self, playing: bool) -> None:
        # The take's own start is announced before the take exists, so this is playback ending
        # (the end of the room, Esc, a lost output) or another command playing something else.
        if self._take is not None:
            self.stop_recording(stop_playback=not playing)

    # -- step input ----------------------------------------------------------------------------
    @property
    def step_input_active(self) -> bool:
        return self._step is not None

    def step_length(self) -> Fraction:
        return self.grid() or FALLBACK_STEP

    @Slot(bool)
    def set_step_input(self, on: bool) -> None:
        """Turn step input on (each key or chord enters notes at the cursor) or off."""
        if on and self._step is None:
            if self.ensure_input() is None:
                self.step_input_changed.emit(False)
                return
            self.stop_recording()
            self._step = self._new_step_recorder()
            self.status.emit("Step input: each key or chord on the MIDI keyboard enters notes at the cursor.")
        elif not on and self._step is not None:
            self._step = None
        self.step_input_changed.emit(self._step is not None)

    def _new_step_recorder(self) -> StepRecorder:
        from musicassist.playback.recorder import StepRecorder

        return StepRecorder(self.document.cursor_beat, self.step_length(), channel=self.document.track.channel,
                            on_chord=self._enter_chord)

    def _feed_step(self, message: Any, is_on: bool) -> None:
        step = self._step
        assert step is not None
        if is_on and not self._keys_down:
            # Between chords the composer may have moved the cursor or changed the grid.
            if step.cursor != self.document.cursor_beat:
                step = self._step = self._new_step_recorder()
            step.grid = self.step_length()
        step.on_message(message)

    def _enter_chord(self, chord: tuple[Note, ...]) -> None:
        assert self._step is not None
        self.document.edit_track_notes((), chord, "Step input")
        self.document.set_cursor(self._step.cursor)

    # -- the played idea -----------------------------------------------------------------------
    @property
    def idea_notes(self) -> tuple[Note, ...]:
        """What was played while stopped, from beat 0 (quantized when recording is)."""
        return self._idea.notes(self.quantize_grid()) if self._idea is not None else ()

    def _feed_idea(self, message: Any, at: float, is_on: bool) -> None:
        pause = not self._keys_down and at - self._last_key_at > IDEA_GAP_SECONDS
        if is_on and (self._idea is None or pause):
            from musicassist.playback.recorder import LiveRecorder

            bpm = self.document.score.tempo_map.bpm_at(self.document.cursor_beat)
            self._idea = LiveRecorder(tempo_map=TempoMap.constant(bpm), channel=self.document.track.channel,
                                      clock=self.clock)
        if self._idea is not None:
            self._idea.on_message(message, at=at)
            if _key_down_up(message)[1] and self._keys_down <= {message.note}:  # all keys up: say what is kept
                self.status.emit(f"Played idea: {len(self._idea.notes())} notes. "
                                 "Use Played Idea as Seed puts them at the cursor.")

    def use_idea(self) -> None:
        """Put the played idea in the track at the cursor (one undo step) and select its bars for Generate."""
        notes = self.idea_notes
        if not notes:
            port = self.ensure_input()
            if port is not None:
                self.status.emit(f"Nothing has been played yet: play an idea on '{port.name}' while playback is "
                                 "stopped, then use it as the seed.")
            return
        placed = tuple(n.moved(self.document.cursor_beat) for n in notes)
        self.document.edit_track_notes((), placed, "Use played idea")
        bars = bars_covering(self.document.score, placed)
        self.document.set_bar_selection(bars)
        self._idea = None
        self.status.emit(f"The played idea is in bars {bars}: press Generate to continue it.")

    # -- actions -------------------------------------------------------------------------------
    def create_actions(self, parent: QWidget) -> None:
        """The menu and toolbar actions; the options are remembered in the preferences."""
        prefs = self.preferences
        self.record_action = QAction("&Record", parent, checkable=True)
        self.record_action.setShortcut(QKeySequence("R"))
        self.record_action.setToolTip("Record from the MIDI keyboard at the cursor, with the metronome (R)")
        self.record_action.triggered.connect(lambda _checked=False: self.toggle_recording())
        self.recording_changed.connect(self.record_action.setChecked)
        self.step_action = QAction("&Step Input", parent, checkable=True)
        self.step_action.setShortcut(QKeySequence("Shift+R"))
        self.step_action.triggered.connect(self.set_step_input)
        self.step_input_changed.connect(self.step_action.setChecked)
        self.idea_action = QAction("Use Played &Idea as Seed", parent)
        self.idea_action.setShortcut(QKeySequence("Ctrl+Shift+I"))
        self.idea_action.triggered.connect(lambda _checked=False: self.use_idea())
        self.option_actions: list[QAction] = []
        for text, name in (("&Quantize Recording", "quantize_recording"), ("&Count-In (One Bar)", "count_in"),
                           ("&Hear the Keyboard (MIDI Thru)", "midi_thru")):
            action = QAction(text, parent, checkable=True, checked=getattr(prefs, name))
            action.toggled.connect(lambda on, n=name: setattr(prefs, n, on))
            self.option_actions.append(action)
        self.quantize_action, self.count_in_action, self.thru_action = self.option_actions

    def fill_menu(self, menu: QMenu) -> None:
        menu.addActions([self.record_action, self.step_action])
        menu.addActions(self.option_actions)
        menu.addSeparator()
        menu.addAction(self.idea_action)
