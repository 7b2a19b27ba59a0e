"""The sampler: N steerable candidate continuations of exactly K bars, sampled as one batch.

One request goes like this:

1. the seed (all non-drum tracks merged) is encoded ``BOS BAR ... `` with no EOS
   and run once through the NumPy LSTM; its state is copied for every row;
2. every step, for all unfinished rows at once: logits -> grammar mask ->
   steering masks and biases -> temperature -> top-p -> a draw from a NumPy
   generator seeded from ``options.seed`` (same seed, model and options: same
   output). The first token is forced to the seed's final meter; a row is done
   when it would start bar K+1 and it then leaves the batch;
3. finished rows are judged from their tokens (features, seed repetition,
   longest run shared with the training corpus), curated, and only the chosen
   ones are decoded to K-bar scores.

Streaming and curation. The sampler over-generates (``oversample`` × N, 3 by
default) and returns the N most varied. Candidates are handed to
``on_candidate`` once the whole pool is done and curated, not the instant each
row finishes: the rows that finish first are the ones with the fewest tokens,
i.e. the sparsest music, so handing them over early would bias what the
composer sees towards sparse candidates and would make later replacements
necessary (a candidate disappearing while it is being auditioned). The whole
pool takes a fraction of a second for typical requests, the GUI shows per-step
progress meanwhile, and the curated candidates then arrive one by one in
order. With ``oversample=1`` there is nothing to curate and each candidate is
handed over the moment its row finishes.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from musicassist.codec import BatchGrammar, GrammarState, Vocabulary, decode_with_stats, encode
from musicassist.codec.vocab import EOS, T_BAR
from musicassist.core.edits import resolve_overlaps, transpose
from musicassist.core.errors import ModelError
from musicassist.core.generation import Candidate, GenerationOptions, GenerationProgress, GenerationRequest
from musicassist.core.score import DRUM_CHANNEL, Score
from musicassist.core.timemaps import MeterMap, TempoMap, TimeSignature
from musicassist.paths import cache_dir

from . import copy_check, curation, labels
from .lstm_numpy import LstmState, NumpyLstm, limit_blas_threads
from .steering import SteeringPlan, SteeringTracker, plan_steering
from .steering_bias import context_shift

MAX_POOL = 64  # rows sampled at once when over-generating (keeps memory and time bounded)
OVERSAMPLE = 3
SAMPLER_BLAS_THREADS = 1  # see lstm_numpy.limit_blas_threads and benchmarks/bench_sampler.py

ProgressCallback = Callable[[GenerationProgress], None]
CandidateCallback = Callable[[Candidate], None]


@dataclass(frozen=True)
class _Row:
    """A finished row, judged from its tokens alone (decoding to a Score waits until it is chosen)."""

    tokens: np.ndarray  # the continuation's tokens, starting with the forced BAR (closing BAR excluded)
    mean_log_likelihood: float  # per token under the raw model (closing bar line included)
    features: curation.Features
    flags: tuple[str, ...]  # "copies-seed", "copies-training"
    longest_match: int  # tokens shared with the training corpus (0 without a training index)
    retriggered: bool  # a pitch was struck again while sounding: the decoded notes need trimming


@dataclass(frozen=True)
class SampledContinuation:
    """One finished row, uncurated: its tokens, decoded score and checks."""

    tokens: np.ndarray
    score: Score  # exactly K bars in the seed's final meter
    mean_log_likelihood: float
    features: curation.Features
    flags: tuple[str, ...]
    longest_match: int


@dataclass
class _Request:
    """Per-request values that every step needs."""

    request: GenerationRequest
    plan: SteeringPlan
    bar_token: int
    grammar_start: GrammarState
    first_logits: np.ndarray
    first_state: LstmState
    rng: np.random.Generator
    cancel: threading.Event
    on_progress: ProgressCallback
    seed_notes: curation.NoteArrays
    seed_bars: copy_check.BarContents

    @property
    def options(self) -> GenerationOptions:
        return self.request.options


def seed_meter(seed: Score) -> TimeSignature:
    """The meter the continuation is written in: that of the seed's last bar."""
    return seed.meter_map.time_signature_at_bar(max(seed.bar_count - 1, 0))


