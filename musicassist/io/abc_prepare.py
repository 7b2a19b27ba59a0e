"""Prepare one ABC tune for music21 so that it reads as abc2midi plays it.

music21's ABC reader is the notation reader of this project (the other ABC
parsers on PyPI are unmaintained or read a small subset), but it reads an ABC
tune as written, not as it sounds, and some header fields wrongly. Before it
parses a tune, this module, which knows nothing of music21:

- refuses a header whose ``K:``, ``M:`` or ``L:`` field is invalid, with one
  line naming the field and its line (abc2midi: "First K: field must specify
  key signature"; for ``M:`` and ``L:`` abc2midi reports the error and goes on
  with its defaults, we refuse rather than guess);
- rewrites every ``Q:`` field as ``Q:n/d=bpm`` without spaces or text:
  music21 reads ``Q:1/4 = 142`` as 710 quarter notes a minute (it multiplies
  by the five characters of the unit before the space); a tempo change inside
  the music (and an inline ``[L:]``, ``[M:]``, ``[Q:]``) goes on a line of its
  own, where music21 reads it;
- writes accidentals out across octaves within a bar (``abc_accidentals``);
- drops staccato dots (music21 reads ``B>.c`` as two equal notes);
- expands repeats and first/second endings in every voice as abc2midi does
  for playback (``expand_repeats``);
- collects each voice's ``%%MIDI program`` and ``%%MIDI channel`` directives
  (``VoiceMidi``), which music21 ignores, for the bridge to apply to the
  voice's track.

Voices: a tune's ``V:`` sections (on their own lines or inline as ``[V:id]``,
defined in the header or not) are gathered per voice in order of first
appearance and written back as one numbered block per voice (music21 makes a
part per voice only for numbered voices: ``V:melody``/``V:drums`` became one
part), each expanded on its own; a voice's ``name="..."`` names its track.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from fractions import Fraction

from musicassist.core.errors import FileFormatError
from musicassist.core.events import ChannelEvent
from musicassist.core.score import Score

from .abc_accidentals import propagate_accidentals
from .abc_repeats import expand_repeats

_FIELD = re.compile(r"^([A-Za-z]):(.*)$")
_VOICE_NAME = re.compile(r'\b(?:name|nm)\s*=\s*"([^"]*)"')
_INLINE_VOICE = re.compile(r"^\[V:\s*([^\]\s]+)[^\]]*\]\s*")
_MIDI = re.compile(r"^%%MIDI\s+(program|channel)\s+(.*)$", re.IGNORECASE)
_KEY_START = re.compile(r"^(?:[A-G][#b]?|Hp|HP|none)(?![A-Za-z#]*=)")
_FRACTION = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
_METER = re.compile(r"^\s*(?:C\|?|none|\(?\d+(?:\s*\+\s*\d+)*\)?\s*/\s*\d+)\s*$")
_QUOTED = re.compile(r'"[^"]*"')
_QUOTED_OR_DECORATION = re.compile(r'("[^"]*"|![^!]*!)')
_STACCATO = re.compile(r"\.(?=[\^_=]*[A-Ga-gz\[])")
# music21 takes the last field before a note as a measure boundary and drops it: a tempo change inside the
# music is followed by this harmless instruction field so that the tempo survives (music21 10.5).
_TEMPO_KEEPER = "\nI:musicassist-tempo"
_INLINE_LENGTH_OR_TEMPO = re.compile(r"\[([LMQ]):([^\]]*)\]")
_TIE_THEN_BROKEN = re.compile(r"-(<+|>+)")  # music21 drops the rhythm of "A-<d"; it reads "A<-d"
# A decoration between a broken rhythm and its note (bowing "e>ud", a trill "c>Td"): music21 drops the rhythm.
_BROKEN_THEN_DECORATION = re.compile(r"(<+|>+)[~HLMOPSTuv]+(?=[\^_=]*[A-Ga-g\[(])")
_COMMENT = re.compile(r"(?<!\\)%.*$")
# Field lines that are part of the music and may change within it (kept in order, on lines of their own).
_MUSIC_FIELDS = frozenset("KLMQ")
# Field lines dropped from the music: lyrics, notes, and other text that plays no note.
_TEXT_FIELDS = frozenset("wWNHRBDFGSZrsIOPAC")


@dataclass
class VoiceMidi:
    """The ``%%MIDI program``/``channel`` a voice asks for (None: not said)."""

    program: int | None = None
    channel: int | None = None  # 0-based (``%%MIDI channel 10`` is 9, the drum channel)
    name: str = ""  # the voice's name, for its track ("" keeps music21's)


@dataclass(frozen=True)
class PreparedTune:
    text: str  # the tune for music21: header, then one expanded block per voice
    voices: tuple[VoiceMidi, ...]  # in the order of the parts music21 makes


@dataclass
class _Voice:
    name: str
    midi: VoiceMidi = field(default_factory=VoiceMidi)
    lines: list[str] = field(default_factory=list)  # music lines and inline fields, in order
    title: str = ""  # its name="..." (or a named id such as "melody"), for the track


def prepare_abc_tune(text: str) -> PreparedTune:
    """Check the header, normalise tempo fields, expand repeats per voice; FileFormatError on a bad header."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    header: list[str] = []
    voices = _Voices()
    header_midi = VoiceMidi()  # %%MIDI lines of the header before any V: (they go to the first voice)
    defining: _Voice | None = None  # the voice a header V: line just defined (its %%MIDI lines follow)
    index = 0
    key_seen = False
    while index < len(lines) and not key_seen:  # the header ends with the first K: field
        line = lines[index].rstrip()
        index += 1
        match = _FIELD.match(line)
        midi = _MIDI.match(line)
        if midi:
            _read_midi(midi, defining.midi if defining is not None else header_midi)
            continue
        if match is None:
            if line.strip() and not line.lstrip().startswith("%"):
                header.append(line)  # music before K: (a damaged tune): left for music21 to judge
            continue
        letter, value = match.group(1), _COMMENT.sub("", match.group(2)).strip()
        _check_field(letter, value, index)
        if letter == "Q":
            line = _tempo_field(value) or ""
        if letter == "V":  # a voice defined in the header: its name and MIDI lines; the body fills it
            defining = voices.switch(value)
            continue
        key_seen = letter == "K"
        if line:
            header.append(line)
    _read_body(lines[index:], index, voices)
    played = [v for v in voices.all if v.lines]
    if played and played[0].midi.program is None:
        played[0].midi.program = header_midi.program
    if played and played[0].midi.channel is None:
        played[0].midi.channel = header_midi.channel
    body: list[str] = []
    for number, voice in enumerate(played, start=1):
        if len(played) > 1:
            body.append(f"V:{number}")  # music21 makes a part per voice only for numbered voices
        body += propagate_accidentals("\n".join(expand_repeats(voice.lines))).split("\n")
    midis = tuple(replace(v.midi, name=v.title) for v in played)
    return PreparedTune("\n".join([*header, *body]) + "\n", midis or (header_midi,))


