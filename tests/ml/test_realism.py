"""The realism report on a tiny random network and synthetic pieces (seconds), and once on the shipped model (slow)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from musicassist.cli.main import main
from musicassist.codec import default_vocabulary
from musicassist.ml import corpus as corpus_module
from musicassist.ml import model_store, realism_classifier
from musicassist.ml import sampler as sampler_module
from musicassist.ml.corpus import Corpus, Piece
from musicassist.ml.lstm_numpy import LstmLayerWeights, LstmWeights, NumpyLstm
from musicassist.ml.realism import held_out_seeds, realism_report, shuffled_seed
from musicassist.ml.realism_classifier import real_vs_real, two_sample_test
from musicassist.ml.realism_features import FEATURE_NAMES, feature_matrix, segment_features, summarize_seed
from musicassist.ml.realism_report import plot_realism, realism_markdown, report_lines
from musicassist.ml.sampler import Sampler

from .tiny_music import tiny_corpus

VOCAB = default_vocabulary()


def random_network(seed: int = 0) -> NumpyLstm:
    rng = np.random.default_rng(seed)

    def normal(*shape: int, scale: float = 0.4) -> np.ndarray:
        return rng.normal(0, scale, shape).astype(np.float32)

    layer = LstmLayerWeights(normal(16, 4 * 32), normal(32, 4 * 32), normal(4 * 32))
    return NumpyLstm(LstmWeights(normal(VOCAB.size, 16), (layer,), normal(32, VOCAB.size, scale=1.0),
                                 normal(VOCAB.size)))


def pieces(count: int = 24, split: str = "test") -> list[Piece]:
    return [Piece(f"s{i % 3}/{i}", f"s{i % 3}", "folk", tokens, split)
            for i, tokens in enumerate(tiny_corpus(count, seed=5, bars=9))]


@pytest.fixture(scope="module", autouse=True)
def few_trees():
    """A few boosting rounds tell tiny samples apart as well as many, in a fraction of the time."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(realism_classifier, "GB_TREES", 20)
        yield


@pytest.fixture(scope="module")
def report() -> dict:
    return realism_report(Sampler(random_network(), VOCAB, name="random"), pieces(), seeds=12)


def test_seeds_are_shared_between_sources_and_split_at_bar_five():
    held = held_out_seeds([*pieces(24), Piece("short/0", "short", "folk", tiny_corpus(1, bars=6)[0], "test")],
                          VOCAB, 10)
    sources = [h.source for h in held]
    assert len(held) == 10 and "short" not in sources  # 6 bars: no continuation to compare with
    assert {sources.count(s) for s in ("s0", "s1", "s2")} <= {3, 4}
    assert all(h.seed.bar_starts.size == 4 and h.real.bar_starts.size == 4 for h in held)
    assert all(h.seed_score.bar_count == 4 for h in held)


def test_features_are_a_fixed_length_row_relative_to_the_seed():
    held = held_out_seeds(pieces(6), VOCAB, 3)
    rows = feature_matrix([h.real for h in held], [h.summary for h in held])
    assert rows.shape == (3, len(FEATURE_NAMES)) and np.isfinite(rows).all()
    itself = segment_features(held[0].seed, summarize_seed(held[0].seed))
    named = dict(zip(FEATURE_NAMES, itself, strict=True))
    assert named["mean_pitch_vs_seed"] == 0.0 and named["density_vs_seed"] == 0.0
    assert sum(named[f"pc_{i}"] for i in range(12)) == pytest.approx(1.0)


def test_the_shuffled_baseline_keeps_the_seeds_rhythm_and_notes():
    held = held_out_seeds(pieces(6), VOCAB, 1)[0]
    shuffled = shuffled_seed(held, np.random.default_rng(0))
    assert np.array_equal(shuffled.start, held.seed.start) and sorted(shuffled.pitch) == sorted(held.seed.pitch)


def test_the_classifier_test_finds_a_real_difference_and_no_false_one():
    rng = np.random.default_rng(0)
    names = [f"f{i}" for i in range(4)]
    real = rng.normal(0, 1, (60, 4))
    shifted = rng.normal(0, 1, (60, 4)) + np.array([1.5, 0, 0, 0])
    groups = np.arange(60)
    for kind in ("lr", "gb"):
        found = two_sample_test(real, shifted, groups, groups, kind, names)
        assert found["auc"] > 0.8 and found["top_features"][0]["feature"] == "f0"
        assert len(found["fold_aucs"]) == 5
        assert abs(real_vs_real(real, groups, kind, names)["auc"] - 0.5) < 0.25


