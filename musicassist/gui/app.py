"""Start the Qt application: ``run_app(path)`` is what ``musicassist gui [FILE]`` calls.

The window is shown before anything slow happens: the file is opened from the
event loop right after, and TensorFlow is loaded only by the sampler worker
when the composer first generates.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

ORGANIZATION = "MusicAssist"
APPLICATION = "MusicAssist"


def make_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication (reused if one exists, as under pytest-qt)."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv or sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APPLICATION)
    return app


def run_app(path: Path | None = None) -> int:
    """Open the main window (and ``path`` if given); return the exit code when it closes."""
    app = make_application()
    from .main_window import MainWindow

    window = MainWindow()
    window.show()
    QTimer.singleShot(0, lambda: window.start_session(path))
    return app.exec()
