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
from musicassist.ml.continuation_check import continuation_check, split_seed, spread_pairs
from musicassist.ml.corpus import Corpus, Piece
from musicassist.ml.evaluate import count_notes, evaluate_model
from musicassist.ml.features import read_bars
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


def test_continuation_check_compares_real_and_generated_bars(tiny_model: Path, tmp_path: Path) -> None:
    network = NumpyLstm(LstmWeights.from_arrays(model_store.load_weights_numpy(tiny_model)))
    pieces = tiny_corpus(10, seed=34, bars=9)
    report = continuation_check(network, VOCAB, pieces, max_pieces=10, plot_path=tmp_path / "check.png")
    assert report["pieces"] == 10
    for setting in ("model", "sampler", "app"):
        features = report[setting]["features"]
        assert set(features) >= {"pitch_class_histogram", "pitch_range", "in_scale_rate", "note_density",
                                 "mean_ioi", "polyphony", "empty_beat_rate", "in_meter_rate"}
        # The tiny tunes are diatonic and regular: real continuations are fully in scale and in meter.
        assert features["in_scale_rate"]["real_mean"] == 1.0
        assert features["in_meter_rate"]["real_mean"] == 1.0
        assert all(0.0 <= row["yang_lerch_overlap"] <= 1.05 for row in features.values())
        verdict = report[setting]["verdict"]
        gap = features["in_scale_rate"]["real_mean"] - features["in_scale_rate"]["generated_mean"]
        assert verdict["in_scale_rate"]["gap"] == pytest.approx(gap)
        assert verdict["in_scale_rate"]["ok"] == (abs(gap) <= report["tolerance"])
        assert Path(report[setting]["plot"]).stat().st_size > 1000
    # The product's sampler writes every bar line in the seed's meter.
    assert report["sampler"]["features"]["in_meter_rate"]["generated_mean"] == 1.0
    assert report["app"]["features"]["in_meter_rate"]["generated_mean"] == 1.0
    assert all(f"{s}: in scale" in report["summary"] for s in ("model", "sampler", "app"))


def test_continuation_seeds_are_spread_over_the_whole_held_out_list() -> None:
    pieces = tiny_corpus(12, seed=37, bars=9) + tiny_corpus(2, seed=38, bars=5)  # the last two are too short
    pairs = spread_pairs(pieces, VOCAB, 4)
    assert len(pairs) == 4
    # Evenly spaced over the 12 usable pieces: the first, the last, and two between.
    firsts = [p[0].tobytes() for p in pairs]
    usable = [split_seed(p, VOCAB) for p in pieces[:12]]
    assert firsts[0] == usable[0][0].tobytes() and firsts[-1] == usable[-1][0].tobytes()
    assert len(set(firsts)) == 4
    assert len(spread_pairs(pieces, VOCAB, 100)) == 12


def test_split_seed_and_read_bars_agree_on_bar_counts() -> None:
    piece = tiny_corpus(1, seed=35, bars=10)[0]
    pair = split_seed(piece, VOCAB)
    assert pair is not None
    seed, real = pair
    assert len(read_bars(seed, VOCAB).bar_lengths) == 4
    bars = read_bars(real, VOCAB)
    assert len(bars.bar_lengths) == 4 and len(bars.pitches) > 0
    assert split_seed(tiny_corpus(1, seed=36, bars=7)[0], VOCAB) is None
