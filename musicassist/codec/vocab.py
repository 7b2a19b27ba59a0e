"""The token vocabulary: names, ids and numpy lookup tables, saved with every model.

Layout (ids in this order, each group contiguous):

    PAD=0, BOS=1, EOS=2
    STYLE_<s>      s in STYLES
    BAR_<n>/<d>    one per supported meter; a bar token carries its meter
    POS_<k>        k = 0 .. MAX_BAR_POSITIONS-1, onset within the bar in 1/12 quarters
    PITCH_<p>      p = 0 .. 127 (MIDI)
    DUR_<d>        d in DURATION_BINS, in 1/12 quarters (nearest bin on encode)
    VEL_<b>        b = 0 .. 7, a velocity bin whose centre is VELOCITY_CENTRES[b]

Velocity mapping: a MIDI velocity v goes to the bin of the nearest centre,
``bin = clip((v + 8) // 16 - 1, 0, 7)``; centres are 16, 32, 48, 64, 80, 96,
112, 127 (so 1..23 -> 16, 24..39 -> 32, ..., 104..119 -> 112, 120..127 -> 127).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from musicassist.core.errors import MusicAssistError
from musicassist.core.timemaps import TimeSignature

CODEC_VERSION = "remi12-v1"
RESOLUTION = 12  # grid positions per quarter note: 16ths (3), 8th triplets (4), 16th triplets (2)

STYLES: tuple[str, ...] = ("chorale", "folk", "fiddle", "user")
METERS: tuple[str, ...] = (
    "2/4", "3/4", "4/4", "5/4", "6/4", "7/4", "8/4",
    "2/2", "3/2", "4/2", "2/1",
    "2/8", "3/8", "4/8", "5/8", "6/8", "7/8", "9/8", "12/8",
)
MAX_BAR_POSITIONS = 8 * RESOLUTION  # the longest supported bar (8/4, 4/2, 2/1) is 8 quarters
DURATION_BINS: tuple[int, ...] = (*range(1, 13), 15, 16, 18, 20, 21, 24, 30, 32, 36, 42, 48, 60, 72, 84, 96)
VELOCITY_CENTRES: tuple[int, ...] = (16, 32, 48, 64, 80, 96, 112, 127)

PAD, BOS, EOS = 0, 1, 2

# Token type codes used by the numpy tables (``Vocabulary.type_of``).
T_PAD, T_BOS, T_EOS, T_STYLE, T_BAR, T_POS, T_PITCH, T_DUR, T_VEL = range(9)


class CodecError(MusicAssistError):
    """Music that the token codec cannot represent, or input that is not a token sequence."""


def meter_positions(meter: TimeSignature) -> int:
    """Length of one bar of ``meter`` in grid positions (12 per quarter)."""
    positions = meter.bar_beats * RESOLUTION
    if positions.denominator != 1:
        raise CodecError(f"The time signature {meter} does not fit the 1/12-beat grid.")
    return int(positions)


def velocity_bin(velocity: int) -> int:
    """Bin index (0..7) of the nearest velocity centre."""
    return min(len(VELOCITY_CENTRES) - 1, max(0, (int(velocity) + 8) // 16 - 1))


@dataclass(frozen=True)
class Vocabulary:
    """Token names <-> ids plus per-id numpy tables for fast masking and decoding."""

    styles: tuple[str, ...] = STYLES
    meters: tuple[str, ...] = METERS
    max_bar_positions: int = MAX_BAR_POSITIONS
    duration_bins: tuple[int, ...] = DURATION_BINS
    velocity_centres: tuple[int, ...] = VELOCITY_CENTRES
    version: str = CODEC_VERSION
    names: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _ids: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = ["PAD", "BOS", "EOS"]
        names += [f"STYLE_{s}" for s in self.styles]
        names += [f"BAR_{m}" for m in self.meters]
        names += [f"POS_{k}" for k in range(self.max_bar_positions)]
        names += [f"PITCH_{p}" for p in range(128)]
        names += [f"DUR_{d}" for d in self.duration_bins]
        names += [f"VEL_{b}" for b in range(len(self.velocity_centres))]
        object.__setattr__(self, "names", tuple(names))
        object.__setattr__(self, "_ids", {name: i for i, name in enumerate(names)})
        for meter in self.meters:
            if meter_positions(TimeSignature.parse(meter)) > self.max_bar_positions:
                raise CodecError(f"The meter {meter} is longer than the codec's longest bar.")
        self._build_tables()

    def _build_tables(self) -> None:
        starts: dict[str, np.ndarray] = {}
        offset = 3
        for kind, count in (
            ("style", len(self.styles)), ("bar", len(self.meters)), ("pos", self.max_bar_positions),
            ("pitch", 128), ("dur", len(self.duration_bins)), ("vel", len(self.velocity_centres)),
        ):
            starts[kind] = np.arange(offset, offset + count, dtype=np.int32)
            offset += count
        set_ = object.__setattr__
        set_(self, "style_ids", starts["style"])
        set_(self, "bar_ids", starts["bar"])
        set_(self, "pos_ids", starts["pos"])
        set_(self, "pitch_ids", starts["pitch"])
        set_(self, "dur_ids", starts["dur"])
        set_(self, "vel_ids", starts["vel"])
        type_of = np.zeros(self.size, dtype=np.int8)
        value_of = np.zeros(self.size, dtype=np.int32)
        type_of[[PAD, BOS, EOS]] = (T_PAD, T_BOS, T_EOS)
        bar_positions = np.zeros(self.size, dtype=np.int32)
        bar_positions[self.bar_ids] = [meter_positions(TimeSignature.parse(m)) for m in self.meters]
        for ids, code, values in (
            (self.style_ids, T_STYLE, np.arange(len(self.styles))),
            (self.bar_ids, T_BAR, np.arange(len(self.meters))),
            (self.pos_ids, T_POS, np.arange(self.max_bar_positions)),
            (self.pitch_ids, T_PITCH, np.arange(128)),
            (self.dur_ids, T_DUR, np.asarray(self.duration_bins)),
            (self.vel_ids, T_VEL, np.asarray(self.velocity_centres)),
        ):
            type_of[ids] = code
            value_of[ids] = values
        # Read-only so a shared default vocabulary cannot be corrupted by a caller.
        tables: list[np.ndarray] = [type_of, value_of, bar_positions, *starts.values()]
        for table in tables:
            table.setflags(write=False)
        set_(self, "type_of", type_of)  # token type code per id
        set_(self, "value_of", value_of)  # pitch, position, duration, velocity centre, meter/style index
        set_(self, "bar_positions", bar_positions)  # bar length in positions for BAR ids, else 0
        set_(self, "_dur_bins", np.asarray(self.duration_bins, dtype=np.int32))

    # The numpy tables are set in _build_tables; declared here for type checkers.
    style_ids: np.ndarray = field(init=False, repr=False, compare=False)
    bar_ids: np.ndarray = field(init=False, repr=False, compare=False)
    pos_ids: np.ndarray = field(init=False, repr=False, compare=False)
    pitch_ids: np.ndarray = field(init=False, repr=False, compare=False)
    dur_ids: np.ndarray = field(init=False, repr=False, compare=False)
    vel_ids: np.ndarray = field(init=False, repr=False, compare=False)
    type_of: np.ndarray = field(init=False, repr=False, compare=False)
    value_of: np.ndarray = field(init=False, repr=False, compare=False)
    bar_positions: np.ndarray = field(init=False, repr=False, compare=False)
    _dur_bins: np.ndarray = field(init=False, repr=False, compare=False)

    PAD = PAD
    BOS = BOS
    EOS = EOS

    @property
    def size(self) -> int:
        return len(self.names)

    def id(self, token: str) -> int:
        try:
            return self._ids[token]
        except KeyError:
            raise CodecError(f"'{token}' is not a token of the {self.version} vocabulary.") from None

    def name(self, token_id: int) -> str:
        if not 0 <= int(token_id) < self.size:
            raise CodecError(f"{token_id} is not a token id of the {self.version} vocabulary.")
        return self.names[int(token_id)]

    def describe(self, tokens: np.ndarray | list[int]) -> list[str]:
        """Readable names for a sequence (unknown ids shown as '?<id>'), for debugging and logs."""
        return [self.names[t] if 0 <= t < self.size else f"?{t}" for t in (int(x) for x in tokens)]

    # Typed lookups used by encode/decode and the sampler.
    def style_id(self, style: str) -> int:
        if style not in self.styles:
            raise CodecError(f"Unknown style '{style}': choose one of {', '.join(self.styles)}.")
        return int(self.style_ids[self.styles.index(style)])

    def bar_id(self, meter: TimeSignature) -> int:
        text = str(meter)
        if text not in self.meters:
            raise CodecError(
                f"The time signature {text} is not supported for generation; "
                f"supported are {', '.join(self.meters)}."
            )
        return int(self.bar_ids[self.meters.index(text)])

    def meter_of(self, bar_token: int) -> TimeSignature:
        return TimeSignature.parse(self.meters[int(self.value_of[bar_token])])

    def pos_id(self, position: int) -> int:
        return int(self.pos_ids[position])

    def pitch_id(self, pitch: int) -> int:
        return int(self.pitch_ids[pitch])

    def duration_bin(self, positions: int) -> int:
        """Nearest duration bin (ties go to the shorter bin); longer than the last bin is clipped."""
        index = int(np.argmin(np.abs(self._dur_bins - positions)))
        return int(self._dur_bins[index])

    def longest_bin_within(self, positions: int) -> int:
        """Largest bin not longer than ``positions`` (>= 1), used to keep notes inside the piece."""
        fitting = self._dur_bins[self._dur_bins <= max(positions, 1)]
        return int(fitting[-1])

    def dur_id(self, duration_bin: int) -> int:
        return int(self.dur_ids[self.duration_bins.index(duration_bin)])

    def vel_id(self, velocity: int) -> int:
        return int(self.vel_ids[velocity_bin(velocity)])

    def duration_of(self, dur_token: int) -> Fraction:
        return Fraction(int(self.value_of[dur_token]), RESOLUTION)

    # Persistence: saved next to every model so a model never meets a different codec.
    def to_json(self) -> str:
        return json.dumps({
            "version": self.version,
            "styles": list(self.styles),
            "meters": list(self.meters),
            "max_bar_positions": self.max_bar_positions,
            "duration_bins": list(self.duration_bins),
            "velocity_centres": list(self.velocity_centres),
            "names": list(self.names),
        })

    @classmethod
    def from_json(cls, text: str) -> Vocabulary:
        try:
            data = json.loads(text)
            vocab = cls(
                styles=tuple(data["styles"]),
                meters=tuple(data["meters"]),
                max_bar_positions=int(data["max_bar_positions"]),
                duration_bins=tuple(int(d) for d in data["duration_bins"]),
                velocity_centres=tuple(int(v) for v in data["velocity_centres"]),
                version=str(data["version"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise CodecError("The saved token vocabulary is damaged or incomplete.") from exc
        if data["version"] != CODEC_VERSION:
            raise CodecError(
                f"This model was made with token codec {data['version']}, but this program uses "
                f"{CODEC_VERSION}; retrain the model or use a matching version."
            )
        if list(vocab.names) != list(data.get("names", vocab.names)):
            raise CodecError("The saved token vocabulary does not match its own description.")
        return vocab


_DEFAULT: Vocabulary | None = None


def default_vocabulary() -> Vocabulary:
    """The shared vocabulary of this codec version (built once)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Vocabulary()
    return _DEFAULT
