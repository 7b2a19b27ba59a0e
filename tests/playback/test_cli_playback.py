"""``musicassist ports`` and ``musicassist play`` (module musicassist/cli/playback_commands.py)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from fractions import Fraction as F
from pathlib import Path

import pytest

from musicassist.cli.main import build_parser, main
from musicassist.cli.playback_commands import play_region
from musicassist.core import Note, OptionError, Score, TempoMap, Track
from musicassist.playback.engine import ALL_NOTES_OFF, ALL_SOUND_OFF

from .audio import onset_times, record_while
from .conftest import require, retry_if_overloaded
from .fakes import hanging_notes
from .loopback import Loopback


def _piece(bpm: float = 480) -> Score:
    """Two bars, pitch = 60 + beat, so what arrives tells which bars played."""
    notes = tuple(Note(F(b), 60 + b, F(1, 2)) for b in range(8))
    return Score(tracks=(Track("melody", notes, program=0),), tempo_map=TempoMap.constant(bpm), length_bars=2)


@pytest.fixture
def midi_file(tmp_path: Path) -> Path:
    from musicassist.io import write_score

    path = tmp_path / "piece.mid"
    write_score(_piece(), path)
    return path


def test_both_commands_are_registered():
    parser = build_parser()
    args = parser.parse_args(["play", "x.mid", "--port", "fluid", "--bars", "2-3", "--loop"])
    assert (args.port, args.bars, args.loop) == ("fluid", "2-3", True)
    assert parser.parse_args(["ports", "--json"]).json


def test_bars_are_the_composers_one_based_inclusive_range():
    assert play_region(_piece(), "2-2") == (F(4), F(8))
    assert play_region(_piece(), None) == (F(0), F(8))
    with pytest.raises(OptionError, match="has 2 bars"):
        play_region(_piece(), "2-3")


@pytest.mark.realsynth
def test_ports_json_lists_the_synth(fluidsynth, jack_api, capsys):
    assert main(["ports", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing["api"] == "UNIX_JACK"
    assert fluidsynth.midi_port in listing["outputs"]


@pytest.mark.realsynth
def test_play_sends_the_chosen_bars_and_releases_everything(midi_file, jack_api, capsys):
    loop = Loopback()
    try:
        assert main(["play", str(midi_file), "--port", loop.name, "--bars", "2-2"]) == 0
        assert loop.wait_until(lambda: any(m.type == "control_change" for m in loop.messages()), timeout=5)
    finally:
        loop.close()
    messages = loop.messages()
    assert [m.note for m in messages if m.type == "note_on" and m.velocity] == [64, 65, 66, 67]
    assert not hanging_notes(messages)
    assert "Playing bars 2-2 of piece.mid" in capsys.readouterr().out


@pytest.mark.realsynth
def test_play_without_any_port_is_one_line_and_status_1(midi_file, jack_api, capsys):
    assert main(["play", str(midi_file)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "No MIDI output port is available" in err


@pytest.mark.realsynth
def test_play_on_an_unknown_port_names_the_ones_there(midi_file, fluidsynth, jack_api, capsys):
    assert main(["play", str(midi_file), "--port", "no-such-synth"]) == 1
    assert fluidsynth.midi_port in capsys.readouterr().err


@pytest.mark.realsynth
def test_ctrl_c_stops_a_loop_with_all_notes_off(midi_file, jack_server, jack_api):
    def run() -> None:
        loop = Loopback()
        try:
            command = [sys.executable, "-m", "musicassist.cli.main", "play", str(midi_file), "--port", loop.name,
                       "--loop"]
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                       env=dict(os.environ), cwd=Path(__file__).resolve().parents[2],
                                       preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
            try:
                assert loop.wait_until(lambda: len(loop.note_ons()) >= 10, timeout=20)  # into the second pass
                process.send_signal(signal.SIGINT)
                _, err = process.communicate(timeout=10)
            finally:
                if process.poll() is None:
                    process.kill()
            assert loop.wait_until(lambda: {m.control for m in loop.messages() if m.type == "control_change"}
                                   >= {ALL_NOTES_OFF, ALL_SOUND_OFF}, timeout=5)
        finally:
            loop.close()
        assert process.returncode == 130
        assert err.strip() == "musicassist: interrupted"
        assert not hanging_notes(loop.messages())

    retry_if_overloaded(jack_server, run)


@pytest.mark.realsynth
def test_play_is_audible_in_fluidsynth(fluidsynth, jack_server, jack_api, tmp_path):
    from musicassist.io import write_score

    require(shutil.which("jack_rec") is not None, "jack_rec (Debian package jackd2)")
    path = tmp_path / "four.mid"
    notes = tuple(Note(F(b), 60 + 4 * b, F(1, 2), velocity=110) for b in range(4))
    write_score(Score(tracks=(Track("piano", notes),), tempo_map=TempoMap.constant(150)), path)  # 0.4 s apart

    def take() -> None:
        codes: list[int] = []
        samples, rate = record_while(jack_server, fluidsynth, 2.5, tmp_path / "play.wav",
                                     lambda: codes.append(main(["play", str(path), "--port", "fs"])))
        assert codes == [0]
        assert abs(samples).max() > 0.01, "nothing was heard"
        assert len(onset_times(samples, rate)) == 4

    retry_if_overloaded(jack_server, take)
