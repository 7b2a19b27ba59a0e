"""The corpus builder: splits, counts, augmentation, the cache, failures (tiny corpora, real music21)."""

from __future__ import annotations

import shutil
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from musicassist.codec import GrammarState, decode, default_vocabulary
from musicassist.core import MeterMap, Note, OptionError, Score, TimeSignature, Track
from musicassist.ml import corpus as corpus_module
from musicassist.ml.corpus import augment_transpose, build_corpus, build_user_source, corpus_from_scores, split_of
from musicassist.ml.corpus_shards import SHARD_DIR
from musicassist.ml.corpus_sources import bundled_source, parse_batch, piece_tasks, user_source

V = default_vocabulary()

TUNE_A = "X:1\nT:a\nM:6/8\nL:1/8\nK:G\nD | G2A B2c | d3 d2 :| B | c2d e2f | g3- g2 |]\n"
TUNE_B = "X:2\nT:b\nM:3/4\nL:1/4\nK:D\nA | d2 e | f3 | e2 d | A3 |]\n"
TUNE_BAD_METER = "X:3\nT:c\nM:11/8\nL:1/8\nK:C\nC4 D4 E3 | C4 D4 E3 |]\n"


def _score(pitches: list[int], meter: str = "4/4") -> Score:
    notes = tuple(Note(Fraction(i, 2), p, Fraction(1, 2)) for i, p in enumerate(pitches))
    return Score(tracks=(Track(notes=notes),), meter_map=MeterMap.constant(TimeSignature.parse(meter)))


def test_split_is_a_stable_hash_of_the_id_with_90_5_5_proportions():
    assert split_of("essen/han1.abc#0") == split_of("essen/han1.abc#0")
    splits = [split_of(f"essen/file.abc#{i}") for i in range(4000)]
    share = {name: splits.count(name) / len(splits) for name in ("train", "valid", "test")}
    assert 0.87 < share["train"] < 0.93 and 0.03 < share["valid"] < 0.07 and 0.03 < share["test"] < 0.07
    # Pinned values: the split must not change between machines, runs or versions.
    odd_ones = {i: split_of(f"essen/han1.abc#{i}") for i in range(40) if split_of(f"essen/han1.abc#{i}") != "train"}
    assert odd_ones == {15: "valid", 30: "test"}


def test_corpus_from_scores_counts_pieces_tokens_notes_and_failures():
    scores = [(f"s{i}", _score([60 + i, 62, 64])) for i in range(20)]
    scores.append(("odd", _score([60], meter="11/8")))
    corpus = corpus_from_scores(scores, style="user")
    assert len(corpus.pieces) == 20
    piece = corpus.pieces[0]
    assert piece.id == "memory/s0" and piece.style == "user" and piece.notes == 3
    assert V.describe(piece.tokens[:3]) == ["BOS", "STYLE_user", "BAR_4/4"]
    counts = corpus.counts()
    assert counts["memory"]["total"]["pieces"] == 20
    assert counts["memory"]["total"]["notes"] == 60
    assert counts["all"]["total"]["tokens"] == sum(len(p.tokens) for p in corpus.pieces)
    assert sum(counts["memory"][s]["pieces"] for s in ("train", "valid", "test")) == 20
    assert sum(counts["memory"]["failures"].values()) == 1
    assert {p.id for p in corpus.split("train")} | {p.id for p in corpus.split("valid")} | {
        p.id for p in corpus.split("test")} == {p.id for p in corpus.pieces}
    with pytest.raises(OptionError):
        corpus.split("holdout")


def test_augment_transpose_shifts_pitches_only_and_refuses_to_leave_midi_range():
    tokens = corpus_from_scores([("a", _score([60, 64, 67]))], style="folk").pieces[0].tokens
    up = augment_transpose(tokens, 5, V)
    assert up is not None
    assert [n.pitch for n in decode(up).notes] == [65, 69, 72]
    assert (up[~np.isin(tokens, V.pitch_ids)] == tokens[~np.isin(tokens, V.pitch_ids)]).all()
    assert GrammarState.from_prefix(up).skipped == 0
    assert augment_transpose(tokens, 61, V) is None
    assert augment_transpose(tokens, -61, V) is None
    assert augment_transpose(tokens, 60, V) is not None


def _user_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "tunes"
    folder.mkdir()
    (folder / "book.abc").write_text("% my book\n\n" + TUNE_A + "\n" + TUNE_B + "\n" + TUNE_BAD_METER)
    (folder / "broken.mid").write_bytes(b"MThd not really a midi file")
    (folder / "notes.txt").write_text("ignored: not a music file")
    return folder


