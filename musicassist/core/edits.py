"""Pure edits on scores: each takes values and returns a new value.

Bar arguments are 0-based and ranges are half-open (``start..end-1``), like
Python slices; only the CLI and the GUI speak the composer's 1-based bars.
A slice keeps the notes that *start* in its bars with their full lengths, so
``replace_bars(s, a, slice_bars(s, a, b)) == s`` holds exactly.

Events (controllers, pitch bend, pressure, sysex, meta; ``core.events``) go
with their bars exactly as note starts do, the track's and the piece's own
alike, and so do key changes: a slice opens in the key in force at its first
beat. Quantize touches notes only; transposition moves polyphonic pressure
with its note and the key signatures with the music.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from fractions import Fraction

from .errors import ScoreError
from .events import ChannelEvent, Event
from .score import DRUM_CHANNEL, Note, Score, Track
from .timemaps import KeyChange, KeySignature


def _check_range(score: Score, start_bar: int, end_bar: int) -> None:
    if start_bar < 0 or end_bar <= start_bar:
        raise ScoreError("Choose at least one bar, starting at bar 1 or later.")


def slice_bars(score: Score, start_bar: int, end_bar: int) -> Score:
    """Bars ``start_bar..end_bar-1`` as a score of their own, starting at beat 0."""
    _check_range(score, start_bar, end_bar)
    begin, stop = score.bar_start(start_bar), score.bar_start(end_bar)
    tracks = [t.with_sorted(_notes_moved(t.notes, begin, stop, -begin), _events_moved(t.events, begin, stop, -begin))
              for t in score.tracks]
    return replace(
        score,
        tracks=tuple(tracks),
        meter_map=score.meter_map.slice(start_bar, end_bar),
        tempo_map=score.tempo_map.slice(begin, stop),
        length_bars=end_bar - start_bar,
        key=score.key_at(begin),
        key_changes=tuple(KeyChange(c.beat - begin, c.key) for c in score.key_changes if begin < c.beat < stop),
        events=_events_moved(score.events, begin, stop, -begin),
    )


def _notes_moved(notes: tuple[Note, ...], begin: Fraction, stop: Fraction, delta: Fraction) -> tuple[Note, ...]:
    """The notes starting in ``begin..stop``, moved by ``delta`` (found by bisection: they are sorted
    by start, and comparing each of 125,000 Fractions made slicing a seed take a second)."""
    low = bisect.bisect_left(notes, begin, key=_start)
    high = bisect.bisect_left(notes, stop, lo=low, key=_start)
    return tuple(n.moved(delta) for n in notes[low:high])


def _event_time(event: Event) -> Fraction:
    return event.time


def _events_moved(events: tuple[Event, ...], begin: Fraction, stop: Fraction, delta: Fraction) -> tuple[Event, ...]:
    """The events with ``begin <= time < stop``, moved by ``delta``, in their order (they are sorted by time)."""
    low = bisect.bisect_left(events, begin, key=_event_time)
    high = bisect.bisect_left(events, stop, lo=low, key=_event_time)
    return tuple(e.moved(delta) for e in events[low:high]) if delta else events[low:high]


def _spliced_events(events: tuple[Event, ...], begin: Fraction, resume: Fraction, shift: Fraction,
                    inserted: tuple[Event, ...]) -> tuple[Event, ...]:
    """Events before ``begin`` as they are, ``inserted`` (already placed) instead of those in
    ``begin..resume``, and those from ``resume`` on moved by ``shift``: still in time order."""
    before = bisect.bisect_left(events, begin, key=_event_time)
    after = bisect.bisect_left(events, resume, lo=before, key=_event_time)
    tail = events[after:] if shift == 0 else tuple(e.moved(shift) for e in events[after:])
    return (*events[:before], *inserted, *tail)


def _spliced_keys(score: Score, begin: Fraction, resume: Fraction, fragment: Score,
                  inserted_length: Fraction) -> tuple[KeySignature | None, tuple[KeyChange, ...]]:
    """The opening key and key changes after a splice, as ``TempoMap.splice`` does for tempi: the
    fragment's keys in its bars, the key in force at ``resume`` again after them. A fragment without a
    key (``key`` None) keeps the key in force; a change equal to the key before it is dropped. A score
    with no written key stays without one (a key cannot change back to "none")."""
    if score.key is None and not score.key_changes:
        return None, ()
    shift = inserted_length - (resume - begin)
    timeline: list[tuple[Fraction, KeySignature | None]] = [(Fraction(0), score.key)]
    timeline += [(c.beat, c.key) for c in score.key_changes if c.beat < begin]
    if fragment.key is not None:
        timeline.append((begin, fragment.key))
    timeline += [(begin + c.beat, c.key) for c in fragment.key_changes if c.beat < inserted_length]
    timeline.append((resume + shift, score.key_at(resume)))
    timeline += [(c.beat + shift, c.key) for c in score.key_changes if c.beat > resume]
    by_beat: dict[Fraction, KeySignature | None] = {}
    for beat, key in timeline:  # in time order: on one beat, the later entry wins
        by_beat[beat] = key
    opening = by_beat.pop(Fraction(0))
    changes, current = [], opening
    for beat, key in by_beat.items():
        if key is not None and key != current:
            changes.append(KeyChange(beat, key))
            current = key
    return opening, tuple(changes)


def _splice(score: Score, at_bar: int, removed_bars: int, fragment: Score) -> Score:
    """Remove ``removed_bars`` bars at ``at_bar`` and put ``fragment``'s bars there.

    Fragment tracks are matched to score tracks by position; extra fragment
    tracks are appended. Bars after the splice keep their meters and tempi.
    """
    if at_bar < 0 or removed_bars < 0:
        raise ScoreError("Bars count from 1.")
    inserted_bars = fragment.bar_count
    begin = score.bar_start(at_bar)
    resume = score.bar_start(at_bar + removed_bars)
    inserted_length = fragment.meter_map.bar_start(inserted_bars)
    shift = inserted_length - (resume - begin)
    tracks: list[Track] = []
    for i in range(max(len(score.tracks), len(fragment.tracks))):
        base = score.tracks[i] if i < len(score.tracks) else replace(fragment.tracks[i], notes=(), events=())
        # Notes are sorted by start: bisecting instead of testing each one, and keeping the notes
        # after the splice as they are when nothing moves, makes a splice in a 125,000-note piece
        # (every Accept, every merged candidate) several times faster.
        notes = base.notes
        before = bisect.bisect_left(notes, begin, key=_start)
        after = bisect.bisect_left(notes, resume, lo=before, key=_start)
        # In order as they are: the notes before, the fragment's (sorted, starting inside its bars: a
        # score's length covers its note starts), then the later ones; so nothing is sorted again.
        kept = list(notes[:before])
        inserted: tuple[Event, ...] = ()
        if i < len(fragment.tracks):
            kept += [n.moved(begin) for n in fragment.tracks[i].notes]
            inserted = tuple(e.moved(begin) for e in fragment.tracks[i].events)
        kept += notes[after:] if shift == 0 else [n.moved(shift) for n in notes[after:]]
        events = _spliced_events(base.events, begin, resume, shift, inserted)
        tracks.append(base.with_sorted(tuple(kept), events))
    key, key_changes = _spliced_keys(score, begin, resume, fragment, inserted_length)
    return replace(
        score,
        tracks=tuple(tracks),
        key=key,
        key_changes=key_changes,
        events=_spliced_events(score.events, begin, resume, shift,
                               tuple(e.moved(begin) for e in fragment.events)),
        meter_map=score.meter_map.splice(at_bar, removed_bars, fragment.meter_map, inserted_bars),
        tempo_map=score.tempo_map.splice(begin, resume - begin, fragment.tempo_map, inserted_length),
        length_bars=max(score.bar_count, at_bar + removed_bars) + inserted_bars - removed_bars,
    )


def _start(note: Note) -> Fraction:
    return note.start


def insert_bars(score: Score, at_bar: int, fragment: Score) -> Score:
    """Insert ``fragment``'s bars before bar ``at_bar``, pushing later bars right."""
    return _splice(score, at_bar, 0, fragment)


