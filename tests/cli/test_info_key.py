"""``musicassist info`` reports the key the notes suggest, by the same finder as the window."""

from __future__ import annotations

import json

import pytest

from musicassist.cli.main import main
from musicassist.paths import resources_dir

SAMPLES = resources_dir() / "samples"


def test_info_says_which_key_the_notes_are_heard_in(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(SAMPLES / "melody.mid")]) == 0
    assert "Heard as: D:major" in capsys.readouterr().out  # Ode to Joy, written in D major


def test_info_json_carries_the_detected_key_beside_the_written_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", "--json", str(SAMPLES / "chorale.musicxml")]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert facts["key"] == facts["detected_key"] == "F#:minor"
