"""The tracks' volume and pan in the window's MIDI files: CC7/CC10 at the start of each track.

The io layer writes and reads notes, programs, tempo and meter but no
controllers. The window saves what its track list sets: after the file is
written (by ``io.write_score``, with all of its guards), each track with a
volume or pan gets CC7/CC10 at tick 0 right after its program change, and
the file is replaced atomically. On opening, a CC7/CC10 at tick 0 on a
channel gives the tracks on that channel their volume and pan back. Mute and
solo are for listening only and are not written.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from musicassist.core.score import Score
from musicassist.playback.schedule import PAN_CC, VOLUME_CC

MIDI_SUFFIXES = (".mid", ".midi")
_FIELD_OF = {VOLUME_CC: "volume", PAN_CC: "pan"}


def has_mix(score: Score) -> bool:
    return any(t.volume is not None or t.pan is not None for t in score.tracks)


def add_mix(path: Path, score: Score) -> None:
    """Put the tracks' volume and pan into the MIDI file ``path`` just written from ``score``."""
    if path.suffix.lower() not in MIDI_SUFFIXES or not has_mix(score):
        return
    import io

    import mido

    from musicassist.io.atomic import atomic_write_bytes

    midi = mido.MidiFile(path)
    # Track 0 is the conductor; then one MIDI track per Track, in order (io.midi_file.score_to_midi).
    for track, midi_track in zip(score.tracks, midi.tracks[1:], strict=False):
        controls = [(VOLUME_CC, track.volume), (PAN_CC, track.pan)]
        messages = [mido.Message("control_change", channel=track.channel, control=c, value=v, time=0)
                    for c, v in controls if v is not None]
        if not messages:
            continue
        at = next((i + 1 for i, m in enumerate(midi_track) if m.type == "program_change"), 0)
        midi_track[at:at] = messages  # time 0 deltas: the following event keeps its own time
    buffer = io.BytesIO()
    midi.save(file=buffer)
    atomic_write_bytes(path, buffer.getvalue())


def read_mix(path: Path, score: Score) -> Score:
    """``score`` (read from ``path``) with the volume and pan its MIDI tracks set at tick 0."""
    if path.suffix.lower() not in MIDI_SUFFIXES:
        return score
    import mido

    try:
        midi = mido.MidiFile(path)
    except (OSError, ValueError, EOFError):
        return score  # the reader accepted the file; without controllers it is still the piece
    found: dict[int, dict[str, int]] = {}
    for midi_track in midi.tracks:
        tick = 0
        for message in midi_track:
            tick += message.time
            if tick > 0:
                break
            if message.type == "control_change" and message.control in _FIELD_OF:
                found.setdefault(message.channel, {}).setdefault(_FIELD_OF[message.control], message.value)
    if not found:
        return score
    return score.with_tracks(replace(t, **found.get(t.channel, {})) for t in score.tracks)  # type: ignore[arg-type]