def replace_bars(score: Score, at_bar: int, fragment: Score) -> Score:
    """Overwrite as many bars as ``fragment`` has, starting at ``at_bar``."""
    return _splice(score, at_bar, fragment.bar_count, fragment)


def delete_bars(score: Score, start_bar: int, end_bar: int) -> Score:
    """Remove bars ``start_bar..end_bar-1`` and close the gap."""
    _check_range(score, start_bar, end_bar)
    empty = Score(tracks=tuple(replace(t, notes=(), events=()) for t in score.tracks), length_bars=0)
    return _splice(score, start_bar, end_bar - start_bar, empty)


def transpose_notes(notes: Iterable[Note], semitones: int) -> tuple[Note, ...]:
    """Transpose pitched notes; drum notes (channel 10) keep their pitch."""
    out = []
    for n in notes:
        if n.channel == 9:
            out.append(n)
            continue
        pitch = n.pitch + semitones
        if not 0 <= pitch <= 127:
            raise ScoreError(f"Transposing by {semitones} would move a note outside the MIDI range.")
        out.append(replace(n, pitch=pitch))
    return tuple(out)


def transpose_events(events: Iterable[Event], semitones: int) -> tuple[Event, ...]:
    """Polyphonic pressure follows its note; every other event stays as it is (drums keep theirs)."""
    out: list[Event] = []
    for event in events:
        if isinstance(event, ChannelEvent) and event.kind == "polytouch" and event.channel != DRUM_CHANNEL:
            number = event.number + semitones
            if not 0 <= number <= 127:
                raise ScoreError(f"Transposing by {semitones} would move a note outside the MIDI range.")
            event = replace(event, number=number)
        out.append(event)
    return tuple(out)


