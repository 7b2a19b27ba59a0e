"""GUI test setup: offscreen Qt, a private QSettings per test, no shipped models unless asked."""

from __future__ import annotations

import os

# Must be set before the QApplication exists (pytest-qt creates it lazily in the qapp fixture).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings

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


@pytest.fixture
def settings(private_settings: QSettings) -> QSettings:
    return private_settings


@pytest.fixture
def window(qtbot, settings: QSettings) -> Iterator[MainWindow]:
    """A shown main window with the fake sampler and no MIDI port."""
    from .fakes import FakeSampler, fake_player_factory

    main = MainWindow(settings=settings, sampler_factory=lambda _name: FakeSampler(),
                      player_factory=fake_player_factory)
    qtbot.addWidget(main)
    main.show()
    qtbot.waitExposed(main)
    yield main
    main.document.undo_stack.setClean()  # no prompt while tearing down
    main.shutdown()
