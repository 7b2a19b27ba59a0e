"""The sampler end to end on a small random network (NumPy only, fast): bars, grammar, steering,
determinism, cancellation, streaming and curation."""

from __future__ import annotations

import threading
from fractions import Fraction

import numpy as np
import pytest

from musicassist.codec import decode_with_stats, default_vocabulary
from musicassist.core.errors import OptionError
from musicassist.core.generation import Candidate, GenerationOptions, GenerationProgress, GenerationRequest, Steering
from musicassist.core.score import DRUM_CHANNEL, Note, Score, Track
from musicassist.core.timemaps import KeySignature, MeterChange, MeterMap, TimeSignature
from musicassist.ml.lstm_numpy import LstmLayerWeights, LstmWeights, NumpyLstm
from musicassist.ml.sampler import Sampler

VOCAB = default_vocabulary()


def random_network(seed: int = 0, embed: int = 16, units: tuple[int, ...] = (32, 32)) -> NumpyLstm:
    rng = np.random.default_rng(seed)

    def normal(*shape: int, scale: float = 0.4) -> np.ndarray:
        return rng.normal(0, scale, shape).astype(np.float32)

    layers, width = [], embed
    for u in units:
        layers.append(LstmLayerWeights(normal(width, 4 * u), normal(u, 4 * u), normal(4 * u)))
        width = u
    return NumpyLstm(LstmWeights(normal(VOCAB.size, embed), tuple(layers), normal(width, VOCAB.size, scale=1.0),
                                 normal(VOCAB.size)))


@pytest.fixture(scope="module")
def sampler() -> Sampler:
    return Sampler(random_network(), VOCAB, name="random")


def seed_score(meter_map: MeterMap | None = None, bars: int = 2) -> Score:
    melody = tuple(Note(Fraction(i, 2), 60 + (i * 5) % 12, Fraction(1, 2), 90) for i in range(4 * bars))
    bass = tuple(Note(Fraction(2 * i), 48, Fraction(2), 70) for i in range(2 * bars))
    drums = (Note(Fraction(0), 36, Fraction(1, 4), 100, channel=DRUM_CHANNEL),)
    tracks = (Track("melody", melody, program=73), Track("bass", bass, 32, 1), Track("kit", drums, 0, DRUM_CHANNEL))
    return Score(tracks=tracks, meter_map=meter_map or MeterMap(), length_bars=bars)


def request(bars: int = 2, candidates: int = 3, seed: int | None = 11, steering: Steering | None = None,
            score: Score | None = None, **options: float) -> GenerationRequest:
    opts = GenerationOptions(length_bars=bars, candidates=candidates, seed=seed,
                             steering=steering or Steering(), **options)
    return GenerationRequest(7, score or seed_score(), opts)


def run(sampler: Sampler, req: GenerationRequest) -> tuple[list[Candidate], list[Candidate], list[GenerationProgress]]:
    streamed: list[Candidate] = []
    progress: list[GenerationProgress] = []
    result = sampler.generate(req, threading.Event(), progress.append, streamed.append)
    return result, streamed, progress


def test_every_sample_is_grammatical_and_exactly_k_bars_in_the_seeds_last_meter(sampler):
    meters = MeterMap((MeterChange(0, TimeSignature(4, 4)), MeterChange(1, TimeSignature(3, 4))))
    req = request(bars=3, score=seed_score(meters))
    pool = sampler.sample_pool(req, 6)
    assert len(pool) == 6
    for item in pool:
        _, stats = decode_with_stats(item.tokens, vocab=VOCAB)
        assert stats.skipped == 0 and stats.bars == 3
        assert item.tokens[0] == VOCAB.bar_id(TimeSignature(3, 4))
        assert item.score.bar_count == 3 and item.score.end == 9
        assert item.score.meter_map == MeterMap.constant(TimeSignature(3, 4))
        assert all(n.end <= 9 for n in item.score.notes)
        assert item.score.tracks[0].program == 73  # instrument of the seed's first melodic track