@dataclass
class _Voices:
    """The tune's voices by id, in order of first appearance (header definitions included)."""

    all: list[_Voice] = field(default_factory=list)
    by_id: dict[str, _Voice] = field(default_factory=dict)

    def switch(self, definition: str) -> _Voice:
        """The voice a ``V:`` field names (``V:id name="..."``), made on first mention."""
        voice_id = definition.split()[0] if definition.split() else ""
        if voice_id not in self.by_id:
            self.by_id[voice_id] = _Voice(voice_id)
            self.all.append(self.by_id[voice_id])
        found = self.by_id[voice_id]
        named = _VOICE_NAME.search(definition)
        if named:
            found.title = named.group(1).strip()
        elif not found.title and voice_id and not voice_id.isdigit():
            found.title = voice_id
        return found


def _read_body(lines: list[str], first_line: int, voices: _Voices) -> None:
    current: _Voice | None = None
    for number, raw in enumerate(lines, start=first_line + 1):
        line = raw.rstrip()
        midi = _MIDI.match(line)
        if midi:
            _read_midi(midi, (current or voices.switch("")).midi)
            continue
        if not line.strip() or line.lstrip().startswith("%"):
            continue
        inline = _INLINE_VOICE.match(line)
        if inline:
            current = voices.switch(inline.group(1))
            line = line[inline.end():]
            if not line.strip():
                continue
        match = _FIELD.match(line)
        if match:
            letter, value = match.group(1), _COMMENT.sub("", match.group(2)).strip()
            if letter == "V":
                current = voices.switch(value)
                continue
            if letter in _TEXT_FIELDS or letter not in _MUSIC_FIELDS:
                continue
            _check_field(letter, value, number)
            if letter == "Q":
                value = (_tempo_field(value) or "Q:")[2:]
                if not value:
                    continue
            (current or voices.switch("")).lines.append(f"{letter}:{value}{_TEMPO_KEEPER if letter == 'Q' else ''}")
            continue
        music = _INLINE_LENGTH_OR_TEMPO.sub(_own_line, _without_staccato(_COMMENT.sub("", line)))
        (current or voices.switch("")).lines += music.split("\n")


