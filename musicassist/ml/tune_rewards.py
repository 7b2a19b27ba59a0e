"""Rewards for reinforcement-learning fine-tuning (``musicassist tune``), built from the rules in ``rules``.

A reward term maps one generated segment and its seed to a number, higher is
better, 0 when the rule has nothing to say (a segment without leaps earns no
leap reward). The reward of a segment is the weighted sum of its terms. The
terms reuse the rule functions unchanged; each only turns a rate or a flag into
"good is positive" and chooses what an undefined value is worth.

Presets name the terms a style cares about; ``--weights name=w,...`` adjusts
them. Everything here is pure: the tuner calls ``reward`` on decoded notes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from musicassist.core.errors import OptionError

from . import rules

if TYPE_CHECKING:
    from .curation import NoteArrays

Term = Callable[["NoteArrays", "NoteArrays"], float]
# An unresolved leap costs this much against a resolved one's 1: at the prior's resolution rate (about 1 in 5)
# a leap is then worth about nothing, so the reward asks for resolving leaps, not for avoiding them.
UNRESOLVED_LEAP_COST = 0.25


def _defined(value: float) -> float:
    return 0.0 if math.isnan(value) else value


def resolve_leaps(segment: NoteArrays, seed: NoteArrays) -> float:
    """+1 per leap larger than a fifth (up to an octave) answered by a step back, minus UNRESOLVED_LEAP_COST per
    other such leap. Jumps beyond an octave earn nothing here: they are the register rule's business (a pilot that
    rewarded them too learnt to jump two octaves and step back)."""
    del seed
    leaps, resolved = rules.leap_counts(segment, largest=rules.OCTAVE)
    return resolved - UNRESOLVED_LEAP_COST * (leaps - resolved)


def _negated(rule: rules.Rule) -> Term:
    return lambda segment, seed: -_defined(rule(segment, seed))


def _kept(rule: rules.Rule) -> Term:
    return lambda segment, seed: _defined(rule(segment, seed))


TERMS: dict[str, Term] = {
    "in_key": _negated(rules.out_of_key_rate),
    "no_long_repeats": _negated(rules.long_repetition),
    "resolve_leaps": resolve_leaps,
    "no_register_jumps": _negated(rules.register_jump),
    "fewer_repeated_notes": _negated(rules.repeated_note_rate),
    "end_on_tonic_or_dominant": _kept(rules.ends_on_tonic_or_dominant),
    "reuse_seed_bars": _kept(rules.seed_bar_reuse),
    "recurring_motif": _kept(rules.recurring_motif_4),
    "no_parallel_fifths_octaves": _negated(rules.parallel_perfects),
    "close_spacing": _negated(rules.wide_spacing),
}
# The rule rate each term moves (what the progress line and the card report).
TERM_RULE: dict[str, str] = {
    "in_key": "out_of_key_rate", "no_long_repeats": "long_repetition", "resolve_leaps": "leap_resolution",
    "no_register_jumps": "register_jump", "fewer_repeated_notes": "repeated_note_rate",
    "end_on_tonic_or_dominant": "ends_on_tonic_or_dominant", "reuse_seed_bars": "seed_bar_reuse",
    "recurring_motif": "recurring_motif_4", "no_parallel_fifths_octaves": "parallel_perfects",
    "close_spacing": "wide_spacing",
}
PRESETS: dict[str, dict[str, float]] = {
    # A tune: resolve leaps, carry the seed's bars and motifs on, do not hammer one note, stay in key. A jump over
    # an octave costs as much as a resolved leap earns (a 10-minute pilot with 0.5 learnt to jump and step back).
    "folk melody": {"resolve_leaps": 2.0, "reuse_seed_bars": 1.5, "recurring_motif": 0.5,
                    "fewer_repeated_notes": 2.0, "no_long_repeats": 0.5, "in_key": 2.0,
                    "end_on_tonic_or_dominant": 0.3, "no_register_jumps": 2.0},
    # Four-part writing: the melodic rules plus clean outer voices and close upper voices.
    "chorale": {"no_parallel_fifths_octaves": 2.0, "close_spacing": 1.0, "resolve_leaps": 0.5,
                "in_key": 2.0, "no_long_repeats": 0.5, "end_on_tonic_or_dominant": 0.5},
}


def _canonical(name: str) -> str:
    return name.strip().lower().replace("-", " ").replace("_", " ")


def resolve_weights(names: Sequence[str], overrides: str | None = None) -> dict[str, float]:
    """Weights of the named presets and terms (a term on its own gets weight 1), then ``name=w,...`` overrides.

    OptionError (one line) for an unknown name or a malformed weight.
    """
    presets = {_canonical(k): v for k, v in PRESETS.items()}
    terms = {_canonical(k): k for k in TERMS}
    weights: dict[str, float] = {}
    for raw in names:
        key = _canonical(raw)
        if not key:
            continue
        if key in presets:
            weights.update(presets[key])
        elif key in terms:
            weights[terms[key]] = 1.0
        else:
            raise OptionError(f"Unknown rule {raw!r}: use a preset ({', '.join(PRESETS)}) or a rule "
                              f"({', '.join(TERMS)}).")
    for item in (overrides or "").split(","):
        if not item.strip():
            continue
        name, _, value = item.partition("=")
        term = terms.get(_canonical(name))
        try:
            weight = float(value)
        except ValueError:
            weight = math.nan
        if term is None or not math.isfinite(weight):
            raise OptionError(f"Cannot read the weight {item.strip()!r}: write rule=number, e.g. resolve_leaps=2.")
        weights[term] = weight
    if not any(weights.values()):
        raise OptionError("No rule has a weight: name at least one rule or preset with --rules.")
    return {name: w for name, w in weights.items() if w}


def reward(segment: NoteArrays, seed: NoteArrays, weights: Mapping[str, float]) -> float:
    """The weighted sum of the terms for one segment."""
    return float(sum(w * TERMS[name](segment, seed) for name, w in weights.items()))
