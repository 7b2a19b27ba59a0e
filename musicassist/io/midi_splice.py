"""MIDI bytes of many scores that differ from one base score only inside a few bars, fast.

``generate --merge`` writes the whole piece once per candidate, and the
candidates differ from the input only in the bars the continuation
replaced. Serializing a 125,000-note piece takes about 0.4 s of CPU, so
writing 4 or 8 candidates took longer than converting the piece and
generating together. ``MidiSplicer`` serializes the base score's tracks
once, outside the window of bars; each candidate then serializes only what
lies inside the window, merges it with the base's events around it, and
copies the encoded bytes before and after. The result is byte for byte what
``score_to_midi_bytes`` writes for the candidate (a test holds this).

A candidate is spliced only when it provably differs from the base inside
the window alone: the same tracks and settings, the same maps and piece
events, and outside the window the very same Note and event objects (a
splice keeps them: ``core.edits``), at a resolution that holds the
window's times exactly. Anything else (a continuation in another meter,
which moves the later bars) is written in full by ``score_to_midi_bytes``.
"""

from __future__ import annotations

import bisect
import operator
import struct
from dataclasses import dataclass
from fractions import Fraction
from itertools import accumulate
from operator import itemgetter

from musicassist.core.events import Event
from musicassist.core.limits import beats_problem, size_problem
from musicassist.core.score import Note, Score, Track

from .midi_guard import MAX_EVENTS
from .midi_writer import (
    _END_OF_TRACK,
    _ONE_BYTE,
    DEFAULT_TICKS_PER_BEAT,
    MAX_DELTA,
    _chunk,
    _conductor,
    _instrument_event,
    _is_zero_length,
    _tick,
    _track_events,
    _variable_int,
    channels_needing_programs,
    midi_resolution,
    score_to_midi_bytes,
)

_Item = tuple[int, int, int, bytes]  # tick, priority, side (0 before the window, 1 inside, 2 after), bytes


@dataclass(frozen=True)
class _Outside:
    """A base track's events outside the window, sorted and encoded once."""

    notes_before: int  # notes starting before the window (index of the first one inside)
    notes_after: int  # index of the first note starting after the window
    events_before: int
    events_after: int
    items: list[_Item]
    ticks: list[int]
    data: bytes  # every item as its delta time and bytes, from tick 0
    delta_at: list[int]  # where each item's delta time starts in ``data``
    bytes_at: list[int]  # where each item's bytes start in ``data``


def _start(note: Note) -> Fraction:
    return note.start


def _split(track: Track, begin: Fraction, stop: Fraction) -> tuple[int, int, int, int]:
    notes, events = track.notes, track.events
    return (bisect.bisect_left(notes, begin, key=_start), bisect.bisect_left(notes, stop, key=_start),
            bisect.bisect_left(events, begin, key=_time), bisect.bisect_left(events, stop, key=_time))


def _time(event: Event) -> Fraction:
    return event.time


def _encode(items: list[_Item], previous: int) -> tuple[bytes, list[int], list[int]]:
    """The items as delta times and bytes, and where each item's delta and bytes start."""
    parts: list[bytes] = []
    small = _ONE_BYTE
    for tick, _, _, payload in items:
        delta = tick - previous
        parts += (small[delta] if delta < 0x80 else _variable_int(delta), payload)
        previous = tick
    offsets = list(accumulate(map(len, parts), initial=0))  # in C: a Python loop here doubled the setup
    return b"".join(parts), offsets[0:-1:2], offsets[1::2]


_key = itemgetter(0, 1, 2)  # tick, priority, side


