"""Space to the first MIDI event: how long the window takes to start playing a long piece and a short one.

Builds two pieces in memory and writes them as MIDI files, reads them back as
the window would open them, then presses Space (the window's Play action) in
an offscreen ``MainWindow`` whose player is the real ``QtPlayer`` on an
in-memory output port, and times from the key press to the first message on
the port. The long piece is 600 bars, 15,000 notes in 8 tracks with 11 tempo
changes and 2 meter changes; the short one 16 bars, one track. A third row
plays the long piece with controllers (a pedal down and up in every bar, an
expression curve of 8 values a bar and a pitch bend every beat, on every
track: 72,000 events, loaded in memory) from bar 300, so Space must first chase
the controller state in force there. Each is timed
``--runs`` times (median and worst are printed), side by side in one run.
Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_playback_start.py``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from fractions import Fraction
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import mido
import mido.ports
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from musicassist.core.events import EXPRESSION, SUSTAIN_PEDAL, ChannelEvent
from musicassist.core.score import Note, Score, Track
from musicassist.core.timemaps import MeterChange, MeterMap, TempoChange, TempoMap, TimeSignature
from musicassist.io import read_score, write_score

F = Fraction


class FirstEventPort(mido.ports.BaseOutput):
    """Notes the perf_counter reading of the first message after ``arm()``."""

    def _open(self, **kwargs: object) -> None:
        self.first: float | None = None
        self.arrived = threading.Event()

    def arm(self) -> None:
        self.first = None
        self.arrived.clear()

    def _send(self, msg: mido.Message) -> None:
        if self.first is None:
            self.first = time.perf_counter()
            self.arrived.set()


def long_piece(bars: int = 600, notes: int = 15000, tracks: int = 8) -> Score:
    rng = random.Random(17)
    meter = MeterMap.from_changes([MeterChange(0, TimeSignature(4, 4)), MeterChange(200, TimeSignature(3, 4)),
                                   MeterChange(400, TimeSignature(4, 4))])
    end = meter.bar_start(bars)
    tempo = TempoMap.from_changes([TempoChange(F(0), 96.0)] + [
        TempoChange(meter.bar_start(bars * (i + 1) // 12), 80.0 + 7 * i) for i in range(11)])
    per_track = notes // tracks
    made = []
    for t in range(tracks):
        starts = sorted(F(rng.randrange(int(end) * 4), 4) for _ in range(per_track))
        track_notes = tuple(Note(s, 36 + (t * 7 + rng.randrange(24)) % 80, F(rng.choice((1, 2, 3, 4)), 4),
                                 rng.randrange(40, 120), t) for s in starts)
        made.append(Track(f"Part {t + 1}", track_notes, program=(t * 8) % 128, channel=t))
    return Score(tracks=tuple(made), meter_map=meter, tempo_map=tempo, length_bars=bars)


def with_controllers(score: Score) -> Score:
    """Every track gets a pedal bar per bar, 8 expression values per bar and a bend per beat."""
    tracks = []
    for track in score.tracks:
        events = []
        for bar in range(score.bar_count):
            start, end = score.bar_start(bar), score.bar_start(bar + 1)
            events += [ChannelEvent(start, "control_change", track.channel, SUSTAIN_PEDAL, 127),
                       ChannelEvent(end - F(1, 8), "control_change", track.channel, SUSTAIN_PEDAL, 0)]
            events += [ChannelEvent(start + (end - start) * i / 8, "control_change", track.channel, EXPRESSION,
                                    60 + 8 * i) for i in range(8)]
            events += [ChannelEvent(start + beat, "pitchwheel", track.channel, 0, 100 * beat)
                       for beat in range(int(end - start))]
        tracks.append(track.with_events(events))
    return score.with_tracks(tuple(tracks))


def short_piece(bars: int = 16) -> Score:
    scale = (60, 62, 64, 65, 67, 69, 71, 72)
    notes = tuple(Note(F(i), scale[i % 8], F(1), 80) for i in range(4 * bars))
    return Score(tracks=(Track("Melody", notes),), length_bars=bars)


def time_space(window: object, port: FirstEventPort, app: QApplication, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        port.arm()
        pressed = time.perf_counter()
        window.play_action.trigger()  # type: ignore[attr-defined]
        if not port.arrived.wait(10):
            raise RuntimeError("no MIDI event within 10 s")
        assert port.first is not None
        times.append((port.first - pressed) * 1000)
        window.play_action.trigger()  # type: ignore[attr-defined]  # stop
        app.processEvents()
        time.sleep(0.05)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    from musicassist.gui.main_window import MainWindow
    from musicassist.gui.qt_player import QtPlayer

    port = FirstEventPort()
    with tempfile.TemporaryDirectory() as folder:
        os.environ["MUSICASSIST_RECOVERY_DIR"] = str(Path(folder) / "recovery")
        settings = QSettings(str(Path(folder) / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings=settings, player_factory=lambda _name: QtPlayer(port))
        window.show()
        rows = []
        long = long_piece()
        for label, score in (("600 bars, 15,000 notes, 8 tracks", long), ("16 bars, 1 track", short_piece())):
            path = Path(folder) / "piece.mid"
            write_score(score, path)
            opened = read_score(path)
            window.document.load(opened, None)
            app.processEvents()
            times = time_space(window, port, app, args.runs)
            rows.append((label, opened.note_count, statistics.median(times), max(times), times[0]))
        controlled = with_controllers(long)
        window.document.load(controlled, None)
        window.document.set_cursor(controlled.bar_start(300))
        app.processEvents()
        times = time_space(window, port, app, args.runs)
        events = sum(len(t.events) for t in controlled.tracks)
        rows.insert(1, (f"same + {events:,} ctrl events, bar 300", controlled.note_count,
                        statistics.median(times), max(times), times[0]))
        window.shutdown()
    print(f"{'piece':36} {'notes':>7} {'median ms':>10} {'worst ms':>9} {'first ms':>9}")
    for label, count, median, worst, first in rows:
        print(f"{label:36} {count:7d} {median:10.1f} {worst:9.1f} {first:9.1f}")
    print(f"ratio long/short (median): {rows[0][2] / rows[-1][2]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
