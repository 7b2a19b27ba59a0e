"""``musicassist generate`` on real files with a real (small, saved and reloaded) model."""

from __future__ import annotations

import errno
import json
import os
from fractions import Fraction
from pathlib import Path

import pytest

from musicassist.cli.generate_command import parse_pitch, parse_range
from musicassist.cli.main import main
from musicassist.core.edits import slice_bars
from musicassist.core.errors import OptionError
from musicassist.core.score import DRUM_CHANNEL, Note, Score, Track
from musicassist.core.timemaps import KeySignature, MeterChange, MeterMap, TempoMap, TimeSignature
from musicassist.io import read_score, write_score


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small model of the real architecture, saved by model_store and loaded back by the command."""
    import keras

    from musicassist.codec import default_vocabulary
    from musicassist.ml import model_store
    from musicassist.ml.model import ModelConfig, build_from_config

    keras.utils.set_random_seed(3)
    vocab = default_vocabulary()
    config = ModelConfig(vocab_size=vocab.size, embed_dim=16, units=(32, 32), dropout=0.0)
    model = build_from_config(config)
    for layer in model.layers:  # sharper than the initial weights so the music is not uniform noise
        layer.set_weights([w * 4.0 for w in layer.get_weights()])
    folder = tmp_path_factory.mktemp("models") / "tiny"
    model_store.save_model(model, vocab, folder, config)
    return folder


@pytest.fixture(autouse=True)
def empty_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUSICASSIST_CACHE", str(tmp_path / "cache"))  # no corpus: no training index


@pytest.fixture()
def song(tmp_path: Path) -> Path:
    """A 6-bar MIDI file: melody, bass and drums, 3/4 from bar 5, 100 BPM."""
    melody = tuple(Note(Fraction(i), 60 + (2 * i) % 12, Fraction(1), 90) for i in range(22))
    bass = tuple(Note(Fraction(4 * i), 43, Fraction(2), 70, channel=1) for i in range(5))
    kit = tuple(Note(Fraction(i), 36, Fraction(1, 4), 100, DRUM_CHANNEL) for i in range(22))
    meters = MeterMap((MeterChange(0, TimeSignature(4, 4)), MeterChange(4, TimeSignature(3, 4))))
    score = Score(tracks=(Track("melody", melody, 0, 0), Track("bass", bass, 33, 1), Track("kit", kit, 0, 9)),
                  meter_map=meters, tempo_map=TempoMap.constant(100.0), length_bars=6)
    path = tmp_path / "song.mid"
    write_score(score, path)
    return path


def generate(*args: str) -> int:
    return main(["generate", *args])


def test_writes_n_files_of_exactly_k_bars_in_the_seeds_meter_and_tempo(song, model_dir, tmp_path):
    out = tmp_path / "out"
    assert generate(str(song), "--bars", "3-5", "--length", "3", "--candidates", "3", "--seed", "1",
                    "--model", str(model_dir), "--out", str(out)) == 0
    files = sorted(out.iterdir())
    assert [f.name for f in files] == ["candidate-01.mid", "candidate-02.mid", "candidate-03.mid"]
    for file in files:
        candidate = read_score(file)
        assert candidate.bar_count == 3
        assert candidate.meter_map.time_signature_at_bar(0) == TimeSignature(3, 4)
        assert candidate.tempo_map.bpm_at(Fraction(0)) == pytest.approx(100.0)


def test_json_reports_every_candidate_and_the_timings(song, model_dir, tmp_path, capsys):
    out = tmp_path / "out"
    assert generate(str(song), "--bars", "1-2", "--length", "2", "--candidates", "2", "--seed", "4",
                    "--model", str(model_dir), "--out", str(out), "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) >= {"candidates", "model", "seconds_model_load", "seconds_sampling"}
    assert report["model"] == str(model_dir) and report["training_index"] is False
    assert len(report["candidates"]) == 2
    for item in report["candidates"]:
        assert set(item) >= {"file", "bars", "notes", "label", "mean_log_likelihood", "longest_training_match"}
        assert item["bars"] == 2 and item["label"] and item["mean_log_likelihood"] < 0
        assert read_score(item["file"]).note_count == item["notes"]


def test_strict_scale_and_range_hold_in_the_written_files(song, model_dir, tmp_path, capsys):
    out = tmp_path / "out"
    assert generate(str(song), "--bars", "1-4", "--length", "4", "--candidates", "4", "--seed", "2",
                    "--scale", "Eb:major", "--range", "C4-C5", "--density", "6", "--model", str(model_dir),
                    "--out", str(out)) == 0
    pitches = [n.pitch for f in out.iterdir() for n in read_score(f).notes]
    assert pitches and all(60 <= p <= 72 for p in pitches)
    assert {p % 12 for p in pitches} <= KeySignature(3, "major").scale_pitch_classes


def test_auto_scale_uses_the_key_of_the_selected_bars(song, model_dir, tmp_path, capsys):
    assert generate(str(song), "--bars", "1-4", "--length", "2", "--candidates", "2", "--seed", "2",
                    "--scale", "auto", "--track", "1", "--model", str(model_dir), "--out", str(tmp_path)) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("scale: ")  # whole-tone melody: some key is chosen and printed
    name = printed.splitlines()[0].removeprefix("scale: ").replace(" ", ":")
    scale = KeySignature.parse(name).scale_pitch_classes
    assert all(n.pitch % 12 in scale for f in tmp_path.glob("candidate-*.mid") for n in read_score(f).notes)


def test_merge_places_each_continuation_after_bar_b_replacing_those_bars(song, model_dir, tmp_path):
    common = ["--bars", "1-2", "--length", "2", "--candidates", "2", "--seed", "9", "--model", str(model_dir)]
    assert generate(str(song), *common, "--out", str(tmp_path / "plain")) == 0
    assert generate(str(song), *common, "--merge", "--out", str(tmp_path / "merged")) == 0
    original = read_score(song)
    for name in ("candidate-01.mid", "candidate-02.mid"):
        plain = read_score(tmp_path / "plain" / name)
        whole = read_score(tmp_path / "merged" / name)
        assert whole.bar_count == original.bar_count
        start, stop = Fraction(8), Fraction(16)  # bars 3-4 of 4/4
        for track, before in zip(whole.tracks, original.tracks, strict=True):
            outside = [n for n in track.notes if not start <= n.start < stop]
            assert outside == [n for n in before.notes if not start <= n.start < stop]
        continued = [(n.start - start, n.pitch) for n in whole.tracks[0].notes if start <= n.start < stop]
        assert continued == [(n.start, n.pitch) for n in plain.notes]
        assert not [n for n in whole.tracks[1].notes if start <= n.start < stop]  # bass was continued too
        assert len([n for n in whole.tracks[2].notes if start <= n.start < stop]) == 8  # drums stay


@pytest.mark.parametrize(("options", "message"), [
    (["--bars", "5-9"], "has 6 bars"),
    (["--bars", "0-2"], "bar range"),
    (["--bars", "1-2", "--track", "3"], "drum track"),
    (["--bars", "1-2", "--track", "7"], "no track 7"),
    (["--bars", "6", "--track", "2"], "no notes"),
    (["--bars", "1-2", "--scale", "H:dorian"], "Unknown scale"),
    (["--bars", "1-2", "--range", "C4"], "pitch range"),
    (["--bars", "1-2", "--range", "C5-C4"], "lowest first"),
    (["--bars", "1-2", "--scale", "C:major", "--range", "61-61"], "No note of C major"),
    (["--bars", "1-2", "--candidates", "99"], "1 to 32 candidates"),
    (["--bars", "1-2", "--temperature", "0"], "temperature"),
    (["--bars", "1-2", "--temperature", "nan"], "temperature"),
    (["--bars", "1-2", "--density", "nan"], "density"),  # B2
    (["--bars", "1-2", "--density", "inf"], "density"),  # B3
    (["--bars", "1-2", "--seed", "-1"], "random seed"),  # B4
])
def test_bad_options_give_one_line_and_exit_status_2(song, model_dir, tmp_path, capsys, options, message):
    status = generate(str(song), "--length", "2", *options, "--model", str(model_dir), "--out", str(tmp_path / "o"))
    err = capsys.readouterr().err
    assert status == 2
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_a_missing_model_is_an_error_not_a_crash(song, tmp_path, capsys):
    status = generate(str(song), "--bars", "1-2", "--length", "2", "--model", str(tmp_path / "none"),
                      "--out", str(tmp_path / "o"))
    assert status == 1 and "model" in capsys.readouterr().err.lower()


def test_pitch_names_and_numbers():
    assert parse_pitch("C4") == 60 and parse_pitch("F#3") == 54 and parse_pitch("Bb5") == 82
    assert parse_pitch("21") == 21
    assert parse_range("C3-C6") == (48, 84)
    with pytest.raises(OptionError):
        parse_pitch("H2")


@pytest.mark.slow
def test_continues_a_bach_chorale_from_the_music21_corpus(model_dir, tmp_path, capsys):
    from music21 import corpus

    path = Path(str(corpus.getWork("bwv66.6")))
    assert generate(str(path), "--bars", "1-4", "--length", "4", "--candidates", "4", "--seed", "3",
                    "--scale", "auto", "--range", "48-79", "--model", str(model_dir), "--out", str(tmp_path),
                    "--json") == 0
    report = json.loads(capsys.readouterr().out)
    scale = KeySignature.parse(report["scale"]).scale_pitch_classes
    assert len(report["candidates"]) == 4
    for item in report["candidates"]:
        candidate = read_score(item["file"])
        assert candidate.bar_count == 4
        assert all(48 <= n.pitch <= 79 and n.pitch % 12 in scale for n in candidate.notes)
    assert os.path.getsize(report["candidates"][0]["file"]) > 0


def test_a_candidate_found_in_the_cached_corpus_is_rejected(song, model_dir, tmp_path, capsys):
    """The corpus is made of a first run's candidate: the same run again must not return it."""
    from musicassist.codec import encode
    from musicassist.ml import copy_check
    from musicassist.ml.corpus import split_of
    from musicassist.ml.corpus_cache import CachedSource, save_source

    common = ["--bars", "1-2", "--length", "4", "--candidates", "1", "--seed", "4", "--model", str(model_dir),
              "--json"]
    assert generate(str(song), *common, "--out", str(tmp_path / "first")) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["training_index"] is False
    copied = read_score(tmp_path / "first" / "candidate-01.mid")
    piece_id = next(f"test/{i}" for i in range(100) if split_of(f"test/{i}") == "train")
    save_source(tmp_path / "cache" / "corpus", "test", "test", "fingerprint",
                CachedSource([piece_id], [encode(copied)], [copied.note_count]))
    assert generate(str(song), *common, "--out", str(tmp_path / "second")) == 0
    captured = capsys.readouterr()
    second = json.loads(captured.out)
    assert second["training_index"] is True and "indexing the training corpus" in captured.err
    assert copy_check.cached_index_path(model_dir, tmp_path / "cache").is_file()
    assert read_score(tmp_path / "second" / "candidate-01.mid").notes != copied.notes
    assert second["candidates"][0]["longest_training_match"] < copy_check.COPY_THRESHOLD_TOKENS


