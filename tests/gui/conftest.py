"""GUI test setup: offscreen Qt, a private QSettings per test, no shipped models unless asked."""

from __future__ import annotations

import os

# Must be set before the QApplication exists (pytest-qt creates it lazily in the qapp fixture).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

from musicassist.gui.main_window import MainWindow


@pytest.fixture(autouse=True)
def private_settings(qapp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[QSettings]:
    """Each test writes its settings (and recovery files) under its own tmp_path."""
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    QCoreApplication.setOrganizationName(f"MusicAssistTest-{tmp_path.name}")
    QCoreApplication.setApplicationName("MusicAssistTest")
    monkeypatch.setenv("MUSICASSIST_RECOVERY_DIR", str(tmp_path / "recovery"))
    monkeypatch.setenv("MUSICASSIST_MODELS", str(tmp_path / "no-models"))
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    yield settings
    settings.sync()


@pytest.fixture(autouse=True)
def no_training_index_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    """A real model loaded in a test must not index the user's cached corpus (minutes of CPU, a 25 MB file)."""
    from musicassist.gui import copy_index

    monkeypatch.setattr(copy_index, "build_from_corpus_cache", lambda _folder, _vocab: None)


@pytest.fixture
def settings(private_settings: QSettings) -> QSettings:
    return private_settings


def _unexpected_dialog(*args, **kwargs):
    raise AssertionError(f"unexpected modal dialog: {args[1:3]}")


@pytest.fixture(autouse=True)
def no_modal_dialogs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A modal dialog nobody answers would hang the run offscreen: make it fail instead.

    Tests that expect a dialog patch it again with the answer they want.
    """
    for name in ("question", "warning", "information", "critical"):
        monkeypatch.setattr(QMessageBox, name, _unexpected_dialog)
    monkeypatch.setattr(QInputDialog, "getItem", _unexpected_dialog)
    for name in ("getOpenFileName", "getSaveFileName"):
        monkeypatch.setattr(QFileDialog, name, _unexpected_dialog)


@pytest.fixture
def make_window(qtbot, settings: QSettings, monkeypatch: pytest.MonkeyPatch):
    """Build shown main windows with a given sampler and player factory; all closed afterwards."""
    from .fakes import FakeSampler, PlayerBox

    made: list[MainWindow] = []

    def build(sampler=None, players=None) -> MainWindow:
        chosen = sampler if sampler is not None else FakeSampler()
        main = MainWindow(settings=settings, sampler_factory=lambda _name: chosen,
                          player_factory=players if players is not None else PlayerBox())
        main.show()
        qtbot.waitExposed(main)
        made.append(main)
        return main

    yield build
    # Closed here rather than by qtbot.addWidget, whose close would come first and could prompt.
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    for main in made:
        main.close()
        main.deleteLater()


@pytest.fixture
def window(make_window) -> MainWindow:
    """A shown main window with the fake sampler and a fake MIDI port."""
    return make_window()