def test_candidates_keep_tempo_key_and_length(sampler):
    from musicassist.core.timemaps import TempoMap

    score = seed_score()
    score = Score(tracks=score.tracks, tempo_map=TempoMap.constant(96.0), key=KeySignature(7, "major"),
                  length_bars=2)
    result, _, _ = run(sampler, request(bars=4, score=score))
    for candidate in result:
        assert candidate.score.bar_count == 4
        assert candidate.score.tempo_map == TempoMap.constant(96.0)
        assert candidate.score.key == KeySignature(7, "major")
        assert candidate.request_id == 7


def test_same_seed_same_output_and_another_seed_differs(sampler):
    first, _, _ = run(sampler, request(seed=5))
    again, _, _ = run(sampler, request(seed=5))
    other, _, _ = run(sampler, request(seed=6))
    assert first == again
    assert [c.score for c in first] != [c.score for c in other]


def test_cancel_from_another_thread_stops_within_one_step(sampler):
    cancel = threading.Event()
    started = threading.Event()
    after_cancel: list[GenerationProgress] = []
    streamed: list[Candidate] = []
    outcome: list[list[Candidate]] = []

    def on_progress(progress: GenerationProgress) -> None:
        if cancel.is_set():
            after_cancel.append(progress)
        if progress.step >= 0 and not started.is_set():
            started.set()
        # Give the other thread time to set the event while we are mid-generation.
        if len(after_cancel) == 0 and started.is_set():
            cancel.wait(0.01)

    req = request(bars=16, candidates=8)
    worker = threading.Thread(target=lambda: outcome.append(sampler.generate(req, cancel, on_progress,
                                                                             streamed.append)))
    worker.start()
    assert started.wait(30)
    cancel.set()
    worker.join(30)
    assert not worker.is_alive()
    assert outcome == [[]] and streamed == []
    assert len(after_cancel) <= 1  # at most the step that was already running when cancel came


def test_locked_notes_appear_in_every_candidate(sampler):
    locks = (Note(Fraction(1), 64, Fraction(1), 100), Note(Fraction(1), 67, Fraction(1, 2), 100),
             Note(Fraction(13, 2), 55, Fraction(3, 2), 60))
    req = request(bars=2, candidates=4, steering=Steering(locked=locks))
    result, _, _ = run(sampler, req)
    assert len(result) == 4
    for candidate in result:
        notes = {(n.start, n.pitch, n.duration, n.velocity) for n in candidate.score.notes}
        assert (Fraction(1), 64, Fraction(1), 96) in notes  # velocity 100 -> bin centre 96
        assert (Fraction(1), 67, Fraction(1, 2), 96) in notes
        assert (Fraction(13, 2), 55, Fraction(3, 2), 64) in notes


def test_strict_scale_and_range_hold_for_every_note(sampler):
    steering = Steering(scale=KeySignature(2, "minor"), lowest=57, highest=74)
    result, _, _ = run(sampler, request(bars=3, candidates=4, steering=steering))
    pitches = [n.pitch for c in result for n in c.score.notes]
    assert pitches and all(57 <= p <= 74 for p in pitches)
    assert {p % 12 for p in pitches} <= KeySignature(2, "minor").scale_pitch_classes


def notes_per_bar(score: Score) -> list[int]:
    return [sum(1 for n in score.notes if score.bar_at(n.start) == b) for b in range(score.bar_count)]


def test_density_bounds_hold_without_locked_notes(sampler):
    steering = Steering(density=4, density_tolerance=0.5)
    result, _, _ = run(sampler, request(bars=3, candidates=4, steering=steering))
    for candidate in result:
        assert all(2 <= count <= 6 for count in notes_per_bar(candidate.score))


def test_polyphony_limit_wins_over_the_density_floor(sampler):
    """Both are wishes; when notes still ringing leave no room, the texture limit is kept."""
    steering = Steering(density=4, density_tolerance=0.5, max_polyphony=2)
    result, _, _ = run(sampler, request(bars=3, candidates=4, steering=steering))
    for candidate in result:
        score = candidate.score
        assert all(count <= 6 for count in notes_per_bar(score))
        for onset in {n.start for n in score.notes}:
            assert sum(1 for n in score.notes if n.start <= onset < n.end) <= 2


def test_progress_is_reported_every_step_and_ends_complete(sampler):
    _, _, progress = run(sampler, request(bars=2, candidates=2))
    steps = [p.step for p in progress]
    assert len(progress) > 20 and steps == sorted(steps)
    assert progress[-1].step == progress[-1].total_steps == 2 * 48
    assert {p.request_id for p in progress} == {7}


