"""``musicassist info`` and ``musicassist convert``: in-process through main(), and as a real command."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from musicassist.cli.main import main
from musicassist.io import read_score
from musicassist.paths import resources_dir
from tests.io.bad_files import BAD_FILES, make_bad_files

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = resources_dir() / "samples"
CPU_SECONDS_BOUND = 5.0  # CPU time of the whole command, interpreter start included
MEMORY_BOUND_KB = 400 * 1024


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------------------------------------ info


def test_info_describes_tracks_notes_bars_tempo_meter_key_and_duration(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "info", str(SAMPLES / "melody.mid"))
    assert (code, err) == (0, "")
    assert "Title:    Ode to Joy" in out
    assert "1. Melody  channel  1  Flute (program 73), 30 notes" in out
    for line in ("Notes:    30", "Bars:     8", "Tempo:    108 BPM", "Meter:    4/4", "Key:      D:major",
                 "Duration: 0:17.8 (17.8 seconds)"):
        assert line in out


def test_info_json_is_one_object_with_the_agreed_keys(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "info", "--json", str(SAMPLES / "chorale.musicxml"))
    assert code == 0 and out.count("\n") == 1
    facts = json.loads(out)
    assert facts["notes"] == 163 and facts["bars"] == 10
    assert facts["tempo_bpm"] == 96.0 and facts["time_signature"] == "4/4"
    assert facts["duration_seconds"] == pytest.approx(10 * 4 * 60 / 96)
    assert facts["key"] == "F#:minor"
    assert [(t["name"], t["channel"], t["program"], t["drums"]) for t in facts["tracks"]] == [
        ("Soprano", 1, 52, False), ("Alto", 2, 52, False), ("Tenor", 3, 52, False), ("Bass", 4, 52, False)]
    assert sum(t["notes"] for t in facts["tracks"]) == 163


def test_info_json_lists_meter_and_tempo_changes_with_1_based_bars(capsys: pytest.CaptureFixture[str]) -> None:
    duet = ROOT / "tests" / "data" / "abc2midi" / "duet.mid"
    facts = json.loads(run(capsys, "info", "--json", str(duet))[1])
    assert facts["meter_changes"] == [{"bar": 1, "time_signature": "4/4"}, {"bar": 4, "time_signature": "3/4"}]
    assert [(c["bar"], c["bpm"]) for c in facts["tempo_changes"]] == [(1, 96.0), (5, 72.0)]


def test_info_on_a_tune_book_needs_an_index(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "info", str(SAMPLES / "two_tunes.abc"))
    assert (code, out) == (2, "")
    assert err == "musicassist: 'two_tunes.abc' holds 2 tunes; choose one with --index 1 to 2.\n"
    code, out, _ = run(capsys, "info", "--index", "2", str(SAMPLES / "two_tunes.abc"))
    assert code == 0 and "(tune 2 of 2)" in out and "Title:    Frère Jacques" in out


@pytest.mark.parametrize("index", ["3", "0", "-1", "two"])
def test_impossible_index_is_a_usage_error(capsys: pytest.CaptureFixture[str], index: str) -> None:
    with pytest.raises(SystemExit) as exited:
        code = main(["info", "--index", index, str(SAMPLES / "two_tunes.abc")])
        raise SystemExit(code)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "there is no tune 3" in err if index == "3" else "tunes count from 1" in err


def test_info_on_a_damaged_file_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    damaged = tmp_path / "cut.mid"
    damaged.write_bytes((SAMPLES / "melody.mid").read_bytes()[:-10])
    code, out, err = run(capsys, "info", str(damaged))
    assert (code, out) == (1, "")
    assert err == "musicassist: This MIDI file is damaged: it ends in the middle of track 2.\n"


@pytest.mark.parametrize("command", ["info", "convert"])
def test_help_explains_the_command(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "--index N" in out and "counting from 1" in out
    assert ".mid" in out and ".musicxml" in out


# --------------------------------------------------------------------------------------------- convert


def test_convert_between_formats_keeps_the_notes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "convert", str(SAMPLES / "melody.mid"), str(tmp_path / "melody.musicxml"))
    assert code == 0 and out.startswith("Wrote ") and "30 notes" in out
    code, _, _ = run(capsys, "convert", str(tmp_path / "melody.musicxml"), str(tmp_path / "back.mid"))
    assert code == 0
    assert read_score(tmp_path / "back.mid").notes == read_score(SAMPLES / "melody.mid").notes


def test_convert_a_tune_of_a_book(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "tune.mxl"
    assert run(capsys, "convert", "--index", "1", str(SAMPLES / "two_tunes.abc"), str(target))[0] == 0
    assert read_score(target).title == "Twinkle, Twinkle, Little Star"
    assert run(capsys, "convert", str(SAMPLES / "two_tunes.abc"), str(tmp_path / "x.mid"))[0] == 2
    assert not (tmp_path / "x.mid").exists()


def test_convert_refuses_to_overwrite_its_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = tmp_path / "song.mid"
    source.write_bytes((SAMPLES / "melody.mid").read_bytes())
    before = source.read_bytes()
    for target in (source, tmp_path / "." / "song.mid"):
        code, _, err = run(capsys, "convert", str(source), str(target))
        assert code == 2 and "would overwrite 'song.mid' itself" in err
    link = tmp_path / "link.mid"
    link.symlink_to(source)
    assert run(capsys, "convert", str(source), str(link))[0] == 2
    assert source.read_bytes() == before


def test_convert_to_an_unwritable_format_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "convert", str(SAMPLES / "melody.mid"), str(tmp_path / "melody.abc"))
    assert code == 2 and "choose an OUT ending in .mid, .midi, .musicxml, .xml, .mxl" in err
    assert not (tmp_path / "melody.abc").exists()


def test_a_failed_convert_leaves_the_old_output_alone(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    damaged = tmp_path / "cut.mid"
    damaged.write_bytes((SAMPLES / "melody.mid").read_bytes()[:-10])
    target = tmp_path / "out.mid"
    target.write_bytes(b"previous work")
    assert run(capsys, "convert", str(damaged), str(target))[0] == 1
    assert target.read_bytes() == b"previous work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.mid", "out.mid"]


def test_saving_into_a_missing_folder_is_one_sentence(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "convert", str(SAMPLES / "melody.mid"), str(tmp_path / "no" / "x.mid"))
    assert code == 1 and err.count("\n") == 1 and "does not exist" in err


# ------------------------------------------------------------------------------- the real command, bad files


@pytest.fixture(scope="module")
def bad_folder(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_bad_files(tmp_path_factory.mktemp("bad"))


def command(*args: str) -> tuple[subprocess.CompletedProcess[str], float, int]:
    """Run ``python -m musicassist.cli.main``; returns the result, its CPU seconds and the children's peak RSS."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run([sys.executable, "-m", "musicassist.cli.main", *args], capture_output=True, text=True,
                            cwd=ROOT, timeout=120)  # a hang guard only; the bound checked is CPU time
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result, cpu, after.ru_maxrss


