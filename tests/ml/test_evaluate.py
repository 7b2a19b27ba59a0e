"""Evaluation: model and n-gram figures on the same tokens, the CLI's JSON, and the continuation check."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from musicassist.cli.main import main
from musicassist.codec import default_vocabulary
from musicassist.ml import corpus as corpus_module
from musicassist.ml import model_store
from musicassist.ml.corpus import Corpus, Piece
from musicassist.ml.evaluate import count_notes, evaluate_model
from musicassist.ml.features import continuation_check, read_bars, split_seed
from musicassist.ml.lstm_numpy import LstmWeights, NumpyLstm
from musicassist.ml.model import ModelConfig
from musicassist.ml.train import TrainConfig, TrainData, train

from .tiny_music import tiny_corpus

VOCAB = default_vocabulary()


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("eval") / "tiny"
    data = TrainData(tiny_corpus(40, seed=30), tiny_corpus(6, seed=31))
    config = TrainConfig(seq_len=48, batch_size=8, learning_rate=1e-2, epochs=6, patience=6)
    train(data, VOCAB, out, ModelConfig(VOCAB.size, 16, (48,), 0.0), config, progress=False, log=lambda _m: None)
    return out


@pytest.fixture
def tiny_bundled(monkeypatch) -> None:
    """Stand in for the bundled corpus so the CLI runs in seconds on tiny pieces."""
    def fake_build(sources, user_dirs=(), workers=2, progress=True, **_kwargs) -> Corpus:
        pieces = [Piece(f"t/{i}", "tiny", "folk", t, "train") for i, t in enumerate(tiny_corpus(40, seed=30))]
        pieces += [Piece(f"h/{i}", "tiny", "folk", t, "test") for i, t in enumerate(tiny_corpus(8, seed=32))]
        return Corpus(pieces)
    monkeypatch.setattr(corpus_module, "build_corpus", fake_build)


def test_model_scores_count_every_token_after_bos(tiny_model: Path) -> None:
    model, vocab, _card = model_store.load_model(tiny_model)
    held_out = tiny_corpus(5, seed=33)
    score = evaluate_model(model, vocab, held_out)
    assert score.tokens == sum(len(t) - 1 for t in held_out)
    assert score.notes == count_notes(held_out, vocab) == sum(int(np.isin(t, vocab.pitch_ids).sum())
                                                                       for t in held_out)
    assert score.bits_per_note == pytest.approx(score.nll_per_token * score.tokens / math.log(2) / score.notes)
    assert 0.3 < score.accuracy <= 1.0


def test_evaluate_json_has_the_promised_keys(tiny_model: Path, tiny_bundled, capsys, tmp_path: Path) -> None:
    plot = tmp_path / "check.png"
    code = main(["evaluate", "--model", str(tiny_model), "--json", "--orders", "1-4",
                 "--continuation-pieces", "6", "--plot", str(plot), "--update-card"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    for key in ("nll_per_token", "bits_per_note", "accuracy", "ngram_best_nll_per_token", "ngram_best_order",
                "improvement_over_ngram"):
        assert key in report
    assert sorted(report["ngram"]) == ["1", "2", "3", "4"]
    assert report["ngram_best_order"] in (2, 3, 4)
    assert report["ngram_best_nll_per_token"] == min(r["nll_per_token"] for r in report["ngram"].values())
    assert plot.stat().st_size > 1000
    card = model_store.read_card(tiny_model)
    assert card["metrics"]["test"]["nll_per_token"] == report["nll_per_token"]
    assert "in scale" in card["continuation_check"]["summary"]


def test_evaluate_rejects_an_unknown_data_source(tiny_model: Path, capsys) -> None:
    assert main(["evaluate", "--model", str(tiny_model), "--data", "no-such-thing"]) == 2
    assert "neither" in capsys.readouterr().err


def test_continuation_check_compares_real_and_generated_bars(tiny_model: Path) -> None:
    network = NumpyLstm(LstmWeights.from_arrays(model_store.load_weights_numpy(tiny_model)))
    pieces = tiny_corpus(10, seed=34, bars=9)
    report = continuation_check(network, VOCAB, pieces, max_pieces=10)
    assert report["pieces"] == 10
    features = report["features"]
    assert set(features) >= {"pitch_class_histogram", "pitch_range", "in_scale_rate", "note_density",
                             "mean_ioi", "polyphony", "empty_beat_rate", "in_meter_rate"}
    # The tiny tunes are diatonic and regular: real continuations are fully in scale and in meter.
    assert features["in_scale_rate"]["real_mean"] == 1.0
    assert features["in_meter_rate"]["real_mean"] == 1.0
    assert all(0.0 <= row["yang_lerch_overlap"] <= 1.05 for row in features.values())


def test_split_seed_and_read_bars_agree_on_bar_counts() -> None:
    piece = tiny_corpus(1, seed=35, bars=10)[0]
    pair = split_seed(piece, VOCAB)
    assert pair is not None
    seed, real = pair
    assert len(read_bars(seed, VOCAB).bar_lengths) == 4
    bars = read_bars(real, VOCAB)
    assert len(bars.bar_lengths) == 4 and len(bars.pitches) > 0
    assert split_seed(tiny_corpus(1, seed=36, bars=7)[0], VOCAB) is None
