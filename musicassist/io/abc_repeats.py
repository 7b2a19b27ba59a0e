"""Expand the repeats and first/second endings of one ABC voice, as abc2midi plays them.

abc2midi's rules, found by running it (abcmidi 4.84) on small tunes:

- ``:|`` goes back to the last ``|:``, or to the start of the voice when
  there is none, or to just after the previous ``:|`` (a section ends where
  the last one did); the second time through it is an ordinary barline;
- ``::`` (also ``:||:``, ``:|:``) is an end of repeat followed by a start;
- ``[1`` (also ``|1``, ``:|2``, ``[1,3``) starts an ending: the second time
  through, the music from ``[1`` up to and including the ``:|`` that closes it
  is skipped; ``[2`` is played after it; an ending that is itself closed by
  ``:|`` sends the music round once more (pass 3 plays ``[3`` or ``[1,3``),
  also when a double bar and more music come between them, and a double bar
  ends an ending that is being skipped;
- ``||`` and ``|]`` do not start a repeated section.

The music is split into tokens that cannot contain a barline (chord symbols
``"..."``, decorations ``!...!``, grace groups ``{...}``, inline fields
``[K:...]``) and barlines; the expansion writes the played bars in order,
each closed by a plain ``|`` (the barline's kind is notation, not sound).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Things that may hold a "|" or "[" but are no barline, then barlines with their endings, then anything.
_TOKEN = re.compile(
    r'(?P<text>"[^"\n]*"|![^!\n]*!|\+[^+\n]*\+|\{[^}\n]*\}|\[[A-Za-z]:[^\]\n]*\])'
    r"|(?P<bar>:*\[?\|[\]|]*:*|::+|\[\|[:\]]*)(?P<after>\s*\[?(?P<number>\d+(?:[,-]\d+)*))?"
    r"|(?P<ending>\[(?P<lone>\d+(?:[,-]\d+)*))"
)
_MAX_PLAYED_BARS = 20_000  # a bound against a pathological tune; abc2midi's expansions are a few hundred bars


@dataclass(frozen=True)
class _Bar:
    end_repeat: bool
    start_repeat: bool
    ending: frozenset[int]  # the endings that start here (empty: none)
    double: bool = False  # "||", "|]" or "[|": ends an ending skipped this time through


def expand_repeats(lines: list[str]) -> list[str]:
    """The voice's music (lines of ABC, inline fields included) with its repeats played out."""
    tokens = _tokens("\n".join(lines))
    played: list[str] = []
    start = 0  # token index where the repeated section starts
    passes = 1  # which time through the current section
    skipping = False
    index = 0
    bars = 0
    in_ending = False  # playing an ending the second (or later) time through
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if isinstance(token, str):
            if not skipping:
                played.append(token)
            continue
        bars += 1
        if bars > _MAX_PLAYED_BARS:
            break
        section_done = False
        if token.end_repeat:
            if skipping:  # the end of an ending skipped this time through
                skipping = False
                section_done = not token.ending
            elif passes == 1 or in_ending:  # an ending closed by ":|" goes round once more, as in abc2midi
                played.append("|")
                passes += 1
                index = start
                in_ending = False
                continue
            else:
                section_done = True
                played.append("|")
        elif not skipping:
            played.append("|")
        elif token.double:  # a double bar ends the skipped ending (abc2midi plays on after it)
            skipping = False
            played.append("|")
        if token.ending:
            skipping = passes not in token.ending
            in_ending = not skipping and passes > 1
        if section_done:
            passes, start, in_ending = 1, index, False
        if token.start_repeat:
            passes, start, in_ending = 1, index, False
            skipping = False
    return _lines("".join(played))


def _tokens(music: str) -> list[str | _Bar]:
    tokens: list[str | _Bar] = []
    position = 0
    for match in _TOKEN.finditer(music):
        if match.start() > position:
            tokens.append(music[position:match.start()])
        position = match.end()
        if match.group("text"):
            tokens.append(match.group("text"))
        elif match.group("bar"):
            bar = match.group("bar")
            tokens.append(_Bar(bar.startswith(":"), bar.endswith(":") or bar.startswith("::") or bar == "::",
                               _numbers(match.group("number")), "||" in bar or "|]" in bar or "[|" in bar))
        else:
            tokens.append(_Bar(False, False, _numbers(match.group("lone"))))
    if position < len(music):
        tokens.append(music[position:])
    return _merge_lone_endings(tokens)


def _merge_lone_endings(tokens: list[str | _Bar]) -> list[str | _Bar]:
    """``| [2`` is one barline with an ending, not a barline and an empty bar (also across a line
    continued with a backslash)."""
    merged: list[str | _Bar] = []
    for token in tokens:
        if isinstance(token, _Bar) and not token.end_repeat and not token.start_repeat and token.ending:
            back = len(merged) - 1
            while back >= 0 and isinstance(merged[back], str) and not str(merged[back]).strip(" \t\n\\"):
                back -= 1
            previous = merged[back] if back >= 0 else None
            if isinstance(previous, _Bar) and not previous.ending:
                merged[back] = _Bar(previous.end_repeat, previous.start_repeat, token.ending, previous.double)
                continue
        merged.append(token)
    return merged


def _numbers(text: str | None) -> frozenset[int]:
    if not text:
        return frozenset()
    found: set[int] = set()
    for part in text.split(","):
        low, _, high = part.partition("-")
        if low.isdigit() and len(low) < 4:  # endings are numbered 1, 2, 3...: a huge range is garbage
            top = int(high) if high.isdigit() and len(high) < 4 else int(low)
            found.update(range(int(low), min(top, int(low) + 16) + 1))
    return frozenset(found)


def _lines(music: str) -> list[str]:
    """The played music in lines of a few bars (music21 reads long lines slowly)."""
    out: list[str] = []
    for line in music.split("\n"):
        if line.strip():
            out.append(line)
    return out
