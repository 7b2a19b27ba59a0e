"""Carry an ABC accidental to the same note letter in every octave until the barline, as abc2midi does.

The ABC standard leaves open whether ``^c`` also sharpens a later ``C`` in
the same bar (``%%propagate-accidentals``); abc2midi, the reference player,
says yes (its default "pitch" mode), music21 says no. This writes the
accidental out on every later note of that letter in the bar that has none of
its own, so music21 reads the notes abc2midi plays. Quoted text, decorations,
inline fields and comments are left alone.
"""

from __future__ import annotations

import re

_SKIP_OR_NOTE = re.compile(
    r'(?P<skip>"[^"]*"|![^!]*!|\+[^+\s]*\+|\[[A-Za-z]:[^\]]*\]|%.*$)'
    r"|(?P<bar>\|)"
    r"|(?P<accidental>\^\^|\^|__|_|=)?(?P<letter>[A-Ga-g])",
    re.MULTILINE,
)


def propagate_accidentals(music: str) -> str:
    """``music`` (bars separated by ``|``) with accidentals written out across octaves within each bar."""
    in_force: dict[str, str] = {}

    def replace(match: re.Match[str]) -> str:
        if match.group("skip"):
            return match.group(0)
        if match.group("bar"):
            in_force.clear()
            return "|"
        letter = match.group("letter").upper()
        accidental = match.group("accidental")
        if accidental:
            in_force[letter] = accidental
            return match.group(0)
        return in_force.get(letter, "") + match.group("letter")

    return _SKIP_OR_NOTE.sub(replace, music)
