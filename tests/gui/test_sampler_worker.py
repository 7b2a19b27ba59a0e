"""The worker host on its own: thread, request ids, stale results, preload, shutdown."""

import threading

import pytest

from musicassist.core.errors import ModelError
from musicassist.core.generation import GenerationOptions, GenerationRequest
from musicassist.gui.sampler_worker import SamplerHost

from .fakes import FakeSampler
from .helpers import melody_score

pytestmark = pytest.mark.gui


@pytest.fixture
def host(qapp):
    made = []

    def build(factory):
        made.append(SamplerHost(factory))
        return made[-1]

    yield build
    for h in made:
        h.shutdown()


def _request(host, candidates=2):
    return GenerationRequest(host.new_request_id(), melody_score(1), GenerationOptions(length_bars=1,
                                                                                    candidates=candidates))


def test_candidates_stream_in_order_then_finish(qtbot, host):
    sampler = FakeSampler()
    h = host(lambda _name: sampler)
    request = _request(h)
    with qtbot.waitSignals([h.candidate_ready, h.candidate_ready, h.finished], order="strict", timeout=5000):
        h.submit(request)
    assert not h.busy
    # It ran on the worker QThread, not on the GUI thread.
    assert len(sampler.thread_names) == 1 and sampler.thread_names[0] != threading.main_thread().name


def test_results_of_stale_requests_are_dropped(qtbot, host):
    h = host(lambda _name: FakeSampler())
    h.current_id = 7
    with qtbot.assertNotEmitted(h.finished), qtbot.assertNotEmitted(h.candidate_ready):
        h._worker.finished.emit(6, ())
        h._worker.failed.emit(6, "old")
    assert h.current_id == 7


def test_preload_loads_once_in_the_worker_and_reports_status(qtbot, host):
    loads = []

    def factory(name):
        loads.append((name, threading.current_thread().name))
        return FakeSampler()

    h = host(factory)
    statuses: list[str] = []
    h.model_status.connect(statuses.append)
    h.preload(None)
    qtbot.waitUntil(lambda: len(statuses) == 2, timeout=5000)
    assert statuses == ["Loading the default model…", "The default model is ready."]
    with qtbot.waitSignal(h.finished, timeout=5000):
        h.submit(_request(h))
    assert len(loads) == 1 and loads[0][0] is None and loads[0][1] != threading.main_thread().name


def test_a_missing_model_fails_the_request_with_its_message(qtbot, host):
    def factory(_name):
        raise ModelError("No model is installed in the models folder.")

    h = host(factory)
    with qtbot.waitSignal(h.model_status, timeout=5000):
        h.preload("absent")
    with qtbot.waitSignal(h.failed, timeout=5000) as blocker:
        h.submit(_request(h))
    assert blocker.args[1] == "No model is installed in the models folder."


def test_shutdown_stops_a_running_job_quickly(qtbot, host):
    sampler = FakeSampler(delay=0.05)
    h = host(lambda _name: sampler)
    with qtbot.waitSignal(h.progress, timeout=5000):
        h.submit(_request(h, candidates=8))
    h.shutdown()
    assert h._thread.isFinished()
    assert len(sampler.requests) == 1
