"""Autosave to a recovery file, and the restore offer after a crash."""

import os
import subprocess
import sys
import textwrap
from fractions import Fraction

import pytest
from PySide6.QtWidgets import QMessageBox

from musicassist.core.score import Note
from musicassist.gui.autosave import AUTOSAVE_INTERVAL_MS, find_recoveries
from musicassist.io import read_score

from .helpers import melody_score, write_midi

pytestmark = pytest.mark.gui
F = Fraction

CRASHING_SESSION = textwrap.dedent("""
    import os
    from fractions import Fraction
    from musicassist.gui.app import make_application
    from musicassist.gui.main_window import MainWindow
    from musicassist.core.score import Note
    app = make_application()
    window = MainWindow()
    window.document.edit_track_notes((), (Note(Fraction(2), 67, Fraction(1)),), "Draw note")
    assert window.autosaver.save_now()
    os._exit(3)  # a crash: no close, no cleanup
""")


def test_modified_documents_are_autosaved_every_minute_and_cleared_on_save(window, tmp_path):
    autosaver = window.autosaver
    assert autosaver.timer.isActive() and autosaver.timer.interval() == AUTOSAVE_INTERVAL_MS == 60_000
    path = write_midi(melody_score(2), tmp_path / "tune.mid")
    window.open_path(path)
    autosaver.save_now()
    assert not autosaver.music_path.exists()  # nothing unsaved, nothing to recover
    window.document.edit_track_notes((), (Note(F(1, 2), 90, F(1)),), "Draw note")
    autosaver.timer.timeout.emit()
    assert Note(F(1, 2), 90, F(1)) in read_score(autosaver.music_path).tracks[0].notes
    assert autosaver.music_path.name == f"recovery-{os.getpid()}.mid"
    assert find_recoveries(autosaver.directory) == []  # our own file: this process is alive
    window.save_action.trigger()
    assert not autosaver.music_path.exists() and not autosaver.info_path.exists()


def test_after_a_crash_the_next_start_offers_to_restore(make_window, tmp_path, monkeypatch):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", CRASHING_SESSION], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 3, done.stderr
    (recovery,) = find_recoveries()
    assert "untitled" in recovery.describe()
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.Yes)
    window = make_window()
    window.start_session(None)
    assert asked and "did not close normally" in asked[0]
    assert Note(F(2), 67, F(1)) in window.document.track.notes
    assert window.document.is_modified and window.isWindowModified()
    assert find_recoveries() == [] and not recovery.music.exists()


def test_declining_the_restore_discards_the_recovery_and_opens_the_file(make_window, tmp_path, monkeypatch):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path))
    subprocess.run([sys.executable, "-c", CRASHING_SESSION], env=env, capture_output=True, timeout=60)
    assert len(find_recoveries()) == 1
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    path = write_midi(melody_score(1), tmp_path / "asked.mid")
    window = make_window()
    window.start_session(path)
    assert window.document.path == path
    assert find_recoveries() == []


def test_a_normal_close_leaves_no_recovery_file(make_window, monkeypatch):
    window = make_window()
    window.document.edit_track_notes((), (Note(F(0), 60, F(1)),), "Draw note")
    window.autosaver.save_now()
    assert window.autosaver.music_path.exists()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    window.close()
    assert not window.autosaver.music_path.exists()
