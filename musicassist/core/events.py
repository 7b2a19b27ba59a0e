"""Everything a track carries besides notes: controllers, pitch bend, pressure, programs, sysex, meta.

A MIDI file from a DAW or a notation program is more than its notes: the sustain
pedal, expression and volume curves, pitch bend, aftertouch, markers and lyrics.
A composer who opens such a file and saves it expects all of it back, so each
track keeps these events at ``Fraction`` beat times, next to its notes.

Two kinds cover every MIDI event that is not a note:

- ``ChannelEvent``: a channel message with a number and a value (control change,
  pitch bend, channel and polyphonic pressure, program change). These are what
  the controller lane draws and playback sends.
- ``RawEvent``: sysex and meta events (text, markers, lyrics, copyright, cue
  points, key signatures inside the piece, sequencer-specific, anything unknown),
  kept byte-exact so they are written back as they were read.

Events of one track keep the order they were read in at equal times: an RPN
sequence (CC101, CC100, CC6 at one tick) means something only in that order, so
``sorted_events`` sorts by time alone and is stable.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Literal

from .errors import ScoreError

ChannelKind = Literal["control_change", "pitchwheel", "aftertouch", "polytouch", "program_change"]
CHANNEL_KINDS: tuple[ChannelKind, ...] = ("control_change", "pitchwheel", "aftertouch", "polytouch", "program_change")

SUSTAIN_PEDAL = 64
MODULATION = 1
VOLUME = 7
PAN = 10
EXPRESSION = 11
PITCH_BEND_CENTRE = 0
PITCH_BEND_MIN, PITCH_BEND_MAX = -8192, 8191


@dataclass(frozen=True)
class ChannelEvent:
    """A channel message other than a note, at a beat time.

    ``number`` is the controller number (control_change), the note
    (polytouch) or the program (program_change), and 0 for pitchwheel and
    aftertouch. ``value`` is 0..127, or -8192..8191 for pitchwheel (0 = centre),
    and 0 for program_change.
    """

    time: Fraction
    kind: ChannelKind
    channel: int
    number: int = 0
    value: int = 0

    def __post_init__(self) -> None:
        if type(self.time) is not Fraction:
            object.__setattr__(self, "time", Fraction(self.time))
        if self.time < 0:
            raise ScoreError("An event cannot come before the beginning of the piece.")
        if self.kind not in CHANNEL_KINDS:
            raise ScoreError(f"Unknown channel event kind {self.kind!r}.")
        if not 0 <= self.channel <= 15:
            raise ScoreError(f"Channel {self.channel + 1} is outside 1..16.")
        if not 0 <= self.number <= 127:
            raise ScoreError(f"Event number {self.number} is outside 0..127.")
        low, high = (PITCH_BEND_MIN, PITCH_BEND_MAX) if self.kind == "pitchwheel" else (0, 127)
        if not low <= self.value <= high:
            raise ScoreError(f"A {self.kind} value of {self.value} is outside {low}..{high}.")

    @classmethod
    def unchecked(cls, time: Fraction, kind: ChannelKind, channel: int, number: int, value: int) -> ChannelEvent:
        """An event whose fields a file reader has already checked (as ``Note.unchecked``): a file with
        10,000 aftertouch messages otherwise spends most of its reading time in ``__post_init__``."""
        event = object.__new__(cls)
        fields = event.__dict__
        fields["time"] = time
        fields["kind"] = kind
        fields["channel"] = channel
        fields["number"] = number
        fields["value"] = value
        return event

    def moved(self, delta: Fraction) -> ChannelEvent:
        return replace(self, time=self.time + delta)


@dataclass(frozen=True)
class RawEvent:
    """A sysex or meta event kept byte-exact.

    ``meta_type`` is the meta event's type byte (0x01 text, 0x05 lyric, 0x06
    marker, 0x59 key signature, 0x7F sequencer-specific, ...) or -1 for sysex;
    ``data`` is the event's payload as it was in the file (for sysex, without
    the leading F0 and trailing F7).
    """

    time: Fraction
    meta_type: int
    data: bytes = b""

    def __post_init__(self) -> None:
        if type(self.time) is not Fraction:
            object.__setattr__(self, "time", Fraction(self.time))
        if self.time < 0:
            raise ScoreError("An event cannot come before the beginning of the piece.")
        if not -1 <= self.meta_type <= 0x7F:
            raise ScoreError(f"Meta event type {self.meta_type} is outside 0..127.")

    @property
    def is_sysex(self) -> bool:
        return self.meta_type == -1

    def moved(self, delta: Fraction) -> RawEvent:
        return replace(self, time=self.time + delta)


Event = ChannelEvent | RawEvent


def sorted_events(events: Iterable[Event]) -> tuple[Event, ...]:
    """Events by time; equal times keep their given order (stable), as MIDI meaning needs."""
    return tuple(sorted(events, key=lambda event: event.time))


def events_between(events: Iterable[Event], start: Fraction, end: Fraction) -> tuple[Event, ...]:
    """The events with ``start <= time < end``, in their order."""
    return tuple(event for event in events if start <= event.time < end)


def instrument_event_index(events: tuple[Event, ...], first_note: Fraction | None) -> int | None:
    """Index of the program change that sets a track's instrument: the last one at or before its first
    note (``first_note``; None for a track without notes), else its first one; None when it has none.
    This is the one the MIDI reader takes ``Track.program`` from and the one changing the instrument edits."""
    changes = [i for i, e in enumerate(events) if isinstance(e, ChannelEvent) and e.kind == "program_change"]
    if not changes:
        return None
    before = [i for i in changes if first_note is None or events[i].time <= first_note]
    return before[-1] if before else changes[0]
