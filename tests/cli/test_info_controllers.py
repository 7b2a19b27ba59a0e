"""``musicassist info`` lists the controllers a file uses (issue 10), in text and in --json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from musicassist.cli.main import main

DATA = Path(__file__).resolve().parent.parent / "data"


def test_json_counts_each_controller_by_kind_and_number(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(DATA / "events" / "every_event.mid"), "--json"]) == 0
    controllers = {c["name"]: c for c in json.loads(capsys.readouterr().out)["controllers"]}
    assert controllers["sustain pedal (CC64)"] == {"kind": "control_change", "number": 64,
                                                   "name": "sustain pedal (CC64)", "events": 4, "tracks": [1]}
    assert controllers["volume (CC7)"]["tracks"] == [1, 2]
    assert controllers["pitch bend"]["events"] == 18 + 3  # the piano's sweep and both extremes, the strings' 3
    assert controllers["pitch bend"]["number"] is None
    assert {"channel pressure", "polyphonic pressure", "program change", "RPN (CC101)"} <= set(controllers)


def test_text_lists_them_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(DATA / "musescore" / "pedal_study.mid")]) == 0
    text = capsys.readouterr().out
    assert "Controllers:" in text
    pedal = next(line for line in text.splitlines() if "sustain pedal (CC64)" in line)
    assert pedal.split()[-4:] == ["4", "events", "(track", "1)"]
    assert "reset all controllers (CC121)" in text


def test_a_file_without_controllers_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(DATA / "abc2midi" / "jig.mid")]) == 0
    assert "Controllers: none" in capsys.readouterr().out
