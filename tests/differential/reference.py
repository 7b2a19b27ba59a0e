"""Note lists from the reference converters (abc2midi, MuseScore 3) and from MusicAssist, to compare.

A note list is a sorted list of ``(pitch, start seconds, duration seconds,
channel)``. What each side does that is performance rather than notation is
taken out where the reference converter lets us, and said here:

- abc2midi is run with ``-NGRA -NGUI -NFER`` (no grace notes, no guitar-chord
  accompaniment, no fermata holds: MusicAssist keeps the written notes) and
  ``%%MIDI chordattack 0`` (no strummed chords), and without the tune's
  ``R:`` field (abc2midi swings the eighths of an ``R:hornpipe`` 2:1, a
  performance style the notation does not write), and without staccato dots
  (abc2midi halves a staccato note; MusicAssist keeps the written length) or
  rolls (``~``: abc2midi plays a roll as a turn of several short notes;
  MusicAssist keeps the written note). It
  starts every note one tick late and ends it on time; ``abc2midi_notes`` puts
  the start back.
- MuseScore's MIDI export ends every note one tick (of 480) early;
  ``musescore_notes`` puts the tick back. It writes one MIDI track per part
  but chooses channels of its own (a string part gets extra channels for
  pizzicato and tremolo; an oboe above four voices got channel 5), so notes
  are compared by part (MIDI track), not by channel.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import mido

from musicassist.core.score import Score

NoteRow = tuple[int, float, float, int]

ABC2MIDI = shutil.which("abc2midi")
MSCORE = shutil.which("mscore3") or shutil.which("musescore3")
ABC2MIDI_OPTIONS = ("-NGRA", "-NGUI", "-NFER", "-silent")


_FIELD = re.compile(r"^[A-Za-z]:|^%")
_QUOTED_OR_DECORATION = re.compile(r'("[^"]*"|![^!]*!)')
_PLAYED_DECORATIONS = frozenset({"!staccato!", "!roll!"})
_ORNAMENT = re.compile(r"~|[TMP](?=[\^_=(]*[A-Ga-g\[])")  # roll, trill, mordent, pralltriller
_STACCATO = re.compile(r"\.(?=[\^_=]*[A-Ga-gz\[])")


class Refused(Exception):
    """The reference converter wrote no MIDI: its message."""


def midi_notes(path: Path, *, tick_fix: int = 0, end_fix: int = 0, by_track: bool = False) -> list[NoteRow]:
    """Notes of a MIDI file in seconds; note-offs paired first in, first out per channel and pitch.

    ``tick_fix`` moves every start that many ticks earlier (abc2midi starts notes a tick late and
    ends them on time); ``end_fix`` moves every end that many ticks later (MuseScore ends notes a
    tick early). ``by_track``: the last field is the number of the MIDI track among those with notes,
    not the channel.
    """
    midi = mido.MidiFile(str(path))
    events: list[tuple[int, int, object]] = []  # (tick, order, message)
    track_of: dict[int, int] = {}  # order -> track number among tracks with notes
    voiced = 0
    for track in midi.tracks:
        tick = 0
        has_notes = any(message.type == "note_on" for message in track)
        for message in track:
            tick += message.time
            if by_track and has_notes:
                track_of[len(events)] = voiced
            events.append((tick, len(events), message))
        voiced += has_notes
    events.sort(key=lambda item: (item[0], item[1]))
    resolution = midi.ticks_per_beat
    # tempo map in ticks -> seconds
    tempo_points: list[tuple[int, float, int]] = [(0, 0.0, 500000)]  # (tick, seconds, tempo from there)
    for tick, _, message in events:
        if getattr(message, "type", "") == "set_tempo":
            last_tick, last_seconds, last_tempo = tempo_points[-1]
            seconds = last_seconds + (tick - last_tick) * last_tempo / resolution / 1e6
            if tick == last_tick:
                tempo_points[-1] = (tick, last_seconds, message.tempo)
            else:
                tempo_points.append((tick, seconds, message.tempo))

    def seconds(tick: int) -> float:
        for point_tick, point_seconds, tempo in reversed(tempo_points):
            if tick >= point_tick:
                return point_seconds + (tick - point_tick) * tempo / resolution / 1e6
        return tick * 500000 / resolution / 1e6

    open_notes: dict[tuple[int, int, int], list[int]] = {}
    notes: list[NoteRow] = []
    for tick, order, message in events:
        kind = getattr(message, "type", "")
        voice = track_of.get(order, message.channel) if kind in ("note_on", "note_off") else 0
        if kind == "note_on" and message.velocity > 0:
            open_notes.setdefault((voice, message.channel, message.note), []).append(tick)
        elif kind in ("note_off", "note_on"):
            started = open_notes.get((voice, message.channel, message.note))
            if started:
                begin = max(0, started.pop(0) - tick_fix)
                end = tick + end_fix
                notes.append((message.note, seconds(begin), seconds(end) - seconds(begin), voice))
    return sorted(notes)


def abc2midi_notes(tune_text: str) -> list[NoteRow]:
    """abc2midi's notes for one tune; Refused with abc2midi's own error line when it writes nothing."""
    assert ABC2MIDI is not None
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "tune.abc"
        target = Path(folder) / "tune.mid"
        source.write_text(_without_chord_attack(tune_text), encoding="utf-8")
        result = subprocess.run([ABC2MIDI, str(source), *ABC2MIDI_OPTIONS, "-o", str(target)],
                                capture_output=True, text=True, timeout=30, check=False)
        if not target.exists() or target.stat().st_size == 0:
            lines = [line for line in (result.stdout + result.stderr).splitlines() if "rror" in line]
            raise Refused(lines[0] if lines else "abc2midi wrote no MIDI")
        return midi_notes(target, tick_fix=1)


def _without_chord_attack(text: str) -> str:
    """The tune with ``%%MIDI chordattack 0`` after its X: line and no R: field (see the module's docstring)."""
    first, _, rest = text.partition("\n")
    lines = [line if _FIELD.match(line) else _without_staccato(line) for line in rest.split("\n")
             if not line.startswith("R:")]
    rest = "\n".join(lines)
    return f"{first}\n%%MIDI chordattack 0\n{rest}"


def _without_staccato(line: str) -> str:
    """The music line without staccato marks and rolls (``.``, ``~``, ``!staccato!``, ``!roll!``), quoted text kept."""
    pieces = _QUOTED_OR_DECORATION.split(line)
    return "".join(piece if piece.startswith(('"', "!")) and piece not in _PLAYED_DECORATIONS else
                   "" if piece in _PLAYED_DECORATIONS else _ORNAMENT.sub("", _STACCATO.sub("", piece))
                   for piece in pieces)


def musescore_notes(source: Path, work: Path) -> list[NoteRow]:
    """MuseScore 3's MIDI export of a MusicXML file (headless)."""
    assert MSCORE is not None
    target = work / (source.stem + ".mid")
    environment = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    subprocess.run([MSCORE, "-o", str(target), str(source)], capture_output=True, timeout=120,
                   env=environment, check=False)
    if not target.exists():
        raise Refused("MuseScore wrote no MIDI")
    return midi_notes(target, end_fix=1, by_track=True)


def score_notes(score: Score, *, by_track: bool = False) -> list[NoteRow]:
    """MusicAssist's notes of a score in seconds, as the MIDI writer would play them (``by_track``: the
    last field is the number of the track among those with notes, not the channel)."""
    seconds = score.tempo_map.seconds_at
    rows = []
    for number, track in enumerate(t for t in score.tracks if t.notes):
        for note in track.notes:
            begin = seconds(note.start)
            rows.append((note.pitch, begin, seconds(note.start + note.duration) - begin,
                         number if by_track else note.channel))
    return sorted(rows)


def compare(ours: list[NoteRow], reference: list[NoteRow], tolerance: float) -> str:
    """'' when the lists match (equal pitch and channel, times within ``tolerance`` s), else the first difference."""
    if len(ours) != len(reference):
        return f"{len(ours)} notes against {len(reference)}: {_first_difference(ours, reference, tolerance)}"
    return _first_difference(ours, reference, tolerance)


def _first_difference(ours: list[NoteRow], reference: list[NoteRow], tolerance: float) -> str:
    # rows sorted by pitch first: compare per (pitch, channel) in time order
    by_key: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for pitch, start, duration, channel in reference:
        by_key.setdefault((pitch, channel), []).append((start, duration))
    mine: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for pitch, start, duration, channel in ours:
        mine.setdefault((pitch, channel), []).append((start, duration))
    for key in sorted(set(by_key) | set(mine)):
        left, right = mine.get(key, []), by_key.get(key, [])
        for index in range(max(len(left), len(right))):
            if index >= len(left) or index >= len(right):
                which = right[index] if index < len(right) else left[index]
                side = "missing" if index >= len(left) else "extra"
                return f"{side} note pitch {key[0]} channel {key[1] + 1} at {which[0]:.3f} s"
            (a_start, a_length), (b_start, b_length) = left[index], right[index]
            if abs(a_start - b_start) > tolerance or abs(a_length - b_length) > tolerance:
                return (f"pitch {key[0]} channel {key[1] + 1}: ours {a_start:.4f}+{a_length:.4f} s, "
                        f"reference {b_start:.4f}+{b_length:.4f} s")
    return ""
