"""The assistant loop: selected bars -> request -> worker -> candidates -> ghost, audition, accept.

Connects the panel's buttons to the sampler host, the roll's ghost notes, the
playback controller and the document. Errors from the worker only ever reach
the panel's message line; the document changes only on Accept, as one undo
step that Undo takes back.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot

from musicassist.core.errors import MusicAssistError
from musicassist.core.generation import (
    Candidate,
    GenerationOptions,
    GenerationProgress,
    GenerationRequest,
    Steering,
    register_around,
)
from musicassist.core.key_detect import passage_key
from musicassist.core.score import BarRange, Note, Score
from musicassist.core.timemaps import KeySignature

from .assistant_panel import AUTO_KEY, LIKE_SELECTION, AssistantPanel, key_name
from .candidate_ops import AcceptMode, apply_candidate, audition_range, candidate_notes, continuation_offset, seed_for
from .document import Document
from .playback_controller import PlaybackController
from .preferences import Preferences, available_models
from .roll_editor import PianoRollEditor
from .roll_painter import Ghost
from .sampler_worker import SamplerFactory, SamplerHost

_DEFAULT_SEED_BARS = 4


class AssistantController(QObject):
    def __init__(self, document: Document, editor: PianoRollEditor, panel: AssistantPanel,
                 playback: PlaybackController, preferences: Preferences,
                 sampler_factory: SamplerFactory | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.document = document
        self.editor = editor
        self.panel = panel
        self.playback = playback
        self.preferences = preferences
        self.host = SamplerHost(sampler_factory, self)
        self.request: GenerationRequest | None = None
        self.context: tuple[int, BarRange] | None = None  # (track, bars) the candidates continue
        self.locked: frozenset[Note] = frozenset()
        # Each Accept of this set: the candidate and the score it made. The panel calls a candidate
        # accepted exactly while the document holds its score (undo, redo and other edits are seen
        # through score_changed); scores are compared by identity, which undo and redo keep.
        self._accepted: list[tuple[Candidate, Score]] = []
        self.host.progress.connect(self._on_progress)
        self.host.candidate_ready.connect(self._on_candidate)
        self.host.finished.connect(self._on_finished)
        self.host.failed.connect(self._on_failed)
        self.host.cancelled.connect(self._on_cancelled)
        self.host.model_status.connect(panel.model_status.setText)
        panel.generate_clicked.connect(self.generate)
        panel.cancel_clicked.connect(self.cancel)
        panel.accept_clicked.connect(self.accept)
        panel.reject_clicked.connect(self.reject)
        panel.regenerate_clicked.connect(self.regenerate)
        panel.lock_clicked.connect(self.lock_and_regenerate)
        panel.audition_toggled.connect(self.set_audition)
        panel.candidates.candidate_selected.connect(self._on_candidate_selected)
        panel.replace_radio.toggled.connect(lambda _on: self._reghost())
        panel.model_changed.connect(lambda _name: panel.model_status.setText("This model loads on the next Generate."))
        editor.ghost_lock_toggled.connect(self._toggle_lock)
        playback.playing_changed.connect(self._on_playing_changed)
        for signal in (document.bar_selection_changed, document.current_track_changed, document.score_changed):
            signal.connect(self._describe_selection)
        document.loaded.connect(self.reset)
        document.score_changed.connect(self._follow_document)
        panel.set_models(available_models(), preferences.default_model)
        self._describe_selection()

    # -- generating ----------------------------------------------------------------------------
    def build_request(self, locked: frozenset[Note] = frozenset()) -> GenerationRequest:
        """The request for the current selection and panel settings (raises MusicAssistError)."""
        document = self.document
        bars = document.bar_selection or self._default_bars()
        document.set_bar_selection(bars)
        seed = seed_for(document.score, document.current_track, bars)
        seed_notes = seed.tracks[0].notes
        options = GenerationOptions(
            length_bars=self.panel.length_spin.value(),
            candidates=self.panel.count_spin.value(),
            temperature=self.panel.temperature_spin.value(),
            steering=self._steering(seed_notes, bars, locked),
        )
        self.context = (document.current_track, bars)
        return GenerationRequest(self.host.new_request_id(), seed, options, self.panel.model_name())

    def _default_bars(self) -> BarRange:
        """With no bars chosen: the last four bars of the track that hold notes."""
        notes = self.document.track.notes
        if not notes:
            raise MusicAssistError("Draw some notes or open a file, then drag across the ruler to choose bars.")
        last = self.document.score.bar_at(notes[-1].start)
        return BarRange(max(0, last - _DEFAULT_SEED_BARS + 1), last + 1)

    def _steering(self, seed_notes: tuple[Note, ...], bars: BarRange, locked: frozenset[Note]) -> Steering:
        panel = self.panel
        choice = panel.key_choice()
        if choice == AUTO_KEY:  # the seed as the sampler gets it: bar lines and written key of the score
            scale = passage_key(seed_for(self.document.score, self.document.current_track, bars))
        else:
            scale = choice if isinstance(choice, KeySignature) else None
        lowest, highest = 0, 127
        register = panel.register_choice()
        if register == LIKE_SELECTION and seed_notes:
            lowest, highest = register_around(seed_notes)
        elif isinstance(register, tuple):
            lowest, highest = register
        factor = panel.density_factor()
        density = factor * len(seed_notes) / bars.count if factor and seed_notes else None
        return Steering(
            scale=scale,
            scale_strict=panel.strict_check.isChecked(),
            lowest=lowest,
            highest=highest,
            density=density,
            locked=tuple(sorted(locked)),
        )

    @Slot()
    def generate(self, locked: frozenset[Note] = frozenset()) -> None:
        self.set_audition(False)
        try:
            request = self.build_request(locked)
        except MusicAssistError as exc:
            self.panel.show_message(str(exc), error=True)
            return
        self.request = request
        self.locked = locked
        self._accepted = []
        self.panel.candidates.clear()
        self.editor.set_ghost(None)
        self.panel.progress.setRange(0, 0)  # busy until the first step reports a total
        self.panel.set_running(True)
        self.panel.show_message(f"Generating {request.options.candidates} continuations of bars "
                                f"{self.context[1] if self.context else ''}…")
        self.host.submit(request)

    @Slot()
    def cancel(self) -> None:
        if self.host.busy:
            self.host.cancel()

    @Slot()
    def regenerate(self) -> None:
        self.generate(self.locked)

    @Slot()
    def lock_and_regenerate(self) -> None:
        if not self.locked:
            self.panel.show_message("Click ghost notes in the roll to choose which to keep, then lock again.")
            return
        self.generate(self.locked)

    # -- worker results --------------------------------------------------------------------------
    @Slot(object)
    def _on_progress(self, progress: GenerationProgress) -> None:
        self.panel.progress.setRange(0, max(1, progress.total_steps))
        self.panel.progress.setValue(progress.step)

    @Slot(object)
    def _on_candidate(self, candidate: Candidate) -> None:
        self.panel.candidates.add_candidate(candidate)
        if self.panel.candidates.count() == 1 and self.context is not None:
            # Bring the continuation into view: that is where the ghost notes appear.
            start, end = audition_range(self.document.score, self.context[1], candidate.score.bar_count)
            self.editor.ensure_beats_visible(start, end)

    @Slot(int, object)
    def _on_finished(self, _request_id: int, candidates: tuple[Candidate, ...]) -> None:
        shown = {(c.request_id, c.index) for c in self.panel.candidates.candidates()}
        for candidate in candidates:  # a sampler that does not stream still gets its results shown
            if (candidate.request_id, candidate.index) not in shown:
                self.panel.candidates.add_candidate(candidate)
        self.panel.set_running(False)
        progress = self.panel.progress
        if progress.maximum() == 0:  # no step was reported: leave the busy state
            progress.setRange(0, 1)
        progress.setValue(progress.maximum())
        self.panel.show_message(self._ready_message() if self.panel.candidates.count() else
                                "The model proposed nothing; try a higher temperature or fewer constraints.")

    def _ready_message(self) -> str:
        count = self.panel.candidates.count()
        if not count:
            return "No candidates left: Generate for more."
        return (f"{count} candidate{'s' if count != 1 else ''} ready: select one to see it, "
                "Audition to hear it, Accept to keep it.")

    @Slot(int, str)
    def _on_failed(self, _request_id: int, message: str) -> None:
        self.panel.set_running(False)
        self.panel.progress.setRange(0, 1)
        self.panel.progress.setValue(0)
        self.panel.show_message(message, error=True)

    @Slot(int)
    def _on_cancelled(self, request_id: int) -> None:
        if self.request is not None and request_id != self.request.request_id:
            return  # an older run: the panel shows the current one
        self.panel.set_running(False)
        self.panel.progress.setRange(0, 1)
        self.panel.progress.setValue(0)
        self.panel.show_message("Cancelled.")

    # -- candidates ------------------------------------------------------------------------------
    def _ghost_for(self, candidate: Candidate) -> Ghost | None:
        if self.context is None:
            return None
        track_index, bars = self.context
        channel = self.document.score.tracks[track_index].channel if track_index < len(
            self.document.score.tracks) else 0
        return Ghost(candidate_notes(candidate.score, channel),
                     continuation_offset(self.document.score, bars), self.locked,
                     self._replaced_by(candidate))

    def _replaced_by(self, candidate: Candidate) -> tuple[Note, ...]:
        """The edited track's notes Accept would remove or cut, in replace mode (none when inserting)."""
        if self.context is None or self.panel.accept_mode() is not AcceptMode.REPLACE:
            return ()
        try:
            after = self._accepted_score(candidate)
        except MusicAssistError:
            return ()
        track_index = self.context[0]
        kept = set(after.tracks[track_index].notes)
        return tuple(n for n in self.document.score.tracks[track_index].notes if n not in kept)

    @Slot(object)
    def _on_candidate_selected(self, candidate: Candidate | None) -> None:
        self.panel.set_has_candidate(candidate is not None)
        self.editor.set_ghost(self._ghost_for(candidate) if candidate is not None else None)
        if candidate is not None and self.playback.auditioning:
            self.playback.switch_score(self._accepted_score(candidate))

    def _toggle_lock(self, note: Note) -> None:
        self.locked = self.locked ^ {note}
        candidate = self.panel.candidates.current_candidate()
        if candidate is not None:
            self.editor.set_ghost(self._ghost_for(candidate))
        count = len(self.locked)
        self.panel.show_message(f"{count} note{'s' if count != 1 else ''} pinned for Lock notes.")

    def _accepted_score(self, candidate: Candidate) -> Score:
        assert self.context is not None
        track_index, bars = self.context
        return apply_candidate(self.document.score, track_index, bars.end, candidate.score,
                               self.panel.accept_mode(), self.panel.replaced_events())

    @Slot()
    def accept(self) -> None:
        candidate = self.panel.candidates.current_candidate()
        if candidate is None or self.context is None:
            return
        self.set_audition(False)
        try:
            score = self._accepted_score(candidate)
        except MusicAssistError as exc:
            self.panel.show_message(str(exc), error=True)
            return
        self._accepted.append((candidate, score))
        self.document.push_edit(score, f"Accept candidate {candidate.index + 1}", selection=())
        self.editor.set_ghost(None)

    def _follow_document(self) -> None:
        """After any change of the score (edit, accept, undo, redo): say what is true now."""
        candidates = self.panel.candidates
        if self.context is not None and self.context[0] >= len(self.document.score.tracks):
            self.reset()  # the track the candidates continue is gone
            return
        accepted = next((c for c, score in self._accepted if score is self.document.score), None)
        was_marked = candidates.accepted_candidate() is not None
        candidates.mark_accepted(accepted)
        if accepted is not None:
            self.panel.show_message(f"Candidate {accepted.index + 1} written into the track. "
                                    "Undo takes it back; select another to compare.")
        elif was_marked and not self.host.busy:
            self.panel.show_message(self._ready_message() if candidates.count() else "")
        if self.editor.canvas.ghost is not None:
            self._reghost()  # the notes Accept would replace may have changed

    def _reghost(self) -> None:
        current = self.panel.candidates.current_candidate()
        if current is not None and self.editor.canvas.ghost is not None:
            self.editor.set_ghost(self._ghost_for(current))

    @Slot()
    def reject(self) -> None:
        if self.panel.candidates.current_candidate() is None:
            return
        self.panel.candidates.remove_current()
        if not self.host.busy:
            self.panel.show_message(self._ready_message())

    @Slot(bool)
    def set_audition(self, on: bool) -> None:
        candidate = self.panel.candidates.current_candidate()
        if on and candidate is not None and self.context is not None:
            start, end = audition_range(self.document.score, self.context[1], candidate.score.bar_count)
            if not self.playback.play(self._accepted_score(candidate), start, loop=(start, end), audition=True):
                on = False
        elif self.playback.auditioning:
            self.playback.stop()
        self.panel.audition_button.blockSignals(True)
        self.panel.audition_button.setChecked(on and candidate is not None)
        self.panel.audition_button.blockSignals(False)

    def _on_playing_changed(self, playing: bool) -> None:
        if not playing:
            self.panel.audition_button.blockSignals(True)
            self.panel.audition_button.setChecked(False)
            self.panel.audition_button.blockSignals(False)

    # -- misc --------------------------------------------------------------------------------------
    def reset(self) -> None:
        """A new document: forget candidates and pins."""
        self.cancel()
        self.set_audition(False)
        self.panel.candidates.clear()
        self.editor.set_ghost(None)
        self.locked = frozenset()
        self.context = None
        self._accepted = []
        self.panel.show_message("")

    def _describe_selection(self) -> None:
        document = self.document
        bars = document.bar_selection
        if bars is None:
            self.panel.selection_label.setText("Drag across the ruler to choose the bars to continue.")
            self.panel.set_detected_key(None)
            return
        track = document.track
        self.panel.selection_label.setText(
            f"Continue bars {bars} of track {document.current_track + 1} ({track.name or 'untitled'}).")
        seed_notes = [n for n in track.notes
                      if document.score.bar_start(bars.start) <= n.start < document.score.bar_start(bars.end)]
        key = passage_key(document.score, seed_notes, bars.start)
        self.panel.set_detected_key(key)
        if key is not None:
            self.panel.key_combo.setToolTip(f"Detected from the selection: {key_name(key)}")

    def shutdown(self) -> None:
        self.host.shutdown()
