"""Per-step logit biases (and a seed shift) that keep a constrained line alive and steer its density.

Masks narrow the choices; these biases reshape what is left, row by row:

* **Repetition cap.** A mask (strict scale, a register away from the seed) or a low
  temperature removes the model's favourite tokens, and the remaining mass tends
  to pile onto striking the last pitch again, for bars on end (a high temperature
  does the opposite: repeated notes all but vanish). Real melodies do repeat a
  pitch, but the longer the run the less often it goes on: the chance that the
  melodic line (the highest pitch of each onset) strikes the same pitch once more
  after ``k`` strikes is ``REPEAT_HAZARD[k]``, measured on the training split. Each
  step the repeat token is given the probability the model itself gives it at
  temperature 1 within the allowed set, capped at that hazard; the other allowed
  tokens share the rest in the model's proportions at the chosen temperature.
* **Density tilt.** The gap to the next onset (a POS token, or the BAR token that
  ends the bar) gets a bias ``-tilt * log2(gap in beats)``, and a note's length
  ``-LENGTH_SHARE * tilt * log2(length)`` when the tilt is positive: a positive
  tilt makes short gaps and short notes likelier (denser), a negative one long gaps
  (sparser). Gaps count by
  octaves so that halving them is the same push whether the music moves in
  quarters or sixteenths. Each row's tilt starts from the ratio of the target to the
  seed's density and is corrected as the row falls behind or runs ahead of the
  target (a proportional controller on the log of notes written against notes
  wanted so far), so it reaches the target without fitting anything to the model.
* **Register shift.** A register away from the seed moves the seed by whole
  octaves before the network reads it (``context_shift``), rather than letting the
  mask force a jump after it.

``fit_repeat_hazard`` re-measures the hazards from any set of melodic lines;
``benchmarks/bench_steering.py`` prints them next to the constants in use.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from musicassist.codec.vocab import RESOLUTION

# P(the melodic line strikes its pitch again | it has struck it k times in a row), k = 0..8 (k = 0 unused:
# there is no line yet). Fitted by ``fit_repeat_hazard`` on every 4th piece of the training split of the
# bundled corpus (11,458 pieces; 170,799 onsets after a single strike). For reference, 3.7% of the 2,302
# non-overlapping 4-bar segments of the test split hold a pitch struck more than 4 times in a row.
REPEAT_HAZARD = (1.0, 0.124, 0.258, 0.325, 0.291, 0.349, 0.39, 0.594, 0.6)
# Repeat probability multiplier T ** HOT_EXPONENT above temperature 1. Fitted with benchmarks/bench_steering.py
# on models/default of 2026-11-29 (200 held-out seeds, strict scale, real 4-bar segments 3.7%): long runs at
# T = 1.5 were 1.2% with 0, 3.8% with 0.2 and 6.5% with 0.6 (a long run needs four repeats in a row, so the
# rate moves with a high power of this factor). Re-fitted to 0 for the lookback model of 2026-12-02 together
# with LONG_RUN_SLACK below: that model repeats bars of the seed by itself, and with 0.1 the low register at
# T = 2.0 went to 5.3-6.0% against real 3.7%.
HOT_EXPONENT = 0.0
# The cap binds row by row, but REPEAT_HAZARD[1] is an average over very different moments (a repeated-note
# motif, a running line): capping every moment at the average removes repeats exactly where music has them.
# So the first repeat may go up to FIRST_REPEAT_SLACK times the average; it only curbs a model that repeats far
# more than music, while longer runs keep their fitted caps (what "more than 4 times in a row" needs). On 150
# validation seeds with the lookback model and the panel's defaults: repeated-note steps 0.075 with the plain
# average against 0.123 with slack 3 (real 0.116); the classifier AUC of plain samples 0.746/0.776 -> 0.693/0.728.
FIRST_REPEAT_SLACK = 3.0
# The same reasoning for the longer runs: min(model, average hazard) is below the average wherever the model
# is below it, so capping at the plain hazards left the lookback model with too few long runs (300 held-out
# seeds x 2, strict scale: 1.0-1.5% of candidates at T = 0.3-1.0 against 3.7% real). Slack 1.5 still left
# T = 0.5 at 1.7%; 1.6 (with HOT_EXPONENT 0) put every register and temperature setting within 2.2-4.8%.
LONG_RUN_SLACK = 1.6
REPEAT_CAPS = (REPEAT_HAZARD[0], min(1.0, REPEAT_HAZARD[1] * FIRST_REPEAT_SLACK),
               *(min(1.0, hazard * LONG_RUN_SLACK) for hazard in REPEAT_HAZARD[2:]))
# The three tilt constants were chosen on 30 held-out seeds of models/default (2026-11-29) for targets 0.5x and
# 2x; on 200 seeds the mean notes per bar then came within 1.00-1.06 of targets 0.5x-2x.
TILT_PER_LOG_RATIO = 3.0  # initial tilt per unit of log(target density / seed density)
TILT_GAIN = 6.0  # tilt added per unit of log(notes wanted so far / notes written so far)
TILT_LIMIT = 10.0  # the tilt never goes beyond this either way (keeps a lost row from forcing nonsense)
LENGTH_SHARE = 1.0  # the tilt on note lengths (towards denser only), as a share of the tilt on gaps
CHORD_GAP = 0.0  # beats: the gap a chord note (another pitch at the same onset) counts as when tilting


def fit_repeat_hazard(lines: Iterable[np.ndarray], longest: int = 8, min_count: int = 30) -> tuple[float, ...]:
    """Hazards (index k = strikes so far, 0..longest) from melodic lines (pitch of each onset, in order)."""
    reached = np.zeros(longest + 1)
    repeated = np.zeros(longest + 1)
    for line in lines:
        run = 1
        for before, after in zip(np.asarray(line)[:-1].tolist(), np.asarray(line)[1:].tolist(), strict=True):
            k = min(run, longest)
            reached[k] += 1
            if before == after:
                repeated[k] += 1
                run += 1
            else:
                run = 1
    hazard = np.divide(repeated, reached, out=np.full(longest + 1, np.nan), where=reached > 0)
    hazard[0] = 1.0
    # Few runs reach the longest lengths: carry the last well-measured value on rather than report noise.
    for k in range(1, longest + 1):
        if reached[k] < min_count or np.isnan(hazard[k]):
            hazard[k] = hazard[k - 1]
    return tuple(round(float(h), 3) for h in hazard)


def _split_scores(scores: np.ndarray, tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(score of ``tokens``, log of the summed exp of every other score) per row; -inf where absent."""
    rows = np.arange(tokens.size)
    own = scores[rows, tokens]
    others = scores.copy()
    others[rows, tokens] = -np.inf
    top = others.max(axis=1)
    safe = np.where(np.isfinite(top), top, 0.0)
    total = np.exp(others - safe[:, None]).sum(axis=1)
    log_rest = np.log(np.where(total > 0, total, 1.0)) + safe  # no other token: -inf below, not a warning
    return own, np.where(np.isfinite(top), log_rest, -np.inf)


