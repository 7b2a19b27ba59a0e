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
from musicassist.core.events import EXPRESSION, MODULATION, SUSTAIN_PEDAL, ChannelEvent
from musicassist.core.score import Note, Score, Track

from .event_index import index_for

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


# What General MIDI's "Reset All Controllers" (RP-015) restores: a pass that starts where one of
# these has no value yet sends it, so a pedal held by an earlier pass or a seek cannot linger.
# Pitch bend and channel pressure reset to 0 (centre, none).
_RESET_CC = {MODULATION: 0, EXPRESSION: 127, SUSTAIN_PEDAL: 0, 65: 0, 66: 0, 67: 0}


def channel_events(track: Track) -> list[ChannelEvent]:
    """The channel events playback sends for ``track`` (sysex and meta are not played)."""
    return index_for(track.events).events if track.events else []


def event_message(event: ChannelEvent, channel: int) -> mido.Message:
    """The MIDI message of ``event``, on ``channel`` (the track's: a track plays on its channel)."""
    kind = event.kind
    if kind == "control_change":
        return mido.Message("control_change", channel=channel, control=event.number, value=event.value)
    if kind == "pitchwheel":
        return mido.Message("pitchwheel", channel=channel, pitch=event.value)
    if kind == "aftertouch":
        return mido.Message("aftertouch", channel=channel, value=event.value)
    if kind == "polytouch":
        return mido.Message("polytouch", channel=channel, note=event.number, value=event.value)
    return mido.Message("program_change", channel=channel, program=event.number)


def chase_messages(score: Score, at: Fraction) -> list[mido.Message]:
    """The controller state in force at ``at``, to send before a pass that starts there.

    Per channel of the audible tracks: the program, the last value of every
    control change, pitch bend and channel pressure before ``at``; a controller
    the tracks use that has no value yet gets its reset value (pedal up,
    bend centred, ...). Polyphonic pressure belongs to struck notes and is not
    chased. Programs go first, so that controllers apply to the right sound.
    """
    programs: dict[int, int] = {}
    controls: dict[tuple[int, int], int] = {}
    others: dict[tuple[int, str], int] = {}
    for track in audible_tracks(score):
        if not track.events:
            continue
        index = index_for(track.events)
        channel = track.channel
        for number in index.used.controls:
            if number in _RESET_CC:
                controls.setdefault((channel, number), _RESET_CC[number])
        if index.used.bend is not None:
            others.setdefault((channel, "pitchwheel"), 0)
        if index.used.pressure is not None:
            others.setdefault((channel, "aftertouch"), 0)
        state = index.state_before(at)
        if state.program is not None:
            programs[channel] = state.program
        controls.update({(channel, number): value for number, value in state.controls.items()})
        if state.bend is not None:
            others[(channel, "pitchwheel")] = state.bend
        if state.pressure is not None:
            others[(channel, "aftertouch")] = state.pressure
    out = [mido.Message("program_change", channel=c, program=p) for c, p in sorted(programs.items())]
    out += [mido.Message("control_change", channel=c, control=n, value=v) for (c, n), v in sorted(controls.items())]
    for (channel, other), value in sorted(others.items()):
        if other == "pitchwheel":
            out.append(mido.Message("pitchwheel", channel=channel, pitch=value))
        else:
            out.append(mido.Message("aftertouch", channel=channel, value=value))
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
    The tracks' channel events (controllers, bend, pressure, programs) in the
    range go at their times, after the state in force at ``start_beat`` is
    chased (``chase_messages``).
    ``end_beat`` defaults to the end of the score's last bar.
    """
    start = Fraction(start_beat)
    end = score.end if end_beat is None else Fraction(end_beat)
    if start < 0:
        raise OptionError("Playback cannot start before the beginning of the piece.")
    tempo = score.tempo_map
    out: list[TimedMessage] = []
    start_seconds = tempo.seconds_at(start)
    for message in setup_messages(score) + chase_messages(score, start):
        out.append(TimedMessage(start, start_seconds, message))
    for track in audible_tracks(score):
        for event in channel_events(track):
            if start <= event.time < end:
                out.append(TimedMessage(event.time, tempo.seconds_at(event.time), event_message(event, track.channel)))
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