def test_the_report_has_auc_measures_and_intervals_for_every_setting(report: dict):
    assert report["seeds"] == 12 and report["settings"] == ["curated", "raw"]
    for setting in ("curated", "raw", "real_vs_real", "shuffled_seed"):
        for kind in ("lr", "gb"):
            assert 0.0 <= report["auc"][setting][kind]["auc"] <= 1.0
    assert "gb_pitch_only" in report["auc"]["raw"] and report["top_features"]["curated"]
    for row in ("real", "curated", "raw"):
        assert {"seed_bar_reuse", "recurring_motif_4", "out_of_key_rate", "long_repetition", "leap_resolution",
                "ends_on_tonic_or_dominant", "register_jump", "interval_semitone"} <= set(report["measures"][row])
        assert sum(report["intervals"][row]) == pytest.approx(1.0)
    assert report["measures"]["real"]["seed_bar_reuse"] == 1.0  # the tiny tunes repeat their figure every 4 bars
    assert report["measures"]["curated"]["segments"] == 24
    assert report["auc"]["shuffled_seed"]["gb"]["auc"] > 0.8


def test_the_report_renders_as_text_markdown_json_and_a_plot(report: dict, tmp_path: Path):
    again = json.loads(json.dumps(report))  # what a card keeps
    markdown = realism_markdown(again)
    assert "| gradient boosting |" in markdown and "| measure | real | curated | raw |" in markdown
    assert any("bars repeating a seed bar" in line for line in report_lines(again))
    assert report["summary"].startswith("12 test seeds: curated AUC")
    assert plot_realism(again, tmp_path / "realism.png").stat().st_size > 10_000
    assert "too few" in realism_markdown({"seeds": 1, "summary": "too few test pieces"})


def test_evaluate_realism_only_on_the_command_line(monkeypatch, tmp_path: Path, capsys):
    def fake_build(sources, user_dirs=(), workers=2, progress=True, **_kwargs) -> Corpus:
        return Corpus(pieces(18) + [Piece(f"t/{i}", "tiny", "folk", t, "train")
                                    for i, t in enumerate(tiny_corpus(4, seed=9))])

    written: dict = {}
    monkeypatch.setattr(corpus_module, "build_corpus", fake_build)
    monkeypatch.setattr(sampler_module, "load_sampler", lambda _d=None: Sampler(random_network(), VOCAB, name="r"))
    monkeypatch.setattr(model_store, "resolve_model_dir", lambda _n: tmp_path)
    monkeypatch.setattr(model_store, "read_vocabulary", lambda _d: VOCAB)
    monkeypatch.setattr(model_store, "read_card", lambda _d: {"name": "r"})
    monkeypatch.setattr(model_store, "read_config", lambda _d: {})  # a model that was not RL-tuned
    monkeypatch.setattr(model_store, "write_card", lambda _d, card: written.update(card))
    assert main(["evaluate", "--realism-only", "--realism-seeds", "12", "--update-card", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "nll_per_token" not in out and out["realism"]["seeds"] == 12
    assert written["realism"]["seeds"] == 12 and "metrics" not in written
    assert (tmp_path / "realism.png").is_file()
    assert main(["evaluate", "--realism-only", "--realism-seeds", "5"]) == 2  # OptionError: too few for 5 folds


@pytest.mark.slow
def test_the_report_on_the_shipped_model():
    folder = model_store.default_model_dir()
    if not (folder / model_store.CONFIG_FILE).is_file():
        pytest.skip(f"no shipped model in {folder}")
    from musicassist.ml.realism import held_out_pieces

    # The two smallest bundled sources: seconds from the corpus cache, under a minute without it.
    shipped = realism_report(sampler_module.load_sampler(folder), held_out_pieces(["chorales", "ryans"]), seeds=20)
    assert shipped["seeds"] == 20 and set(shipped["per_source"]) == {"chorales", "ryans"}
    for setting in ("curated", "raw"):
        assert 0.5 <= shipped["auc"][setting]["gb"]["auc"] <= 1.0
        assert not math.isnan(shipped["measures"][setting]["out_of_key_rate"])
    assert shipped["auc"]["shuffled_seed"]["gb"]["auc"] > shipped["auc"]["real_vs_real"]["gb"]["auc"]


def test_features_of_wild_leaps_stay_finite():
    from musicassist.ml.curation import NoteArrays

    wild = NoteArrays(np.array([0, 12, 24]), np.array([5, 123, 2]), np.array([12, 12, 12]), np.array([0, 48]), 96)
    row = segment_features(wild, summarize_seed(wild))
    named = dict(zip(FEATURE_NAMES, row, strict=True))
    assert np.isfinite(row).all() and named["interval_up_6th+"] == named["interval_down_6th+"] == 0.5
