"""Fixtures shared by several test folders: a real JACK server and FluidSynth on it.

Also the hypothesis profile: under CI=true the examples are derandomized so a
run is repeatable; on a developer's machine they stay random, which is where
new counter-examples are found (and then pinned as plain regression tests).

The playback tests and the GUI's recording test both use them; defined once
here, a session starts one JACK server however many folders need it. How the
programs are started and stopped (and why) is in ``tests/playback/conftest.py``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from tests.playback.conftest import FluidSynth, JackServer, _stop, start_fluidsynth, start_jack, stop_jack

settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")



@pytest.fixture(scope="session")
def jack_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JackServer]:
    server = start_jack(tmp_path_factory.mktemp("jack"))
    saved = os.environ.get("JACK_DEFAULT_SERVER")
    os.environ["JACK_DEFAULT_SERVER"] = server.name  # for rtmidi's JACK clients in this process
    try:
        yield server
    finally:
        if saved is None:
            os.environ.pop("JACK_DEFAULT_SERVER", None)
        else:
            os.environ["JACK_DEFAULT_SERVER"] = saved
        stop_jack(server)


@pytest.fixture
def fluidsynth(jack_server: JackServer, tmp_path: Path) -> Iterator[FluidSynth]:
    synth = start_fluidsynth(jack_server, tmp_path)
    try:
        yield synth
    finally:
        _stop(synth.process)
        jack_server.wait_until_gone(lambda ports: synth.midi_port in ports)  # the next test sees it gone


@pytest.fixture
def jack_api(jack_server: JackServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """Force the JACK MIDI system for ports opened by the code under test."""
    monkeypatch.setenv("MUSICASSIST_MIDI_API", "UNIX_JACK")
    return "UNIX_JACK"
