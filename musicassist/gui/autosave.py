"""Autosave to a recovery file every minute, and the offer to restore it after a crash.

Each running window writes ``recovery-<pid>.mid`` (the music, through the
normal atomic MIDI writer) and ``recovery-<pid>.json`` (where it came from)
while its document has unsaved changes, and removes both when the changes
are saved or the window closes normally. A recovery file whose process is
gone is therefore what a crash left behind: the next start offers it.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, QTimer

from musicassist.core.errors import MusicAssistError
from musicassist.core.score import Score

from .document import Document

log = logging.getLogger(__name__)
AUTOSAVE_INTERVAL_MS = 60_000
RECOVERY_DIR_ENV = "MUSICASSIST_RECOVERY_DIR"


def recovery_directory() -> Path:
    override = os.environ.get(RECOVERY_DIR_ENV)
    if override:
        return Path(override)
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base) / "recovery"


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: not ours to claim
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class Recovery:
    """A recovery file left by a window that did not close normally."""

    music: Path
    info: Path
    original: Path | None
    saved_at: str

    def describe(self) -> str:
        name = self.original.name if self.original else "an untitled piece"
        return f"unsaved changes to {name} from {self.saved_at}"

    def load(self) -> Score:
        from musicassist.io import read_score

        return read_score(self.music)

    def discard(self) -> None:
        self.music.unlink(missing_ok=True)
        self.info.unlink(missing_ok=True)


def find_recoveries(directory: Path | None = None) -> list[Recovery]:
    """Recovery files of processes that are gone, newest first."""
    folder = directory or recovery_directory()
    found = []
    for info in folder.glob("recovery-*.json"):
        try:
            pid = int(info.stem.split("-", 1)[1])
            data = json.loads(info.read_text(encoding="utf-8"))
        except (ValueError, OSError):
            continue
        music = info.with_suffix(".mid")
        if _process_alive(pid) or not music.is_file():
            continue
        original = data.get("original")
        found.append(Recovery(music, info, Path(original) if original else None, str(data.get("saved_at", ""))))
    return sorted(found, key=lambda r: r.saved_at, reverse=True)


class Autosaver(QObject):
    def __init__(self, document: Document, directory: Path | None = None,
                 interval_ms: int = AUTOSAVE_INTERVAL_MS, parent: QObject | None = None):
        super().__init__(parent)
        self.document = document
        self.directory = directory or recovery_directory()
        stem = f"recovery-{os.getpid()}"
        self.music_path = self.directory / f"{stem}.mid"
        self.info_path = self.directory / f"{stem}.json"
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.save_now)
        self.timer.start()
        document.modified_changed.connect(self._on_modified_changed)

    def save_now(self) -> bool:
        """Write the recovery file if there is anything unsaved; False if writing failed."""
        if not self.document.is_modified:
            return True
        from musicassist.io import write_score
        from musicassist.io.atomic import atomic_write_bytes

        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            write_score(self.document.score, self.music_path)
            info = {"original": str(self.document.path) if self.document.path else None,
                    "saved_at": datetime.now().strftime("%Y-%m-%d %H:%M")}
            atomic_write_bytes(self.info_path, json.dumps(info).encode("utf-8"))
        except (MusicAssistError, OSError) as exc:
            log.warning("autosave failed: %s", exc)  # never interrupt the composer for this
            return False
        return True

    def discard(self) -> None:
        self.music_path.unlink(missing_ok=True)
        self.info_path.unlink(missing_ok=True)

    def stop(self) -> None:
        self.timer.stop()
        self.discard()

    def _on_modified_changed(self, modified: bool) -> None:
        if not modified:  # saved (or undone back to the saved state): nothing to recover
            self.discard()
