"""The live player: sends a Score's messages to a MIDI port from a dedicated thread, on time.

Planning: a pass is planned bar by bar (``timeline.PassPlan``); ``play()``
plans a fraction of a second and the thread plans the rest between sends,
keeping about a second ahead, so a long piece starts as fast as a short one.

Timing: every message has an absolute deadline, the pass origin (a clock
reading) plus its offset from the tempo map, so nothing drifts however long
it plays. The thread sleeps on a condition variable until ``lookahead``
seconds before the next deadline (any command wakes it at once), then yields
in a short spin until the deadline itself: the sleep costs no CPU and the
spin gives sub-millisecond precision.

Threading: only the player thread sends while playing. Commands (stop,
pause, seek, switch_score, ...) change the ``Transport`` under the lock and
wake the thread, so they never block on the port and never raise from a
vanished synth. The thread reports through hooks that subclasses override
(the Qt layer turns them into signals): ``on_position``, ``on_finished``,
``on_error``. Stopping, pausing, seeking and closing always release every
sounding note; stopping adds sustain off, All Notes Off, All Sound Off and
pitch-bend centre on the channels used. A pass that starts mid-piece (a
seek, a loop's start, a resume) first sends the controller state in force
there (``schedule.chase_messages``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import mido

from musicassist.core.errors import MusicAssistError, OptionError, PortError
from musicassist.core.score import Score

from .timeline import EventKind, PlannedEvent
from .transport import Transport
from .voices import ALL_NOTES_OFF, ALL_SOUND_OFF, SoundingNotes

__all__ = ["ALL_NOTES_OFF", "ALL_SOUND_OFF", "DEFAULT_LOOKAHEAD", "Player"]

log = logging.getLogger(__name__)

DEFAULT_LOOKAHEAD = 0.002  # wake this long before a deadline; covers the OS's wake-up latency
_MAX_SLEEP = 0.05  # wake at least this often for position reports and port checks
_POSITION_INTERVAL = 1 / 30
_PORT_CHECK_INTERVAL = 0.25
_HOUSEKEEPING_SLACK = 0.006  # only do housekeeping with this much time before the next note
_PLANNING_SLACK = 0.004  # plan a bar ahead only with this much time before the next note (a bar takes ~1 ms)
_SAME_INSTANT = 0.0002  # events this close to a deadline go out in the same batch
_JOIN_TIMEOUT = 2.0


class Player:
    """Plays scores on a mido output port; see the module docstring for the threading model."""

    def __init__(
        self,
        port: Any,
        *,
        lookahead: float = DEFAULT_LOOKAHEAD,
        clock: Callable[[], float] = time.perf_counter,
        metronome: bool = False,
        count_in_bars: int = 0,
    ) -> None:
        self._port = port
        self._lookahead = lookahead
        self._clock = clock
        self._cond = threading.Condition()
        self._send_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._t = Transport(clock, metronome=metronome)
        self.count_in_bars = count_in_bars
        self._voices = SoundingNotes()
        self._pass_id = 0  # goes up with every play(); the thread of a pass knows its own
        self._reporting = threading.local()

    # ----------------------------------------------------------------- hooks (player thread)
    def on_position(self, beat: float) -> None:
        """Called about 30 times a second while playing, with the sounding beat."""

    def on_finished(self) -> None:
        """Called when playback reaches the end of the region (not after ``stop()``)."""

    def on_error(self, error: MusicAssistError) -> None:
        """Called when playback had to stop, e.g. with a ``PortError`` when the synth vanished."""

    # ----------------------------------------------------------------- state
    @property
    def pass_id(self) -> int:
        """Id of the latest ``play()``: hooks report theirs through ``reporting_pass_id``."""
        return self._pass_id

    @property
    def reporting_pass_id(self) -> int:
        """In a hook: the id of the pass whose thread calls it (an older pass may still be reporting)."""
        return int(getattr(self._reporting, "pass_id", self._pass_id))

    @property
    def is_playing(self) -> bool:
        """True from ``play()`` until stop, the end, or an error; also while paused."""
        thread = self._thread
        return thread is not None and thread.is_alive() and not self._t.stop_requested

    @property
    def is_paused(self) -> bool:
        return self.is_playing and self._t.paused

    @property
    def position_beat(self) -> float:
        """The beat sounding now (the paused or stopped position otherwise)."""
        with self._cond:
            return self._t.current_position()

    def beat_at_time(self, clock_time: float) -> float | None:
        """The beat sounding at a reading of this player's clock; None unless playing (a recorder's clock)."""
        with self._cond:
            return self._t.beat_at_time(clock_time)

    @property
    def score(self) -> Score | None:
        """The score playing (after a switch: the one switched to)."""
        return self._t.score

    @property
    def metronome(self) -> bool:
        return self._t.metronome

    @metronome.setter
    def metronome(self, on: bool) -> None:
        """Turn the click on or off; while playing it changes from the next click on."""
        with self._cond:
            if on != self._t.metronome:
                self._t.set_metronome(on)
                self._cond.notify_all()

    @property
    def count_in_bars(self) -> int:
        return self._t.count_in_bars

    @count_in_bars.setter
    def count_in_bars(self, bars: int) -> None:
        if bars < 0:
            raise OptionError("The count-in cannot be a negative number of bars.")
        self._t.count_in_bars = bars

    # ----------------------------------------------------------------- commands
    def play(
        self,
        score: Score,
        start_beat: Fraction | int = 0,
        loop: tuple[Fraction, Fraction] | None = None,
        end_beat: Fraction | None = None,
    ) -> None:
        """Play ``score`` from ``start_beat`` to ``end_beat`` (default: its end), or loop ``loop``.

        With a loop, playback starts at ``start_beat`` when it lies inside the
        loop (else at the loop start) and repeats until stopped. Any playback
        in progress is stopped first.
        """
        start = Fraction(start_beat)
        if loop is not None:
            region = (Fraction(loop[0]), Fraction(loop[1]))
            if not 0 <= region[0] < region[1]:
                raise OptionError("A loop needs a start before its end, at the beginning of the piece or later.")
            if not region[0] <= start < region[1]:
                start = region[0]
        else:
            region = (Fraction(0), score.end if end_beat is None else Fraction(end_beat))
        if start < 0:
            raise OptionError("Playback cannot start before the beginning of the piece.")
        self.stop()
        with self._cond:
            self._voices.reset()
            self._t.start(score, start, region, looping=loop is not None)
            self._pass_id += 1
            self._thread = threading.Thread(target=self._run, args=(self._pass_id,), name="musicassist-player",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop and release every note (sustain off, All Notes/Sound Off, bend centre on the channels used)."""
        self._halt(panic=False)

    def panic(self) -> None:
        """Stop, then sustain off, All Notes Off, All Sound Off and bend centre on all 16 channels, playing or not."""
        if not self._halt(panic=True):
            with self._send_lock:
                self._send_silence(all_channels=True)

    def close(self) -> None:
        """Stop playback; the port stays open (it belongs to the caller)."""
        self.stop()

    def __enter__(self) -> Player:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _halt(self, panic: bool) -> bool:
        """Ask the thread to stop and wait for it (bounded); False when nothing was playing."""
        with self._cond:
            thread = self._thread
            if thread is None or not thread.is_alive():
                return False
            self._t.position = self._t.current_position()
            self._t.stop_requested = True
            self._t.panic_requested = self._t.panic_requested or panic
            self._cond.notify_all()
        if thread is not threading.current_thread():
            thread.join(_JOIN_TIMEOUT)
            if thread.is_alive():
                log.warning("the player thread did not stop within %.1f s (MIDI port blocked?)", _JOIN_TIMEOUT)
        return True

    def pause(self) -> None:
        """Hold the position and release sounding notes; ``resume()`` continues from there."""
        with self._cond:
            if not self.is_playing or self._t.paused:
                return
            self._t.position = self._t.current_position()
            self._t.paused = self._t.flush_requested = True
            self._t.generation += 1
            self._cond.notify_all()

    def resume(self) -> None:
        with self._cond:
            if not self.is_paused:
                return
            self._t.restart_at(Fraction(self._t.position))
            self._t.paused = False
            self._cond.notify_all()

    def seek(self, beat: Fraction | float) -> None:
        """Continue from ``beat`` (kept inside the loop or the region); sounding notes are released."""
        with self._cond:
            target = self._t.seek_target(Fraction(beat))
            self._t.position = float(target)
            if self.is_playing and not self._t.paused:
                self._t.restart_at(target)
                self._t.flush_requested = True
                self._cond.notify_all()

    def switch_score(self, score: Score) -> None:
        """Continue with ``score`` from the next barline, without stopping (audition switching).

        The bars before that barline play out as planned; at the barline the
        notes still sounding are released and ``score``'s notes take over. In
        a loop, a barline at or after the loop end means the next pass starts
        with ``score``. When nothing plays, ``score`` simply replaces the score.
        """
        with self._cond:
            self._t.switch(score)
            self._cond.notify_all()

    # ----------------------------------------------------------------- the player thread
    def _run(self, pass_id: int = 0) -> None:
        self._reporting.pass_id = pass_id
        error: MusicAssistError | None = None
        finished = False
        try:
            finished = self._play_until_done()
        except PortError as exc:
            error = exc
        except Exception as exc:  # a bug must still stop the sound and reach the GUI as a message
            log.exception("playback failed")
            error = MusicAssistError(f"Playback stopped because of an internal error ({exc}).")
        with self._send_lock:
            try:
                self._send_silence(all_channels=self._t.panic_requested)
            except PortError as exc:
                error = error or exc
        with self._cond:
            if finished:
                self._t.position = float(self._t.region[1])
            self._t.stop_requested = True
            self._t.plan = None
        if error is not None:
            self.on_error(error)
        elif finished:
            self.on_finished()

    def _play_until_done(self) -> bool:
        """Run the plan; True at the natural end, False when stopped."""
        next_report = next_check = 0.0
        while True:
            with self._cond:
                action = self._wait_for_work(min(next_report, next_check))
            if action[0] == "stop":
                return False
            if action[0] == "flush":
                self._release_sounding()
            elif action[0] == "housekeeping":
                now = self._clock()
                if now >= next_check:
                    next_check = now + _PORT_CHECK_INTERVAL
                    self._check_port()
                if now >= next_report:
                    next_report = now + _POSITION_INTERVAL
                    self.on_position(action[1])
            else:
                _, deadline, generation = action
                self._spin_until(deadline)
                with self._cond:
                    if generation != self._t.generation or self._t.stop_requested:
                        continue  # the plan changed while we spun: decide again
                    batch = self._t.take_due(self._clock() + _SAME_INSTANT)
                if self._perform(batch, generation):
                    return True

    def _wait_for_work(self, housekeeping_due: float) -> tuple[Any, ...]:
        """Sleep (lock held; released while waiting) until there is something to do."""
        t = self._t
        while True:
            if t.stop_requested:
                return ("stop",)
            if t.flush_requested:
                t.flush_requested = False
                return ("flush",)
            if not t.running:
                self._cond.wait(_MAX_SLEEP)
                continue
            now = self._clock()
            if not t.has_next_event():
                if t.needs_planning(now):
                    t.plan_more()  # nothing planned left to send: plan the next bar now
                else:
                    self._cond.wait(_MAX_SLEEP)
                continue
            deadline = t.next_deadline()
            remaining = deadline - now
            if remaining <= self._lookahead:
                return ("due", deadline, t.generation)
            if remaining > _PLANNING_SLACK and t.needs_planning(now):
                t.plan_more()  # one bar at a time, between sends, so no note waits for planning
                continue
            if remaining > _HOUSEKEEPING_SLACK and now >= housekeeping_due:
                return ("housekeeping", t.current_position())
            wake = min(deadline - self._lookahead, max(housekeeping_due, now + 0.001))
            self._cond.wait(min(wake - now, _MAX_SLEEP))

    def _spin_until(self, deadline: float) -> None:
        # time.sleep(0) gives the GIL to other threads (e.g. a MIDI input callback) while we wait.
        clock = self._clock
        while True:
            left = deadline - clock()
            if left <= 0:
                return
            time.sleep(0.0001 if left > 0.0004 else 0)

    def _perform(self, batch: list[PlannedEvent], generation: int) -> bool:
        """Send a batch of due events; True when the region has ended (not looping)."""
        for event in batch:
            if event.kind is EventKind.SEND:
                assert event.message is not None
                self._send(event.message)
            elif event.kind is EventKind.FLUSH:
                self._release_sounding()
            else:  # END of the pass
                self._release_sounding()
                with self._cond:
                    if generation != self._t.generation or self._t.stop_requested:
                        return False
                    if self._t.loop is None:
                        return True
                    self._t.next_pass()
        return False

    # ----------------------------------------------------------------- sending
    def _send(self, message: mido.Message) -> None:
        with self._send_lock:
            try:
                self._port.send(message)
            except PortError:
                raise
            except Exception as exc:
                raise PortError(f"Sending to the MIDI port '{self._port_name()}' failed; playback stopped.") from exc
        self._voices.note(message)

    def _release_sounding(self) -> None:
        for message in self._voices.releases():
            self._send(message)

    def _send_silence(self, all_channels: bool) -> None:
        """Release every sounding note, then All Notes Off + All Sound Off (send lock held)."""
        failed = False
        for message in self._voices.silence(all_channels):  # keep going after a failure: each may matter
            try:
                self._port.send(message)
            except Exception as exc:
                failed = True
                log.debug("release message failed: %s", exc)
        if failed:
            raise PortError(f"The MIDI port '{self._port_name()}' did not accept the notes-off messages.")

    def _check_port(self) -> None:
        """Ports from ``ports.open_output`` explain what vanished; other ports may offer ``is_alive``."""
        check_alive = getattr(self._port, "check_alive", None)
        if callable(check_alive):
            check_alive()
            return
        is_alive = getattr(self._port, "is_alive", None)
        if callable(is_alive) and not is_alive():
            raise PortError(f"The MIDI port '{self._port_name()}' has disappeared; playback stopped.")

    def _port_name(self) -> str:
        return str(getattr(self._port, "name", "") or "output")