@pytest.mark.parametrize("bad", BAD_FILES, ids=lambda bad: bad.name)
def test_every_bad_file_exits_1_with_one_line_in_bounded_time(bad_folder: dict[str, Path], bad, tmp_path: Path) -> None:
    result, cpu, peak_kb = command("info", str(bad_folder[bad.name]))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("musicassist: ")
    assert bad.says in result.stderr
    assert cpu < CPU_SECONDS_BOUND, f"{bad.name}: {cpu:.1f} s of CPU"
    assert peak_kb < MEMORY_BOUND_KB, f"{bad.name}: {peak_kb // 1024} MB"
    target = tmp_path / "out.mid"
    converted, _, _ = command("convert", str(bad_folder[bad.name]), str(target))
    assert converted.returncode == 1 and not target.exists()


def test_usage_errors_exit_2_from_the_real_command() -> None:
    result, _, _ = command("info", str(SAMPLES / "two_tunes.abc"))
    assert result.returncode == 2 and "choose one with --index" in result.stderr
    result, _, _ = command("info", "--index", "0", str(SAMPLES / "two_tunes.abc"))
    assert result.returncode == 2


def test_the_real_command_prints_json(tmp_path: Path) -> None:
    result, _, _ = command("info", "--json", str(SAMPLES / "melody.mid"))
    assert result.returncode == 0
    assert json.loads(result.stdout)["notes"] == 30


def test_a_reader_that_stops_early_gives_one_line_not_a_traceback() -> None:
    """B9: `musicassist info x.mid --json | head -c 1`: the pipe closes before everything is written."""
    process = subprocess.Popen([sys.executable, "-m", "musicassist.cli.main", "info", "--json",
                                str(SAMPLES / "melody.mid")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # like `head` exiting before the command writes
    error = process.stderr.read().decode()
    assert process.wait(timeout=60) == 1
    assert "Traceback" not in error and error.count("\n") == 1 and "output was closed" in error