def choose_tokens(logits: np.ndarray, allowed: np.ndarray, bias: np.ndarray, temperature: float, top_p: float,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Sample one allowed token per row (temperature, then nucleus); also return its model log-probability.

    The log-probability is the raw model's (temperature 1, no masks): what "mean
    log-likelihood under the model" reports. The nucleus is found from sorted values
    (a value sort is several times cheaper than an argsort, and this runs every step):
    every token at least as likely as the one that crosses ``top_p`` is kept.
    """
    rows = np.arange(logits.shape[0])
    top = logits.max(axis=1)
    log_normaliser = np.log(np.exp(logits - top[:, None]).sum(axis=1, dtype=np.float64)) + top
    scaled = logits * np.float32(1.0 / temperature)
    scaled += bias
    np.putmask(scaled, ~allowed, -np.inf)
    scaled -= scaled.max(axis=1, keepdims=True)
    probs = np.exp(scaled)
    if top_p < 1.0:
        descending = np.sort(probs, axis=1)[:, ::-1]
        cumulative = np.cumsum(descending, axis=1)
        crossing = (cumulative < top_p * cumulative[:, -1:]).sum(axis=1)
        threshold = descending[rows, np.minimum(crossing, probs.shape[1] - 1)]
        probs[probs < threshold[:, None]] = 0.0
    cumulative = np.cumsum(probs, axis=1, dtype=np.float64)
    draws = rng.random(logits.shape[0]) * cumulative[:, -1]
    tokens = np.minimum((cumulative <= draws[:, None]).sum(axis=1), probs.shape[1] - 1)
    return tokens, logits[rows, tokens] - log_normaliser


def drop_closed_rows(closing: np.ndarray, rows: np.ndarray, tokens: np.ndarray, state: LstmState,
                     grammar: BatchGrammar, tracker: SteeringTracker) -> tuple[np.ndarray, np.ndarray, LstmState]:
    """Keep only the continuations still open (``closing`` marks the finished ones), in every per-row state."""
    if not closing.any():
        return rows, tokens, state
    keep = np.flatnonzero(~closing)
    grammar.select(keep)
    tracker.select(keep)
    return rows[keep], tokens[keep], state.select(keep)


def advance_rows(tokens: np.ndarray, state: LstmState, grammar: BatchGrammar, tracker: SteeringTracker,
                 network: NumpyLstm) -> tuple[np.ndarray, LstmState]:
    """Feed the drawn tokens to the grammar, the steering tracker and the network; the next logits."""
    grammar.advance(tokens)
    tracker.advance(tokens, grammar.position)
    return network.step(tokens, state)


class Sampler:
    """A loaded model ready to continue seeds; ``generate`` is safe to call from a worker thread."""

    def __init__(self, network: NumpyLstm, vocab: Vocabulary, name: str = "model",
                 model_dir: Path | None = None, training_index: copy_check.TrainingIndex | None = None,
                 oversample: int = OVERSAMPLE, load_seconds: float = 0.0) -> None:
        if network.vocab_size != vocab.size:
            raise ModelError("The model does not match the token vocabulary it was saved with.")
        self.network = network
        self.vocab = vocab
        self.name = name
        self.model_dir = model_dir
        self.training_index = training_index
        self.oversample = max(1, int(oversample))
        self.load_seconds = load_seconds
        self.style: str | None = None  # a STYLE token after BOS, when the caller wants one
        # Logit boost for carrying on a seed bar being repeated (lookback models; calibrated per model
        # on the validation split so that continuations reuse the seed's bars as often as real music).
        self.lookback_boost = 0.0

    @classmethod
    def from_keras(cls, model: object, vocab: Vocabulary, **kwargs: object) -> Sampler:
        return cls(NumpyLstm.from_keras(model, vocab), vocab, **kwargs)  # type: ignore[arg-type]

    # --- the public entry -------------------------------------------------------------------------
    def generate(self, request: GenerationRequest, cancel: threading.Event, on_progress: ProgressCallback,
                 on_candidate: CandidateCallback) -> list[Candidate]:
        """Candidates in the order handed over; on cancel, those handed over so far (checked every step)."""
        options = request.options
        context = self._prepare(request, cancel, on_progress)
        handed: list[Candidate] = []

        def hand_over(row: _Row, reference: curation.Features | list[curation.Features]) -> None:
            described = labels.label(row.features, reference)
            candidate = Candidate(
                request_id=request.request_id, index=len(handed), score=self._decode(context, row),
                label=described.text, label_detail=described.tooltip,
                mean_log_likelihood=row.mean_log_likelihood,
                longest_training_match=row.longest_match, flags=row.flags,
            )
            handed.append(candidate)
            on_candidate(candidate)

        seed_features = curation.features(context.seed_notes)
        if self.oversample == 1:
            self._sample_rows(context, options.candidates, lambda row: hand_over(row, seed_features))
            return handed
        pool: list[_Row] = []
        wanted = min(options.candidates * self.oversample, MAX_POOL)
        if not self._sample_rows(context, max(wanted, options.candidates), pool.append):
            return handed
        clean = sum(1 for row in pool if not row.flags)
        if clean < options.candidates:  # copies were rejected: one more round to replace them
            extra = min((options.candidates - clean) * self.oversample, MAX_POOL)
            if not self._sample_rows(context, extra, pool.append):
                return handed
        chosen = curation.select_varied([p.features for p in pool], [p.mean_log_likelihood for p in pool],
                                        options.candidates, [bool(p.flags) for p in pool], seed=context.seed_notes)
        reference: curation.Features | list[curation.Features] = (
            [pool[i].features for i in chosen] if len(chosen) > 1 else seed_features
        )
        for i in chosen:
            hand_over(pool[i], reference)
        return handed

    def sample_pool(self, request: GenerationRequest, size: int,
                    cancel: threading.Event | None = None) -> list[SampledContinuation]:
        """``size`` continuations in the order they finished, uncurated (tests, benchmarks, tools)."""
        context = self._prepare(request, cancel or threading.Event(), lambda _: None)
        pool: list[_Row] = []
        self._sample_rows(context, size, pool.append)
        return [SampledContinuation(row.tokens, self._decode(context, row), row.mean_log_likelihood, row.features,
                                    row.flags, row.longest_match) for row in pool]

    # --- sampling ---------------------------------------------------------------------------------
    def _prepare(self, request: GenerationRequest, cancel: threading.Event,
                 on_progress: ProgressCallback) -> _Request:
        """Check the options (OptionError before any sampling) and run the seed through the network."""
        options = request.options
        meter = seed_meter(request.seed)
        plan = plan_steering(options.steering, self.vocab, meter, options.length_bars)
        bar_token = self.vocab.bar_id(meter)
        seed = request.seed
        shift = context_shift(np.array([n.pitch for n in seed.notes if n.channel != DRUM_CHANNEL], dtype=np.int64),
                              options.steering.lowest, options.steering.highest)
        if shift:  # a register away from the seed: continue an octave-shifted seed, not a jump (steering_bias)
            seed = transpose(seed, shift)
        prefix = encode(seed, style=self.style, bos=True, eos=False, vocab=self.vocab)
        logits, state = self.network.run_sequence(prefix)
        seed_notes = curation.notes_from_tokens(prefix, self.vocab)
        return _Request(
            request=request, plan=plan, bar_token=bar_token,
            grammar_start=GrammarState.from_prefix(prefix, self.vocab, bar_token_ids=[bar_token]),
            first_logits=logits[-1], first_state=state, rng=np.random.default_rng(options.seed),
            cancel=cancel, on_progress=on_progress, seed_notes=seed_notes,
            seed_bars=copy_check.bar_contents(seed_notes),
        )

    def _sample_rows(self, context: _Request, size: int, on_finished: Callable[[_Row], None]) -> bool:
        """Sample ``size`` rows to completion; False if cancelled first."""
        vocab, plan, options = self.vocab, context.plan, context.options
        state = context.first_state.select(np.zeros(size, dtype=np.intp))
        logits = np.repeat(context.first_logits[None, :], size, axis=0)
        grammar = BatchGrammar.repeat(context.grammar_start, size)
        tracker = SteeringTracker(plan, vocab, size)
        seed_notes = context.seed_notes
        if seed_notes.bar_starts.size:  # the density tilt starts from the seed's own density
            tracker.natural_density = seed_notes.pitch.size / seed_notes.bar_starts.size or None
        rows = np.arange(size)  # which original row each batch row is
        history = np.zeros((size, 256), dtype=np.int32)
        log_likelihood = np.zeros(size)
        reached = np.zeros(size, dtype=np.int64)
        only_bar = np.zeros(vocab.size, dtype=bool)
        only_bar[context.bar_token] = True
        step = 0
        while rows.size:
            if context.cancel.is_set():
                return False
            grammar_mask = grammar.masks()
            strict, soft = tracker.masks(grammar.phase, grammar.position)
            allowed = grammar_mask & strict
            if step == 0:
                allowed &= only_bar  # the continuation opens with a bar line in the seed's meter
            for wish in soft:
                preferred = allowed & wish
                usable = preferred.any(axis=1)
                allowed[usable] = preferred[usable]
            stuck = ~allowed.any(axis=1)
            if stuck.any():  # cannot happen with validated steering; stay grammatical regardless
                allowed[stuck] = grammar_mask[stuck]
            boost = None
            if state.lookback is not None:
                boost = state.lookback.repeat_boost(vocab.size, self.lookback_boost)
            # The lookback boost goes in before the repetition cap, so that the cap bounds what is drawn.
            bias = tracker.logit_bias(logits, allowed, grammar.phase, grammar.position, options.temperature,
                                      extra=boost)
            tokens, log_probs = choose_tokens(logits, allowed, bias, options.temperature, options.top_p,
                                              context.rng)
            if step >= history.shape[1]:
                history = np.concatenate([history, np.zeros_like(history)], axis=1)
            history[rows, step] = tokens
            log_likelihood[rows] += log_probs
            closing = (tokens == EOS) | ((vocab.type_of[tokens] == T_BAR) & (tracker.bar == plan.length_bars - 1))
            reached[rows] = tracker.progress(grammar.position)
            reached[rows[closing]] = plan.total_positions
            context.on_progress(GenerationProgress(context.request.request_id, int(reached.min()),
                                                   plan.total_positions))
            for index in np.flatnonzero(closing):
                row = rows[index]
                on_finished(self._finish(context, history[row, :step], log_likelihood[row] / (step + 1),
                                         bool(tracker.retriggers[index])))
            rows, tokens, state = drop_closed_rows(closing, rows, tokens, state, grammar, tracker)
            if not rows.size:
                break
            logits, state = advance_rows(tokens, state, grammar, tracker, self.network)
            step += 1
        return True

    def _finish(self, context: _Request, tokens: np.ndarray, mean_log_likelihood: float,
                retriggered: bool) -> _Row:
        """Judge a finished row from its tokens: features, seed repetition, corpus match."""
        notes = curation.notes_from_tokens(tokens, self.vocab)
        flags: list[str] = []
        if copy_check.repeats_bars(copy_check.bar_contents(notes), context.seed_bars):
            flags.append("copies-seed")
        longest = 0
        if self.training_index is not None:
            # Compare what the composer gets: after a retrigger the delivered notes differ from the tokens.
            delivered = tokens
            if retriggered:
                delivered = encode(self._decode_tokens(context, tokens, True), bos=False, eos=False,
                                   vocab=self.vocab)
            longest = self.training_index.longest_match(copy_check.comparable_tokens(delivered, self.vocab))
        if longest >= copy_check.COPY_THRESHOLD_TOKENS:
            flags.append("copies-training")
        return _Row(tokens.copy(), float(mean_log_likelihood), curation.features(notes), tuple(flags), longest,
                    retriggered)

    def _decode(self, context: _Request, row: _Row) -> Score:
        return self._decode_tokens(context, row.tokens, row.retriggered)

    def _decode_tokens(self, context: _Request, tokens: np.ndarray, retriggered: bool) -> Score:
        """The K bars as a one-track score with the seed's instrument, final tempo, meter and key."""
        seed = context.request.seed
        melodic = [t for t in seed.tracks if not t.is_drums]
        program = melodic[0].program if melodic else 0
        channel = melodic[0].channel if melodic else 0
        tempo = TempoMap.constant(seed.tempo_map.bpm_at(seed.end))
        score, _ = decode_with_stats(tokens, tempo_map=tempo, program=program, channel=channel,
                                     name=melodic[0].name if melodic else "", vocab=self.vocab)
        if retriggered:  # a pitch struck again cuts its sounding note, as a synth (and polyphony) hears it
            score = replace(score, tracks=tuple(t.with_notes(resolve_overlaps(t.notes)) for t in score.tracks))
        return replace(score, key=seed.key, meter_map=MeterMap.constant(seed_meter(seed)),
                       length_bars=context.plan.length_bars)


# --- loading ---------------------------------------------------------------------------------------

def load_sampler(model_dir: Path | None = None) -> Sampler:
    """Load a model folder (default: the shipped ``models/default``) into a ready sampler.

    Reads the weights with h5py only (no TensorFlow), and the training index when one was built.
    """
    from . import model_store

    started = time.perf_counter()
    if "OPENBLAS_NUM_THREADS" not in os.environ:  # an explicit choice by the user wins
        limit_blas_threads(SAMPLER_BLAS_THREADS)
    folder = model_dir or model_store.default_model_dir()
    network, vocab = model_store.load_network(folder)
    index = copy_check.load_training_index(folder, cache_dir())
    sampler = Sampler(network, vocab, name=folder.name, model_dir=folder, training_index=index)
    sampler.lookback_boost = float(model_store.read_config(folder).get("sampling", {}).get("lookback_boost", 0.0))
    sampler.load_seconds = time.perf_counter() - started
    return sampler
