"""Pure edits of a score's track list: add, remove, duplicate, move, and change a track's settings.

Each returns a new Score (the window pushes it as one undo step). A track's
notes always sound on the track's channel, so changing the channel moves
the notes (and the controllers, bend and pressure) with it. New and duplicated tracks get the lowest channel no
other track uses (never channel 10, the General MIDI drum kit, unless asked).
"""

from __future__ import annotations

from dataclasses import replace

from .errors import ScoreError
from .events import ChannelEvent, Event, instrument_event_index
from .score import DRUM_CHANNEL, Score, Track

GM_FAMILIES: tuple[str, ...] = (
    "Piano", "Chromatic Percussion", "Organ", "Guitar", "Bass", "Strings", "Ensemble", "Brass",
    "Reed", "Pipe", "Synth Lead", "Synth Pad", "Synth Effects", "Ethnic", "Percussive", "Sound Effects",
)
_EDITABLE = frozenset(("name", "program", "channel", "volume", "pan", "mute", "solo"))


def family_of(program: int) -> str:
    """The General MIDI family of ``program`` (eight programs each)."""
    if not 0 <= program <= 127:
        raise ScoreError(f"Instrument program {program} is outside 0..127.")
    return GM_FAMILIES[program // 8]


def free_channel(score: Score) -> int:
    """The lowest channel no track uses, skipping the drum channel; the last melodic one when all are taken."""
    used = {t.channel for t in score.tracks}
    for channel in range(16):
        if channel != DRUM_CHANNEL and channel not in used:
            return channel
    return 15


def _on_channel(track: Track, channel: int) -> Track:
    """The track's notes and channel events (controllers, bend, pressure) on ``channel``."""
    events: list[Event] = [replace(e, channel=channel) if isinstance(e, ChannelEvent) else e for e in track.events]
    return replace(track, channel=channel, notes=tuple(replace(n, channel=channel) for n in track.notes),
                   events=tuple(events))


def _check_index(score: Score, index: int) -> None:
    if not 0 <= index < len(score.tracks):
        raise ScoreError(f"There is no track {index + 1}; this score has {len(score.tracks)}.")


def add_track(score: Score, name: str = "", program: int = 0, at: int | None = None) -> Score:
    """A new empty track (after the others, or at position ``at``) on a free channel."""
    tracks = list(score.tracks)
    position = len(tracks) if at is None else max(0, min(at, len(tracks)))
    channel = free_channel(score)
    tracks.insert(position, Track(name or f"Track {len(tracks) + 1}", (), program, channel))
    return replace(score, tracks=tuple(tracks))


def remove_track(score: Score, index: int) -> Score:
    """The score without track ``index``; the last track cannot go (a piece keeps one to draw in)."""
    _check_index(score, index)
    if len(score.tracks) == 1:
        raise ScoreError("A piece keeps at least one track: clear its notes instead.")
    tracks = list(score.tracks)
    del tracks[index]
    # length_bars stays: removing a track does not shorten the piece.
    return replace(score, tracks=tuple(tracks))


def duplicate_track(score: Score, index: int) -> Score:
    """A copy of track ``index`` right after it, on a free channel (so it can take another instrument)."""
    _check_index(score, index)
    original = score.tracks[index]
    channel = free_channel(score)
    copy = replace(_on_channel(original, channel), name=f"{original.name or 'Track'} copy", solo=False)
    tracks = list(score.tracks)
    tracks.insert(index + 1, copy)
    return replace(score, tracks=tuple(tracks))


def move_track(score: Score, index: int, to: int) -> Score:
    """Track ``index`` moved to position ``to`` (the others keep their order)."""
    _check_index(score, index)
    tracks = list(score.tracks)
    track = tracks.pop(index)
    tracks.insert(max(0, min(to, len(tracks))), track)
    return replace(score, tracks=tuple(tracks))


def update_track(score: Score, index: int, **changes: object) -> Score:
    """Track ``index`` with new settings: name, program, channel (its notes follow), volume, pan, mute, solo."""
    _check_index(score, index)
    unknown = set(changes) - _EDITABLE
    if unknown:
        raise ScoreError(f"A track has no setting {', '.join(sorted(unknown))}.")
    track = score.tracks[index]
    updated = replace(track, **changes)  # type: ignore[arg-type]
    if updated.channel != track.channel:
        updated = _on_channel(updated, updated.channel)
    if updated.program != track.program:
        # The program change event a MIDI file gave the track (kept as an event) says the new instrument too.
        found = instrument_event_index(updated.events, updated.notes[0].start if updated.notes else None)
        if found is not None:
            events = list(updated.events)
            change = events[found]
            if isinstance(change, ChannelEvent):
                events[found] = replace(change, number=updated.program)
            updated = replace(updated, events=tuple(events))
    return score.with_track(index, updated)
