"""The layers import only downward: checked in fresh interpreters."""

import subprocess
import sys

import pytest

HEAVY = ("PySide6", "tensorflow", "mido", "music21", "keras")


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sorted(m for m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return {name.split(".")[0] for name in out.split()}


@pytest.mark.parametrize("module", ["musicassist.core", "musicassist.codec"])
def test_pure_layers_load_no_heavy_library(module):
    loaded = _loaded_after(f"import {module}")
    assert not loaded & set(HEAVY), f"{module} pulled in {loaded & set(HEAVY)}"


def test_cli_info_path_loads_neither_qt_nor_tensorflow():
    loaded = _loaded_after("from musicassist.cli.main import build_parser; build_parser()")
    assert not loaded & {"PySide6", "tensorflow", "keras", "music21"}
