"""The composer's main window: assembles the roll, the assistant panel, menus and toolbar.

The window holds no editing logic of its own: the document, the file, edit,
playback and assistant controllers do the work, and the window wires their
actions into menus, the toolbar and shortcuts, and keeps the title current.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QDragEnterEvent, QDropEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QToolBar,
    QWidget,
)

from musicassist.core.errors import MusicAssistError

from . import note_actions
from .assistant import AssistantController
from .assistant_panel import AssistantPanel
from .autosave import Autosaver, find_recoveries
from .dialogs import PropertiesDialog
from .document import Document
from .edit_actions import EditActions
from .file_actions import DocumentFiles
from .note_dialog import NotePropertiesDialog
from .playback_controller import PlaybackController, PlayerFactory
from .preferences import Preferences, PreferencesDialog, available_models
from .record_controller import InputFactory, RecordController
from .roll_editor import PianoRollEditor
from .sampler_worker import SamplerFactory
from .spin_boxes import SpaceForPlayback
from .track_list import TrackList
from .view_actions import ViewActions

SNAP_CHOICES: tuple[tuple[str, Fraction | None], ...] = (
    ("1/1", Fraction(4)),
    ("1/2", Fraction(2)),
    ("1/4", Fraction(1)),
    ("1/8", Fraction(1, 2)),
    ("1/16", Fraction(1, 4)),
    ("1/32", Fraction(1, 8)),
    ("1/4 triplet", Fraction(2, 3)),
    ("1/8 triplet", Fraction(1, 3)),
    ("1/16 triplet", Fraction(1, 6)),
    ("Off", None),
)
DEFAULT_SNAP = "1/16"


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None, sampler_factory: SamplerFactory | None = None,
                 player_factory: PlayerFactory | None = None, parent: QWidget | None = None,
                 input_factory: InputFactory | None = None):
        super().__init__(parent)
        self.preferences = Preferences(settings)
        self.document = Document(parent=self)
        self.editor = PianoRollEditor(self.document, self)
        self.setCentralWidget(self.editor)
        self.files = DocumentFiles(self, self.document, self.preferences)
        self.files.render_png = self._export_png
        self.edits = EditActions(self, self.document, self.editor)
        self.playback = PlaybackController(self.preferences, player_factory, self)
        self.recording = RecordController(self.document, self.playback, self.preferences,
                                          lambda: self.editor.canvas.grid, input_factory, parent=self)
        self.panel = AssistantPanel(self)
        self.assistant = AssistantController(self.document, self.editor, self.panel, self.playback,
                                             self.preferences, sampler_factory, self)
        self.autosaver = Autosaver(self.document, parent=self)
        dock = QDockWidget("Assistant", self)
        dock.setObjectName("assistant")
        dock.setWidget(self.panel)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.track_list = TrackList(self.document, lambda text: self.statusBar().showMessage(text, 8000), self)
        self.track_dock = QDockWidget("Tracks", self)
        self.track_dock.setObjectName("tracks")
        self.track_dock.setWidget(self.track_list)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.track_dock)
        # Docks take their size on show; then narrow, so the roll gets the room.
        QTimer.singleShot(0, self, lambda: self.resizeDocks([self.track_dock], [250], Qt.Orientation.Horizontal))
        self.status_label = QLabel(self)
        self.statusBar().addPermanentWidget(self.status_label)
        self._build_actions()
        self._build_toolbar()
        self._build_menus()
        self._connect()
        self.setAcceptDrops(True)
        self._space_filter = SpaceForPlayback(self)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self._space_filter)
        self._restore_geometry()
        self._update_title()
        self._update_tracks()
        self._update_status()
        self._update_recent_menu()

    # -- building -----------------------------------------------------------------------------
    def _action(self, text: str, slot: Callable[[], object],
                shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _build_actions(self) -> None:
        files, assistant = self.files, self.assistant
        self.new_action = self._action("&New", files.new, QKeySequence.StandardKey.New)
        self.open_action = self._action("&Open…", files.open_dialog, QKeySequence.StandardKey.Open)
        self.save_action = self._action("&Save", files.save, QKeySequence.StandardKey.Save)
        self.save_as_action = self._action("Save &As…", files.save_as, QKeySequence.StandardKey.SaveAs)
        self.export_action = self._action("&Export…", files.export_dialog, "Ctrl+E")
        self.properties_action = self._action("Document &Properties…", self._edit_properties, "Ctrl+I")
        self.preferences_action = self._action("Pre&ferences…", self._show_preferences)
        self.quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.recent_menu = QMenu("Open &Recent", self)
        self.play_action = self._action("&Play / Stop", self.toggle_playback, "Space")
        self.panic_action = self._action("Pa&nic (All Notes Off)", self.playback.panic, "Ctrl+Shift+Space")
        self.generate_action = self._action("&Generate", assistant.generate, "Ctrl+G")
        self.accept_action = self._action("&Accept Candidate", assistant.accept)
        self.accept_action.setShortcuts([QKeySequence("Return"), QKeySequence("Enter")])
        self.cancel_action = self._action("&Cancel Generation", self._escape, "Esc")
        self.reject_action = self._action("&Reject Candidate", assistant.reject)
        self.regenerate_action = self._action("Re&generate", assistant.regenerate, "Ctrl+Shift+G")
        self.audition_action = self._action(
            "A&udition", lambda: assistant.set_audition(not self.playback.auditioning), "Ctrl+Space")
        self.recording.create_actions(self)

    def _build_toolbar(self) -> None:
        toolbar = QToolBar("Tools", self)
        toolbar.setObjectName("tools")
        self.addToolBar(toolbar)
        group = QActionGroup(self)
        self.tool_actions: dict[str, QAction] = {}
        for name, text, key in (("select", "Select", "S"), ("draw", "Draw", "D")):
            action = QAction(text, self, checkable=True)
            action.setShortcut(QKeySequence(key))
            action.setToolTip(f"{text} tool ({key})")
            action.triggered.connect(lambda _checked=False, n=name: self.editor.canvas.set_tool(n))
            group.addAction(action)
            toolbar.addAction(action)
            self.tool_actions[name] = action
        self.tool_actions["select"].setChecked(True)
        toolbar.addSeparator()
        toolbar.addWidget(QLabel(" Snap ", self))
        self.snap_combo = QComboBox(self)
        self.snap_combo.addItems([label for label, _ in SNAP_CHOICES])
        self.snap_combo.currentTextChanged.connect(self._on_snap_changed)
        self.snap_combo.setCurrentText(DEFAULT_SNAP)
        self._on_snap_changed(DEFAULT_SNAP)
        toolbar.addWidget(self.snap_combo)
        toolbar.addSeparator()
        toolbar.addWidget(QLabel(" Track ", self))
        self.track_combo = QComboBox(self)
        self.track_combo.setMinimumContentsLength(18)
        self.track_combo.activated.connect(self.document.set_current_track)
        toolbar.addWidget(self.track_combo)
        toolbar.addSeparator()
        toolbar.addActions([self.play_action, self.recording.record_action, self.properties_action,
                            self.generate_action])
        self.toolbar = toolbar

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.new_action, self.open_action])
        file_menu.addMenu(self.recent_menu)
        file_menu.addSeparator()
        file_menu.addActions([self.save_action, self.save_as_action, self.export_action])
        file_menu.addSeparator()
        file_menu.addActions([self.properties_action, self.preferences_action])
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        self.edits.fill_menu(bar.addMenu("&Edit"))
        view_menu = bar.addMenu("&View")
        self.view = ViewActions(self, self.editor)
        self.view.fill_menu(view_menu, [self.track_dock])
        play_menu = bar.addMenu("&Play")
        play_menu.addAction(self.play_action)
        play_menu.addAction(self.panic_action)
        play_menu.addSeparator()
        self.recording.fill_menu(play_menu)
        assistant_menu = bar.addMenu("&Assistant")
        assistant_menu.addActions([self.generate_action, self.cancel_action, self.regenerate_action])
        assistant_menu.addSeparator()
        assistant_menu.addActions([self.audition_action, self.accept_action, self.reject_action])

    def _connect(self) -> None:
        document = self.document
        document.modified_changed.connect(self._update_title)
        document.path_changed.connect(self._update_title)
        document.score_changed.connect(self._update_tracks)
        document.score_changed.connect(self._update_status)
        document.score_changed.connect(lambda: self.playback.prepare(self.document.score))
        document.loaded.connect(lambda: self.playback.prepare_now(self.document.score))
        document.loaded.connect(self._on_loaded)
        document.current_track_changed.connect(self._on_current_track_changed)
        self.files.opened.connect(self._on_opened)
        self.files.exported.connect(lambda path: self.statusBar().showMessage(f"Exported {path.name} to {path.parent}",
                                                                              8000))
        self.files.saved.connect(lambda path: self.statusBar().showMessage(f"Saved {path.name}", 8000))
        self.files.recent_changed.connect(self._update_recent_menu)
        self.playback.position_changed.connect(self.editor.set_playhead)
        self.playback.status.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.recording.status.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.editor.canvas.note_double_clicked.connect(lambda _note: self.edit_note_properties())
        self.editor.keyboard.key_pressed.connect(
            lambda pitch: self.playback.note_on(pitch, document.track.channel))
        self.editor.keyboard.key_released.connect(
            lambda pitch: self.playback.note_off(pitch, document.track.channel))

    # -- session ------------------------------------------------------------------------------
    def start_session(self, path: Path | None) -> None:
        """After the window is up: offer crash recovery, open the command-line file, warm the model."""
        if not self.offer_recovery() and path is not None:
            self.files.open_path(path, ask_to_save=False)
        # Load the model in the background now, so the first Generate does not wait for TensorFlow.
        # A child timer: it dies with the window, never firing into a closed one.
        self._preload_timer = QTimer(self)
        self._preload_timer.setSingleShot(True)
        self._preload_timer.timeout.connect(self._preload_model)
        self._preload_timer.start(500)
        QTimer.singleShot(700, self, self.recording.ensure_input)  # listen: an idea played now is kept

    def _preload_model(self) -> None:
        self.assistant.host.preload(self.panel.model_name())

    def offer_recovery(self) -> bool:
        """Offer the newest recovery file of a crashed session; True if it was restored."""
        recoveries = find_recoveries(self.autosaver.directory)
        if not recoveries:
            return False
        latest = recoveries[0]
        answer = QMessageBox.question(
            self, "Restore unsaved work?",
            f"MusicAssist did not close normally. Restore {latest.describe()}?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)
        restored = False
        if answer == QMessageBox.StandardButton.Yes:
            try:
                score = latest.load()
            except MusicAssistError as exc:
                QMessageBox.warning(self, "Cannot restore", str(exc))
            else:
                self.document.load(score, latest.original, modified=True)
                self._on_opened(latest.original)
                restored = True
        for recovery in recoveries:
            recovery.discard()
        return restored

    def open_path(self, path: Path) -> bool:
        return self.files.open_path(path)

    def _on_loaded(self) -> None:
        """Another document (new, opened, restored): nothing of the old one may play or record on."""
        self.recording.discard_take()
        self.playback.stop()
        self.editor.fit_document()  # not the old document's zoom: its first notes, a sensible width

    def _on_opened(self, _path: Path | None) -> None:
        # Once more after the layout settles, in case the roll had no size yet at load.
        QTimer.singleShot(0, self.editor, self.editor.fit_document)

    def _update_status(self) -> None:
        """Counts of the document as it is now: follows every edit, undo, redo and load."""
        score = self.document.score
        self.status_label.setText(f"{len(score.tracks)} track{'s' if len(score.tracks) != 1 else ''}, "
                                  f"{score.note_count} notes, {score.bar_count} bars")

    def _update_title(self) -> None:
        self.setWindowTitle(f"{self.document.display_name}[*] — MusicAssist")
        self.setWindowModified(self.document.is_modified)

    def _update_tracks(self) -> None:
        labels = [f"{i + 1}. {t.name or 'Track'} (ch {t.channel + 1})"
                  for i, t in enumerate(self.document.score.tracks)]
        if labels != [self.track_combo.itemText(i) for i in range(self.track_combo.count())]:
            self.track_combo.clear()
            self.track_combo.addItems(labels)
        self.track_combo.setCurrentIndex(self.document.current_track)

    def _on_current_track_changed(self, index: int) -> None:
        self.track_combo.setCurrentIndex(index)
        self.editor.refresh()

    def _on_snap_changed(self, label: str) -> None:
        self.editor.set_grid(dict(SNAP_CHOICES).get(label, Fraction(1, 4)))

    def _update_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in self.preferences.recent_files:
            action = self.recent_menu.addAction(str(path))
            action.triggered.connect(lambda _checked=False, p=path: self.files.open_path(p))
        self.recent_menu.addSeparator()
        clear = self.recent_menu.addAction("Clear Recent Files")
        clear.triggered.connect(self._clear_recent_files)

    def _clear_recent_files(self) -> None:
        self.preferences.clear_recent_files()
        self._update_recent_menu()

    def _export_png(self, path: Path) -> bool:
        return self.editor.render_image().save(str(path))  # the format follows the .png suffix

    def _edit_properties(self) -> None:
        dialog = PropertiesDialog(self.document.score, self)
        if dialog.exec():
            self.document.push_edit(dialog.edited_score(), "Change properties")

    def edit_note_properties(self) -> None:
        """The selected notes' pitch, start, length, velocity and channel, as one undo step."""
        notes = sorted(self.document.selection)
        if not notes:
            return
        dialog = NotePropertiesDialog(notes, self.document.track.channel, self)
        if not dialog.exec():
            return
        try:
            note_actions.apply_note_properties(self.document, notes, dialog.change(), dialog.chosen_channel())
        except MusicAssistError as exc:
            self.statusBar().showMessage(str(exc), 8000)

    def _show_preferences(self) -> None:
        if PreferencesDialog(self.preferences, self).exec():
            self.playback.reopen()
            self.recording.reopen()
            self.panel.set_models(available_models(), self.preferences.default_model)

    # -- playback -----------------------------------------------------------------------------
    def toggle_playback(self) -> None:
        """Space: stop whatever plays (a recording keeps its take), else play the piece from the cursor."""
        if self.playback.is_playing:
            self.recording.stop_recording()
            self.assistant.set_audition(False)
            self.playback.stop()
            return
        self.playback.play(self.document.score, self.document.cursor_beat)

    def _escape(self) -> None:
        """Esc: cancel a running generation; otherwise stop sound."""
        if self.assistant.host.busy:
            self.assistant.cancel()
        elif self.playback.is_playing:
            self.recording.stop_recording()
            self.assistant.set_audition(False)
            self.playback.stop()

    # -- Qt events ----------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        for url in event.mimeData().urls():
            if url.isLocalFile():
                event.acceptProposedAction()
                self.files.open_path(Path(url.toLocalFile()))
                return

    def _restore_geometry(self) -> None:
        """The size and place of the last session; a first start fits 1500x900 into the screen."""
        saved = self.preferences.settings.value("window/geometry")
        if isinstance(saved, QByteArray) and self.restoreGeometry(saved):
            return
        screen = QGuiApplication.primaryScreen()
        room = screen.availableGeometry() if screen is not None else None
        if room is None:
            self.resize(1500, 900)
        else:
            self.resize(min(1500, room.width() * 9 // 10), min(900, room.height() * 9 // 10))

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.files.maybe_save():
            event.ignore()
            return
        self.preferences.settings.setValue("window/geometry", self.saveGeometry())
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop background work and remove the recovery file (a normal end; also used by tests)."""
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self._space_filter)
        self.assistant.shutdown()
        self.recording.close()
        self.playback.close()
        self.autosaver.stop()
