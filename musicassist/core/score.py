"""The score model: immutable Notes in Tracks in a Score.

Everything is a frozen dataclass so that values can cross threads and sit in
undo stacks without copying. Times are ``Fraction`` beats (quarter = 1); ticks
and seconds exist only at the MIDI edge and in playback.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from fractions import Fraction

from .errors import ScoreError
from .events import Event, sorted_events
from .timemaps import KeyChange, KeySignature, MeterMap, TempoMap, TimeSignature

DRUM_CHANNEL = 9  # MIDI channel 10, counted from 0
# The length of a zero-length note (note-on and note-off on one tick, as drum and notation exports
# write them). A Note keeps a positive length so that everything downstream (painting, playback's
# note-off after its note-on, the codec) works unchanged, but one so short that it rounds to no
# tick at any MIDI resolution (at most 32,767 ticks per beat): the MIDI writer writes such a note
# back as a note-on and a note-off on the same tick.
ZERO_LENGTH = Fraction(1, 2**32)


def _as_fraction(value: Fraction | int | str) -> Fraction:
    return value if isinstance(value, Fraction) else Fraction(value)


@dataclass(frozen=True, order=True)
class Note:
    """One note. Ordered by (start, pitch, ...) so sorted() gives reading order."""

    start: Fraction
    pitch: int
    duration: Fraction
    velocity: int = 80
    channel: int = 0

    def __post_init__(self) -> None:
        # Runs once per note of every file read (125,000 for a large MIDI file): Fractions are
        # checked by type and sign of the numerator, which is many times cheaper than comparing.
        start, duration = self.start, self.duration
        if type(start) is not Fraction:
            start = Fraction(start)
            object.__setattr__(self, "start", start)
        if type(duration) is not Fraction:
            duration = Fraction(duration)
            object.__setattr__(self, "duration", duration)
        if not 0 <= self.pitch <= 127:
            raise ScoreError(f"Pitch {self.pitch} is outside the MIDI range 0..127.")
        if not 1 <= self.velocity <= 127:
            raise ScoreError(f"Velocity {self.velocity} is outside 1..127.")
        if not 0 <= self.channel <= 15:
            raise ScoreError(f"Channel {self.channel + 1} is outside 1..16.")
        if start.numerator < 0:
            raise ScoreError("A note cannot start before the beginning of the piece.")
        if duration.numerator <= 0:
            raise ScoreError("A note must have a positive length.")

    @classmethod
    def unchecked(cls, start: Fraction, pitch: int, duration: Fraction, velocity: int, channel: int) -> Note:
        """A note whose fields a file reader has already checked (Fractions, ranges, positive length).

        Skips ``__post_init__``: reading a 125,000-note file otherwise spends a
        third of its time re-checking what the reader's own bounds guarantee.
        """
        note = object.__new__(cls)
        fields = note.__dict__  # item by item: twice as fast as update(**keywords) here
        fields["start"] = start
        fields["pitch"] = pitch
        fields["duration"] = duration
        fields["velocity"] = velocity
        fields["channel"] = channel
        return note

    @property
    def end(self) -> Fraction:
        return self.start + self.duration

    def moved(self, delta: Fraction) -> Note:
        return replace(self, start=self.start + delta)


@dataclass(frozen=True)
class Track:
    """A named part on one MIDI channel with one instrument (General MIDI program).

    The mixer fields are optional: ``volume`` and ``pan`` (0..127, None = the
    synth's default) are sent as CC7/CC10 when a pass starts; ``mute`` and
    ``solo`` say which tracks playback sounds. ``events`` are everything else the
    track's MIDI carries (controllers, pitch bend, pressure, sysex, meta; see
    ``core.events``), by time, equal times in the order they were read.
    """

    name: str = ""
    notes: tuple[Note, ...] = ()
    program: int = 0
    channel: int = 0
    volume: int | None = None
    pan: int | None = None
    mute: bool = False
    solo: bool = False
    events: tuple[Event, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "notes", tuple(sorted(self.notes)))
        object.__setattr__(self, "events", sorted_events(self.events))
        if not 0 <= self.program <= 127:
            raise ScoreError(f"Instrument program {self.program} is outside 0..127.")
        if not 0 <= self.channel <= 15:
            raise ScoreError(f"Channel {self.channel + 1} is outside 1..16.")
        for label, value in (("Volume", self.volume), ("Pan", self.pan)):
            if value is not None and not 0 <= value <= 127:
                raise ScoreError(f"{label} {value} is outside 0..127.")

    @classmethod
    def presorted(cls, name: str, notes: tuple[Note, ...], program: int, channel: int,
                  events: tuple[Event, ...] = ()) -> Track:
        """A track whose ``notes`` a file reader already put in reading order (``sorted`` order).

        Skips the sort: even on sorted input it costs one Python-level comparison of Fractions per
        note, about a third of reading a 125,000-note MIDI file. Everything else is checked as usual.
        """
        track = cls(name=name, notes=(), program=program, channel=channel)
        object.__setattr__(track, "notes", notes)
        object.__setattr__(track, "events", events)  # the reader's events are in file order, by time
        return track

    @property
    def is_drums(self) -> bool:
        return self.channel == DRUM_CHANNEL

    @property
    def end(self) -> Fraction:
        return max((n.end for n in self.notes), default=Fraction(0))

    def with_sorted(self, notes: tuple[Note, ...], events: tuple[Event, ...]) -> Track:
        """This track with ``notes`` and ``events`` that are already in order (a splice of sorted parts).

        Skips the sort as ``presorted`` does: re-sorting 125,000 notes after every splice (each
        Accept, each merged candidate) costs a tenth of a second for nothing."""
        track = replace(self, notes=(), events=())
        object.__setattr__(track, "notes", notes)
        object.__setattr__(track, "events", events)
        return track

    def with_notes(self, notes: Iterable[Note]) -> Track:
        return replace(self, notes=tuple(notes))

    def with_events(self, events: Iterable[Event]) -> Track:
        return replace(self, events=tuple(events))


@dataclass(frozen=True)
class Score:
    """Tracks plus the maps that give beats their bars and seconds.

    ``length_bars`` is at least what the note starts and event times need: a slice of
    four bars stays four bars long even when its last bar is empty, and deleting the
    last note does not shorten the piece. An event counts like a note start, so a
    sustain pedal released on the closing barline adds a bar: bars are half-open,
    and only so do slicing and inserting bars give back every event.

    ``events`` are the piece's own meta and sysex events (a format 1 file's
    conductor track: markers, copyright, cue points, a GM reset), by time.
    ``ticks_per_beat`` is the resolution of the MIDI file the score was read
    from (None otherwise): saving as MIDI keeps it where nothing needs a finer grid.
    """

    tracks: tuple[Track, ...] = ()
    meter_map: MeterMap = field(default_factory=MeterMap)
    tempo_map: TempoMap = field(default_factory=TempoMap)
    key: KeySignature | None = None
    title: str = ""
    length_bars: int = 0
    # Key signatures that change inside the piece, by beat (the opening key is ``key``).
    key_changes: tuple[KeyChange, ...] = ()
    events: tuple[Event, ...] = ()
    ticks_per_beat: int | None = None
    # Who wrote the piece and its copyright line, as a notation file states them ("" when it does not).
    composer: str = ""
    copyright: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "tracks", tuple(self.tracks))
        object.__setattr__(self, "events", sorted_events(self.events))
        changes = tuple(sorted(self.key_changes, key=lambda change: change.beat))
        if len({change.beat for change in changes}) != len(changes):
            raise ScoreError("Two key changes cannot share a beat.")
        object.__setattr__(self, "key_changes", changes)
        if self.length_bars < 0:
            raise ScoreError("A score cannot have a negative length.")
        if self.ticks_per_beat is not None and not 1 <= self.ticks_per_beat <= 0x7FFF:
            raise ScoreError(f"A MIDI resolution of {self.ticks_per_beat} ticks per beat is outside 1..32767.")
        # Normalised so that equal music compares equal whatever length was asked.
        # Bars are counted up to the last note *start*: a tail ringing past the
        # last barline does not add a bar, so slices keep the length asked for.
        last_start = max((t.notes[-1].start for t in self.tracks if t.notes), default=None)
        last_event = max((events[-1].time for events in (*(t.events for t in self.tracks), self.events) if events),
                         default=None)
        if last_event is not None and (last_start is None or last_event > last_start):
            last_start = last_event
        covered = 0 if last_start is None else self.meter_map.bar_at(last_start) + 1
        object.__setattr__(self, "length_bars", max(self.length_bars, covered))

    @property
    def notes(self) -> tuple[Note, ...]:
        """All notes of all tracks in reading order."""
        return tuple(sorted(n for t in self.tracks for n in t.notes))

    @property
    def note_count(self) -> int:
        return sum(len(t.notes) for t in self.tracks)

    @property
    def end(self) -> Fraction:
        """Beat at which the last bar ends."""
        return self.meter_map.bar_start(self.bar_count)

    @property
    def notes_end(self) -> Fraction:
        return max((t.end for t in self.tracks), default=Fraction(0))

    @property
    def bar_count(self) -> int:
        return self.length_bars

    @property
    def duration_seconds(self) -> float:
        """Seconds to the last barline or the last note-off, whichever is later."""
        return self.tempo_map.seconds_at(max(self.end, self.notes_end))

    @property
    def time_signature(self) -> TimeSignature:
        """The opening time signature."""
        return self.meter_map.changes[0].time_signature

    def bar_start(self, bar: int) -> Fraction:
        return self.meter_map.bar_start(bar)

    def key_at(self, beat: Fraction) -> KeySignature | None:
        """The key signature in force at ``beat``: the last change at or before it, else the opening key."""
        current = self.key
        for change in self.key_changes:
            if change.beat > beat:
                break
            current = change.key
        return current

    def bar_at(self, beat: Fraction) -> int:
        return self.meter_map.bar_at(beat)

    def with_tracks(self, tracks: Iterable[Track]) -> Score:
        return replace(self, tracks=tuple(tracks))

    def with_track(self, index: int, track: Track) -> Score:
        if not 0 <= index < len(self.tracks):
            raise ScoreError(f"There is no track {index + 1}.")
        tracks = list(self.tracks)
        tracks[index] = track
        return replace(self, tracks=tuple(tracks))

    def track(self, index: int) -> Track:
        if not 0 <= index < len(self.tracks):
            raise ScoreError(f"There is no track {index + 1}; this score has {len(self.tracks)}.")
        return self.tracks[index]


@dataclass(frozen=True)
class BarRange:
    """A half-open range of 0-based bars ``start..end-1``: what a selection continues."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.start < 0 or self.end <= self.start:
            raise ScoreError("A bar range needs at least one bar, starting at bar 1 or later.")

    @property
    def count(self) -> int:
        return self.end - self.start

    @classmethod
    def parse(cls, text: str) -> BarRange:
        """Parse the composer's 1-based inclusive 'A-B' (or 'A') into a 0-based range."""
        try:
            first, _, last = text.strip().partition("-")
            a = int(first)
            b = int(last) if last else a
        except ValueError as exc:
            raise ScoreError(f"'{text}' is not a bar range like 1-4.") from exc
        if a < 1 or b < a:
            raise ScoreError(f"'{text}' is not a bar range like 1-4: bars count from 1 and A <= B.")
        return cls(a - 1, b)

    def __str__(self) -> str:
        return f"{self.start + 1}-{self.end}"
