"""The window builds the copy check's training index in the background on first need."""

import threading
from dataclasses import replace

import pytest

from musicassist.core.generation import GenerationOptions, GenerationRequest
from musicassist.gui.copy_index import needs_index
from musicassist.gui.sampler_worker import SamplerHost

from .fakes import FakeSampler
from .helpers import melody_score

pytestmark = pytest.mark.gui
WAIT_MS = 5000


class IndexedSampler(FakeSampler):
    """A fake that, like the real sampler, flags every candidate once it has a training index."""

    def __init__(self, model_dir):
        super().__init__()
        self.training_index = None
        self.model_dir = model_dir
        self.vocab = object()

    def generate(self, request, cancel, on_progress, on_candidate):
        def flag(candidate):
            return replace(candidate, flags=("copies training",)) if self.training_index is not None else candidate

        results = super().generate(request, cancel, on_progress, lambda c: on_candidate(flag(c)))
        return [flag(c) for c in results]


def test_a_model_without_index_gets_one_built_off_the_gui_and_worker_threads(qtbot, qapp, tmp_path):
    sampler = IndexedSampler(tmp_path)
    built_on: list[str] = []
    release = threading.Event()

    def builder(model_dir, vocab):
        built_on.append(threading.current_thread().name)
        assert model_dir == tmp_path and vocab is sampler.vocab
        release.wait(5)
        return "the index"

    host = SamplerHost(lambda _name: sampler, index_builder=builder)
    statuses: list[str] = []
    host.model_status.connect(statuses.append)
    try:
        request = GenerationRequest(host.new_request_id(), melody_score(1),
                                    GenerationOptions(length_bars=1, candidates=1))
        with qtbot.waitSignal(host.finished, timeout=WAIT_MS) as first:
            host.submit(request)  # generating does not wait for the index
        assert first.args[1][0].flags == ()
        release.set()
        qtbot.waitUntil(lambda: sampler.training_index == "the index", timeout=WAIT_MS)
        qtbot.waitUntil(lambda: any("Copy check ready" in s for s in statuses), timeout=WAIT_MS)
        assert built_on == ["musicassist-copy-index"]
        second = GenerationRequest(host.new_request_id(), melody_score(1),
                                   GenerationOptions(length_bars=1, candidates=1))
        with qtbot.waitSignal(host.finished, timeout=WAIT_MS) as after:
            host.submit(second)
        assert after.args[1][0].flags == ("copies training",)
    finally:
        release.set()
        host.shutdown()


def test_no_corpus_means_no_copy_check_and_a_plain_status(qtbot, qapp, tmp_path):
    sampler = IndexedSampler(tmp_path)
    host = SamplerHost(lambda _name: sampler, index_builder=lambda _d, _v: None)
    statuses: list[str] = []
    host.model_status.connect(statuses.append)
    try:
        host.preload(None)
        qtbot.waitUntil(lambda: any("copy check is off" in s for s in statuses), timeout=WAIT_MS)
        assert sampler.training_index is None
    finally:
        host.shutdown()


def test_only_samplers_that_can_use_an_index_get_one(tmp_path):
    assert needs_index(IndexedSampler(tmp_path))
    assert not needs_index(FakeSampler())
    indexed = IndexedSampler(tmp_path)
    indexed.training_index = "built"
    assert not needs_index(indexed)