def transpose(score: Score, semitones: int) -> Score:
    """Transpose every pitched track; the key signatures move with it."""
    tracks = [t if t.is_drums else replace(t, notes=transpose_notes(t.notes, semitones),
                                           events=transpose_events(t.events, semitones))
              for t in score.tracks]

    def moved(key: KeySignature) -> KeySignature:
        return replace(key, tonic=(key.tonic + semitones) % 12)

    key = moved(score.key) if score.key else None
    key_changes = tuple(KeyChange(c.beat, moved(c.key)) for c in score.key_changes)
    return replace(score, tracks=tuple(tracks), key=key, key_changes=key_changes)


def snap(value: Fraction, grid: Fraction) -> Fraction:
    """Nearest multiple of ``grid`` (ties round up, so a swung 8th goes late)."""
    if grid <= 0:
        raise ScoreError("The quantize grid must be a positive note length.")
    return math.floor(value / grid + Fraction(1, 2)) * grid


def quantize_notes(notes: Iterable[Note], grid: Fraction, durations: bool = True) -> tuple[Note, ...]:
    """Snap starts (and durations) to ``grid``: 1/4 is a 16th, 1/3 an 8th triplet."""
    out = []
    for n in notes:
        start = snap(n.start, grid)
        duration = max(grid, snap(n.duration, grid)) if durations else n.duration
        out.append(replace(n, start=start, duration=duration))
    return tuple(out)


def quantize(score: Score, grid: Fraction, durations: bool = True) -> Score:
    return score.with_tracks(t.with_notes(quantize_notes(t.notes, grid, durations)) for t in score.tracks)


def resolve_overlaps(notes: Iterable[Note]) -> tuple[Note, ...]:
    """Make same-pitch notes on one channel never overlap.

    A note cut by a later one of the same pitch ends where that one starts
    (as a synth would hear it: the second note-on retriggers). Exact
    duplicates collapse into one, keeping the longer.
    """
    groups: dict[tuple[int, int], dict[Fraction, Note]] = defaultdict(dict)
    for n in notes:
        by_start = groups[(n.channel, n.pitch)]
        if n.start not in by_start or n.duration > by_start[n.start].duration:
            by_start[n.start] = n
    out: list[Note] = []
    for by_start in groups.values():
        ordered = sorted(by_start.values())
        for n, following in zip(ordered, [*ordered[1:], None], strict=True):
            end = n.end if following is None else min(n.end, following.start)
            out.append(replace(n, duration=end - n.start))
    return tuple(sorted(out))


def merge_tracks(tracks: Iterable[Track], name: str = "") -> Track:
    """One track holding all notes of ``tracks``, overlaps resolved.

    Program and channel come from the first track.
    """
    tracks = list(tracks)
    if not tracks:
        return Track(name=name)
    channel = tracks[0].channel
    notes = [replace(n, channel=channel) for t in tracks for n in t.notes]
    events = [replace(e, channel=channel) if isinstance(e, ChannelEvent) else e for t in tracks for e in t.events]
    return replace(tracks[0], name=name or tracks[0].name, notes=resolve_overlaps(notes), events=tuple(events))


def merge_scores(base: Score, other: Score) -> Score:
    """Lay ``other``'s tracks over ``base`` from beat 0; ``base`` keeps its maps.

    Tracks with the same name and channel merge; the rest are added.
    """
    tracks = list(base.tracks)
    for extra in other.tracks:
        for i, t in enumerate(tracks):
            if (t.name, t.channel) == (extra.name, extra.channel):
                tracks[i] = replace(t, notes=resolve_overlaps((*t.notes, *extra.notes)),
                                    events=(*t.events, *extra.events))
                break
        else:
            tracks.append(extra)
    return replace(base, tracks=tuple(tracks), length_bars=max(base.bar_count, other.bar_count))