def _own_line(match: re.Match[str]) -> str:
    """An inline ``[L:...]``, ``[M:...]`` or ``[Q:...]`` as a field line of its own (music21 ignores them inline)."""
    letter, value = match.group(1), match.group(2).strip()
    if letter == "Q":
        value = (_tempo_field(value) or "Q:")[2:]
    return f"\n{letter}:{value}{_TEMPO_KEEPER if letter == 'Q' else ''}\n" if value else ""


def _without_staccato(line: str) -> str:
    """The music without staccato dots (they sound nothing in a piano roll, and music21 loses the
    broken rhythm of ``B>.c``: it reads two equal notes), ``A-<d`` written ``A<-d`` and the decoration
    of ``e>ud`` dropped (same reason)."""
    pieces = _QUOTED_OR_DECORATION.split(line)
    return "".join(piece if piece.startswith(('"', "!")) else
                   _BROKEN_THEN_DECORATION.sub(r"\1", _TIE_THEN_BROKEN.sub(r"\1-", _STACCATO.sub("", piece)))
                   for piece in pieces)


def _read_midi(match: re.Match[str], into: VoiceMidi) -> None:
    numbers = [int(n) for n in re.findall(r"\d+", _COMMENT.sub("", match.group(2)))]
    if not numbers:
        return
    if match.group(1).lower() == "channel":
        if 1 <= numbers[0] <= 16:
            into.channel = numbers[0] - 1
    else:  # "%%MIDI program [channel] n": the program is the last number
        if 0 <= numbers[-1] <= 127:
            into.program = numbers[-1]


def _check_field(letter: str, value: str, line: int) -> None:
    """FileFormatError for an invalid K:, M: or L: field (what abc2midi calls an error)."""
    if letter == "K" and not _KEY_START.match(value):
        raise FileFormatError(f"The ABC tune's K: field on line {line} names no key ('K:{value[:30]}').")
    if letter == "M" and (not _METER.match(value) or re.match(r"^\s*0\s*/", value)):
        raise FileFormatError(f"The ABC tune's M: field on line {line} is not a meter like 6/8 ('M:{value[:30]}').")
    if letter == "L":
        found = _FRACTION.match(value)
        denominator = int(found.group(2)) if found else 0
        if value.strip() != "1" and (found is None or int(found.group(1)) == 0 or denominator & (denominator - 1)):
            raise FileFormatError(
                f"The ABC tune's L: field on line {line} is not a note length like 1/8 ('L:{value[:30]}')."
            )


def _tempo_field(value: str) -> str | None:
    """``Q:n/d=bpm`` for any tempo field that gives a number; None for text alone (``Q:"Allegro"``)."""
    plain = _QUOTED.sub(" ", value).strip()
    if "=" not in plain:
        return f"Q:{plain}" if plain.isdigit() else None  # old ABC's bare number: music21 and abc2midi agree
    units, _, bpm = plain.partition("=")
    beats = [Fraction(int(a), int(b)) for a, b in re.findall(r"(\d{1,6})\s*/\s*(\d{1,6})", units) if int(b)]
    speed = re.match(r"\s*(\d{1,6}(?:\.\d{1,6})?)", bpm)
    if not beats or speed is None or sum(beats) <= 0 or float(speed.group(1)) <= 0:
        return None
    unit = sum(beats)
    return f"Q:{unit.numerator}/{unit.denominator}={speed.group(1)}"


def apply_voice_midi(score: Score, voices: tuple[VoiceMidi, ...]) -> Score:
    """The score with each voice's track on the channel and program its ``%%MIDI`` lines ask for.

    Tracks and voices match by order (music21 makes one part per voice, in order of appearance).
    """
    tracks = []
    for number, track in enumerate(score.tracks):
        midi = voices[number] if number < len(voices) else VoiceMidi()
        channel = track.channel if midi.channel is None else midi.channel
        program = track.program if midi.program is None else midi.program
        if channel != track.channel:
            track = replace(track, channel=channel, notes=tuple(replace(n, channel=channel) for n in track.notes),
                            events=tuple(replace(e, channel=channel) if isinstance(e, ChannelEvent) else e
                                         for e in track.events))
        tracks.append(replace(track, program=program, name=midi.name or track.name))
    return replace(score, tracks=tuple(tracks))
