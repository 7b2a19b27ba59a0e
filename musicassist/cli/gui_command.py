"""``musicassist gui [FILE]``: start the desktop window (Qt imported only here)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("gui", help="open the piano-roll window (the default)",
                                   description="Open the MusicAssist window, optionally with a file.")
    parser.add_argument("file", nargs="?", type=Path, help="a MIDI, MusicXML, ABC or Humdrum file to open")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from musicassist.gui.app import run_app

    return run_app(args.file)
