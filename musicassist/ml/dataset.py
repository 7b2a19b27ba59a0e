"""Token sequences -> fixed-length training windows (numpy), with transposition augmentation.

Each epoch the training pieces are shuffled, each transposed by its own random
amount (only by amounts that keep every pitch inside 0..127), and packed
end to end into one stream (piece after piece, each BOS ... EOS). Windows of
``seq_len + 1`` tokens are cut from the stream, each starting on a BAR or BOS
token so that the model always begins reading at a musical boundary; the next
window starts at the last boundary inside the previous one, so windows
overlap by less than a bar and almost no token is wasted on padding. Only the
final window can be short; it is padded with PAD and those targets get weight 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from musicassist.codec import BOS, PAD, Vocabulary, augment_transpose, pitch_range


@dataclass(frozen=True)
class Windows:
    """Model inputs, next-token targets and per-target weights (0 for PAD and for BOS targets)."""

    inputs: np.ndarray  # (n, seq_len) int32
    targets: np.ndarray  # (n, seq_len) int32
    weights: np.ndarray  # (n, seq_len) float32

    def __len__(self) -> int:
        return int(self.inputs.shape[0])

    def subset(self, rows: np.ndarray) -> Windows:
        return Windows(self.inputs[rows], self.targets[rows], self.weights[rows])

    @property
    def token_count(self) -> int:
        return int(self.weights.sum())


def random_transposition(tokens: np.ndarray, vocab: Vocabulary, rng: np.random.Generator,
                         semitone_range: tuple[int, int]) -> np.ndarray:
    """The piece shifted by a random amount in ``semitone_range`` (inclusive) that keeps pitches valid."""
    low, high = semitone_range
    span = pitch_range(tokens, vocab)
    if span is not None:
        low, high = max(low, -span[0]), min(high, 127 - span[1])
    if span is None or low > high:
        return tokens
    shifted = augment_transpose(tokens, int(rng.integers(low, high + 1)), vocab)
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


def make_windows(stream: np.ndarray, vocab: Vocabulary, seq_len: int) -> Windows:
    starts = window_starts(stream, vocab, seq_len)
    block = np.full((len(starts), seq_len + 1), PAD, dtype=np.int32)
    for row, start in enumerate(starts):
        piece = stream[start:start + seq_len + 1]
        block[row, :len(piece)] = piece
    inputs, targets = block[:, :-1], block[:, 1:]
    # BOS follows EOS at a piece junction: trivially predictable and never asked of the model.
    weights = ((targets != PAD) & (targets != BOS)).astype(np.float32)
    return Windows(np.ascontiguousarray(inputs), np.ascontiguousarray(targets), weights)


def epoch_windows(pieces: Sequence[np.ndarray], vocab: Vocabulary, seq_len: int, rng: np.random.Generator,
                  semitone_range: tuple[int, int] | None = (-5, 6), max_windows: int | None = None,
                  transpose_probability: float = 1.0) -> Windows:
    """One epoch of shuffled, augmented training windows (at most ``max_windows``, chosen at random).

    Each piece is transposed with ``transpose_probability``, else kept in its written key: keys are
    not uniformly distributed in real music, and always transposing would teach the model that they are.
    """
    order = rng.permutation(len(pieces))
    chosen = [np.asarray(pieces[i], dtype=np.int32) for i in order]
    if semitone_range is not None:
        moved = rng.random(len(chosen)) < transpose_probability
        chosen = [random_transposition(p, vocab, rng, semitone_range) if move else p
                  for p, move in zip(chosen, moved, strict=True)]
    windows = make_windows(pack_stream(chosen), vocab, seq_len)
    if max_windows is not None and len(windows) > max_windows:
        windows = windows.subset(np.sort(rng.choice(len(windows), max_windows, replace=False)))
    return windows


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
