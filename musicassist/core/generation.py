"""Immutable requests and results exchanged with the sampler.

These cross threads (GUI -> worker -> GUI) and layers (the GUI never imports
TensorFlow), so they are plain frozen dataclasses in the core. Beats in a
``Candidate`` and in ``Steering.locked`` count from the start of the
continuation (beat 0 = the barline right after the seed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .errors import OptionError
from .key_detect import detect_key
from .score import Note, Score
from .timemaps import KeySignature

MAX_DENSITY = 256  # notes per bar: a bar of 64th notes in 4/4 holds 64, chords of four twice that
MAX_SEED = 2**63 - 1  # NumPy seeds are unsigned; a negative one raises deep in the sampler


@dataclass(frozen=True)
class Steering:
    """Constraints applied while sampling (logit masks and biases)."""

    scale: KeySignature | None = None  # None: no scale constraint
    scale_strict: bool = True  # False: a soft bias towards the scale
    lowest: int = 0
    highest: int = 127
    density: float | None = None  # target notes per bar
    density_tolerance: float = 0.5  # fraction of the target, e.g. 0.5 = +-50%
    max_polyphony: int | None = None  # most notes sounding at once
    locked: tuple[Note, ...] = ()  # pinned notes, continuation-relative beats

    def __post_init__(self) -> None:
        if not 0 <= self.lowest <= self.highest <= 127:
            raise OptionError("The pitch range must be two MIDI notes, lowest first, within 0..127.")
        # ``not (0 < x <= max)`` rather than ``x <= 0``: NaN compares false to everything and would pass.
        if self.density is not None and not 0 < self.density <= MAX_DENSITY:
            raise OptionError(f"The density must be a number of notes per bar above 0 and at most {MAX_DENSITY}.")
        if self.max_polyphony is not None and self.max_polyphony < 1:
            raise OptionError("At least one note must be allowed to sound at once.")


REGISTER_MARGIN = 5  # semitones of room around the seed's range when the register follows the seed


def register_around(notes: Sequence[Note], margin: int = REGISTER_MARGIN) -> tuple[int, int]:
    """(lowest, highest) pitch: the notes' range widened by ``margin`` on both sides (all 128 when empty)."""
    if not notes:
        return 0, 127
    return max(0, min(n.pitch for n in notes) - margin), min(127, max(n.pitch for n in notes) + margin)


def assistant_default_steering(seed_notes: Sequence[Note]) -> Steering:
    """What Generate asks for with the assistant panel untouched.

    The seed's detected key as a *soft* bias (other notes stay possible, only
    rarer) and the seed's register with a little room; no density or polyphony
    limit. The continuation check measures exactly this setting, so the figure
    it reports is what a composer hears by default.
    """
    lowest, highest = register_around(seed_notes)
    return Steering(scale=detect_key(seed_notes), scale_strict=False, lowest=lowest, highest=highest)


@dataclass(frozen=True)
class GenerationOptions:
    length_bars: int = 4
    candidates: int = 4
    temperature: float = 1.0
    top_p: float = 0.95
    seed: int | None = None
    steering: Steering = field(default_factory=Steering)

    def __post_init__(self) -> None:
        if not 1 <= self.length_bars <= 64:
            raise OptionError("The continuation length must be 1 to 64 bars.")
        if not 1 <= self.candidates <= 32:
            raise OptionError("Ask for 1 to 32 candidates.")
        if not 0.05 <= self.temperature <= 5.0:
            raise OptionError("The temperature must be between 0.05 and 5.")
        if not 0.0 < self.top_p <= 1.0:
            raise OptionError("top-p must be above 0 and at most 1.")
        if self.seed is not None and not (isinstance(self.seed, int) and 0 <= self.seed <= MAX_SEED):
            raise OptionError("The random seed must be a whole number from 0 to 2^63 - 1.")


@dataclass(frozen=True)
class GenerationRequest:
    """What to continue: ``seed`` is the selected bars as a score starting at beat 0."""

    request_id: int
    seed: Score
    options: GenerationOptions = field(default_factory=GenerationOptions)
    model_name: str | None = None  # None: the default shipped model


@dataclass(frozen=True)
class Candidate:
    request_id: int
    index: int
    score: Score  # exactly options.length_bars bars in the seed's final meter
    label: str = ""  # what distinguishes it: "higher, denser, stepwise"
    label_detail: str = ""  # the numbers behind the label (a tooltip)
    mean_log_likelihood: float = 0.0
    longest_training_match: int = 0  # tokens shared with the training corpus
    flags: tuple[str, ...] = ()  # e.g. ("copies-seed",)


@dataclass(frozen=True)
class GenerationProgress:
    request_id: int
    step: int
    total_steps: int