def test_build_from_a_user_folder_caches_and_reloads_without_parsing(tmp_path, monkeypatch):
    folder = _user_folder(tmp_path)
    cache = tmp_path / "cache"
    corpus = build_corpus([], [folder], workers=1, progress=False, cache=cache)
    assert sorted(p.id for p in corpus.pieces) == ["user/book.abc#0", "user/book.abc#1"]
    assert {p.style for p in corpus.pieces} == {"user"}
    counts = corpus.counts()
    assert counts["user"]["failures"].get("unsupported meter 11/8") == 1
    assert sum(counts["user"]["failures"].values()) == 2  # the bad meter and the broken MIDI file
    assert len(list((cache / SHARD_DIR).glob("*.npz"))) == 1

    def no_parsing(tasks):
        raise AssertionError("a warm cache must not parse")

    monkeypatch.setattr(corpus_module, "parse_batch", no_parsing)
    again = build_corpus([], [folder], workers=1, progress=False, cache=cache)
    assert [p.id for p in again.pieces] == [p.id for p in corpus.pieces]
    assert all((a.tokens == b.tokens).all() for a, b in zip(again.pieces, corpus.pieces, strict=True))
    assert again.counts()["user"]["failures"] == counts["user"]["failures"]

    # A changed file is parsed again, alone: the others come from their shard by content hash.
    (folder / "book.abc").write_text(TUNE_A)
    parsed: list[str] = []

    def only_the_changed_file(tasks):
        parsed.extend(task.piece_id for task in tasks)
        return parse_batch(tasks)

    monkeypatch.setattr(corpus_module, "parse_batch", only_the_changed_file)
    changed = build_corpus([], [folder], workers=1, progress=False, cache=cache)
    assert parsed == ["user/book.abc#0"]
    assert [p.id for p in changed.pieces] == ["user/book.abc#0"]
    assert sum(changed.counts()["user"]["failures"].values()) == 1  # the broken MIDI file, from its shard


def test_shares_built_apart_merge_without_parsing(tmp_path, monkeypatch):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(12):
        tune = TUNE_B.replace("A | d2 e", f"A | d2 {'efga'[i % 4]}").replace("| A3 |]", f"| {'ABcd'[i // 4]}3 |]")
        (folder / f"tune{i:02d}.abc").write_text(tune.replace("T:b", f"T:{i}"))
    whole = build_corpus([], [folder], workers=1, progress=False, cache=tmp_path / "whole")
    monkeypatch.setattr(corpus_module, "PIECES_PER_SHARD", 2)  # small shards: written as parsing goes
    source = user_source(folder)
    for share in range(3):
        build_user_source(source, tmp_path / f"machine{share}", None, False, shard=(share, 3))
    merged = tmp_path / "merged" / SHARD_DIR
    merged.mkdir(parents=True)
    shard_files = [path for share in range(3) for path in (tmp_path / f"machine{share}" / SHARD_DIR).glob("*.npz")]
    assert len(shard_files) >= 4  # 12 files in shares of about 4, two pieces per shard
    for path in shard_files:
        shutil.copy(path, merged / path.name)

    def no_parsing(tasks):
        raise AssertionError("merged shards must not parse")

    monkeypatch.setattr(corpus_module, "parse_batch", no_parsing)
    together = build_corpus([], [folder], workers=1, progress=False, cache=tmp_path / "merged")
    assert [p.id for p in together.pieces] == [p.id for p in whole.pieces]
    assert len(together.pieces) == 12
    assert all((a.tokens == b.tokens).all() for a, b in zip(together.pieces, whole.pieces, strict=True))


def test_a_damaged_shard_is_ignored_and_its_files_parsed_again(tmp_path):
    folder = _user_folder(tmp_path)
    cache = tmp_path / "cache"
    first = build_corpus([], [folder], workers=1, progress=False, cache=cache)
    for path in (cache / SHARD_DIR).glob("*.npz"):
        path.write_bytes(b"not a shard")
    again = build_corpus([], [folder], workers=1, progress=False, cache=cache)
    assert [p.id for p in again.pieces] == [p.id for p in first.pieces]


def test_repeated_tunes_are_kept_once(tmp_path):
    folder = tmp_path / "dups"
    folder.mkdir()
    (folder / "one.abc").write_text(TUNE_A)
    (folder / "two.abc").write_text(TUNE_A.replace("T:a", "T:same notes, other title"))
    corpus = build_corpus([], [folder], workers=1, progress=False, cache=tmp_path / "cache")
    assert len(corpus.pieces) == 1 and corpus.counts()["user"]["duplicates"] == 1


def test_unknown_sources_and_missing_folders_are_option_errors(tmp_path):
    with pytest.raises(OptionError, match="Unknown corpus source 'bach'"):
        build_corpus(["bach"], cache=tmp_path)
    with pytest.raises(OptionError, match="does not exist"):
        build_corpus([], [tmp_path / "nowhere"], cache=tmp_path)


@pytest.mark.slow
def test_a_handful_of_bundled_pieces_parse_to_grammatical_tokens():
    for name in ("aird", "chorales"):
        tasks = piece_tasks(bundled_source(name))[:4]
        results = parse_batch(tasks)
        ok = [r for r in results if r.tokens is not None]
        assert len(ok) >= 3, [r.failure for r in results]
        for result in ok:
            assert GrammarState.from_prefix(result.tokens).skipped == 0
            assert result.notes > 10


@pytest.mark.slow
def test_two_worker_processes_give_the_same_pieces_as_one(tmp_path):
    folder = _user_folder(tmp_path)
    serial = build_corpus([], [folder], workers=1, progress=False, cache=tmp_path / "a")
    parallel = build_corpus([], [folder], workers=2, progress=False, cache=tmp_path / "b")
    assert [p.id for p in parallel.pieces] == [p.id for p in serial.pieces]
    assert all((a.tokens == b.tokens).all() for a, b in zip(parallel.pieces, serial.pieces, strict=True))
