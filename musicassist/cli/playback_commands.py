"""``musicassist ports`` and ``musicassist play``: list MIDI ports, play a file on a synth.

A missing MIDI system or port is a ``PortError``: one line on stderr and exit
status 1 (``main`` prints it). Ctrl+C during ``play`` stops the player first,
which releases every note and sends All Notes Off / All Sound Off, then
leaves through ``main``'s usual "interrupted" (status 130). The playback
modules are imported inside the commands so that other subcommands never
load python-rtmidi.
"""

from __future__ import annotations

import argparse
import json
import threading
from fractions import Fraction
from pathlib import Path

from musicassist.core.errors import MusicAssistError, OptionError
from musicassist.core.score import BarRange, Score

_API_HELP = "MIDI system: jack, alsa, coremidi or winmm (default: JACK when its server runs, else the system's own)"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ports = subparsers.add_parser(
        "ports",
        help="list MIDI ports: synths to play into, keyboards to record from",
        description="List the MIDI output ports (synths, interfaces) and input ports (keyboards) MusicAssist "
        "can use. MUSICASSIST_MIDI_API chooses the MIDI system like --api.",
    )
    ports.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    ports.add_argument("--api", metavar="SYSTEM", help=_API_HELP)
    ports.set_defaults(func=_run_ports)

    play = subparsers.add_parser(
        "play",
        help="play a music file on a MIDI synth (Ctrl+C stops)",
        description="Play FILE on a MIDI output port. Ctrl+C stops cleanly: no note is left hanging.",
    )
    play.add_argument("file", type=Path, metavar="FILE", help="a MIDI, MusicXML, ABC or Humdrum file")
    play.add_argument("--port", metavar="NAME", help="output port, or a unique part of its name (see: ports)")
    play.add_argument("--virtual", action="store_true",
                      help="open a virtual output port named MusicAssist for a synth to connect to")
    play.add_argument("--bars", metavar="A-B", help="play only bars A to B, counting from 1 (e.g. 5-8)")
    play.add_argument("--loop", action="store_true", help="repeat the bars until Ctrl+C")
    play.add_argument("--metronome", action="store_true", help="click on the beat (channel 10)")
    play.add_argument("--count-in", type=int, default=0, metavar="BARS", help="bars of clicks before the music")
    play.add_argument("--index", type=int, metavar="N", help="which tune of a multi-tune ABC file (from 1)")
    play.add_argument("--api", metavar="SYSTEM", help=_API_HELP)
    play.set_defaults(func=_run_play)


def _run_ports(args: argparse.Namespace) -> int:
    from musicassist.playback.ports import api_label, choose_api, list_input_ports, list_output_ports

    api = choose_api(args.api)
    outputs, inputs = list_output_ports(api), list_input_ports(api)
    if args.json:
        print(json.dumps({"api": api, "outputs": outputs, "inputs": inputs}, ensure_ascii=False))
        return 0
    print(f"MIDI system: {api_label(api)}")
    for title, names in (("Outputs (synths to play into)", outputs), ("Inputs (keyboards to record from)", inputs)):
        print(f"{title}:")
        for name in names or ["(none)"]:
            print(f"  {name}")
    return 0


def _read(path: Path, number: int | None) -> Score:
    from musicassist.io import list_pieces, read_score

    if number is not None and number < 1:
        raise OptionError("Tunes count from 1: use --index 1 or more.")
    pieces = list_pieces(path)
    if number is None and len(pieces) > 1:
        raise OptionError(f"'{path.name}' holds {len(pieces)} tunes; choose one with --index 1 to {len(pieces)}.")
    return read_score(path, (number or 1) - 1)


def play_region(score: Score, bars: str | None) -> tuple[Fraction, Fraction]:
    """Beats of the composer's 1-based ``A-B`` bars (the whole piece without them)."""
    if bars is None:
        return Fraction(0), score.end
    chosen = BarRange.parse(bars)
    if chosen.end > score.bar_count:
        raise OptionError(f"This piece has {score.bar_count} bars; choose bars within 1-{score.bar_count}.")
    return score.bar_start(chosen.start), score.bar_start(chosen.end)


def _run_play(args: argparse.Namespace) -> int:
    from musicassist.playback.engine import Player
    from musicassist.playback.ports import open_output

    if args.count_in < 0:
        raise OptionError("The count-in cannot be a negative number of bars.")
    score = _read(args.file, args.index)
    start, end = play_region(score, args.bars)
    if end <= start:
        raise OptionError("There is nothing to play: the piece is empty.")

    done = threading.Event()
    failure: list[MusicAssistError] = []

    class CliPlayer(Player):
        def on_finished(self) -> None:
            done.set()

        def on_error(self, error: MusicAssistError) -> None:
            failure.append(error)
            done.set()

    port = open_output(args.port, virtual=args.virtual, api=args.api)
    player = CliPlayer(port, metronome=args.metronome, count_in_bars=args.count_in)
    try:
        where = f"bars {args.bars}" if args.bars else "the whole piece"
        how = "looping until Ctrl+C" if args.loop else "Ctrl+C stops"
        print(f"Playing {where} of {args.file.name} on {port.name} ({how}).", flush=True)
        player.play(score, start, loop=(start, end) if args.loop else None, end_beat=end)
        while not done.wait(0.2):  # a timed wait lets Ctrl+C through at once
            pass
    finally:
        player.stop()
        port.close()
    if failure:
        raise failure[0]
    return 0
