"""Bound MusicXML and ABC text by the size of the music it would create, before music21 sees it.

music21 trusts what a file says: a ``<duration>`` of a billion divisions
becomes ten million bars, ``<beats>3+4+99999</beats>`` or ABC's
``M:1000000/1`` sends its meter code into a loop that never ends, and an ABC
note ``A1000000`` is split into a million tied measures. One cheap pass over
the text (a regular expression, no XML tree, no music21) finds the numbers
that decide how much music a file makes and refuses absurd ones with a
sentence, against the same ``core.limits`` the MIDI reader and the writers
use:

- MusicXML: every part and measure is walked with its ``<divisions>``,
  ``<duration>``, ``<forward>`` and ``<backup>``, so the length of each part
  in quarter notes is known (chords and voices counted as music21 counts
  them); time signatures must have at most 64 beats of a note value no
  shorter than a 64th (what the core holds); a score needs a part.
- ABC: ``M:`` and ``L:`` fields (also inline ``[M:...]``) and the number
  after every note, rest and chord are bounded; a tune needs its ``K:`` line
  (the end of its header: a file cut before it is incomplete) and at least
  one note.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict

from musicassist.core.errors import FileFormatError
from musicassist.core.limits import MAX_BARS, MAX_BEATS, MAX_TRACKS

MAX_METER_NUMBER = 64  # the core's TimeSignature: 1..64 beats, note values down to a 64th
MAX_ABC_LENGTH_NUMBER = 64  # A64 at L:1/4 is 16 bars of 4/4: far more than any tune holds
MAX_ABC_SLASHES = 6  # A////// is a 256th of the unit length

_XML_TAG = re.compile(
    r"<(/?)(part|measure|note|chord|grace|forward|backup|divisions|duration|beats|beat-type|score-part)"
    r"(?=[\s/>])([^>]*)>"
)
_XML_NUMBER = re.compile(r"\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*<")
_PART_ID = re.compile(r"""\bid\s*=\s*["']([^"']*)["']""")
_BEATS = re.compile(r"^\s*\d+(\s*\+\s*\d+)*\s*$")


def _damaged(what: str) -> FileFormatError:
    return FileFormatError(f"This MusicXML file is damaged: {what}.")


def _too_long(what: str) -> FileFormatError:
    return FileFormatError(f"This MusicXML score is too long to open: {what}.")


def _number(text: str, end: int, element: str) -> float:
    found = _XML_NUMBER.match(text, end)
    if found is None:
        raise _damaged(f"a <{element}> does not hold a number")
    value = float(found.group(1))
    if not math.isfinite(value):
        raise _damaged(f"a <{element}> does not hold a number")
    return value


def check_musicxml_text(text: str) -> None:
    """Raise FileFormatError when the score would be absurdly long, has no part, or an impossible meter."""
    score_parts = 0
    parts_seen = 0
    lengths: dict[str, float] = defaultdict(float)  # quarter notes per part id
    bars: dict[str, int] = defaultdict(int)
    part = ""
    divisions = 1.0
    position = measure_end = last_start = 0.0
    in_note = chord = grace = False
    pending = ""  # "note", "forward" or "backup": what the next <duration> belongs to
    duration = 0.0
    for match in _XML_TAG.finditer(text):
        closing, name, attributes = match.group(1) == "/", match.group(2), match.group(3)
        if name == "score-part" and not closing:
            score_parts += 1
        elif name == "part" and not closing:
            parts_seen += 1
            found = _PART_ID.search(attributes)
            part = found.group(1) if found else str(parts_seen)
        elif name == "measure":
            if closing:
                lengths[part] += measure_end
                bars[part] += 1
                if lengths[part] > MAX_BEATS:
                    raise _too_long(f"a part lasts more than {MAX_BEATS:,} beats")
                if bars[part] > MAX_BARS:
                    raise _too_long(f"a part has more than {MAX_BARS:,} measures")
            elif not attributes.rstrip().endswith("/"):
                position = measure_end = last_start = 0.0
        elif name == "divisions" and not closing:
            divisions = _number(text, match.end(), name)
            if not 0 < divisions <= 1e9:
                raise _damaged(f"it gives {divisions:g} divisions of a quarter note")
        elif name == "duration" and not closing:
            duration = _number(text, match.end(), name) / divisions
            if duration > MAX_BEATS:
                raise _too_long(f"one of its durations lasts {duration:,.0f} beats")
        elif name in ("note", "forward", "backup"):
            if not closing and not attributes.rstrip().endswith("/"):
                pending, duration = name, 0.0
                in_note, chord, grace = name == "note", False, False
            elif closing and pending == name:
                if name == "backup":
                    position = max(0.0, position - duration)
                elif name == "forward":
                    position += duration
                elif not grace:
                    if not chord:
                        last_start = position
                        position += duration
                    measure_end = max(measure_end, last_start + duration)
                measure_end = max(measure_end, position)
                pending, in_note = "", False
        elif name == "chord" and in_note:
            chord = True
        elif name == "grace" and in_note:
            grace = True
        elif name in ("beats", "beat-type") and not closing:
            _check_meter_number(text, match.end(), name)
    if parts_seen == 0 or score_parts == 0:
        raise FileFormatError("This MusicXML file holds no part: there is no music in it.")
    if score_parts > MAX_TRACKS:
        raise FileFormatError(
            f"This MusicXML score has {score_parts:,} parts; MusicAssist opens scores of up to {MAX_TRACKS:,}."
        )


def _check_meter_number(text: str, end: int, element: str) -> None:
    closing = text.find("<", end)
    value = text[end:closing if closing >= 0 else end + 100]
    if element == "beat-type":
        if not value.strip().isdigit() or int(value) not in (1, 2, 4, 8, 16, 32, 64):
            raise FileFormatError(f"This MusicXML score has a time signature over '{value.strip()[:20]}', "
                                  "which MusicAssist cannot read.")
        return
    if not _BEATS.match(value) or sum(int(n) for n in value.split("+")) > MAX_METER_NUMBER:
        raise FileFormatError(f"This MusicXML score has a time signature of '{value.strip()[:20]}' beats; "
                              f"MusicAssist reads meters of 1 to {MAX_METER_NUMBER} beats.")


# ------------------------------------------------------------------------------------------------- ABC

_ABC_FIELD_LINE = re.compile(r"^([A-Za-z]):(.*)$")
_ABC_INLINE_FIELD = re.compile(r"\[([A-Za-z]):([^\]]*)\]")
_ABC_STRING = re.compile(r'"[^"\n]*"|![^!\n]*!|\+[^+\n]*\+')
_ABC_NOTE = re.compile(r"[A-Ga-g]")
# A note, rest or chord and the length written after it: A3, z8, [CEG]2, A3/4, A//, Z16 (bars).
_ABC_LENGTH = re.compile(r"(?:[A-Ga-gzxZX][,']*|\])(\d*)(/*)(\d*)")


def check_abc_tune(text: str) -> None:
    """Raise FileFormatError for an ABC tune that is incomplete, empty or would make absurd lengths."""
    lines = text.split("\n")
    body_start = None
    for number, line in enumerate(lines):
        field = _ABC_FIELD_LINE.match(line)
        if field is not None:
            _check_abc_field(field.group(1), field.group(2))
            if field.group(1) == "K" and body_start is None:
                body_start = number + 1
    if body_start is None:
        raise FileFormatError("This ABC tune is incomplete: it has no K: line, which ends a tune's header.")
    has_notes = False
    for number, line in enumerate(lines):  # music before K: is music to music21 too
        if _ABC_FIELD_LINE.match(line) or line.startswith("%"):
            continue  # a field (its values checked above) or a comment
        music = line.split("%", 1)[0]
        for field in _ABC_INLINE_FIELD.finditer(music):  # before decorations: M:2+3/8 holds plus signs
            _check_abc_field(field.group(1), field.group(2))
        music = _ABC_STRING.sub(" ", _ABC_INLINE_FIELD.sub(" ", music))
        has_notes = has_notes or (number >= body_start and _ABC_NOTE.search(music) is not None)
        for length in _ABC_LENGTH.finditer(music):
            multiplier, slashes, divisor = length.groups()
            too_long = multiplier and int(multiplier) > MAX_ABC_LENGTH_NUMBER
            too_short = len(slashes) > MAX_ABC_SLASHES or (divisor and int(divisor) > MAX_ABC_LENGTH_NUMBER)
            if too_long or too_short:
                raise FileFormatError(
                    f"This ABC tune has a note length '{length.group(0)[:20]}' beyond what MusicAssist reads "
                    f"(lengths from 1/{MAX_ABC_LENGTH_NUMBER} to {MAX_ABC_LENGTH_NUMBER} times the unit)."
                )
    if not has_notes:
        raise FileFormatError("This ABC tune has no music: its header is not followed by any notes.")


def _check_abc_field(name: str, value: str) -> None:
    value = value.split("%", 1)[0]
    if name == "M":
        numbers = [int(n) for n in re.findall(r"\d+", value)]
        if any(n > MAX_METER_NUMBER for n in numbers) or sum(numbers[:-1]) > MAX_METER_NUMBER:
            raise FileFormatError(f"This ABC tune has a meter 'M:{value.strip()[:20]}'; MusicAssist reads meters "
                                  f"of 1 to {MAX_METER_NUMBER} beats.")
    elif name == "L":
        numbers = [int(n) for n in re.findall(r"\d+", value)]
        ratio = numbers[0] / numbers[1] if len(numbers) >= 2 and numbers[1] else 0.0
        if any(n > MAX_METER_NUMBER for n in numbers) or ratio > 1:
            raise FileFormatError(f"This ABC tune has a unit note length 'L:{value.strip()[:20]}'; MusicAssist "
                                  "reads unit lengths from a whole note down to a 64th.")
