"""Every message of a MIDI file at its absolute time in seconds, as mido reads it: what the event-fidelity
tests compare between a file and what ``convert`` wrote from it (issue 10)."""

from __future__ import annotations

import bisect
from collections import defaultdict
from pathlib import Path

import mido

# Not compared: a note-off's release velocity (a Note has none; note-on velocity 0 and note-off are the
# same event), end of track, and a track's name (a track split by channel is named "Piano (channel 2)";
# the tests check names on their own).
SKIPPED = {"end_of_track", "track_name"}


def key(message: mido.Message | mido.MetaMessage) -> tuple[object, ...]:
    """What must survive of a message, as a hashable tuple."""
    if message.type == "note_off" or (message.type == "note_on" and message.velocity == 0):
        return ("note_off", message.channel, message.note)
    fields = message.dict()
    fields.pop("time")
    kind = fields.pop("type")
    return (kind, *sorted((name, tuple(value) if isinstance(value, list | tuple) else value)
                          for name, value in fields.items()))


def _tempo_seconds(midi: mido.MidiFile) -> tuple[list[int], list[float], list[int]]:
    """Tick, seconds and tempo at each tempo change (any track's, as a format 1 file means them)."""
    changes: dict[int, int] = {}
    for track in midi.tracks:
        tick = 0
        for message in track:
            tick += message.time
            if message.type == "set_tempo":
                changes[tick] = message.tempo
    ticks, seconds, tempos = [0], [0.0], [changes.pop(0, 500_000)]
    for tick in sorted(changes):
        seconds.append(seconds[-1] + (tick - ticks[-1]) * tempos[-1] / 1e6 / midi.ticks_per_beat)
        ticks.append(tick)
        tempos.append(changes[tick])
    return ticks, seconds, tempos


def timed_messages(path: Path | str) -> list[list[tuple[float, tuple[object, ...]]]]:
    """Per track: (seconds, key) of every message but those in ``SKIPPED``, in file order."""
    midi = mido.MidiFile(path)
    ticks, seconds, tempos = _tempo_seconds(midi)
    out = []
    for track in midi.tracks:
        tick, found = 0, []
        for message in track:
            tick += message.time
            if message.type in SKIPPED:
                continue
            index = bisect.bisect_right(ticks, tick) - 1
            at = seconds[index] + (tick - ticks[index]) * tempos[index] / 1e6 / midi.ticks_per_beat
            found.append((at, key(message)))
        out.append(found)
    return out


def unmatched(expected: list[tuple[float, tuple[object, ...]]], found: list[tuple[float, tuple[object, ...]]],
              tolerance: float = 0.001) -> list[tuple[float, tuple[object, ...]]]:
    """The messages of ``expected`` that ``found`` lacks: same fields, time within ``tolerance`` seconds
    (each found message matches one expected message at most)."""
    available: dict[tuple[object, ...], list[float]] = defaultdict(list)
    for at, fields in found:
        available[fields].append(at)
    missing = []
    for at, fields in sorted(expected, key=lambda item: item[0]):
        times = available[fields]
        best = min(range(len(times)), key=lambda i: abs(times[i] - at), default=None)
        if best is None or abs(times[best] - at) > tolerance:
            missing.append((at, fields))
        else:
            times.pop(best)
    return missing
