"""``musicassist generate``: continue bars A-B of a file with N candidates of K bars each.

Writes ``DIR/candidate-01.mid`` ... holding only the K new bars (the seed's
tempo and meter), or with ``--merge`` the whole input with the continuation
right after bar B (replacing what was there, bar by bar: the window's Accept,
``core.continuation``). The files are written into a staging folder and
moved into DIR together, so DIR never holds a partial set (a full disk
leaves DIR as it was). ``--json`` prints one object
with every candidate (file, bars, notes, label, mean log-likelihood, longest
training match), the model and the load and sampling times. Impossible
options give one sentence and exit status 2; TensorFlow is never imported.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any

from musicassist.core.continuation import AcceptMode, write_continuation
from musicassist.core.errors import OptionError, ScoreError
from musicassist.core.generation import Candidate, GenerationOptions, GenerationRequest, Steering
from musicassist.core.score import BarRange, Score
from musicassist.core.timemaps import PITCH_CLASS_NAMES, KeySignature
from musicassist.io.atomic import FileWriteError

_NOTE_NAME = re.compile(r"^([A-Ga-g])([#b]?)(\d)$")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "generate",
        help="continue some bars of a file with several candidate continuations",
        description="Continue bars A-B of IN with N candidates of K bars each, written to DIR/candidate-01.mid "
        "and so on. Steering: --scale keeps every pitch in a key (auto: the key of the selected bars), "
        "--range keeps pitches between two notes, --density aims at a number of notes per bar.",
    )
    parser.add_argument("input", type=Path, metavar="IN", help="a MIDI, MusicXML, ABC or Humdrum file")
    parser.add_argument("--bars", required=True, metavar="A-B", help="the bars to continue, counting from 1")
    parser.add_argument("--track", type=int, metavar="T",
                        help="continue only track T (counting from 1; default: all but drums together)")
    parser.add_argument("--index", type=_tune_number, metavar="N",
                        help="which tune of a multi-tune ABC file, counting from 1")
    parser.add_argument("--length", type=int, required=True, metavar="K", help="bars per candidate (1-64)")
    parser.add_argument("--candidates", type=int, default=4, metavar="N", help="how many candidates (1-32)")
    parser.add_argument("--temperature", type=float, default=1.0, metavar="X",
                        help="higher is more adventurous (0.05-5, default 1)")
    parser.add_argument("--top-p", type=float, default=0.95, metavar="P",
                        help="sample only from the most likely tokens covering P (default 0.95)")
    parser.add_argument("--seed", type=int, default=None, metavar="S", help="random seed: same seed, same result")
    parser.add_argument("--scale", metavar="C:major|auto", help="keep every pitch in this key's scale")
    parser.add_argument("--range", dest="pitch_range", metavar="LO-HI",
                        help="lowest and highest pitch, as MIDI numbers (48-84) or names (C3-C6)")
    parser.add_argument("--density", type=float, metavar="D", help="target notes per bar")
    parser.add_argument("--merge", action="store_true",
                        help="write the whole input with each continuation placed right after bar B")
    parser.add_argument("--model", metavar="DIR", help="model folder or shipped name (default: default)")
    parser.add_argument("--out", required=True, type=Path, metavar="DIR", help="folder for the candidate files")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.set_defaults(func=_run)


# --- option parsing ---------------------------------------------------------------------------------

def _tune_number(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a tune number: tunes count from 1")
    return int(text)


def parse_pitch(text: str) -> int:
    """A MIDI number (60) or a note name with octave (C4 = 60, F#3, Bb5)."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    match = _NOTE_NAME.match(text)
    if not match:
        raise OptionError(f"'{text}' is not a pitch: use a MIDI number like 60 or a name like C4.")
    letter, accidental, octave = match.groups()
    names = {name: pc for pc, name in enumerate(("C", "", "D", "", "E", "F", "", "G", "", "A", "", "B")) if name}
    pitch_class = names[letter.upper()] + {"#": 1, "b": -1, "": 0}[accidental]
    return (int(octave) + 1) * 12 + pitch_class


def parse_range(text: str) -> tuple[int, int]:
    low, sep, high = text.partition("-")
    if not sep:
        raise OptionError(f"'{text}' is not a pitch range like 48-84 or C3-C6.")
    lowest, highest = parse_pitch(low), parse_pitch(high)
    if not 0 <= lowest <= highest <= 127:
        raise OptionError(f"'{text}' is not a pitch range: give the lowest first, both within 0..127 (C-1..G9).")
    return lowest, highest


def select_seed(score: Score, bars: BarRange, track: int | None) -> tuple[Score, list[int]]:
    """The selected bars (starting at beat 0) and the indices of the tracks being continued."""
    from musicassist.core.edits import slice_bars

    if bars.end > score.bar_count:
        raise OptionError(f"The piece has {score.bar_count} bars; bars {bars} go past its end.")
    if track is not None:
        if not 1 <= track <= len(score.tracks):
            raise OptionError(f"There is no track {track}; this piece has {len(score.tracks)}.")
        if score.tracks[track - 1].is_drums:
            raise OptionError(f"Track {track} is a drum track, which cannot be continued.")
        chosen = [track - 1]
    else:
        chosen = [i for i, t in enumerate(score.tracks) if not t.is_drums]
    selection = slice_bars(score, bars.start, bars.end)
    seed = selection.with_tracks(selection.tracks[i] for i in chosen)
    if seed.note_count == 0:
        where = f"track {track}" if track is not None else "the piece"
        raise OptionError(f"Bars {bars} of {where} have no notes to continue.")
    return seed, chosen


def steering_from(args: argparse.Namespace, seed: Score) -> tuple[Steering, KeySignature | None]:
    scale: KeySignature | None = None
    if args.scale:
        if args.scale.strip().lower() == "auto":
            from musicassist.core.key_detect import passage_key

            scale = passage_key(seed)  # as the window's Auto key: the seed's bar lines and written signature
            if scale is None:
                raise OptionError("The selected bars have no pitched notes to find a key from.")
        else:
            try:
                scale = KeySignature.parse(args.scale)
            except ScoreError as exc:
                raise OptionError(f"Unknown scale '{args.scale}': use a key like C:major or A:minor, "
                                  "or auto.") from exc
    lowest, highest = parse_range(args.pitch_range) if args.pitch_range else (0, 127)
    return Steering(scale=scale, lowest=lowest, highest=highest, density=args.density), scale


# --- output -----------------------------------------------------------------------------------------

def merged(score: Score, bars: BarRange, chosen: list[int], candidate: Score) -> Score:
    """The input with the candidate right after bar B: the window's Accept in replace mode, with the
    other continued tracks cleared in those bars (the candidate continues them together)."""
    return write_continuation(score, bars.end, candidate, chosen[0], AcceptMode.REPLACE, cleared=chosen[1:])


def _describe(candidate: Candidate, path: Path) -> dict[str, Any]:
    return {
        "file": str(path),
        "bars": candidate.score.bar_count,
        "notes": candidate.score.note_count,
        "label": candidate.label,
        "mean_log_likelihood": round(candidate.mean_log_likelihood, 4),
        "longest_training_match": candidate.longest_training_match,
        "flags": list(candidate.flags),
    }


def _check_out_folder(out: Path) -> None:
    """--out must be a folder (or not exist yet) in a place we may write to."""
    if out.exists() and not out.is_dir():
        raise OptionError(f"--out names the file '{out}'; give a folder for the candidate files.")
    existing = out
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    probe = existing / f".musicassist-probe-{os.getpid()}"
    try:  # os.access says yes on a read-only file system for root: only trying tells
        probe.mkdir()
        probe.rmdir()
    except OSError as exc:
        raise FileWriteError(f"Cannot save into '{out}': '{existing}' cannot be written to "
                             f"({exc.strerror or 'the system refused'}).") from exc


def _run(args: argparse.Namespace) -> int:
    from musicassist.cli.file_commands import read_piece
    from musicassist.io import write_score
    from musicassist.io.atomic import atomic_write_bytes, files_into_folder
    from musicassist.io.midi_splice import MidiSplicer

    try:
        bars = BarRange.parse(args.bars)
    except ScoreError as exc:
        raise OptionError(str(exc)) from exc
    _check_out_folder(args.out)  # before the minutes of loading and sampling
    score, _, _ = read_piece(args.input, args.index)
    seed, chosen = select_seed(score, bars, args.track)
    steering, scale = steering_from(args, seed)
    options = GenerationOptions(length_bars=args.length, candidates=args.candidates, temperature=args.temperature,
                                top_p=args.top_p, seed=args.seed, steering=steering)

    from musicassist.ml import copy_check, model_store
    from musicassist.ml.sampler import load_sampler
    from musicassist.paths import cache_dir

    folder = model_store.resolve_model_dir(args.model)
    sampler = load_sampler(folder)
    if sampler.training_index is None:  # built once per model, from the corpus cache if there is one
        sequences = copy_check.cached_training_sequences(cache_dir())
        if sequences:
            print("musicassist: indexing the training corpus for the copy check (once per model)...",
                  file=sys.stderr)
            sampler.training_index = copy_check.build_training_index(folder, cache_dir(), sampler.vocab,
                                                                     sequences)
    started = time.perf_counter()
    candidates = sampler.generate(GenerationRequest(1, seed, options), threading.Event(), lambda _: None,
                                  lambda _: None)
    sampling_seconds = time.perf_counter() - started

    described = []
    # Merged candidates differ from the input only in the continued bars: their bytes are spliced from
    # the input's, serialized once (writing the whole piece per candidate made --merge slower than
    # convert plus generate on large files).
    splicer = MidiSplicer(score, score.bar_start(bars.end), score.bar_start(bars.end + args.length)) \
        if args.merge else None
    with files_into_folder(args.out) as staging:
        for candidate in candidates:
            name = f"candidate-{candidate.index + 1:02d}.mid"
            if splicer is not None:
                atomic_write_bytes(staging / name, splicer.midi_bytes(merged(score, bars, chosen, candidate.score)))
            else:
                write_score(candidate.score, staging / name)
            described.append(_describe(candidate, args.out / name))
    if args.json:
        print(json.dumps({
            "candidates": described,
            "model": str(folder),
            "scale": str(scale) if scale else None,
            "training_index": sampler.training_index is not None,
            "seconds_model_load": round(sampler.load_seconds, 4),
            "seconds_sampling": round(sampling_seconds, 4),
        }, indent=2))
        return 0
    if scale is not None:
        print(f"scale: {PITCH_CLASS_NAMES[scale.tonic]} {scale.mode}")
    for item in described:
        flags = f"  [{', '.join(item['flags'])}]" if item["flags"] else ""
        print(f"{item['file']}: {item['bars']} bars, {item['notes']} notes, {item['label']} "
              f"(log-likelihood {item['mean_log_likelihood']:.2f}){flags}")
    print(f"model {folder.name}: loaded in {sampler.load_seconds:.2f} s, sampled in {sampling_seconds:.2f} s",
          file=sys.stderr)
    return 0
