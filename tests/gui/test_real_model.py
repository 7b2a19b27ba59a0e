"""The whole loop with the real shipped model (TensorFlow, in the worker thread)."""

import os
import threading
from fractions import Fraction

import pytest

from musicassist.core.score import BarRange
from musicassist.gui.main_window import MainWindow
from musicassist.paths import models_dir

from .fakes import PlayerBox
from .helpers import melody_score

pytestmark = [pytest.mark.gui, pytest.mark.slow]
F = Fraction
SHIPPED_MODELS = models_dir()  # read at import, before the per-test override hides the models


@pytest.fixture
def real_models(monkeypatch):
    if not (SHIPPED_MODELS / "default" / "config.json").is_file():
        message = f"the shipped model is not in {SHIPPED_MODELS / 'default'} (train it or fetch the release)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    monkeypatch.setenv("MUSICASSIST_MODELS", str(SHIPPED_MODELS))


def test_generate_audition_accept_with_the_shipped_model(qtbot, settings, real_models, monkeypatch, tmp_path):
    from PySide6.QtWidgets import QMessageBox

    players = PlayerBox()
    window = MainWindow(settings=settings, player_factory=players)  # the real sampler factory
    window.show()
    try:
        window.document.load(melody_score(4), None)
        window.document.set_bar_selection(BarRange(0, 4))
        window.panel.length_spin.setValue(2)
        window.panel.count_spin.setValue(2)
        with qtbot.waitSignal(window.assistant.host.finished, timeout=300_000):
            window.assistant.generate()
            # The GUI thread is free while TensorFlow loads and samples in the worker.
            assert threading.current_thread() is threading.main_thread()
        candidates = window.panel.candidates.candidates()
        assert len(candidates) == 2, window.panel.message.text()
        assert all(c.score.bar_count == 2 for c in candidates)
        window.panel.audition_button.click()
        assert players.player.calls[-1][0] == "play"
        before = window.document.score
        window.assistant.accept()
        assert window.document.score != before
        window.edits.undo.trigger()
        assert window.document.score == before
        window.panel.candidates.setCurrentRow(1)
        window.assistant.accept()
        assert window.files.export(tmp_path / "continued.mid")
        from musicassist.io import read_score

        exported = read_score(tmp_path / "continued.mid").tracks[0].notes
        continuation = [n for n in exported if n.start >= 16]
        assert [n.pitch for n in continuation] == [n.pitch for n in candidates[1].score.tracks[0].notes]
    finally:
        monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
        window.close()
