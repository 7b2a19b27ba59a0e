"""Runs the sampler off the GUI thread: a worker object on a QThread and its GUI-side host.

Rules (from the design notes): only immutable values cross threads (frozen
dataclasses through ``Signal(object)``); every request carries an id and the
host drops results of any request that is no longer current; cancel is a
``threading.Event`` the sampler checks every step (never a queued signal,
which would wait behind the running job); a new request cancels the running
one. The sampler is built by a factory *inside the worker thread*, so the
real one may import TensorFlow there without ever blocking the window.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QObject, QThread, Signal, Slot

from musicassist.core.errors import ModelError, MusicAssistError
from musicassist.core.generation import Candidate, GenerationProgress, GenerationRequest
from musicassist.paths import models_dir

from . import copy_index
from .copy_index import IndexBuilder, needs_index, start_index_build

log = logging.getLogger(__name__)
SHUTDOWN_WAIT_MS = 5000


class Sampler(Protocol):
    def generate(
        self,
        request: GenerationRequest,
        cancel: threading.Event,
        on_progress: Callable[[GenerationProgress], None],
        on_candidate: Callable[[Candidate], None],
    ) -> list[Candidate]: ...


SamplerFactory = Callable[[str | None], Sampler]  # model folder name (None: default) -> sampler


def load_shipped_sampler(model_name: str | None) -> Sampler:
    """The real sampler. Imports TensorFlow: call it only in the worker thread."""
    from musicassist.ml.sampler import load_sampler

    return load_sampler(models_dir() / model_name if model_name else None)


class SamplerWorker(QObject):
    """Lives in the worker thread; one request at a time, in order of arrival."""

    progress = Signal(object)  # GenerationProgress
    candidate_ready = Signal(object)  # Candidate
    finished = Signal(int, object)  # request id, tuple[Candidate, ...]
    failed = Signal(int, str)  # request id, message for the composer
    model_status = Signal(str)

    def __init__(self, factory: SamplerFactory, index_builder: IndexBuilder | None = None):
        super().__init__()
        self._factory = factory
        # Looked up when needed (not bound at import), so a test session can swap the real builder out.
        self._index_builder = index_builder or (lambda folder, vocab: copy_index.build_from_corpus_cache(folder, vocab))
        self._samplers: dict[str | None, Sampler] = {}

    def _sampler(self, model_name: str | None) -> Sampler:
        if model_name not in self._samplers:
            label = model_name or "default"
            self.model_status.emit(f"Loading the {label} model…")
            sampler = self._samplers[model_name] = self._factory(model_name)
            self.model_status.emit(f"The {label} model is ready.")
            if needs_index(sampler):  # first need: the copy check's index, built beside the sampling
                self.model_status.emit(f"The {label} model is ready; indexing its training music for the "
                                       "copy check…")
                # Signals may be emitted from any thread; Qt queues them to the GUI thread.
                start_index_build(sampler, self._index_builder,
                                  lambda text: self.model_status.emit(f"The {label} model is ready. {text}"))
        return self._samplers[model_name]

    @Slot(object)
    def preload(self, model_name: object) -> None:
        """Load a model ahead of the first Generate; a failure is only reported as status."""
        name = model_name if isinstance(model_name, str) else None
        try:
            self._sampler(name)
        except MusicAssistError as exc:
            self.model_status.emit(str(exc))
        except Exception as exc:  # a broken install must not take the window down
            log.exception("model preload failed")
            self.model_status.emit(f"The model could not be loaded: {exc}")

    @Slot(object, object)
    def run(self, request: GenerationRequest, cancel: threading.Event) -> None:
        if cancel.is_set():  # superseded while queued: do not even start
            return
        try:
            sampler = self._sampler(request.model_name)
            results = sampler.generate(request, cancel, self.progress.emit, self.candidate_ready.emit)
        except ModelError as exc:
            self.model_status.emit("No usable model: see the message below.")
            self.failed.emit(request.request_id, str(exc))
            return
        except MusicAssistError as exc:  # impossible constraints and the like: the model is fine
            self.failed.emit(request.request_id, str(exc))
            return
        except Exception as exc:  # never let a bug in sampling kill the thread or the app
            log.exception("generation failed")
            self.failed.emit(request.request_id, f"The assistant failed unexpectedly: {exc}")
            return
        if not cancel.is_set():
            self.finished.emit(request.request_id, tuple(results))


class SamplerHost(QObject):
    """GUI-thread side: owns the thread, issues request ids, filters stale results."""

    progress = Signal(object)
    candidate_ready = Signal(object)
    finished = Signal(int, object)
    failed = Signal(int, str)
    cancelled = Signal(int)
    model_status = Signal(str)
    _submit = Signal(object, object)
    _preload = Signal(object)

    def __init__(self, factory: SamplerFactory | None = None, parent: QObject | None = None,
                 index_builder: IndexBuilder | None = None):
        super().__init__(parent)
        self._thread = QThread(self)
        self._thread.setObjectName("sampler")
        self._worker = SamplerWorker(factory or load_shipped_sampler, index_builder)
        self._worker.moveToThread(self._thread)
        self._thread.finished.connect(self._worker.deleteLater)
        self._submit.connect(self._worker.run)
        self._preload.connect(self._worker.preload)
        self._worker.progress.connect(self._on_progress)
        self._worker.candidate_ready.connect(self._on_candidate)
        self._worker.finished.connect(self._on_finished)
        self._worker.failed.connect(self._on_failed)
        self._worker.model_status.connect(self.model_status)
        self._next_id = 1
        self.current_id: int | None = None
        self._cancel: threading.Event | None = None
        self._thread.start()

    @property
    def busy(self) -> bool:
        return self.current_id is not None

    def new_request_id(self) -> int:
        request_id = self._next_id
        self._next_id += 1
        return request_id

    def submit(self, request: GenerationRequest) -> None:
        """Start ``request``; a running one is stopped and its late results ignored.

        The superseded run is not reported as ``cancelled``: the composer did not
        cancel anything, and a listener resetting its "running" state would then
        show the new run as stopped.
        """
        self._stop_current()
        self.current_id = request.request_id
        self._cancel = threading.Event()
        self._submit.emit(request, self._cancel)

    def cancel(self) -> None:
        """The composer's cancel: stop the running request and say so through ``cancelled``."""
        request_id = self._stop_current()
        if request_id is not None:
            self.cancelled.emit(request_id)

    def _stop_current(self) -> int | None:
        """Set the running request's cancel event and forget it; its id, if one was running."""
        if self._cancel is not None:
            self._cancel.set()
            self._cancel = None
        request_id, self.current_id = self.current_id, None
        return request_id

    def preload(self, model_name: str | None) -> None:
        self._preload.emit(model_name)

    def shutdown(self) -> None:
        self.cancel()
        self._thread.quit()
        if not self._thread.wait(SHUTDOWN_WAIT_MS):
            log.warning("the sampler thread did not stop in time")

    # -- results from the worker (queued onto the GUI thread) ------------------------------------
    @Slot(object)
    def _on_progress(self, progress: GenerationProgress) -> None:
        if progress.request_id == self.current_id:
            self.progress.emit(progress)

    @Slot(object)
    def _on_candidate(self, candidate: Candidate) -> None:
        if candidate.request_id == self.current_id:
            self.candidate_ready.emit(candidate)

    @Slot(int, object)
    def _on_finished(self, request_id: int, candidates: tuple[Candidate, ...]) -> None:
        if request_id == self.current_id:
            self.current_id = None
            self._cancel = None
            self.finished.emit(request_id, candidates)

    @Slot(int, str)
    def _on_failed(self, request_id: int, message: str) -> None:
        if request_id == self.current_id:
            self.current_id = None
            self._cancel = None
            self.failed.emit(request_id, message)
