"""Training windows: packed pieces, starts on bar boundaries, weights, transposition that stays in range."""

from __future__ import annotations

import numpy as np

from musicassist.codec import BOS, PAD, default_vocabulary, pitch_range
from musicassist.ml.dataset import epoch_windows, length_batches, make_windows, pack_stream, random_transposition

from .tiny_music import tiny_corpus

VOCAB = default_vocabulary()


def test_windows_start_on_boundaries_and_cover_the_stream() -> None:
    pieces = tiny_corpus(12, seed=20)
    stream = pack_stream(pieces)
    windows = make_windows(stream, VOCAB, seq_len=40)
    starts = windows.inputs[:, 0]
    assert np.all((starts == BOS) | np.isin(starts, VOCAB.bar_ids))
    # Every target of the stream (but the first token) is covered at least once.
    covered = {tuple(row) for row in windows.inputs[:, :3]}
    assert len(covered) > 1
    assert windows.token_count >= len(stream) - len(pieces) - 1  # BOS targets carry no weight
    np.testing.assert_array_equal(windows.inputs[:, 1:], windows.targets[:, :-1])


def test_padding_and_bos_targets_have_zero_weight() -> None:
    windows = make_windows(pack_stream(tiny_corpus(3, seed=21)), VOCAB, seq_len=64)
    assert np.all(windows.weights[windows.targets == PAD] == 0)
    assert np.all(windows.weights[windows.targets == BOS] == 0)
    assert np.all(windows.weights[(windows.targets != PAD) & (windows.targets != BOS)] == 1)


def test_transposition_keeps_pitches_in_range_and_shifts_them_all_alike() -> None:
    rng = np.random.default_rng(0)
    piece = tiny_corpus(1, seed=22)[0]
    span = pitch_range(piece, VOCAB)
    assert span is not None
    low, high = span
    for _ in range(30):
        moved = random_transposition(piece, VOCAB, rng, (-5, 6))
        moved_span = pitch_range(moved, VOCAB)
        assert moved_span is not None
        new_low, new_high = moved_span
        assert new_low - low == new_high - high and -5 <= new_low - low <= 6
    extreme = piece.copy()
    extreme[np.isin(extreme, VOCAB.pitch_ids)] = VOCAB.pitch_id(125)
    extreme_span = pitch_range(random_transposition(extreme, VOCAB, rng, (-5, 6)), VOCAB)
    assert extreme_span is not None and extreme_span[1] <= 127


def test_epoch_windows_are_reproducible_and_capped() -> None:
    pieces = tiny_corpus(20, seed=23)
    first = epoch_windows(pieces, VOCAB, 32, np.random.default_rng(5), max_windows=10)
    second = epoch_windows(pieces, VOCAB, 32, np.random.default_rng(5), max_windows=10)
    assert len(first) == 10
    np.testing.assert_array_equal(first.inputs, second.inputs)


def test_length_batches_group_every_index_once() -> None:
    lengths = [5, 300, 40, 41, 1000, 2]
    batches = length_batches(lengths, max_tokens=512)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert all(len(b) == 1 for b in batches if any(lengths[i] >= 300 for i in b))


def test_transpose_probability_controls_how_many_pieces_move() -> None:
    pieces = tiny_corpus(40, seed=24)
    original = {tuple(p) for p in pieces}

    def moved_share(probability: float) -> float:
        windows = epoch_windows(pieces, VOCAB, 20000, np.random.default_rng(1), transpose_probability=probability)
        assert len(windows) == 1  # the whole stream in one window: no overlaps to untangle
        stream = windows.inputs[windows.inputs != PAD]
        starts = np.flatnonzero(stream == BOS)
        rebuilt = np.split(stream, starts[1:])
        return float(np.mean([tuple(p) not in original for p in rebuilt]))

    assert moved_share(0.0) == 0.0
    assert 0.2 < moved_share(0.5) < 0.8  # 0 semitones is one of the 12 choices, so a few "moves" stay put
    assert moved_share(1.0) > 0.8
