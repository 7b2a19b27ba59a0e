"""``musicassist info`` and ``musicassist convert``: look inside a music file, or change its format.

Both read through ``musicassist.io``, so a damaged or mislabelled file gives
the same one-line sentence as in the GUI (exit status 1), and an impossible
option (a tune number the file does not have, an output format MusicAssist
cannot write, converting a file onto itself) gives exit status 2.
"""

from __future__ import annotations

import argparse
import json
import os
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from musicassist.core.errors import OptionError
from musicassist.core.events import CHANNEL_KINDS, ChannelEvent
from musicassist.core.key_detect import passage_key
from musicassist.core.score import Score
from musicassist.io import READ_EXTENSIONS, WRITE_EXTENSIONS, list_pieces, read_score, write_score
from musicassist.io.general_midi import controller_name, instrument_name

_INDEX_HELP = "which tune of a multi-tune ABC file to use, counting from 1 (required when there are several)"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    info = subparsers.add_parser(
        "info",
        help="describe a music file: tracks, notes, bars, tempo, meter, key, controllers, duration",
        description="Describe a music file: its tracks (name, channel 1-16, General MIDI program 0-127, "
        "notes, drums), and its notes, bars, tempo, meter, key, the controllers it uses (sustain pedal, "
        "volume, pitch bend, pressure, ...: events per kind and controller number) and its duration. "
        f"Reads {', '.join(READ_EXTENSIONS)} files.",
    )
    info.add_argument("file", type=Path, metavar="FILE", help="the file to describe")
    info.add_argument("--index", type=_tune_number, metavar="N", help=_INDEX_HELP)
    info.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    info.set_defaults(func=_run_info)

    convert = subparsers.add_parser(
        "convert",
        help="convert a music file to MIDI or MusicXML",
        description=f"Convert IN to OUT; the extensions choose the formats. Reads {', '.join(READ_EXTENSIONS)}; "
        f"writes {', '.join(WRITE_EXTENSIONS)}. OUT is replaced only once it is complete, and never "
        "when converting fails.",
    )
    convert.add_argument("input", type=Path, metavar="IN", help="the file to read")
    convert.add_argument("output", type=Path, metavar="OUT", help="the file to write (MIDI or MusicXML)")
    convert.add_argument("--index", type=_tune_number, metavar="N", help=_INDEX_HELP)
    convert.set_defaults(func=_run_convert)