def test_curated_candidates_are_handed_over_in_order_with_labels(sampler):
    result, streamed, _ = run(sampler, request(bars=2, candidates=4))
    assert streamed == result and [c.index for c in result] == [0, 1, 2, 3]
    assert all(c.label for c in result) and all(c.mean_log_likelihood < 0 for c in result)


def test_without_oversampling_each_candidate_is_streamed_as_its_row_finishes():
    plain = Sampler(random_network(), VOCAB, oversample=1)
    order: list[str] = []
    progress_seen: list[int] = []

    def on_progress(progress: GenerationProgress) -> None:
        order.append("progress")
        progress_seen.append(progress.step)

    def on_candidate(candidate: Candidate) -> None:
        order.append("candidate")

    result = plain.generate(request(bars=2, candidates=3), threading.Event(), on_progress, on_candidate)
    assert len(result) == 3
    first = order.index("candidate")
    assert "progress" in order[first:]  # the first candidate came before sampling was over


def test_impossible_constraints_fail_before_any_sampling(sampler):
    progress: list[GenerationProgress] = []
    steering = Steering(scale=KeySignature(0, "major"), lowest=61, highest=61)
    with pytest.raises(OptionError):
        sampler.generate(request(steering=steering), threading.Event(), progress.append, lambda _: None)
    assert progress == []


def test_an_empty_seed_is_continued_too(sampler):
    result, _, _ = run(sampler, request(bars=2, candidates=2, score=Score(length_bars=1)))
    assert [c.score.bar_count for c in result] == [2, 2]


def test_choose_tokens_keeps_to_the_mask_and_the_nucleus_and_reports_raw_log_probabilities():
    from musicassist.ml.sampler import choose_tokens

    rows = 4000
    probs = np.array([0.5, 0.3, 0.15, 0.05])
    logits = np.tile(np.log(probs).astype(np.float32), (rows, 1))
    allowed = np.ones_like(logits, dtype=bool)
    bias = np.zeros(4, dtype=np.float32)
    rng = np.random.default_rng(0)

    tokens, log_probs = choose_tokens(logits, allowed, bias, 1.0, 0.7, rng)
    assert set(tokens.tolist()) == {0, 1}  # 0.5 + 0.3 is the smallest set reaching 0.7
    assert np.mean(tokens == 0) == pytest.approx(0.5 / 0.8, abs=0.03)
    np.testing.assert_allclose(log_probs, np.log(probs[tokens]), atol=1e-5)

    allowed[:, 0] = False
    tokens, _ = choose_tokens(logits, allowed, bias, 1.0, 1.0, rng)
    assert 0 not in tokens and np.mean(tokens == 1) == pytest.approx(0.6, abs=0.03)

    tokens, _ = choose_tokens(logits, np.ones_like(allowed), bias, 0.05, 1.0, rng)
    assert np.mean(tokens == 0) > 0.99  # a low temperature is nearly greedy

    soft_bias = np.array([-10.0, 0.0, 0.0, 0.0], dtype=np.float32)
    tokens, _ = choose_tokens(logits, np.ones_like(allowed), soft_bias, 1.0, 1.0, rng)
    assert np.mean(tokens == 0) < 0.01


def test_a_model_that_never_ends_a_bar_is_still_bounded():
    from musicassist.ml.steering import TOKENS_PER_BAR_LIMIT

    network = random_network(4)
    network._logits_bias = network._logits_bias.copy()
    network._logits_bias[VOCAB.bar_ids] = -60.0  # a bar line is (almost) never the model's wish
    network._logits_bias[VOCAB.pos_ids] += 20.0 - 3.0 * np.arange(len(VOCAB.pos_ids))  # early positions
    network._logits_bias[VOCAB.pitch_ids] += 20.0 - 0.1 * np.arange(128)  # and chords from the bottom up
    stubborn = Sampler(network, VOCAB, oversample=1)
    pool = stubborn.sample_pool(request(bars=2), 2)
    for item in pool:
        assert item.score.bar_count == 2
        assert TOKENS_PER_BAR_LIMIT < len(item.tokens) <= 2 * (TOKENS_PER_BAR_LIMIT + 4)
