"""A track's channel events, indexed for playback: their times for bisecting, and the state in force.

Starting a pass mid-piece (Space at the cursor, a seek, every loop pass)
needs the controller values in force there. Walking a track's events up to
that point compared 65,000 ``Fraction`` times on a 600-bar file with dense
controllers and took half a second. An ``EventIndex`` is built once per
events tuple (tracks are immutable, so an edit makes a new one): the channel
events and their times, plus a snapshot of the state every ``CHECKPOINT``
events, so ``state_before`` is a bisect and at most ``CHECKPOINT`` steps.
``index_for`` caches indexes; ``warm`` builds them ahead (the window calls
it off the GUI thread after each change) so Space does not pay for it.
"""

from __future__ import annotations

import bisect
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction

from musicassist.core.events import ChannelEvent, Event

CHECKPOINT = 256
_CACHE_SIZE = 64


@dataclass
class ChannelState:
    """What a channel's events have set: program, each CC's value, pitch bend, channel pressure."""

    program: int | None = None
    controls: dict[int, int] = field(default_factory=dict)
    bend: int | None = None
    pressure: int | None = None

    def copy(self) -> ChannelState:
        return ChannelState(self.program, dict(self.controls), self.bend, self.pressure)

    def apply(self, event: ChannelEvent) -> None:
        kind = event.kind
        if kind == "control_change":
            self.controls[event.number] = event.value
        elif kind == "pitchwheel":
            self.bend = event.value
        elif kind == "aftertouch":
            self.pressure = event.value
        elif kind == "program_change":
            self.program = event.number
        # polytouch belongs to a struck note: not part of the chased state


class EventIndex:
    def __init__(self, events: Iterable[Event]) -> None:
        self.events: list[ChannelEvent] = [e for e in events if isinstance(e, ChannelEvent)]
        self.times: list[Fraction] = [e.time for e in self.events]
        self.used = ChannelState()  # the first value of everything the track sets (says what it uses)
        self._checkpoints: list[ChannelState] = []  # state before events[k * CHECKPOINT]
        state = ChannelState()
        for i, event in enumerate(self.events):
            if i % CHECKPOINT == 0:
                self._checkpoints.append(state.copy())
            state.apply(event)
            if event.kind == "control_change":
                self.used.controls.setdefault(event.number, event.value)
            elif event.kind == "pitchwheel" and self.used.bend is None:
                self.used.bend = event.value
            elif event.kind == "aftertouch" and self.used.pressure is None:
                self.used.pressure = event.value

    def state_before(self, at: Fraction) -> ChannelState:
        """The values set by the events before ``at``."""
        stop = bisect.bisect_left(self.times, at)
        if stop == 0:
            return ChannelState()
        block = (stop - 1) // CHECKPOINT
        state = self._checkpoints[block].copy()
        for event in self.events[block * CHECKPOINT:stop]:
            state.apply(event)
        return state


_cache: OrderedDict[int, tuple[tuple[Event, ...], EventIndex]] = OrderedDict()
_lock = threading.Lock()


_building: dict[int, threading.Event] = {}  # id of an events tuple -> set when its index is cached


def index_for(events: tuple[Event, ...]) -> EventIndex:
    """The (cached) index of a track's events tuple.

    If another thread (the window's warm-up) is building this index, wait for it rather than build
    it twice on a busy interpreter.
    """
    key = id(events)
    while True:
        with _lock:
            hit = _cache.get(key)
            if hit is not None and hit[0] is events:  # the tuple is held by the entry: its id is not reused
                _cache.move_to_end(key)
                return hit[1]
            pending = _building.get(key)
            if pending is None:
                done = _building[key] = threading.Event()
                break
        pending.wait(5.0)
        with _lock:  # the other build failed or was for another tuple with a reused id: build it here
            if _building.get(key) is pending:
                done = threading.Event()
                _building[key] = done
                break
    try:
        index = EventIndex(events)
        with _lock:
            _cache[key] = (events, index)
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    finally:
        with _lock:
            if _building.get(key) is done:
                del _building[key]
        done.set()
    return index


def warm(tracks_events: Iterable[tuple[Event, ...]]) -> None:
    """Build the indexes of these events tuples now (from a worker thread), so playback finds them."""
    for events in tracks_events:
        if events:
            index_for(events)