def test_merge_at_the_end_of_the_piece_extends_it(song, model_dir, tmp_path):
    assert generate(str(song), "--bars", "5-6", "--length", "3", "--candidates", "1", "--seed", "2", "--merge",
                    "--model", str(model_dir), "--out", str(tmp_path)) == 0
    whole = read_score(tmp_path / "candidate-01.mid")
    assert whole.bar_count == 9
    assert whole.meter_map.time_signature_at_bar(8) == TimeSignature(3, 4)
    assert whole.end == 4 * 4 + 5 * 3


# ------------------------------------------------------------------------------- faults: nothing half-written


def test_out_naming_an_existing_file_is_a_usage_error(song, model_dir, tmp_path, capsys):
    """B7: --out names a file."""
    existing = tmp_path / "notes.txt"
    existing.write_text("mine")
    status = generate(str(song), "--bars", "1-2", "--length", "2", "--model", str(model_dir), "--out", str(existing))
    err = capsys.readouterr().err
    assert status == 2 and "give a folder" in err and len(err.strip().splitlines()) == 1
    assert existing.read_text() == "mine"


def test_a_read_only_file_system_is_one_sentence_before_sampling(song, model_dir, tmp_path, capsys, monkeypatch):
    """B8: every folder creation fails as on a read-only mount."""

    def read_only(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(os, "mkdir", read_only)
    status = generate(str(song), "--bars", "1-2", "--length", "2", "--model", str(model_dir),
                      "--out", str(tmp_path / "o"))
    err = capsys.readouterr().err
    assert status == 1 and "Read-only file system" in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == [song]


def test_a_failure_while_writing_leaves_no_partial_set(song, model_dir, tmp_path, capsys, monkeypatch):
    """The disk fills up at the third of four candidates: DIR keeps what it had, no staging folder stays."""
    import musicassist.io as io_package
    from musicassist.io import atomic

    out = tmp_path / "out"
    out.mkdir()
    (out / "candidate-01.mid").write_bytes(b"an older run")
    real_write = atomic.atomic_write_bytes  # --merge writes each candidate's (spliced) bytes with it
    written: list[Path] = []

    def disk_fills_up(path: Path, data: bytes) -> None:
        if len(written) == 2:
            raise io_package.FileWriteError(f"Cannot save '{Path(path).name}': the disk is full.")
        written.append(Path(path))
        real_write(path, data)

    monkeypatch.setattr(atomic, "atomic_write_bytes", disk_fills_up)
    status = generate(str(song), "--bars", "1-2", "--length", "2", "--candidates", "4", "--seed", "1", "--merge",
                      "--model", str(model_dir), "--out", str(out))
    assert status == 1 and "the disk is full" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["candidate-01.mid"]
    assert (out / "candidate-01.mid").read_bytes() == b"an older run"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "song.mid"]


