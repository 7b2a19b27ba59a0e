"""Every damaged, mislabelled or absurd file gives one typed, plain sentence, in bounded CPU time."""

from __future__ import annotations

import time
from pathlib import Path

import mido
import pytest

from musicassist.core import FileFormatError, MusicAssistError
from musicassist.io import read_score

from .bad_files import BAD_FILES, BadFile, make_bad_files

CPU_SECONDS_BOUND = 5.0  # CPU time, not wall-clock: other processes on the machine do not count


@pytest.fixture(scope="module")
def bad_folder(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_bad_files(tmp_path_factory.mktemp("bad"))


@pytest.mark.parametrize("bad", BAD_FILES, ids=lambda bad: bad.name)
def test_bad_file_is_refused_with_one_plain_sentence(bad: BadFile, bad_folder: dict[str, Path]) -> None:
    started = time.process_time()
    with pytest.raises(MusicAssistError) as caught:
        read_score(bad_folder[bad.name])
    cpu_seconds = time.process_time() - started
    assert type(caught.value) is bad.error
    message = str(caught.value)
    assert bad.says in message
    assert "\n" not in message and message.endswith(".")
    assert "Error" not in message and "Traceback" not in message  # no Python exception names leak through
    assert cpu_seconds < CPU_SECONDS_BOUND, f"{bad.name} took {cpu_seconds:.1f} s of CPU"


ABSURD_MIDI = ("tracks_65535.mid", "chunk_2gb.mid", "ten_million_events.mid", "three_million_events.mid",
               "truncated.mid", "meta_overrun.mid")


@pytest.mark.parametrize("name", ABSURD_MIDI)
def test_absurd_midi_is_refused_before_mido_parses_anything(
    name: str, bad_folder: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bound does not depend on mido's speed: the pre-scan refuses these files on its own."""

    def mido_must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("mido was asked to parse an absurd file")

    monkeypatch.setattr(mido.MidiFile, "_load", mido_must_not_run)
    with pytest.raises(FileFormatError):
        read_score(bad_folder[name])


def test_nothing_is_left_open_or_written_next_to_a_bad_file(bad_folder: dict[str, Path]) -> None:
    folder = bad_folder["random.mid"].parent
    before = sorted(p.name for p in folder.iterdir())
    for name in ("random.mid", "truncated.mid", "truncated.musicxml"):
        with pytest.raises(FileFormatError):
            read_score(folder / name)
    assert sorted(p.name for p in folder.iterdir()) == before
