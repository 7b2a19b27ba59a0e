"""Token sequences -> fixed-length training windows (numpy), with transposition augmentation.

Each epoch the training pieces are shuffled, each transposed by its own random
amount (only by amounts that keep every pitch inside 0..127), and packed
end to end into one stream (piece after piece, each BOS ... EOS). Windows of
``seq_len + 1`` tokens are cut from the stream, each starting on a BAR or BOS
token so that the model always begins reading at a musical boundary; the next
window starts at the last boundary inside the previous one, so windows
overlap by less than a bar and almost no token is wasted on padding. Only the
final window can be short; it is padded with PAD and those targets get weight 0.

For a lookback model each piece's lookback features (``lookback.sequence_features``,
computed once per piece in its written key) travel with its tokens: a transposition
moves the pitch candidates by the same interval, and the windows cut the features
exactly where they cut the tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from musicassist.codec import BOS, PAD, Vocabulary, augment_transpose, pitch_range

from .lookback import LookbackSpec, transpose_candidates

Features = tuple[np.ndarray, np.ndarray]  # lookback candidates (T, lags) int32, flags (T, 2·lags) float32


@dataclass(frozen=True)
class Windows:
    """Model inputs, next-token targets and per-target weights (0 for PAD and for BOS targets)."""

    inputs: np.ndarray  # (n, seq_len) int32
    targets: np.ndarray  # (n, seq_len) int32
    weights: np.ndarray  # (n, seq_len) float32
    lookback: np.ndarray | None = None  # (n, seq_len, lags) int32, for a lookback model
    lookback_flags: np.ndarray | None = None  # (n, seq_len, 2·lags) float32

    def __len__(self) -> int:
        return int(self.inputs.shape[0])

    def subset(self, rows: np.ndarray) -> Windows:
        if self.lookback is None or self.lookback_flags is None:
            return Windows(self.inputs[rows], self.targets[rows], self.weights[rows])
        return Windows(self.inputs[rows], self.targets[rows], self.weights[rows], self.lookback[rows],
                       self.lookback_flags[rows])

    def model_inputs(self) -> np.ndarray | list[np.ndarray]:
        """What ``model.fit`` takes as x: the tokens, or tokens plus lookback features."""
        if self.lookback is None or self.lookback_flags is None:
            return self.inputs
        return [self.inputs, self.lookback, self.lookback_flags]

    @property
    def token_count(self) -> int:
        return int(self.weights.sum())


def transposition_amount(tokens: np.ndarray, vocab: Vocabulary, rng: np.random.Generator,
                         semitone_range: tuple[int, int]) -> int:
    """A random shift in ``semitone_range`` (inclusive) that keeps every pitch valid (0 if none does)."""
    low, high = semitone_range
    span = pitch_range(tokens, vocab)
    if span is not None:
        low, high = max(low, -span[0]), min(high, 127 - span[1])
    if span is None or low > high:
        return 0
    return int(rng.integers(low, high + 1))


def random_transposition(tokens: np.ndarray, vocab: Vocabulary, rng: np.random.Generator,
                         semitone_range: tuple[int, int]) -> np.ndarray:
    """The piece shifted by a random amount in ``semitone_range`` (inclusive) that keeps pitches valid."""
    amount = transposition_amount(tokens, vocab, rng, semitone_range)
    shifted = augment_transpose(tokens, amount, vocab) if amount else None
    return tokens if shifted is None else shifted


def pack_stream(pieces: Sequence[np.ndarray]) -> np.ndarray:
    return np.concatenate([np.asarray(p, dtype=np.int32) for p in pieces]) if pieces else np.zeros(0, np.int32)


def window_starts(stream: np.ndarray, vocab: Vocabulary, seq_len: int) -> list[int]:
    """Greedy starts on BAR/BOS tokens; each window holds seq_len + 1 tokens (inputs plus shifted targets)."""
    is_boundary = (stream == BOS) | np.isin(stream, vocab.bar_ids)
    boundaries = np.flatnonzero(is_boundary)
    starts: list[int] = []
    position = int(boundaries[0]) if len(boundaries) else 0
    while position < len(stream) - 1:
        starts.append(position)
        limit = position + seq_len
        if limit >= len(stream) - 1:
            break
        # The last boundary that still lies inside this window's inputs, past its own start.
        index = int(np.searchsorted(boundaries, limit, side="right")) - 1
        following = int(boundaries[index]) if index >= 0 else -1
        position = following if following > position else limit
    return starts


def make_windows(stream: np.ndarray, vocab: Vocabulary, seq_len: int, features: Features | None = None) -> Windows:
    """Windows of the stream; ``features`` (aligned with the stream) are cut at the same places."""
    starts = window_starts(stream, vocab, seq_len)
    block = np.full((len(starts), seq_len + 1), PAD, dtype=np.int32)
    for row, start in enumerate(starts):
        piece = stream[start:start + seq_len + 1]
        block[row, :len(piece)] = piece
    inputs, targets = block[:, :-1], block[:, 1:]
    # BOS follows EOS at a piece junction: trivially predictable and never asked of the model.
    weights = ((targets != PAD) & (targets != BOS)).astype(np.float32)
    if features is None:
        return Windows(np.ascontiguousarray(inputs), np.ascontiguousarray(targets), weights)
    candidates, flags = features
    cut_candidates = np.zeros((len(starts), seq_len, candidates.shape[1]), dtype=np.int32)
    cut_flags = np.zeros((len(starts), seq_len, flags.shape[1]), dtype=np.float32)
    for row, start in enumerate(starts):
        stop = min(start + seq_len, len(stream))
        cut_candidates[row, :stop - start] = candidates[start:stop]
        cut_flags[row, :stop - start] = flags[start:stop]
    return Windows(np.ascontiguousarray(inputs), np.ascontiguousarray(targets), weights, cut_candidates, cut_flags)


def epoch_windows(pieces: Sequence[np.ndarray], vocab: Vocabulary, seq_len: int, rng: np.random.Generator,
                  semitone_range: tuple[int, int] | None = (-5, 6), max_windows: int | None = None,
                  transpose_probability: float = 1.0, features: Sequence[Features] | None = None,
                  spec: LookbackSpec | None = None) -> Windows:
    """One epoch of shuffled, augmented training windows (at most ``max_windows``, chosen at random).

    Each piece is transposed with ``transpose_probability``, else kept in its written key: keys are
    not uniformly distributed in real music, and always transposing would teach the model that they are.
    ``features`` (one per piece, with their ``spec``) make lookback windows.
    """
    order = rng.permutation(len(pieces))
    chosen = [np.asarray(pieces[i], dtype=np.int32) for i in order]
    amounts = [0] * len(chosen)
    if semitone_range is not None:
        moved = rng.random(len(chosen)) < transpose_probability
        shifted = [_shifted(p, transposition_amount(p, vocab, rng, semitone_range) if move else 0, vocab)
                   for p, move in zip(chosen, moved, strict=True)]
        chosen, amounts = [p for p, _ in shifted], [amount for _, amount in shifted]
    packed_features: Features | None = None
    if features is not None and spec is not None:
        picked = [features[i] for i in order]
        packed_features = (
            np.concatenate([transpose_candidates(f[0], amount, spec) for f, amount in zip(picked, amounts,
                                                                                          strict=True)]),
            np.concatenate([f[1] for f in picked]),
        )
    windows = make_windows(pack_stream(chosen), vocab, seq_len, packed_features)
    if max_windows is not None and len(windows) > max_windows:
        windows = windows.subset(np.sort(rng.choice(len(windows), max_windows, replace=False)))
    return windows


def _shifted(tokens: np.ndarray, amount: int, vocab: Vocabulary) -> tuple[np.ndarray, int]:
    """The piece moved by ``amount`` and the amount actually applied."""
    shifted = augment_transpose(tokens, amount, vocab) if amount else None
    return (tokens, 0) if shifted is None else (shifted, amount)


def length_batches(lengths: Sequence[int], max_tokens: int, round_to: int = 64) -> list[list[int]]:
    """Group sequence indices by similar length so padded batches stay near ``max_tokens`` tokens.

    Lengths are rounded up to ``round_to`` so few distinct shapes reach the compiled predict function.
    """
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    for index in order:
        padded = -(-max(lengths[index], 1) // round_to) * round_to
        if current and padded * (len(current) + 1) > max_tokens:
            batches.append(current)
            current = []
        current.append(index)
    if current:
        batches.append(current)
    return batches


def padded_batch(sequences: Sequence[np.ndarray], round_to: int = 64) -> np.ndarray:
    longest = max(len(s) for s in sequences)
    width = -(-longest // round_to) * round_to
    block = np.full((len(sequences), width), PAD, dtype=np.int32)
    for row, seq in enumerate(sequences):
        block[row, :len(seq)] = seq
    return block
