"""Entry point of the ``musicassist`` command.

Each subcommand lives in its own module exposing ``register(subparsers)``,
which adds a parser whose ``func`` default runs it and returns an exit code.
Typed ``MusicAssistError``s become one line on stderr; ``--debug`` shows the
traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from musicassist import __version__
from musicassist.core.errors import MusicAssistError, OptionError

# Imported lazily so that `musicassist info` never pays for TensorFlow or Qt.
SUBCOMMAND_MODULES = (
    "musicassist.cli.gui_command",
    "musicassist.cli.file_commands",
    "musicassist.cli.ml_commands",
    "musicassist.cli.playback_commands",
    "musicassist.cli.generate_command",
    "musicassist.cli.tune_command",
)

EXIT_ERROR = 1  # bad input file or failed operation
EXIT_USAGE = 2  # impossible options (argparse uses 2 as well)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"musicassist: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="musicassist", description="A composition assistant: sketch, continue, audition.")
    parser.add_argument("--version", action="version", version=f"musicassist {__version__}")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv or ["gui"])
    if args.command is None:
        args = parser.parse_args(["gui", *argv])
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # inside the try: a closed pipe is reported here, not as a traceback at exit
        return code
    except OptionError as exc:
        if args.debug:
            raise
        print(f"musicassist: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except MusicAssistError as exc:
        if args.debug:
            raise
        print(f"musicassist: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("musicassist: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of our output went away (`musicassist info x.mid --json | head -c 300`). Python
        # would print a traceback at exit while flushing stdout: point stdout at /dev/null first.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print("musicassist: the output was closed before everything was written.", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