def repeat_cap(scaled: np.ndarray, natural: np.ndarray, allowed: np.ndarray, tokens: np.ndarray,
               caps: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Bias per row for ``tokens`` (the repeat): drawn with the model's own probability, at most ``caps``.

    ``natural`` are the rows' scores at temperature 1 and ``scaled`` after temperature (both with
    any other bias), each renormalised within ``allowed``. The repeat gets the probability the model
    gives it at temperature 1 among the allowed tokens, but at most its cap: a temperature makes the
    other choices more or less adventurous without freezing the line (cool) or forbidding a repeated
    note (hot). No bias where the repeat is not allowed or is the only token left.
    """
    bias = np.zeros(tokens.size)
    if tokens.size == 0:
        return bias
    own_now, rest_now = _split_scores(np.where(allowed, scaled, -np.inf), tokens)
    own_one, rest_one = _split_scores(np.where(allowed, natural, -np.inf), tokens)
    usable = np.isfinite(own_now) & np.isfinite(rest_now)
    if not usable.any():
        return bias
    model = np.exp(own_one[usable] - np.logaddexp(own_one[usable], rest_one[usable]))
    # Above temperature 1 the line around the repeat is wilder and repeat-prone moments rarer: HOT_EXPONENT
    # gives back what real music has (fitted, see its comment).
    boost = max(1.0, temperature) ** HOT_EXPONENT
    wanted = np.clip(np.minimum(model, caps[usable]) * boost, 1e-9, 1 - 1e-6)
    # The score that gives the repeat probability ``wanted`` against the others as they stand now.
    bias[usable] = np.log(wanted / (1 - wanted)) + rest_now[usable] - own_now[usable]
    return bias


def density_tilt(target: float, natural: float | None, notes_so_far: np.ndarray,
                 bars_so_far: np.ndarray) -> np.ndarray:
    """Each row's tilt (bias per beat of gap, > 0 denser) towards ``target`` notes per bar."""
    start = TILT_PER_LOG_RATIO * np.log(target / natural) if natural else 0.0
    wanted = target * np.maximum(bars_so_far, 0.0)
    correction = TILT_GAIN * np.log((wanted + 1.0) / (notes_so_far + 1.0))
    return np.clip(start + correction, -TILT_LIMIT, TILT_LIMIT)


