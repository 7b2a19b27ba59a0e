"""Playback timing: the Player against two simpler schedulers, through a real JACK MIDI loopback.

For each JACK period (256 and 64 frames at 44.1 kHz) a private JACK server
with the dummy driver is started; each scheduler plays the same irregular
rhythm (300 messages, 21..125 ms apart, off any grid) into a virtual input
port of this process, which timestamps arrivals. Errors are measured against
the tempo map after removing the constant latency (the median), at two
points: when the scheduler hands the message to the port ("send") and when
it arrives through JACK ("loopback"; JACK adds up to one period).

Schedulers: ``player`` (musicassist: absolute deadlines, condition-variable
sleep, then a short spin), ``sleep-abs`` (absolute deadlines, time.sleep
only, as mido's MidiFile.play does), ``sleep-rel`` (time.sleep of each gap:
drifts). Run: ``.venv/bin/python benchmarks/bench_playback_jitter.py``.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import mido

from musicassist.core import Note, Score, TempoMap, Track
from musicassist.playback.engine import Player
from musicassist.playback.ports import open_input, open_output
from musicassist.playback.schedule import TimedMessage, schedule_messages

SAMPLE_RATE = 44100
NOTES = 150


def _score() -> Score:
    rng = random.Random(6)
    beats, beat = [], Fraction(0)
    for _ in range(NOTES):
        beats.append(beat)
        beat += Fraction(rng.randint(1, 6), 24)
    notes = tuple(Note(b, 40 + i % 48, Fraction(1, 48)) for i, b in enumerate(beats))
    return Score(tracks=(Track("t", notes),), tempo_map=TempoMap.constant(120))


def _start_jack(period: int, log: Path) -> tuple[str, subprocess.Popen[bytes]]:
    name = f"musicassist-bench-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    with log.open("wb") as out:
        process = subprocess.Popen(["jackd", "--no-realtime", "-n", name, "-d", "dummy", "-r", str(SAMPLE_RATE),
                                    "-p", str(period)], stdout=out, stderr=subprocess.STDOUT)
    env = {**os.environ, "JACK_DEFAULT_SERVER": name}
    deadline = time.monotonic() + 15
    while "system:playback_1" not in subprocess.run(["jack_lsp"], env=env, capture_output=True, text=True).stdout:
        if time.monotonic() > deadline or process.poll() is not None:
            raise SystemExit(f"jackd did not start:\n{log.read_text(errors='replace')}")
        time.sleep(0.05)
    return name, process


class _StampingPort:
    """Forwards to the real port and notes when each message was handed over."""

    def __init__(self, port: mido.ports.BaseOutput) -> None:
        self.port, self.name, self.sent = port, port.name, []  # type: ignore[var-annotated]

    def send(self, message: mido.Message) -> None:
        if message.type.startswith("note"):
            self.sent.append(time.perf_counter())
        self.port.send(message)


def _play_with_player(port: _StampingPort, score: Score, notes: list[TimedMessage]) -> None:
    done = threading.Event()

    class Done(Player):
        def on_finished(self) -> None:
            done.set()

    Done(port).play(score)
    done.wait(score.duration_seconds + 10)


def _play_sleep_absolute(port: _StampingPort, score: Score, notes: list[TimedMessage]) -> None:
    start = time.perf_counter() + 0.02
    for item in notes:
        delay = start + item.seconds - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        port.send(item.message)


def _play_sleep_relative(port: _StampingPort, score: Score, notes: list[TimedMessage]) -> None:
    previous = 0.0
    for item in notes:
        time.sleep(item.seconds - previous)
        previous = item.seconds
        port.send(item.message)


def _stats(expected: list[float], actual: list[float]) -> tuple[float, float, float]:
    """p50 and p99 of |error| in ms (median latency removed), and the end-to-end drift in ms."""
    differences = [a - e for e, a in zip(expected, actual, strict=True)]
    latency = sorted(differences)[len(differences) // 2]
    errors = sorted(abs(d - latency) * 1000 for d in differences)
    tail = len(differences) // 10
    drift = (sum(differences[-tail:]) - sum(differences[:tail])) / tail * 1000
    return errors[len(errors) // 2], errors[min(len(errors) - 1, round(0.99 * (len(errors) - 1)))], drift


def _measure(play: Callable[[_StampingPort, Score, list[TimedMessage]], None]) -> dict[str, tuple[float, ...]]:
    score = _score()
    notes = [m for m in schedule_messages(score) if m.message.type.startswith("note")]
    arrivals: list[tuple[float, mido.Message]] = []

    def arrived(message: mido.Message) -> None:
        if message.type.startswith("note"):
            arrivals.append((time.perf_counter(), message))

    loopback = open_input(None, arrived, virtual=True)
    port = open_output(loopback.name)
    try:
        stamping = _StampingPort(port)
        play(stamping, score, schedule_messages(score))
        time.sleep(0.2)
    finally:
        port.close()
        loopback.close()
    # Match arrivals to the schedule in order (a message lost by an overloaded JACK is skipped).
    matched: list[tuple[float, float]] = []
    cursor = 0
    for stamp, message in arrivals:
        while cursor < len(notes) and notes[cursor].message.bytes() != message.bytes():
            cursor += 1
        if cursor < len(notes):
            matched.append((notes[cursor].seconds, stamp))
            cursor += 1
    expected = [m.seconds for m in notes]
    return {"send": _stats(expected, stamping.sent), "loopback": _stats(*map(list, zip(*matched, strict=True))),
            "lost": (float(len(notes) - len(matched)),)}


def main() -> int:
    if not (shutil.which("jackd") and shutil.which("jack_lsp")):
        print("jackd is not installed (Debian package jackd2); nothing measured.")
        return 0 if os.environ.get("CI") != "true" else 1
    os.environ["MUSICASSIST_MIDI_API"] = "UNIX_JACK"
    schedulers = {"player": _play_with_player, "sleep-abs": _play_sleep_absolute,
                  "sleep-rel": _play_sleep_relative}
    results: dict[tuple[int, str], dict[str, tuple[float, ...]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for period in (256, 64):
            name, server = _start_jack(period, Path(tmp) / f"jack{period}.log")
            os.environ["JACK_DEFAULT_SERVER"] = name
            try:
                for label, play in schedulers.items():
                    results[(period, label)] = _measure(play)
            finally:
                server.send_signal(signal.SIGTERM)
                server.wait(10)
    print(f"{NOTES * 2} messages, errors in ms after removing the median latency (p50 / p99 of |error|; drift "
          "= last tenth minus first tenth)")
    print(f"{'period':>8} {'scheduler':>10} {'send p50':>9} {'send p99':>9} {'loop p50':>9} {'loop p99':>9} "
          f"{'drift':>7} {'lost':>5}")
    for (period, label), r in results.items():
        print(f"{period:>4} fr. {label:>10} {r['send'][0]:9.3f} {r['send'][1]:9.3f} {r['loopback'][0]:9.3f} "
              f"{r['loopback'][1]:9.3f} {r['loopback'][2]:7.2f} {int(r['lost'][0]):5d}")
    for period in (256, 64):
        ours = results[(period, "player")]
        for other in ("sleep-abs", "sleep-rel"):
            theirs = results[(period, other)]
            print(f"period {period}: send p99 {other} / player = {theirs['send'][1] / max(ours['send'][1], 1e-3):.1f}x,"
                  f" loopback p99 {other} / player = {theirs['loopback'][1] / max(ours['loopback'][1], 1e-3):.2f}x")
    print(f"loopback p99 period 256 / period 64 (player) = "
          f"{results[(256, 'player')]['loopback'][1] / max(results[(64, 'player')]['loopback'][1], 1e-3):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
