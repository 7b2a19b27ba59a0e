"""A large MusicXML score built at test time (nothing big on disk): 17,842 notes in two parts with tempo changes.

The size of the score the issue measured (a 17,842-note MusicXML file took
music21 2-6 s to open). Eighth notes in 4/4, a one-beat pickup, and a tempo
mark every 200 bars.
"""

from __future__ import annotations

from pathlib import Path

NOTES = 17_842
PARTS = 2
TEMPO_EVERY_BARS = 200
_PITCHES = ("C", "D", "E", "F", "G", "A", "B")


def _note(index: int, duration: int = 1, kind: str = "eighth") -> str:
    step = _PITCHES[index % 7]
    octave = 4 + (index // 7) % 2
    return (f"<note><pitch><step>{step}</step><octave>{octave}</octave></pitch>"
            f"<duration>{duration}</duration><type>{kind}</type></note>")


def _part(number: int, notes: int) -> str:
    measures = []
    written = 0
    bar = 0
    while written < notes:
        size = 2 if bar == 0 else 8  # the pickup: one beat
        count = min(size, notes - written)
        content = "".join(_note(written + k) for k in range(count))
        if count < size:
            content += f"<note><rest/><duration>{size - count}</duration></note>"
        head = ""
        if bar == 0:
            head = ("<attributes><divisions>2</divisions><key><fifths>0</fifths></key>"
                    "<time><beats>4</beats><beat-type>4</beat-type></time></attributes>")
        if number == 1 and bar % TEMPO_EVERY_BARS == 0:
            bpm = 96 + (bar // TEMPO_EVERY_BARS) % 4 * 12
            head += f'<direction placement="above"><direction-type><words>T</words></direction-type>' \
                    f'<sound tempo="{bpm}"/></direction>'
        implicit = ' implicit="yes"' if bar == 0 else ""
        measures.append(f'<measure number="{bar}"{implicit}>{head}{content}</measure>')
        written += count
        bar += 1
    return f'<part id="P{number}">{"".join(measures)}</part>'


def write_large_musicxml(path: Path) -> Path:
    per_part = [NOTES // PARTS + (1 if k < NOTES % PARTS else 0) for k in range(PARTS)]
    part_list = "".join(f'<score-part id="P{k + 1}"><part-name>Part {k + 1}</part-name></score-part>'
                        for k in range(PARTS))
    parts = "".join(_part(k + 1, count) for k, count in enumerate(per_part))
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<score-partwise version="3.1">'
        f"<work><work-title>Large</work-title></work><part-list>{part_list}</part-list>{parts}</score-partwise>\n",
        encoding="utf-8",
    )
    return path