def _tune_number(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a tune number: tunes count from 1")
    return number


def read_piece(path: Path, number: int | None) -> tuple[Score, int, int]:
    """(score, 1-based piece number, number of pieces); a book of tunes needs ``number``."""
    pieces = list_pieces(path)
    if number is None:
        if len(pieces) > 1:
            raise OptionError(
                f"'{path.name}' holds {len(pieces)} tunes; choose one with --index 1 to {len(pieces)}."
            )
        number = 1
    return read_score(path, number - 1), number, len(pieces)


def describe(score: Score) -> dict[str, Any]:
    """What ``info --json`` prints about a score (channels and bars counted from 1)."""
    meter_map, tempo_map = score.meter_map, score.tempo_map
    return {
        "title": score.title,
        "tracks": [
            {
                "name": track.name,
                "channel": track.channel + 1,
                "program": track.program,
                "instrument": instrument_name(track.program, track.channel),
                "notes": len(track.notes),
                "drums": track.is_drums,
            }
            for track in score.tracks
        ],
        "notes": score.note_count,
        "bars": score.bar_count,
        "tempo_bpm": tempo_map.changes[0].bpm,
        "tempo_changes": [
            {"bar": score.bar_at(change.beat) + 1, "beat": float(change.beat), "bpm": change.bpm}
            for change in tempo_map.changes
        ],
        "time_signature": str(score.time_signature),
        "meter_changes": [
            {"bar": change.bar + 1, "time_signature": str(change.time_signature)} for change in meter_map.changes
        ],
        "controllers": controllers_used(score),
        "key": str(score.key) if score.key is not None else None,
        "detected_key": _detected_key(score),
        "duration_seconds": round(score.duration_seconds, 3),
    }


def controllers_used(score: Score) -> list[dict[str, Any]]:
    """The controllers, bend, pressure and program changes the score's tracks hold: one entry per kind
    (and controller number), with its name, how many events and on which tracks (counted from 1)."""
    counts: Counter[tuple[int, int]] = Counter()
    tracks: dict[tuple[int, int], set[int]] = defaultdict(set)
    for number, track in enumerate(score.tracks, start=1):
        for event in track.events:
            if isinstance(event, ChannelEvent):
                key = (CHANNEL_KINDS.index(event.kind), event.number if event.kind == "control_change" else 0)
                counts[key] += 1
                tracks[key].add(number)
    return [{"kind": CHANNEL_KINDS[kind], "number": number if CHANNEL_KINDS[kind] == "control_change" else None,
             "name": controller_name(CHANNEL_KINDS[kind], number), "events": counts[(kind, number)],
             "tracks": sorted(tracks[(kind, number)])}
            for kind, number in sorted(counts)]


def _detected_key(score: Score) -> str | None:
    """The key the notes suggest (core.key_detect: the same finder as the window and the checks)."""
    found = passage_key(score, ends_piece=True)
    return str(found) if found is not None else None


def _run_info(args: argparse.Namespace) -> int:
    score, number, count = read_piece(args.file, args.index)
    facts = {"file": str(args.file), "piece": number, "pieces": count, **describe(score)}
    if args.json:
        print(json.dumps(facts, ensure_ascii=False))
    else:
        print(_as_text(facts))
    return 0


def _as_text(facts: dict[str, Any]) -> str:
    heading = facts["file"]
    if facts["pieces"] > 1:
        heading += f" (tune {facts['piece']} of {facts['pieces']})"
    lines = [heading]
    if facts["title"]:
        lines.append(f"Title:    {facts['title']}")
    lines.append(f"Tracks:   {len(facts['tracks'])}")
    width = max((len(t["name"]) for t in facts["tracks"]), default=0)
    for number, track in enumerate(facts["tracks"], start=1):
        sound = "drums" if track["drums"] else f"{track['instrument']} (program {track['program']})"
        lines.append(
            f"  {number:>2}. {track['name']:<{width}}  channel {track['channel']:>2}  {sound}, "
            f"{track['notes']} notes"
        )
    lines.append(f"Notes:    {facts['notes']}")
    lines.append(f"Bars:     {facts['bars']}")
    tempi = [f"{c['bpm']:g} BPM" + (f" at bar {c['bar']}" if i else "") for i, c in enumerate(facts["tempo_changes"])]
    lines.append(f"Tempo:    {', '.join(tempi)}")
    meters = [c["time_signature"] + (f" at bar {c['bar']}" if i else "") for i, c in enumerate(facts["meter_changes"])]
    lines.append(f"Meter:    {', '.join(meters)}")
    lines.append(f"Key:      {facts['key'] or 'not given'}")
    if facts["controllers"]:
        lines.append("Controllers:")
        name_width = max(len(c["name"]) for c in facts["controllers"])
        for controller in facts["controllers"]:
            where = ", ".join(str(number) for number in controller["tracks"])
            count = controller["events"]
            lines.append(f"  {controller['name']:<{name_width}}  {count:>6} event{'s' if count != 1 else ' '}  "
                         f"(track{'s' if len(controller['tracks']) > 1 else ''} {where})")
    else:
        lines.append("Controllers: none")
    lines.append(f"Heard as: {facts['detected_key'] or 'no pitched notes'}")
    seconds = facts["duration_seconds"]
    lines.append(f"Duration: {int(seconds // 60)}:{seconds % 60:04.1f} ({seconds:.1f} seconds)")
    return "\n".join(lines)


def _run_convert(args: argparse.Namespace) -> int:
    source, target = args.input, args.output
    if target.suffix.lower() not in WRITE_EXTENSIONS:
        endings = ", ".join(WRITE_EXTENSIONS)
        raise OptionError(f"MusicAssist cannot save '{target.name}': choose an OUT ending in {endings}.")
    if _same_file(source, target):
        raise OptionError(f"Choose another OUT file: converting would overwrite '{source.name}' itself.")
    score, _, _ = read_piece(source, args.index)
    write_score(score, target)
    print(f"Wrote {target}: {len(score.tracks)} tracks, {score.note_count} notes, {score.bar_count} bars.")
    return 0


def _same_file(first: Path, second: Path) -> bool:
    try:
        if first.exists() and second.exists():
            return os.path.samefile(first, second)
    except OSError:
        pass
    return first.resolve() == second.resolve()
