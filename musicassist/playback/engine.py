"""The live player: sends a Score's messages to a MIDI port from a dedicated thread, on time.

Timing: every message has an absolute deadline, the pass origin (a clock
reading) plus its offset from the tempo map, so nothing drifts however long
it plays. The thread sleeps on a condition variable until ``lookahead``
seconds before the next deadline (any command wakes it at once), then yields
in a short spin until the deadline itself: the sleep costs no CPU and the
spin gives sub-millisecond precision.

Threading: only the player thread sends while playing. Commands (stop,
pause, seek, switch_score, ...) change the plan under a lock and wake the
thread, so they never block on the port and never raise from a vanished
synth. The thread reports through hooks that subclasses override (the Qt
layer turns them into signals): ``on_position``, ``on_finished``,
``on_error``. Stopping, pausing, seeking and closing always release every
sounding note, and stopping adds All Notes Off and All Sound Off on the
channels used.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import mido

from musicassist.core.errors import MusicAssistError, OptionError, PortError
from musicassist.core.score import Score

from .timeline import EventKind, PassPlan, PlannedEvent

log = logging.getLogger(__name__)

DEFAULT_LOOKAHEAD = 0.002  # wake this long before a deadline; covers the OS's wake-up latency
ALL_SOUND_OFF = 120
ALL_NOTES_OFF = 123
_START_LEAD = 0.02  # the first note waits for the thread to start rather than come late
_MAX_SLEEP = 0.05  # wake at least this often for position reports and port checks
_POSITION_INTERVAL = 1 / 30
_PORT_CHECK_INTERVAL = 0.25
_HOUSEKEEPING_SLACK = 0.006  # only do housekeeping with this much time before the next note
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
        self._metronome = metronome
        self._count_in_bars = count_in_bars
        self._cond = threading.Condition()
        self._send_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._plan: PassPlan | None = None
        self._score: Score | None = None
        self._origin = 0.0
        self._loop: tuple[Fraction, Fraction] | None = None
        self._region = (Fraction(0), Fraction(0))
        self._generation = 0
        self._stop_requested = False
        self._panic_requested = False
        self._flush_requested = False
        self._paused = False
        self._position = 0.0
        self._sounding: Counter[tuple[int, int]] = Counter()
        self._used_channels: set[int] = set()

    # ----------------------------------------------------------------- hooks (player thread)
    def on_position(self, beat: float) -> None:
        """Called about 30 times a second while playing, with the sounding beat."""

    def on_finished(self) -> None:
        """Called when playback reaches the end of the region (not after ``stop()``)."""

    def on_error(self, error: MusicAssistError) -> None:
        """Called when playback had to stop, e.g. with a ``PortError`` when the synth vanished."""

    # ----------------------------------------------------------------- state
    @property
    def is_playing(self) -> bool:
        """True from ``play()`` until stop, the end, or an error; also while paused."""
        thread = self._thread
        return thread is not None and thread.is_alive() and not self._stop_requested

    @property
    def is_paused(self) -> bool:
        return self.is_playing and self._paused

    @property
    def position_beat(self) -> float:
        """The beat sounding now (the paused or stopped position otherwise)."""
        with self._cond:
            return self._current_position()

    def beat_at_time(self, clock_time: float) -> float | None:
        """The beat sounding at a reading of this player's clock; None unless playing (a recorder's clock)."""
        with self._cond:
            if self._plan is None or self._paused or self._stop_requested:
                return None
            return self._plan.beat_at(clock_time - self._origin)

    @property
    def score(self) -> Score | None:
        """The score playing (after a switch: the one switched to)."""
        return self._score

    @property
    def metronome(self) -> bool:
        return self._metronome

    @metronome.setter
    def metronome(self, on: bool) -> None:
        """Turn the click on or off; while playing it changes from the next click on."""
        with self._cond:
            if on == self._metronome:
                return
            self._metronome = on
            if self._plan is not None and not self._paused:
                self._plan.set_clicks(on, self._clock() - self._origin)
                self._generation += 1
                self._cond.notify_all()

    @property
    def count_in_bars(self) -> int:
        return self._count_in_bars

    @count_in_bars.setter
    def count_in_bars(self, bars: int) -> None:
        if bars < 0:
            raise OptionError("The count-in cannot be a negative number of bars.")
        self._count_in_bars = bars

    def _current_position(self) -> float:
        if self._plan is None or self._paused or self._stop_requested:
            return self._position
        beat = self._plan.beat_at(self._clock() - self._origin)
        return min(max(beat, float(self._plan.start)), float(self._plan.end))

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
            end = score.end if end_beat is None else Fraction(end_beat)
            region = (Fraction(0), end)
        if start < 0:
            raise OptionError("Playback cannot start before the beginning of the piece.")
        self.stop()
        with self._cond:
            self._score = score
            self._loop = region if loop is not None else None
            self._region = region
            self._stop_requested = self._panic_requested = self._flush_requested = self._paused = False
            self._sounding.clear()
            self._used_channels = set()
            end = max(region[1], start)
            self._plan = PassPlan.build(
                score, start, end, metronome=self._metronome, count_in_bars=self._count_in_bars
            )
            count_in = -min(0.0, self._plan.events[0].offset)  # count-in clicks sit before offset 0
            self._origin = self._clock() + _START_LEAD + count_in
            self._position = float(start)
            self._generation += 1
            self._thread = threading.Thread(target=self._run, name="musicassist-player", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop and release every note (All Notes Off / All Sound Off on the channels used)."""
        self._halt(panic=False)

    def panic(self) -> None:
        """Stop, then All Notes Off and All Sound Off on all 16 channels, playing or not."""
        if not self._halt(panic=True):
            with self._send_lock:
                self._send_release(all_channels=True)

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
            self._position = self._current_position()
            self._stop_requested = True
            self._panic_requested = self._panic_requested or panic
            self._cond.notify_all()
        if thread is not threading.current_thread():
            thread.join(_JOIN_TIMEOUT)
            if thread.is_alive():
                log.warning("the player thread did not stop within %.1f s (MIDI port blocked?)", _JOIN_TIMEOUT)
        return True

    def pause(self) -> None:
        """Hold the position and release sounding notes; ``resume()`` continues from there."""
        with self._cond:
            if not self.is_playing or self._paused:
                return
            self._position = self._current_position()
            self._paused = True
            self._flush_requested = True
            self._generation += 1
            self._cond.notify_all()

    def resume(self) -> None:
        with self._cond:
            if not self.is_paused or self._score is None:
                return
            self._restart_at(Fraction(self._position))
            self._paused = False
            self._cond.notify_all()

    def seek(self, beat: Fraction | float) -> None:
        """Continue from ``beat`` (kept inside the loop or the region); sounding notes are released."""
        target = Fraction(beat)
        with self._cond:
            low, high = self._region
            if self._loop is not None and not low <= target < high:
                target = low
            target = min(max(target, low), high)  # at the end of a region: finish
            self._position = float(target)
            if self.is_playing and not self._paused:
                self._restart_at(target)
                self._flush_requested = True
                self._cond.notify_all()

    def switch_score(self, score: Score) -> None:
        """Continue with ``score`` from the next barline, without stopping (audition switching).

        The bars before that barline play out as planned; at the barline the
        notes still sounding are released and ``score``'s notes take over. In
        a loop, a barline at or after the loop end means the next pass starts
        with ``score``. When nothing plays, ``score`` simply replaces the score.
        """
        with self._cond:
            self._score = score
            plan = self._plan
            if plan is None or not self.is_playing or self._paused:
                return
            barline = plan.next_barline(self._clock() - self._origin)
            if barline < plan.end:
                plan.switch(score, barline, metronome=self._metronome)
                self._generation += 1
                self._cond.notify_all()

    def _restart_at(self, beat: Fraction) -> None:
        """New plan from ``beat`` to the region end, starting now (lock held)."""
        assert self._score is not None
        self._plan = PassPlan.build(self._score, beat, self._region[1], metronome=self._metronome)
        self._origin = self._clock()
        self._generation += 1

    # ----------------------------------------------------------------- the player thread
    def _run(self) -> None:
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
                self._send_release(all_channels=self._panic_requested)
            except PortError as exc:
                error = error or exc
        with self._cond:
            if finished:
                self._position = float(self._region[1])
            self._stop_requested = True
            self._plan = None
        if error is not None:
            self.on_error(error)
        elif finished:
            self.on_finished()

    def _play_until_done(self) -> bool:
        """Run the plan; True at the natural end, False when stopped."""
        next_report = next_check = 0.0
        while True:
            with self._cond:
                action = self._wait_for_work(next_report, next_check)
            kind = action[0]
            if kind == "stop":
                return False
            if kind == "flush":
                self._release_sounding()
            elif kind == "housekeeping":
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
                    if generation != self._generation or self._stop_requested:
                        continue  # the plan changed while we spun: decide again
                    batch = self._take_due_events()
                if self._perform(batch, generation):
                    return True

    def _wait_for_work(self, next_report: float, next_check: float) -> tuple[Any, ...]:
        """Sleep (lock held, released while waiting) until there is something to do."""
        while True:
            if self._stop_requested:
                return ("stop",)
            if self._flush_requested:
                self._flush_requested = False
                return ("flush",)
            if self._paused or self._plan is None:
                self._cond.wait(_MAX_SLEEP)
                continue
            now = self._clock()
            event = self._plan.events[self._plan.index]
            deadline = self._origin + event.offset
            remaining = deadline - now
            if remaining <= self._lookahead:
                return ("due", deadline, self._generation)
            if remaining > _HOUSEKEEPING_SLACK and now >= min(next_report, next_check):
                return ("housekeeping", self._current_position())
            wake = min(deadline - self._lookahead, max(min(next_report, next_check), now + 0.001))
            self._cond.wait(min(wake - now, _MAX_SLEEP))

    def _spin_until(self, deadline: float) -> None:
        # time.sleep(0) gives the GIL to other threads (e.g. a MIDI input callback) while we wait.
        clock = self._clock
        while True:
            left = deadline - clock()
            if left <= 0:
                return
            time.sleep(0.0001 if left > 0.0004 else 0)

    def _take_due_events(self) -> list[PlannedEvent]:
        assert self._plan is not None
        plan, limit = self._plan, self._clock() + _SAME_INSTANT
        batch = []
        while plan.index < len(plan.events) and self._origin + plan.events[plan.index].offset <= limit:
            event = plan.events[plan.index]
            plan.index += 1
            batch.append(event)
            if event.kind is EventKind.END:
                break
        return batch

    def _perform(self, batch: list[PlannedEvent], generation: int) -> bool:
        """Send a batch of due events; True when the region has ended (not looping)."""
        for event in batch:
            if event.kind is EventKind.SEND:
                assert event.message is not None
                self._send(event.message)
            elif event.kind is EventKind.FLUSH:
                self._release_sounding()
            else:
                self._release_sounding()
                with self._cond:
                    if generation != self._generation or self._stop_requested:
                        return False
                    if self._loop is None or self._score is None:
                        return True
                    self._next_pass()
        return False

    def _next_pass(self) -> None:
        """Start the loop again, seamlessly: the new origin is where this pass ends (lock held)."""
        assert self._plan is not None and self._score is not None and self._loop is not None
        self._origin += self._plan.end_offset
        self._plan = PassPlan.build(self._score, self._loop[0], self._loop[1], metronome=self._metronome)
        self._generation += 1

    # ----------------------------------------------------------------- sending
    def _send(self, message: mido.Message) -> None:
        with self._send_lock:
            try:
                self._port.send(message)
            except PortError:
                raise
            except Exception as exc:
                raise PortError(f"Sending to the MIDI port '{self._port_name()}' failed; playback stopped.") from exc
        if message.type == "note_on" and message.velocity > 0:
            self._sounding[(message.channel, message.note)] += 1
        elif message.type in ("note_on", "note_off"):
            key = (message.channel, message.note)
            if self._sounding[key] > 0:
                self._sounding[key] -= 1
        if hasattr(message, "channel"):
            self._used_channels.add(message.channel)

    def _release_sounding(self) -> None:
        for (channel, pitch), count in sorted(self._sounding.items()):
            if count > 0:
                self._send(mido.Message("note_off", channel=channel, note=pitch, velocity=0))
        self._sounding.clear()

    def _send_release(self, all_channels: bool) -> None:
        """Note-off for each sounding note, then All Notes Off + All Sound Off (send lock held)."""
        first_error: PortError | None = None
        channels = range(16) if all_channels else sorted(self._used_channels)
        messages = [mido.Message("note_off", channel=c, note=p, velocity=0)
                    for (c, p), n in sorted(self._sounding.items()) if n > 0]
        for channel in channels:
            messages.append(mido.Message("control_change", channel=channel, control=ALL_NOTES_OFF, value=0))
            messages.append(mido.Message("control_change", channel=channel, control=ALL_SOUND_OFF, value=0))
        for message in messages:  # keep going after a failure: every message might matter
            try:
                self._port.send(message)
            except Exception as exc:
                first_error = first_error or PortError(
                    f"The MIDI port '{self._port_name()}' did not accept the notes-off messages."
                )
                log.debug("release message failed: %s", exc)
        self._sounding.clear()
        if first_error is not None:
            raise first_error

    def _check_port(self) -> None:
        is_alive = getattr(self._port, "is_alive", None)
        if callable(is_alive) and not is_alive():
            raise PortError(f"The MIDI port '{self._port_name()}' has disappeared; playback stopped.")

    def _port_name(self) -> str:
        return str(getattr(self._port, "name", "") or "output")