def test_merge_is_meter_aware(model_dir, tmp_path):
    """4/4 then 3/4 from bar 3: a 2-bar continuation of bars 1-2 fills exactly bars 3-4; bar 5 keeps its notes."""
    melody = tuple(Note(Fraction(i), 60 + i % 12, Fraction(1)) for i in range(20))
    meters = MeterMap((MeterChange(0, TimeSignature(4, 4)), MeterChange(2, TimeSignature(3, 4))))
    score = Score(tracks=(Track("melody", melody),), meter_map=meters, length_bars=6)
    path = tmp_path / "meters.mid"
    write_score(score, path)
    assert generate(str(path), "--bars", "1-2", "--length", "2", "--candidates", "1", "--seed", "5", "--merge",
                    "--model", str(model_dir), "--out", str(tmp_path / "o")) == 0
    result = read_score(tmp_path / "o" / "candidate-01.mid")
    assert [result.meter_map.time_signature_at_bar(b) for b in range(6)] == [TimeSignature(4, 4)] * 4 + [
        TimeSignature(3, 4)] * 2
    kept, before = slice_bars(result, 4, 6), slice_bars(score, 4, 6)
    assert (kept.notes, kept.meter_map, kept.bar_count) == (before.notes, before.meter_map, before.bar_count)