class MidiSplicer:
    """Writes scores that replace bars ``begin..stop`` (beats) of ``base``, reusing the base's bytes."""

    def __init__(self, base: Score, begin: Fraction, stop: Fraction) -> None:
        self.base, self.begin, self.stop = base, begin, stop
        self.ticks_per_beat = midi_resolution(base)
        # Only a base at its plain resolution: a finer one forced by the base's own times could be
        # coarser for a candidate, and the candidate would then not be the bytes the writer gives.
        self.usable = self.ticks_per_beat == (base.ticks_per_beat or DEFAULT_TICKS_PER_BEAT)
        self.needing = channels_needing_programs(base)
        self.outside = [self._outside(track) for track in base.tracks] if self.usable else []

    def _outside(self, track: Track) -> _Outside:
        notes_before, notes_after, events_before, events_after = _split(track, self.begin, self.stop)
        tpb, base = self.ticks_per_beat, self.base
        items = [(tick, priority, 0, payload) for tick, priority, payload in _track_events(
            base, track, tpb, self.needing, slice(0, notes_before), slice(0, events_before))]
        items += [(tick, priority, 2, payload) for tick, priority, payload in _track_events(
            base, track, tpb, self.needing, slice(notes_after, None), slice(events_after, None), header=False)]
        items.sort(key=_key)
        data, delta_at, bytes_at = _encode(items, 0)
        return _Outside(notes_before, notes_after, events_before, events_after, items,
                        [item[0] for item in items], data, delta_at, bytes_at)

    def midi_bytes(self, score: Score) -> bytes:
        """``score_to_midi_bytes(score)``, spliced from the base's bytes when ``score`` allows it."""
        windows = self._windows(score)
        if windows is None:
            return score_to_midi_bytes(score)
        tpb = self.ticks_per_beat
        chunks, count, last_tick = [], 0, _tick(score.end, tpb)
        for track, outside, (notes, events) in zip(score.tracks, self.outside, windows, strict=True):
            window = sorted(((tick, priority, 1, payload) for tick, priority, payload in _track_events(
                score, track, tpb, self.needing, notes, events, header=False)), key=_key)
            chunks.append(_spliced_chunk(outside, window))
            count += len(outside.items) + len(window) + 1
            last_tick = max(last_tick, outside.ticks[-1] if outside.ticks else 0, window[-1][0] if window else 0)
        conductor = _conductor(score, tpb)
        count += len(conductor) + 1
        if count > MAX_EVENTS or last_tick > MAX_DELTA or beats_problem(Fraction(last_tick, tpb)) is not None:
            return score_to_midi_bytes(score)  # which refuses it with the sentence
        header = b"MThd" + struct.pack(">LHHH", 6, 1, len(chunks) + 1, tpb)
        return header + _chunk(conductor, _tick(score.end, tpb)) + b"".join(chunks)

    def _windows(self, score: Score) -> list[tuple[slice, slice]] | None:
        """Per track, the slices of its notes and events inside the window; None when ``score`` differs
        from the base anywhere else (or needs another resolution there)."""
        base = self.base
        if not self.usable or size_problem(score) is not None or len(score.tracks) != len(base.tracks):
            return None
        if (score.meter_map, score.tempo_map, score.key, score.key_changes, score.events, score.title, score.end,
                score.ticks_per_beat) != (base.meter_map, base.tempo_map, base.key, base.key_changes, base.events,
                                          base.title, base.end, base.ticks_per_beat):
            return None
        if channels_needing_programs(score) != self.needing:
            return None
        windows = []
        for track, old, outside in zip(score.tracks, base.tracks, self.outside, strict=True):
            if (track.name, track.program, track.channel) != (old.name, old.program, old.channel):
                return None
            notes = _window(track.notes, old.notes, outside.notes_before, outside.notes_after)
            events = _window(track.events, old.events, outside.events_before, outside.events_after)
            if notes is None or events is None:
                return None
            if not all(self.begin <= n.start < self.stop for n in track.notes[notes]):
                return None
            if not all(self.begin <= e.time < self.stop for e in track.events[events]):
                return None
            instrument, old_instrument = _instrument_event(track), _instrument_event(old)
            if instrument is None or old_instrument is None:
                if instrument is not old_instrument:
                    return None
            elif track.events[instrument] is not old.events[old_instrument] or \
                    self.begin <= track.events[instrument].time < self.stop:
                return None
            tpb = self.ticks_per_beat
            for note in track.notes[notes]:
                if (note.start.numerator * tpb) % note.start.denominator or (
                        not _is_zero_length(note) and (note.duration.numerator * tpb) % note.duration.denominator):
                    return None  # the window needs a finer grid: the writer would choose another resolution
            if any((e.time.numerator * tpb) % e.time.denominator for e in track.events[events]):
                return None
            windows.append((notes, events))
        return windows


def _window(new: tuple[object, ...], old: tuple[object, ...], before: int, after: int) -> slice | None:
    """The slice of ``new`` between the very objects ``old`` has before and after the window, or None."""
    tail = len(old) - after
    if len(new) < before + tail:
        return None
    if not all(map(operator.is_, new[:before], old[:before])):
        return None
    if not all(map(operator.is_, new[len(new) - tail:], old[after:])):
        return None
    return slice(before, len(new) - tail)


def _spliced_chunk(outside: _Outside, window: list[_Item]) -> bytes:
    """The MTrk chunk of the base's items outside the window merged with the window's items."""
    if not window:
        body = outside.data
    else:
        ticks = outside.ticks
        first = bisect.bisect_left(ticks, window[0][0])
        after = bisect.bisect_right(ticks, max(item[0] for item in window))
        merged = sorted([*outside.items[first:after], *window], key=_key)
        encoded, _, _ = _encode(merged, ticks[first - 1] if first else 0)
        head = outside.data[:outside.delta_at[first]] if first < len(ticks) else outside.data
        tail = b""
        if after < len(ticks):
            tail = _variable_int(ticks[after] - merged[-1][0]) + outside.data[outside.bytes_at[after]:]
        body = head + encoded + tail
    body += b"\x00" + _END_OF_TRACK
    return b"MTrk" + struct.pack(">L", len(body)) + body
