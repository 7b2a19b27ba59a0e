"""Choosing the MIDI system, listing and opening ports: against a real JACK server where one is needed."""

from __future__ import annotations

import time

import mido
import pytest
import rtmidi

from musicassist.core import PortError
from musicassist.playback import ports
from musicassist.playback.ports import (
    choose_api,
    jack_server_running,
    list_input_ports,
    list_output_ports,
    open_input,
    open_output,
)

from .conftest import run_child
from .loopback import Loopback


def test_an_unknown_midi_system_in_the_environment_is_a_plain_port_error(monkeypatch):
    monkeypatch.setenv("MUSICASSIST_MIDI_API", "carrier-pigeon")
    with pytest.raises(PortError, match="not a MIDI system available here"):
        choose_api()


def test_short_names_select_the_system(monkeypatch):
    monkeypatch.delenv("MUSICASSIST_MIDI_API", raising=False)
    if "UNIX_JACK" in ports.compiled_apis():
        assert choose_api("jack") == "UNIX_JACK"
    if "LINUX_ALSA" in ports.compiled_apis():
        assert choose_api("alsa") == "LINUX_ALSA"


def test_a_midi_system_that_cannot_start_is_one_plain_sentence(monkeypatch):
    def broken(*args, **kwargs):
        raise rtmidi.SystemError("MidiInAlsa::initialize: error creating ALSA sequencer client object.")

    monkeypatch.setattr(ports.rtmidi, "MidiOut", broken)
    monkeypatch.setattr(ports.rtmidi, "MidiIn", broken)
    # No JACK server by that name: a client kept from the suite's own server must not stand in for one.
    monkeypatch.setenv("JACK_DEFAULT_SERVER", "musicassist-no-such-server")
    with pytest.raises(PortError, match="ALSA MIDI system is not available") as caught:
        list_output_ports("alsa")
    assert "\n" not in str(caught.value)
    with pytest.raises(PortError, match="No JACK server is running"):
        open_output(api="jack")


# ---------------------------------------------------------------------- real JACK


@pytest.mark.realsynth
def test_jack_is_chosen_automatically_when_its_server_answers(jack_server, monkeypatch):
    monkeypatch.delenv("MUSICASSIST_MIDI_API", raising=False)
    assert jack_server_running()
    assert choose_api() == "UNIX_JACK"
    monkeypatch.setenv("JACK_DEFAULT_SERVER", "no-such-musicassist-server")
    assert not jack_server_running()


@pytest.mark.realsynth
def test_lists_show_synths_as_outputs_and_keyboards_as_inputs(fluidsynth, jack_api):
    assert fluidsynth.midi_port in list_output_ports()
    keyboard = open_output(virtual=True)
    try:
        assert any(name.endswith(":MusicAssist") for name in list_input_ports())
    finally:
        keyboard.close()


@pytest.mark.realsynth
def test_output_opens_by_exact_name_or_unique_part_and_knows_when_its_synth_is_gone(fluidsynth, jack_api):
    exact = open_output(fluidsynth.midi_port)
    try:
        assert exact.name == fluidsynth.midi_port and exact.is_alive()
    finally:
        exact.close()
    partial = open_output(fluidsynth.client.upper())
    try:
        assert partial.name == fluidsynth.midi_port
        fluidsynth.kill()
        deadline = time.monotonic() + 5  # JACK notices a killed client within a few cycles
        while partial.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not partial.is_alive()
    finally:
        partial.close()
    with pytest.raises(PortError, match="is closed"):
        partial.send(mido.Message("note_on"))


@pytest.mark.realsynth
def test_unknown_or_ambiguous_names_list_what_is_there(fluidsynth, jack_api):
    loop = Loopback()
    try:
        with pytest.raises(PortError, match="no MIDI output port named 'nonesuch'") as caught:
            open_output("nonesuch")
        assert fluidsynth.midi_port in str(caught.value)
        with pytest.raises(PortError, match="matches several"):
            open_output(":")
    finally:
        loop.close()


@pytest.mark.realsynth
def test_no_output_port_at_all_is_a_clear_port_error(jack_server, jack_api):
    assert list_output_ports() == []
    with pytest.raises(PortError, match="No MIDI output port is available"):
        open_output()
    with pytest.raises(PortError, match="No MIDI input port is available"):
        open_input(None, lambda message: None)