def gap_bias(tilt: np.ndarray, here: np.ndarray, pos_values: np.ndarray, bar_length: int
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Biases for POS tokens (rows, positions), the BAR token and a chord note (rows,) under ``tilt``.

    ``here`` is the position in the bar (0 before the first onset); gaps are in beats.
    """
    pos_gap = _gap_scale((pos_values[None, :] - here[:, None]) / RESOLUTION)
    bar_gap = _gap_scale((bar_length - here) / RESOLUTION)
    return (-tilt[:, None] * pos_gap, -tilt * bar_gap, -np.maximum(tilt, 0.0) * CHORD_GAP)


def length_bias(tilt: np.ndarray, dur_values: np.ndarray) -> np.ndarray:
    """Biases (rows, durations) for note lengths under ``tilt``: the same log-gap scale as onsets."""
    # Only towards shorter notes: pushing lengths up as well overshoots a sparser target (long notes then
    # long gaps compound), while the gaps alone reach it.
    return -LENGTH_SHARE * np.maximum(tilt, 0.0)[:, None] * _gap_scale(dur_values[None, :] / RESOLUTION)


def _gap_scale(gap: np.ndarray) -> np.ndarray:
    """Gaps count by octaves (log2 of beats): halving every gap doubles the density, at any tempo of writing."""
    return np.asarray(np.log2(np.maximum(gap, 1.0 / RESOLUTION)))


def context_shift(pitches: np.ndarray, lowest: int, highest: int) -> int:
    """Whole octaves to move the seed by so that its median pitch lies in [lowest, highest] (0 if it does).

    A register away from the seed's would otherwise make the network continue where
    the seed was and the mask force every note elsewhere: the line jumps, then clings
    to the edge of the range. Moved by octaves, the seed keeps its key and shape and the
    network continues from inside the range. A range narrower than an octave may hold
    no octave of the median; the seed then moves as close as it gets.
    """
    if pitches.size == 0:
        return 0
    median = float(np.median(pitches))
    if lowest <= median <= highest:
        return 0
    centre = (lowest + highest) / 2
    shift = 12 * round((centre - median) / 12)
    # Never push any seed note out of MIDI's range.
    while shift > 0 and pitches.max() + shift > 127:
        shift -= 12
    while shift < 0 and pitches.min() + shift < 0:
        shift += 12
    return shift
