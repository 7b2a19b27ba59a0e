"""Lookback features and the lookback model: the tracker's candidates and flags, Keras/NumPy parity,
a warm start that preserves the plain model, and a lookback model trained, resumed and sampled."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from musicassist.codec import BOS, EOS, PAD, default_vocabulary
from musicassist.core.timemaps import TimeSignature
from musicassist.ml import model_store
from musicassist.ml.dataset import epoch_windows
from musicassist.ml.lookback import (
    LookbackSpec,
    LookbackTracker,
    block_features,
    sequence_features,
    transpose_candidates,
)
from musicassist.ml.lstm_numpy import LstmState, NumpyLstm

from .tiny_music import tiny_corpus

VOCAB = default_vocabulary()
SPEC = LookbackSpec.from_vocab(VOCAB, (1, 2))
BAR = VOCAB.bar_id(TimeSignature.parse("4/4"))


def _note(position: int, pitch: int) -> list[int]:
    return [VOCAB.pos_id(position), VOCAB.pitch_id(pitch), VOCAB.dur_id(12), VOCAB.vel_id(80)]


def _bar(*pitches: int) -> list[int]:
    return [BAR] + [t for i, p in enumerate(pitches) for t in _note(12 * i, p)]


def _names(tokens: np.ndarray) -> list[str]:
    return [VOCAB.name(int(t)) for t in tokens]


def test_exact_repeat_offers_the_previous_bar_token_by_token() -> None:
    sequence = np.array([BOS, *_bar(60, 62), *_bar(60, 62), EOS])
    candidates, flags = block_features(sequence[None], SPEC)
    second = 1 + 9  # index of the second BAR token
    # Before the first bar ends there is nothing to look back at.
    assert (candidates[0, :second, 0] == PAD).all() and not flags[0, :second].any()
    # In the second bar, after each token the lag-1 candidate is the first bar's next token.
    expected = sequence[2:second + 1]  # POS_0 PITCH_60 ... VEL, then the BAR that ended bar 1
    assert _names(candidates[0, second:second + 9, 0]) == _names(expected)
    assert flags[0, second:second + 9, 0].all()  # repeating (maybe transposed)
    assert flags[0, second:second + 9, 2].all()  # repeating exactly
    assert (candidates[0, second:, 1] == PAD).all()  # no bar two bars back


def test_transposed_repeat_moves_the_candidate_pitch_and_clears_the_exact_flag() -> None:
    sequence = np.array([BOS, *_bar(60, 62, 64), *_bar(65, 67, 69)])
    candidates, flags = block_features(sequence[None], SPEC)
    after_first_pitch = 1 + 13 + 2  # BAR POS PITCH_65 of bar 2
    assert VOCAB.name(int(sequence[after_first_pitch])) == "PITCH_65"
    after_second_pos = after_first_pitch + 3  # ... DUR VEL POS_12: next comes the transposed PITCH_62 + 5
    assert VOCAB.name(int(candidates[0, after_second_pos, 0])) == "PITCH_67"
    assert flags[0, after_second_pos, 0] == 1 and flags[0, after_second_pos, 2] == 0


def test_a_changed_duration_ends_the_repeat_flag_for_the_rest_of_the_bar() -> None:
    changed = _bar(60, 62)
    changed[3] = VOCAB.dur_id(6)
    sequence = np.array([BOS, *_bar(60, 62), *changed])
    _candidates, flags = block_features(sequence[None], SPEC)
    start = 1 + 9
    assert flags[0, start + 2, 0] == 1  # BAR POS PITCH still repeat
    assert not flags[0, start + 3:, 0].any()


def test_bos_starts_a_new_piece() -> None:
    sequence = np.array([BOS, *_bar(60), *_bar(60), EOS, BOS, *_bar(60)])
    candidates, flags = block_features(sequence[None], SPEC)
    restart = int(np.flatnonzero(sequence == BOS)[1])
    assert (candidates[0, restart:, :] == PAD).all() and not flags[0, restart:].any()


def test_step_by_step_selection_and_concatenation_match_whole_blocks() -> None:
    pieces = tiny_corpus(5, seed=3, bars=6)
    whole = sequence_features(pieces, SPEC)
    trackers = []
    for piece, (candidates, flags) in zip(pieces, whole, strict=True):
        tracker = LookbackTracker(SPEC, 1, capacity=4)  # grows as it goes
        for t in range(len(piece) - 3):
            got_c, got_f = tracker.advance(piece[t:t + 1])
            np.testing.assert_array_equal(got_c[0], candidates[t])
            np.testing.assert_array_equal(got_f[0], flags[t])
        trackers.append(tracker.select(np.array([0, 0])))
    joined = LookbackTracker.concatenate(trackers)
    next_tokens = np.array([p[len(p) - 3] for p in pieces for _ in range(2)])
    got_c, _ = joined.advance(next_tokens)
    for row, (candidates, _flags) in enumerate(whole):
        t = len(pieces[row]) - 3
        np.testing.assert_array_equal(got_c[2 * row], candidates[t])
        np.testing.assert_array_equal(got_c[2 * row + 1], candidates[t])


def test_transposed_candidates_move_pitches_only_and_drop_out_of_range() -> None:
    candidates = np.array([[VOCAB.pitch_id(60), VOCAB.pos_id(0)], [VOCAB.pitch_id(127), PAD]])
    moved = transpose_candidates(candidates, 2, SPEC)
    assert _names(moved[0]) == ["PITCH_62", "POS_0"] and moved[1, 0] == PAD and moved[1, 1] == PAD


def test_epoch_windows_carry_features_aligned_with_the_tokens() -> None:
    pieces = tiny_corpus(8, seed=4)
    features = sequence_features(pieces, SPEC)
    windows = epoch_windows(pieces, VOCAB, 40, np.random.default_rng(0), (-3, 3), transpose_probability=1.0,
                            features=features, spec=SPEC)
    assert windows.lookback is not None and windows.lookback_flags is not None
    # Recomputing the features on the windows' own (transposed) tokens gives the same candidates wherever
    # a window starts on a piece's BOS, since nothing before it matters then.
    starts_on_bos = np.flatnonzero(windows.inputs[:, 0] == BOS)
    assert starts_on_bos.size
    for row in starts_on_bos:
        tokens = windows.inputs[row]
        ends = np.flatnonzero(tokens == EOS)
        stop = int(ends[0]) + 1 if ends.size else len(tokens)
        recomputed, flags = block_features(tokens[None, :stop], SPEC)
        np.testing.assert_array_equal(recomputed[0], windows.lookback[row, :stop])
        np.testing.assert_array_equal(flags[0], windows.lookback_flags[row, :stop])


# --- the Keras model and its NumPy twin ----------------------------------------------------------------

@pytest.fixture(scope="module")
def lookback_model():
    from musicassist.ml.model import build_model

    model = build_model(VOCAB.size, 16, (24, 20), 0.0, (1, 2, 4))
    rng = np.random.default_rng(7)
    for layer in model.layers:  # non-zero everywhere, the copy gate included
        weights = layer.get_weights()
        if weights:
            layer.set_weights([w + rng.normal(0, 0.3, w.shape).astype(np.float32) for w in weights])
    return model


def test_numpy_network_computes_what_keras_computes(lookback_model) -> None:
    from musicassist.ml.evaluate import model_inputs

    piece = tiny_corpus(1, seed=9, bars=8)[0][:160]
    keras_logits = np.asarray(lookback_model.predict_on_batch(model_inputs(lookback_model, piece[None], VOCAB)))[0]
    network = NumpyLstm.from_keras(lookback_model, VOCAB)
    whole, _ = network.run_sequence(piece)
    np.testing.assert_allclose(whole, keras_logits, atol=1e-4)
    _, state = network.run_sequence(piece[:60])
    state = state.select(np.array([0, 0, 0]))
    for t in range(60, len(piece)):
        logits, state = network.step(np.full(3, piece[t]), state)
        np.testing.assert_allclose(logits[2], keras_logits[t], atol=1e-4)
    # Two prefixes batched through LstmState.concatenate step like each alone.
    _, a = network.run_sequence(piece[:70])
    _, b = network.run_sequence(piece[:90])
    both = LstmState.concatenate([a, b])
    logits, _ = network.step(np.array([piece[70], piece[90]]), both)
    np.testing.assert_allclose(logits, keras_logits[[70, 90]], atol=1e-4)


def test_warm_start_from_a_plain_model_changes_no_prediction() -> None:
    from musicassist.ml.evaluate import model_inputs
    from musicassist.ml.model import build_model, warm_start

    plain = build_model(VOCAB.size, 16, (24,), 0.0)
    rng = np.random.default_rng(1)
    plain.set_weights([w + rng.normal(0, 0.3, w.shape).astype(np.float32) for w in plain.get_weights()])
    grown = build_model(VOCAB.size, 16, (24,), 0.0, (1, 2))
    warm_start(grown, plain)
    block = np.stack(tiny_corpus(2, seed=5, bars=4)[0][:50][None].repeat(2, axis=0))
    np.testing.assert_array_equal(np.asarray(plain.predict_on_batch(block)),
                                  np.asarray(grown.predict_on_batch(model_inputs(grown, block, VOCAB))))


def test_a_lookback_model_trains_resumes_saves_and_samples(tmp_path: Path) -> None:
    from musicassist.codec import decode
    from musicassist.core.generation import GenerationOptions, GenerationRequest
    from musicassist.ml.model import ModelConfig
    from musicassist.ml.sampler import load_sampler
    from musicassist.ml.train import TrainConfig, TrainData, train

    data = TrainData(tiny_corpus(30, seed=10), tiny_corpus(5, seed=11), {"sources": ["tiny"]})
    config = ModelConfig(VOCAB.size, embed_dim=16, units=(32,), dropout=0.0, lookback=(1, 2))
    settings = TrainConfig(seq_len=48, batch_size=16, learning_rate=1e-2, epochs=1, patience=5)
    out = tmp_path / "lb"
    train(data, VOCAB, out, config, settings, progress=False, log=lambda _m: None)
    settings.epochs = 2
    card = train(data, VOCAB, out, config, settings, resume=True, progress=False, log=lambda _m: None)
    assert [h["epoch"] for h in card["training"]["history"]] == [1, 2]
    assert card["model"]["lookback"] == [1, 2] and "lookback" in card["model"]["architecture"]
    network, vocab = model_store.load_network(out)
    keras_model, _, _ = model_store.load_model(out)
    piece = data.valid[0][:60]
    from musicassist.ml.evaluate import model_inputs

    np.testing.assert_allclose(network.run_sequence(piece)[0],
                               np.asarray(keras_model.predict_on_batch(model_inputs(keras_model, piece[None])))[0],
                               atol=1e-4)
    sampler = load_sampler(out)
    seed = decode(data.valid[1], vocab=vocab)
    request = GenerationRequest(request_id=1, seed=seed, options=GenerationOptions(length_bars=2, candidates=3,
                                                                                     seed=4))
    pool = sampler.sample_pool(request, 3)
    assert len(pool) == 3 and all(p.score.length_bars == 2 for p in pool)


# --- damaged model folders (issue 12: B5, B6) -----------------------------------------------------------

def _saved_plain_model(folder: Path) -> Path:
    from musicassist.ml.model import ModelConfig, build_from_config

    config = ModelConfig(VOCAB.size, embed_dim=8, units=(12,), dropout=0.0)
    model_store.save_model(build_from_config(config), VOCAB, folder, config)
    return folder


def test_a_config_without_weights_layout_is_a_clear_model_error(tmp_path: Path) -> None:
    import json

    from musicassist.core.errors import ModelError

    folder = _saved_plain_model(tmp_path / "m")
    config = json.loads((folder / model_store.CONFIG_FILE).read_text())
    del config["weights_layout"]
    (folder / model_store.CONFIG_FILE).write_text(json.dumps(config))
    with pytest.raises(ModelError, match="damaged"):
        model_store.load_network(folder)


def test_weight_arrays_of_the_wrong_shape_are_a_clear_model_error(tmp_path: Path) -> None:
    import h5py

    from musicassist.core.errors import ModelError

    folder = _saved_plain_model(tmp_path / "m")
    layout = model_store.read_config(folder)["weights_layout"]
    with h5py.File(folder / model_store.WEIGHTS_FILE, "r+") as handle:
        path = layout["lstm_0"][1]  # the recurrent kernel
        del handle[path]
        handle[path] = np.zeros((5, 7), dtype=np.float32)
    with pytest.raises(ModelError, match=r"lstm_0 .*has shape"):
        model_store.load_network(folder)


def test_repeat_boost_lifts_only_the_token_that_carries_on_a_repeated_bar() -> None:
    tracker = LookbackTracker(SPEC, 2)
    repeated = [BOS, *_bar(60, 62), *_bar(60, 62)][:14]  # bar 2 so far: BAR POS PITCH_60 DUR
    different = [BOS, *_bar(60, 62), *_bar(65, 62)][:14]
    different[12] = VOCAB.pitch_id(61)
    different[13] = VOCAB.dur_id(6)  # a different duration: no longer a repeat
    for a, b in zip(repeated, different, strict=True):
        tracker.advance(np.array([a, b]))
    boost = tracker.repeat_boost(VOCAB.size, 1.5)
    assert boost is not None
    assert np.flatnonzero(boost[0]).tolist() == [VOCAB.vel_id(80)] and boost[0, VOCAB.vel_id(80)] == 1.5
    assert not boost[1].any()
    assert tracker.repeat_boost(VOCAB.size, 0.0) is None


@pytest.mark.parametrize("garbage", ["[1, 2, 3]", "\"a card\"", "{not json"])
def test_a_garbage_card_is_a_clear_model_error(tmp_path: Path, garbage: str) -> None:
    from musicassist.core.errors import ModelError

    folder = _saved_plain_model(tmp_path / "m")
    (folder / model_store.CARD_FILE).write_text(garbage)
    with pytest.raises(ModelError, match="card"):
        model_store.read_card(folder)