@pytest.mark.realsynth
def test_the_default_output_skips_our_own_ports_and_picks_the_synth(fluidsynth, jack_api):
    loop = Loopback()  # "MusicAssist:MusicAssist in", our own
    try:
        port = open_output()
        try:
            assert port.name == fluidsynth.midi_port
        finally:
            port.close()
    finally:
        loop.close()


def test_a_system_without_virtual_ports_says_what_to_use_instead(monkeypatch):
    class NoVirtualPorts:
        def __init__(self, *args, **kwargs):
            pass

        def open_virtual_port(self, name):
            raise rtmidi.UnsupportedOperationError("Virtual ports are not supported by the Windows MultiMedia API.")

        def delete(self):
            pass

    monkeypatch.setattr(ports, "choose_api", lambda api=None: None)
    monkeypatch.setattr(ports.rtmidi, "MidiOut", NoVirtualPorts)
    with pytest.raises(PortError, match="loopMIDI"):
        open_output(virtual=True)


@pytest.mark.realsynth
def test_mido_backend_on_the_chosen_system_sees_the_same_ports(fluidsynth, jack_api):
    from musicassist.playback.ports import midi_backend

    backend = midi_backend()
    assert backend.api == "UNIX_JACK"
    assert fluidsynth.midi_port in backend.get_output_names()


_PORT_CHURN = """
import subprocess, sys, threading, time
from musicassist.playback.ports import list_output_ports, open_input, open_output

stop = threading.Event()
def other_programs():  # JACK clients of other programs come and go (jack_lsp opens one each time)
    while not stop.is_set():
        subprocess.run(["jack_lsp"], capture_output=True)
for _ in range(2):
    threading.Thread(target=other_programs, daemon=True).start()
keyboard = open_output(virtual=True)
cycles, started = 0, time.monotonic()
while time.monotonic() - started < float(sys.argv[1]):
    open_input(None, lambda message: None, virtual=True).close()
    open_input(keyboard.name, lambda message: None).close()
    list_output_ports()
    cycles += 1
stop.set()
print(cycles)
"""


@pytest.mark.realsynth
def test_opening_and_closing_ports_while_other_clients_come_and_go_never_hangs(jack_server, jack_api, tmp_path):
    """libjack2 cancels a closing client's notification thread; when that thread was just connecting to a
    newcomer it dies holding libjack's global mutex, and the next client close waits forever. Ports used
    to open and close JACK clients each time: this hung within 4-20 s in 5 of 7 runs. Kept clients
    (playback/jack_clients.py) never close while the server runs. A child process, so a hang fails the test."""
    env = {**jack_server.env(), "MUSICASSIST_MIDI_API": jack_api}
    done = run_child(tmp_path, _PORT_CHURN, ["8"], env, 90, "opening and closing MIDI ports hung in libjack",
                     jack_server)
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.split()[-1]) >= 3  # it did open and close ports (6 cycles in 8 s on a loaded machine)


@pytest.mark.realsynth
def test_a_closed_port_lends_its_jack_client_to_the_next_port(jack_server, jack_api):
    from musicassist.playback import jack_clients

    keyboard = open_output(virtual=True)
    try:
        first = open_input(keyboard.name, lambda message: None)
        client = first._rt
        first.close()
        second = open_input(keyboard.name, lambda message: None)
        try:
            assert second._rt is client  # the same rtmidi (JACK) client, with a new port
            assert second.is_alive()
        finally:
            second.close()
        loop = Loopback()
        loop_client = loop.port._rt
        loop.close()
        assert f"{ports.VIRTUAL_PORT_NAME} in{jack_clients.IDLE_SUFFIX}" in jack_server.ports()  # kept, renamed
        assert not any(name.endswith(jack_clients.IDLE_SUFFIX) for name in list_output_ports())
        again = Loopback()
        try:
            assert again.port._rt is loop_client
            assert any(name.endswith(f":{again.name}") for name in list_output_ports())  # its own name again
        finally:
            again.close()
    finally:
        keyboard.close()
