"""Open a file without freezing the window: the read runs in a child process, a busy dialog offers Cancel.

music21 takes seconds on a large score (a 17,842-note MusicXML file: about
6 s) and holds Python's interpreter lock for long stretches, so reading on a
thread of this process would still stall the event loop. The read therefore
runs in a forked child (like ``io.bounded``'s parse child, which it starts in
turn) that hands the finished ``Score`` back through a pipe; this process
only waits on the pipe from a thread, which costs the event loop nothing,
and unpickles the Score in small pieces (``score_pieces``: one pickle of
the whole Score held the interpreter lock for half a second).
Cancel kills the child's whole process group, so the parse stops at once and
the open document is left as it was. Where ``os.fork`` does not exist the
read runs on the thread and Cancel abandons its result.

``load_with_progress`` shows the dialog 30 ms after the read starts (a small
file is usually done by then and shows none) and spins a local event loop
until the read ends: callers get the result as from a plain function call,
while the window keeps painting and the Cancel button answers.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import threading
import warnings
from collections.abc import Callable
from typing import Generic, TypeVar

from PySide6.QtCore import QEventLoop, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QProgressDialog, QWidget

from musicassist.core.errors import MusicAssistError

from . import score_pieces

Result = TypeVar("Result")

SHOW_AFTER_MS = 30  # the dialog appears this long after the read starts, if it is still running
_POLL_SECONDS = 0.05  # how often the waiting thread looks at the cancel flag


class LoadCancelled(Exception):
    """The composer pressed Cancel."""


class _Signals(QObject):
    done = Signal()


class Load(Generic[Result]):
    """One read running in the background; ``result()`` after ``done`` gives its value or raises its error."""

    def __init__(self, action: Callable[[], Result]):
        self._action = action
        self._cancel = threading.Event()
        self._value: Result | None = None
        self._error: BaseException | None = None
        self.signals = _Signals()
        self.finished = threading.Event()
        self._thread = threading.Thread(target=self._run, name="musicassist-load", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def result(self) -> Result:
        if self._cancel.is_set():
            raise LoadCancelled()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]

    def _run(self) -> None:
        try:
            self._value = _run_in_child(self._action, self._cancel) if hasattr(os, "fork") else self._action()
        except BaseException as error:  # handed to the GUI thread, which decides what to show
            self._error = error
        finally:
            self.finished.set()
            self.signals.done.emit()


def _run_in_child(action: Callable[[], Result], cancel: threading.Event) -> Result:
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its own process group, so that Cancel also stops the parse child it forks
        try:
            os.setpgid(0, 0)
            os.close(reader)
            try:
                message: tuple[str, object] = ("ok", action())
            except MusicAssistError as refused:
                message = ("refused", refused)
            except OSError as failed:
                message = ("os", failed)
            with os.fdopen(writer, "wb") as stream:
                stream.write(score_pieces.dumps(message))
        finally:
            os._exit(0)
    os.close(writer)
    chunks: list[bytes] = []
    try:
        while True:
            if cancel.is_set():
                _kill_group(pid)
                raise LoadCancelled()
            ready, _, _ = select.select([reader], [], [], _POLL_SECONDS)
            if ready:
                chunk = os.read(reader, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
    finally:
        os.close(reader)
    os.waitpid(pid, 0)
    if not chunks:
        raise MusicAssistError("The file could not be read: the reading process stopped without an answer.")
    kind, value = score_pieces.loads(b"".join(chunks))  # in pieces: see score_pieces
    if kind == "ok":
        return value  # type: ignore[return-value]
    assert isinstance(value, BaseException)
    raise value


def _kill_group(pid: int) -> None:
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            target()
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def load_with_progress(parent: QWidget, label: str, action: Callable[[], Result],
                       on_dialog: Callable[[QProgressDialog], None] | None = None) -> Result:
    """``action()`` run in the background behind a busy dialog with Cancel; LoadCancelled if cancelled.

    ``on_dialog`` is called with the dialog when it appears (tests use it to press Cancel).
    """
    load: Load[Result] = Load(action)
    loop = QEventLoop()
    active = QApplication.activeWindow()
    dialogs: list[QProgressDialog] = []  # made only if the read is still running when it is due

    def cancel() -> None:
        load.cancel()
        loop.quit()

    def show() -> None:
        if load.finished.is_set() or load.cancelled:
            return
        dialog = QProgressDialog(label, "Cancel", 0, 0, parent)  # 0..0: a busy indicator, no percentage
        dialog.setWindowTitle("Opening")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(cancel)
        dialogs.append(dialog)
        dialog.show()
        if on_dialog is not None:
            on_dialog(dialog)

    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(show)
    timer.start(SHOW_AFTER_MS)
    load.signals.done.connect(loop.quit, Qt.ConnectionType.QueuedConnection)
    load.start()
    if not load.finished.is_set():
        loop.exec()
    timer.stop()
    for dialog in dialogs:
        dialog.canceled.disconnect(cancel)
        dialog.close()
        dialog.deleteLater()
    if dialogs and active is not None and QApplication.activeWindow() is not active:
        # Give the keyboard back to the window that had it (Qt's offscreen platform, at least, leaves no
        # window active when the dialog closes).
        active.activateWindow()  # asks the platform, which answers later (offscreen: never)
        with warnings.catch_warnings():  # deprecated, but the one synchronous way to do it
            warnings.simplefilter("ignore", DeprecationWarning)
            QApplication.setActiveWindow(active)
    return load.result()