EVENT_FILE = Path(__file__).resolve().parent.parent / "data" / "events" / "every_event.mid"


def _merge_keeps_the_seed_bars_events(model: str, tmp_path: Path) -> None:
    """Bars 1-2 of a file with every event kind, continued by one bar: every message of the file but the
    notes of the replaced bar 3 is in each merged candidate at its time (the events of bar 3 too: the
    default keeps the composer's controllers)."""
    from tests.io.midi_messages import timed_messages, unmatched

    out = tmp_path / "merged"
    assert generate(str(EVENT_FILE), "--bars", "1-2", "--length", "1", "--candidates", "2", "--seed", "3",
                    "--merge", "--model", model, "--out", str(out)) == 0
    tempo = read_score(EVENT_FILE).tempo_map
    bar3 = (tempo.seconds_at(Fraction(8)) - 0.0005, tempo.seconds_at(Fraction(12)) - 0.0005)
    before = [m for track in timed_messages(EVENT_FILE) for m in track
              if not (m[1][0] in ("note_on", "note_off") and bar3[0] <= m[0] < bar3[1])]
    for name in ("candidate-01.mid", "candidate-02.mid"):
        after = [m for track in timed_messages(out / name) for m in track]
        assert unmatched(before, after) == [], name


def test_merge_keeps_every_event_of_the_seed_bars(model_dir, tmp_path):
    _merge_keeps_the_seed_bars_events(str(model_dir), tmp_path)


@pytest.mark.slow
def test_merge_with_the_shipped_model_keeps_every_event_of_the_seed_bars(tmp_path):
    _merge_keeps_the_seed_bars_events("default", tmp_path)
