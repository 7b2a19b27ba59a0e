"""Take the README screenshot: the real window, a sample opened, bars selected, candidates shown.

The track list is docked on the left, a tempo change sits on the tempo lane
under the ruler, and the controller lane under the velocity lane shows the
sustain pedal of the seed bars (pedal changed at each barline, as a pianist
would). Run under a virtual X server so the window is a real one:
``xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python -m musicassist.gui.screenshot``
(or with ``QT_QPA_PLATFORM=offscreen``, which renders the same widgets).
Uses the shipped model when it is installed (``--fake`` forces a stand-in
sampler, e.g. before a model exists). Writes ``docs/screenshot.png``.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer, SignalInstance

from musicassist.core.event_edits import draw_pedal
from musicassist.core.generation import Candidate, GenerationProgress, GenerationRequest
from musicassist.core.map_edits import set_tempo
from musicassist.core.score import BarRange, Note, Score, Track
from musicassist.paths import resources_dir

from .app import make_application

DEFAULT_OUTPUT = Path(__file__).resolve().parents[2] / "docs" / "screenshot.png"
SAMPLE = "samples/chorale.musicxml"


class StandInSampler:
    """Rising and falling lines, for a screenshot before any model is trained."""

    def generate(self, request: GenerationRequest, cancel: threading.Event,
                 on_progress: Callable[[GenerationProgress], None],
                 on_candidate: Callable[[Candidate], None]) -> list[Candidate]:
        options = request.options
        last = request.seed.notes[-1].pitch if request.seed.notes else 67
        out = []
        for i in range(options.candidates):
            notes = tuple(Note(Fraction(b), last + (b * (i + 1)) % 7 - 3, Fraction(1)) for b in
                          range(4 * options.length_bars))
            score = Score((Track("", notes),), length_bars=options.length_bars)
            on_progress(GenerationProgress(request.request_id, i + 1, options.candidates))
            out.append(Candidate(request.request_id, i, score, label=f"stand-in {i + 1}"))
            on_candidate(out[-1])
        return out


def _wait(signal: SignalInstance, timeout_ms: int) -> None:
    loop = QEventLoop()
    signal.connect(lambda *_: loop.quit())
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--fake", action="store_true", help="use a stand-in sampler instead of the model")
    args = parser.parse_args(argv)
    app = make_application()
    from .main_window import MainWindow

    window = MainWindow(sampler_factory=(lambda _name: StandInSampler()) if args.fake else None)
    window.resize(1600, 1000)
    window.show()
    window.files.open_path(resources_dir() / SAMPLE, ask_to_save=False)
    app.processEvents()
    window.editor.center_on_notes()
    score = window.document.score
    # A slower tempo from bar 3, as a composer would place it on the tempo lane (one undo step).
    score = set_tempo(score, score.bar_start(2), 72.0)
    # Legato pedalling in the seed bars: up a sixteenth before each barline, down again on it.
    events = score.tracks[0].events
    for bar in range(4):
        events = draw_pedal(events, score.tracks[0].channel, score.bar_start(bar),
                            score.bar_start(bar + 1) - Fraction(1, 4))
    window.document.push_edit(score.with_track(0, score.tracks[0].with_events(events)), "Tempo and pedal")
    window.document.undo_stack.setClean()  # app.quit() closes the window: no "save changes?" prompt
    window.document.set_bar_selection(BarRange(0, 4))
    window.panel.length_spin.setValue(4)
    window.panel.count_spin.setValue(4)
    window.assistant.generate()
    _wait(window.assistant.host.finished, 300_000)
    if window.panel.candidates.count() == 0:
        print(f"no candidates: {window.panel.message.text()}", file=sys.stderr)
        return 1
    window.panel.candidates.setCurrentRow(1)
    # Seed and continuation side by side: the picture should show what the assistant does.
    window.editor.show_beats(window.document.score.bar_start(0), window.document.score.bar_start(8))
    QTimer.singleShot(300, app.quit)  # let the last paints land
    app.exec()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    saved = window.grab().save(str(args.output))
    window.shutdown()
    print(f"wrote {args.output}" if saved else f"could not write {args.output}")
    return 0 if saved else 1


if __name__ == "__main__":
    sys.exit(main())
