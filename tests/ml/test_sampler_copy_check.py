"""Copy detection: the training index's longest match, seed repetition, and rejection in the sampler."""

from __future__ import annotations

import threading
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from musicassist.codec import default_vocabulary, encode
from musicassist.core.generation import GenerationOptions, GenerationRequest
from musicassist.core.score import Note, Score, Track
from musicassist.core.timemaps import TimeSignature
from musicassist.ml import copy_check, model_store
from musicassist.ml.copy_check import TrainingIndex, comparable_tokens, copies_seed
from musicassist.ml.sampler import Sampler
from tests.ml.test_sampler import random_network, seed_score

VOCAB = default_vocabulary()


def brute_force_longest(pieces: list[list[int]], query: list[int]) -> int:
    best = 0
    for piece in pieces:
        for i in range(len(query)):
            for j in range(len(piece)):
                k = 0
                while i + k < len(query) and j + k < len(piece) and query[i + k] == piece[j + k]:
                    k += 1
                best = max(best, k)
    return best


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 3), max_size=30), max_size=5), st.lists(st.integers(0, 3), max_size=20))
def test_longest_match_equals_brute_force(pieces: list[list[int]], query: list[int]):
    index = TrainingIndex.build(np.array(p, dtype=np.uint16) for p in pieces)
    assert index.longest_match(query) == brute_force_longest(pieces, query)


def test_matches_never_span_two_pieces_and_the_index_round_trips(tmp_path: Path):
    index = TrainingIndex.build([np.array([1, 2, 3]), np.array([4, 5])])
    assert index.longest_match([2, 3, 4, 5]) == 2
    index.save(tmp_path / "i.npz")
    assert TrainingIndex.load(tmp_path / "i.npz").longest_match([1, 2, 3, 9]) == 3


def test_a_transposed_copy_still_matches():
    tune = [VOCAB.pos_id(0), VOCAB.pitch_id(60), VOCAB.dur_id(12), VOCAB.vel_id(80),
            VOCAB.pos_id(12), VOCAB.pitch_id(64), VOCAB.dur_id(12), VOCAB.vel_id(80),
            VOCAB.pos_id(24), VOCAB.pitch_id(67), VOCAB.dur_id(24), VOCAB.vel_id(80)]
    up_a_fourth = [t + 5 if VOCAB.name(t).startswith("PITCH_") else t for t in tune]
    lead_in = [VOCAB.bar_id(TimeSignature(4, 4)), VOCAB.pos_id(0), VOCAB.pitch_id(50), VOCAB.dur_id(12),
               VOCAB.vel_id(80), VOCAB.bar_id(TimeSignature(4, 4))]
    index = TrainingIndex.build([comparable_tokens(lead_in + tune, VOCAB)])
    # In the corpus the tune's first pitch follows another; in the query it opens: all else matches.
    assert index.longest_match(comparable_tokens(up_a_fourth, VOCAB)) == len(tune) - 2
    assert index.longest_match(comparable_tokens(tune, VOCAB)) == len(tune) - 2
    other_intervals = [t + 1 if t == VOCAB.pitch_id(64) else t for t in tune]
    assert index.longest_match(comparable_tokens(other_intervals, VOCAB)) < len(tune) - 2


def test_index_is_kept_in_the_cache_and_a_shipped_one_is_preferred(tmp_path: Path):
    model_dir, cache = tmp_path / "model", tmp_path / "cache"
    model_dir.mkdir()
    assert copy_check.load_training_index(model_dir, cache) is None
    built = copy_check.build_training_index(model_dir, cache, VOCAB, [np.array([3, 4, 5])])
    assert built is not None and copy_check.cached_index_path(model_dir, cache).is_file()
    assert not list(model_dir.iterdir())  # nothing written into the model folder
    loaded = copy_check.load_training_index(model_dir, cache)
    assert loaded is not None and loaded.token_count == built.token_count
    TrainingIndex.build([np.array([1])]).save(copy_check.shipped_index_path(model_dir))
    shipped = copy_check.load_training_index(model_dir, cache)
    assert shipped is not None and shipped.token_count == 2


def bars(*contents: list[int]) -> Score:
    notes = [Note(Fraction(4 * b + i), p, Fraction(1)) for b, pitches in enumerate(contents)
             for i, p in enumerate(pitches)]
    return Score(tracks=(Track(notes=tuple(notes)),), length_bars=len(contents))


def test_repeating_the_seed_bar_for_bar_is_flagged_from_any_starting_bar():
    seed = bars([60, 62], [64, 65], [67])
    assert copies_seed(bars([64, 65], [67], [60, 62], [64, 65]), seed)
    assert not copies_seed(bars([64, 65], [60, 62]), seed)
    assert not copies_seed(bars([], []), seed)  # silence is not a copy


@pytest.fixture()
def sampler() -> Sampler:
    return Sampler(random_network(3), VOCAB, name="random")


def test_candidates_copying_the_corpus_are_flagged_and_replaced(sampler: Sampler, monkeypatch):
    monkeypatch.setattr(copy_check, "COPY_THRESHOLD_TOKENS", 12)
    req = GenerationRequest(1, seed_score(), GenerationOptions(length_bars=2, candidates=2, seed=4))
    # A "corpus" made of exactly what this seed and sampler produce: every row is a copy of it.
    memorised = sampler.sample_pool(req, 6)
    corpus = [encode(p.score, vocab=VOCAB) for p in memorised]  # what a corpus holds: the music delivered
    sampler.training_index = TrainingIndex.build(comparable_tokens(tokens, VOCAB) for tokens in corpus)
    again = sampler.sample_pool(req, 6)
    assert all(p.longest_match == len(p.tokens) >= 12 and "copies-training" in p.flags for p in again)
    # generate() samples the same 6 rows first (same seed), rejects them all and samples again.
    result = sampler.generate(req, threading.Event(), lambda _: None, lambda _: None)
    assert len(result) == 2
    assert all(not c.flags and c.longest_training_match < 12 for c in result)


def test_a_retrained_model_gets_a_new_index(tmp_path: Path):
    # The index holds the training tokens of the corpus the model was trained on: new weights, new index.
    model_dir, cache = tmp_path / "model", tmp_path / "cache"
    model_dir.mkdir()
    model_store.atomic_write_json(model_dir / model_store.CARD_FILE, {"weights_sha256": "a" * 64})
    copy_check.build_training_index(model_dir, cache, VOCAB, [np.array([3, 4, 5])])
    assert copy_check.load_training_index(model_dir, cache) is not None
    model_store.atomic_write_json(model_dir / model_store.CARD_FILE, {"weights_sha256": "b" * 64})
    assert copy_check.load_training_index(model_dir, cache) is None
    (model_dir / model_store.CARD_FILE).write_text("{damaged")  # still a path, not an exception
    assert copy_check.cached_index_path(model_dir, cache).parent == cache / "training-index"
