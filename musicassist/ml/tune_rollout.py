"""Rollouts for the tuner: the sampler's step loop, recording what it drew from.

The tuner's policy gradient must see the distribution the tokens were really
drawn from: the network's logits, the grammar mask, the steering masks and
biases (the key bias, the register, the repetition cap), the lookback boost,
the temperature and the top-p nucleus. This loop runs exactly the sampler's
steps (the same ``BatchGrammar``, ``SteeringTracker``, ``choose_tokens`` and
random generator use as ``Sampler._sample_rows``) and keeps, per drawn token,
the allowed set (nucleus included) and the additive bias, so that the Keras
model can recompute the same distribution with gradients (``tune.py``). It
needs no TensorFlow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from musicassist.codec import BatchGrammar, GrammarState, encode
from musicassist.codec.vocab import EOS, T_BAR
from musicassist.core.edits import transpose
from musicassist.core.generation import GenerationOptions, assistant_default_steering
from musicassist.core.score import DRUM_CHANNEL

from .curation import NoteArrays, notes_from_tokens
from .realism import HeldOutSeed
from .sampler import Sampler, advance_rows, choose_tokens, drop_closed_rows, seed_meter
from .steering import SteeringTracker, plan_steering
from .steering_bias import context_shift

BARS = 4


@dataclass
class Trajectory:
    """One sampled continuation and what each of its tokens was drawn from."""

    group: int  # index of its seed in the batch (advantages compare continuations of one seed)
    prefix: np.ndarray  # the seed's tokens as the network saw them (BOS ...)
    actions: np.ndarray  # the drawn tokens, the closing bar line included
    allowed: np.ndarray  # (len(actions), V) bool: grammar, steering and nucleus
    bias: np.ndarray  # (len(actions), V) float32: added to logits / temperature
    segment: NoteArrays  # the continuation's notes (closing bar line excluded)
    seed: NoteArrays
    scores: dict[str, float] = field(default_factory=dict)


def window_options(held: HeldOutSeed, rng_seed: int) -> GenerationOptions:
    """The assistant panel's defaults for this seed (as the realism report uses)."""
    return GenerationOptions(length_bars=BARS, candidates=1, seed=rng_seed,
                             steering=assistant_default_steering(held.seed_score.notes))


def nucleus(logits: np.ndarray, allowed: np.ndarray, bias: np.ndarray, temperature: float,
            top_p: float) -> np.ndarray:
    """The tokens ``choose_tokens`` can draw: the allowed ones inside its top-p nucleus (the same arithmetic)."""
    scaled = logits * np.float32(1.0 / temperature)
    scaled += bias
    np.putmask(scaled, ~allowed, -np.inf)
    scaled -= scaled.max(axis=1, keepdims=True)
    probs = np.exp(scaled)
    if top_p < 1.0:
        rows = np.arange(logits.shape[0])
        descending = np.sort(probs, axis=1)[:, ::-1]
        cumulative = np.cumsum(descending, axis=1)
        crossing = (cumulative < top_p * cumulative[:, -1:]).sum(axis=1)
        threshold = descending[rows, np.minimum(crossing, probs.shape[1] - 1)]
        probs[probs < threshold[:, None]] = 0.0
    return probs > 0.0


def rollout_seed(sampler: Sampler, held: HeldOutSeed, group: int, count: int, rng_seed: int) -> list[Trajectory]:
    """``count`` continuations of one seed with the window's settings, recorded step by step."""
    vocab, network = sampler.vocab, sampler.network
    options = window_options(held, rng_seed)
    meter = seed_meter(held.seed_score)
    plan = plan_steering(options.steering, vocab, meter, options.length_bars)
    bar_token = vocab.bar_id(meter)
    seed = held.seed_score
    shift = context_shift(np.array([n.pitch for n in seed.notes if n.channel != DRUM_CHANNEL], dtype=np.int64),
                          options.steering.lowest, options.steering.highest)
    if shift:
        seed = transpose(seed, shift)
    prefix = encode(seed, style=sampler.style, bos=True, eos=False, vocab=vocab)
    first_logits, first_state = network.run_sequence(prefix)
    seed_notes = notes_from_tokens(prefix, vocab)
    state = first_state.select(np.zeros(count, dtype=np.intp))
    logits = np.repeat(first_logits[-1][None, :], count, axis=0)
    grammar = BatchGrammar.repeat(GrammarState.from_prefix(prefix, vocab, bar_token_ids=[bar_token]), count)
    tracker = SteeringTracker(plan, vocab, count)
    if seed_notes.bar_starts.size:
        tracker.natural_density = seed_notes.pitch.size / seed_notes.bar_starts.size or None
    rng = np.random.default_rng(rng_seed)
    only_bar = np.zeros(vocab.size, dtype=bool)
    only_bar[bar_token] = True
    rows = np.arange(count)
    actions: list[list[int]] = [[] for _ in range(count)]
    allowed_log: list[list[np.ndarray]] = [[] for _ in range(count)]
    bias_log: list[list[np.ndarray]] = [[] for _ in range(count)]
    step = 0
    while rows.size:
        grammar_mask = grammar.masks()
        strict, soft = tracker.masks(grammar.phase, grammar.position)
        allowed = grammar_mask & strict
        if step == 0:
            allowed &= only_bar
        for wish in soft:
            preferred = allowed & wish
            usable = preferred.any(axis=1)
            allowed[usable] = preferred[usable]
        stuck = ~allowed.any(axis=1)
        if stuck.any():
            allowed[stuck] = grammar_mask[stuck]
        boost = state.lookback.repeat_boost(vocab.size, sampler.lookback_boost) if state.lookback else None
        bias = tracker.logit_bias(logits, allowed, grammar.phase, grammar.position, options.temperature, extra=boost)
        kept = nucleus(logits, allowed, bias, options.temperature, options.top_p)
        tokens, _ = choose_tokens(logits, allowed, bias, options.temperature, options.top_p, rng)
        for i, row in enumerate(rows.tolist()):
            actions[row].append(int(tokens[i]))
            allowed_log[row].append(kept[i])
            bias_log[row].append(bias[i].astype(np.float32))
        closing = (tokens == EOS) | ((vocab.type_of[tokens] == T_BAR) & (tracker.bar == plan.length_bars - 1))
        rows, tokens, state = drop_closed_rows(closing, rows, tokens, state, grammar, tracker)
        if not rows.size:
            break
        logits, state = advance_rows(tokens, state, grammar, tracker, network)
        step += 1
    out = []
    for row in range(count):
        drawn = np.asarray(actions[row], dtype=np.int32)
        out.append(Trajectory(group, np.asarray(prefix, dtype=np.int32), drawn, np.stack(allowed_log[row]),
                              np.stack(bias_log[row]), notes_from_tokens(drawn[:-1], vocab), held.seed))
    return out


def rollout(sampler: Sampler, seeds: Sequence[HeldOutSeed], per_seed: int, rng_seed: int) -> list[Trajectory]:
    """``per_seed`` continuations of every seed (groups numbered in order)."""
    out: list[Trajectory] = []
    for group, held in enumerate(seeds):
        out += rollout_seed(sampler, held, group, per_seed, rng_seed + 7919 * group)
    return out
