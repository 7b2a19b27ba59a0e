"""Turn a Score into a time-ordered list of MIDI messages.

This is the one place where beats become seconds for playback: every message
carries both its beat (exact ``Fraction``) and its time in seconds from the
beginning of the piece through the score's tempo map, so tempo changes are
followed exactly and the player never accumulates rounding drift.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from fractions import Fraction

import mido

from musicassist.core.edits import resolve_overlaps
from musicassist.core.errors import OptionError
from musicassist.core.score import Note, Score, Track

# At one beat, note-offs go first (a repeated note must be released before it is
# struck again), then program/controller changes, then note-ons.
_ORDER_NOTE_OFF = 0
_ORDER_SETUP = 1
_ORDER_NOTE_ON = 2


@dataclass(frozen=True)
class TimedMessage:
    """A MIDI message due at ``beat``, which is ``seconds`` after the start of the piece."""

    beat: Fraction
    seconds: float
    message: mido.Message

    @property
    def order(self) -> int:
        """Rank among messages on the same beat (note-offs, setup, note-ons)."""
        kind = self.message.type
        if kind == "note_off" or (kind == "note_on" and self.message.velocity == 0):
            return _ORDER_NOTE_OFF
        return _ORDER_NOTE_ON if kind == "note_on" else _ORDER_SETUP


def sort_messages(messages: Iterable[TimedMessage]) -> list[TimedMessage]:
    """Stable time order with note-offs before setup before note-ons on a shared beat."""
    return sorted(messages, key=lambda m: (m.beat, m.order))


def track_channel_programs(score: Score) -> dict[int, int]:
    """Program per melodic channel, the first track on a channel deciding (drums get none)."""
    programs: dict[int, int] = {}
    for track in score.tracks:
        if not track.is_drums and track.channel not in programs:
            programs[track.channel] = track.program
    return programs


def audible_tracks(score: Score) -> list[Track]:
    """The tracks playback sounds: all of them, minus muted ones; with any track soloed, only soloed ones."""
    tracks = [t for t in score.tracks if not getattr(t, "mute", False)]
    soloed = [t for t in tracks if getattr(t, "solo", False)]
    return soloed or tracks


VOLUME_CC = 7
PAN_CC = 10


def setup_messages(score: Score) -> list[mido.Message]:
    """What a pass sends before its first note: each melodic channel's program (first track on it
    decides), then the volume (CC7) and pan (CC10) of tracks that set them (first track decides)."""
    out = [mido.Message("program_change", channel=channel, program=program)
           for channel, program in sorted(track_channel_programs(score).items())]
    for control, attribute in ((VOLUME_CC, "volume"), (PAN_CC, "pan")):
        done: set[int] = set()
        for track in score.tracks:
            value = getattr(track, attribute, None)
            if value is not None and track.channel not in done:
                done.add(track.channel)
                out.append(mido.Message("control_change", channel=track.channel, control=control, value=value))
    return out


def used_channels(score: Score) -> set[int]:
    """Channels of the tracks that hold notes."""
    return {t.channel for t in score.tracks if t.notes}


def schedule_messages(
    score: Score, start_beat: Fraction | int = 0, end_beat: Fraction | int | None = None
) -> list[TimedMessage]:
    """Messages for the notes starting in ``start_beat..end_beat`` (half-open), in play order.

    Each track's program is set on its channel at ``start_beat`` (a player may
    start anywhere). A track plays on the track's channel, which is what a
    ``Track`` means ("one MIDI channel with one instrument"); channel 10 is GM
    drums and gets no program change. Notes that would ring past ``end_beat``
    are released there, so a loop or a selection never leaves a note hanging.
    Same-pitch notes that overlap on a channel are shortened first, since a
    synth cannot hold two of them and the first note-off would cut the second.
    ``end_beat`` defaults to the end of the score's last bar.
    """
    start = Fraction(start_beat)
    end = score.end if end_beat is None else Fraction(end_beat)
    if start < 0:
        raise OptionError("Playback cannot start before the beginning of the piece.")
    tempo = score.tempo_map
    out: list[TimedMessage] = []
    start_seconds = tempo.seconds_at(start)
    for message in setup_messages(score):
        out.append(TimedMessage(start, start_seconds, message))
    for note in _notes_on_track_channels(score):
        if not start <= note.start < end:
            continue
        release = min(note.end, end)
        on = mido.Message("note_on", channel=note.channel, note=note.pitch, velocity=note.velocity)
        off = mido.Message("note_off", channel=note.channel, note=note.pitch, velocity=0)
        out.append(TimedMessage(note.start, tempo.seconds_at(note.start), on))
        out.append(TimedMessage(release, tempo.seconds_at(release), off))
    return sort_messages(out)


def _notes_on_track_channels(score: Score) -> tuple[Note, ...]:
    notes: list[Note] = []
    for track in audible_tracks(score):
        notes.extend(n if n.channel == track.channel else replace(n, channel=track.channel) for n in track.notes)
    return resolve_overlaps(notes)
