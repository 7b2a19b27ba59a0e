"""Is a candidate new music? Seed repetition and the longest stretch shared with the training corpus.

Two ways a continuation can fail to be a continuation:

* it repeats the seed bar for bar (``copies_seed``);
* it reproduces a long run of a training piece (``TrainingIndex.longest_match``).

The training index is a suffix array over all training token sequences joined
by a separator, sorted on the first ``MAX_MATCH`` tokens of every suffix.
Building it (prefix doubling in NumPy) takes seconds for a corpus of a few
million tokens, so it is built once per model and kept in the user cache; an
index shipped inside a model folder is used first. A query binary-searches each
start of the candidate: about log2(corpus) byte-string comparisons per token.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from musicassist.codec.vocab import T_PITCH, Vocabulary
from musicassist.core.errors import ModelError
from musicassist.core.score import Score
from musicassist.io.atomic import atomic_writer

from .curation import NoteArrays, notes_from_score

MAX_MATCH = 256  # suffixes are ordered on this many tokens; longer matches are reported as this
SEPARATOR = 0xFFFF  # between pieces, so a match never spans two of them; no token has this id
COPY_THRESHOLD_TOKENS = 64  # about 16 notes copied exactly: flagged as reproducing the corpus
INDEX_FILE = "training_index.npz"


def _suffix_array(text: np.ndarray, depth: int) -> np.ndarray:
    """Suffix start offsets sorted on their first ``depth`` tokens (prefix doubling)."""
    n = int(text.size)
    rank = np.unique(text, return_inverse=True)[1].astype(np.int64)
    order = np.argsort(rank, kind="stable")
    span = 1
    while span < depth:
        second = np.full(n, -1, dtype=np.int64)
        second[: n - span] = rank[span:]
        # One int64 key per suffix: (rank, next rank) packed; ranks are < n so this cannot overflow.
        key = rank * (n + 1) + (second + 1)
        order = np.argsort(key, kind="stable")
        sorted_key = key[order]
        new_rank = np.empty(n, dtype=np.int64)
        new_rank[order] = np.concatenate(([0], np.cumsum(sorted_key[1:] != sorted_key[:-1])))
        rank = new_rank
        if rank.max(initial=0) == n - 1:
            break  # every suffix already distinct
        span *= 2
    return order.astype(np.int32)


class TrainingIndex:
    """Longest exact token run shared between a query and any training sequence."""

    def __init__(self, text: np.ndarray, suffixes: np.ndarray) -> None:
        self.text = np.ascontiguousarray(text, dtype=np.uint16)
        self.suffixes = np.ascontiguousarray(suffixes, dtype=np.int32)
        # Big-endian 16-bit bytes compare in the same order as the token sequences they encode.
        self._bytes = self.text.astype(">u2").tobytes()

    @property
    def token_count(self) -> int:
        return int(self.text.size)

    @classmethod
    def build(cls, sequences: Iterable[np.ndarray]) -> TrainingIndex:
        parts: list[np.ndarray] = []
        for sequence in sequences:
            parts.append(np.asarray(sequence, dtype=np.uint16))
            parts.append(np.array([SEPARATOR], dtype=np.uint16))
        text = np.concatenate(parts) if parts else np.array([SEPARATOR], dtype=np.uint16)
        return cls(text, _suffix_array(text, MAX_MATCH))

    def save(self, path: Path) -> None:
        """Atomic write (``io.atomic``: a temporary file in the same folder, then rename)."""
        with atomic_writer(path, make_folder=True) as stream:
            np.savez(stream, text=self.text, suffixes=self.suffixes)

    @classmethod
    def load(cls, path: Path) -> TrainingIndex:
        with np.load(path) as data:
            return cls(data["text"], data["suffixes"])

    def _common_prefix(self, query: np.ndarray, start: int) -> int:
        limit = min(query.size, self.text.size - start, MAX_MATCH)
        if limit <= 0:
            return 0
        differs = np.flatnonzero(self.text[start : start + limit] != query[:limit])
        return int(differs[0]) if differs.size else limit

    def _match_at(self, query: np.ndarray) -> int:
        """Longest prefix of ``query`` that occurs in the corpus (binary search, then the two neighbours)."""
        probe = query[:MAX_MATCH].astype(">u2").tobytes()
        width = len(probe)
        low, high = 0, int(self.suffixes.size)
        data, suffixes = self._bytes, self.suffixes
        while low < high:
            middle = (low + high) // 2
            offset = 2 * int(suffixes[middle])
            if data[offset : offset + width] < probe:
                low = middle + 1
            else:
                high = middle
        best = 0
        for neighbour in (low - 1, low):
            if 0 <= neighbour < suffixes.size:
                best = max(best, self._common_prefix(query, int(suffixes[neighbour])))
        return best

    def longest_match(self, tokens: Sequence[int] | np.ndarray) -> int:
        """Length of the longest run of ``tokens`` found verbatim in one training sequence."""
        query = np.asarray(tokens, dtype=np.uint16)
        best = 0
        for start in range(query.size):
            if query.size - start <= best:
                break  # no later start can beat the best run found
            best = max(best, self._match_at(query[start:]))
        return best


BarContents = list[frozenset[tuple[int, int, int]]]


def bar_contents(notes: NoteArrays) -> BarContents:
    """Each bar's notes as (grid offset in the bar, pitch, grid duration)."""
    bars: list[set[tuple[int, int, int]]] = [set() for _ in range(notes.bar_starts.size)]
    bar_of_note = np.searchsorted(notes.bar_starts, notes.start, side="right") - 1
    for bar, start, pitch, duration in zip(bar_of_note.tolist(), notes.start.tolist(), notes.pitch.tolist(),
                                           notes.duration.tolist(), strict=True):
        if 0 <= bar < len(bars):
            bars[bar].add((start - int(notes.bar_starts[bar]), pitch, duration))
    return [frozenset(b) for b in bars]


def repeats_bars(candidate: BarContents, seed: BarContents) -> bool:
    """True when the candidate has notes and repeats the seed's bars in order (cycling through the seed)."""
    if not seed or not any(candidate):
        return False
    return any(all(bar == seed[(offset + i) % len(seed)] for i, bar in enumerate(candidate))
               for offset in range(len(seed)))


def copies_seed(candidate: Score, seed: Score) -> bool:
    return repeats_bars(bar_contents(notes_from_score(candidate)), bar_contents(notes_from_score(seed)))


def comparable_tokens(tokens: Sequence[int] | np.ndarray, vocab: Vocabulary) -> np.ndarray:
    """Tokens with each pitch replaced by its interval from the previous pitch (uint16).

    The model is trained on every transposition of the corpus, so a memorised tune can come
    back in any key: matching intervals instead of pitches catches that.
    """
    array = np.asarray(tokens, dtype=np.int64)
    out = array.astype(np.uint16)
    is_pitch = vocab.type_of[array] == T_PITCH
    pitches = vocab.value_of[array[is_pitch]].astype(np.int64)
    if pitches.size:
        previous = np.concatenate(([-1], pitches[:-1]))
        codes = np.where(previous < 0, vocab.size + 255, vocab.size + 127 + pitches - previous)
        out[is_pitch] = codes.astype(np.uint16)
    return out


def shipped_index_path(model_dir: Path) -> Path:
    """An index shipped inside a model folder (read only: the sampler never writes into models/)."""
    return model_dir / INDEX_FILE


def cached_index_path(model_dir: Path, cache: Path) -> Path:
    """Where a built index is kept: the user cache, one file per model folder.

    Not next to the model: for the bundled corpus (4 million tokens) the index is about
    25 MB, which does not belong in the repository or the wheel, and an installed model
    folder may be read-only.
    """
    folder = model_dir.resolve()
    # The folder and the weights it holds: a retrained model (new corpus, new converter) gets a new index.
    tag = hashlib.sha1(f"{folder}\n{_weights_identity(folder)}".encode()).hexdigest()[:10]
    return cache / "training-index" / f"{folder.name}-{tag}.npz"


def _weights_identity(model_dir: Path) -> str:
    """The weights hash the model card records, or the weights file's size and time when there is no card."""
    from . import model_store

    try:
        recorded = model_store.read_card(model_dir).get("weights_sha256")
        if recorded:
            return str(recorded)
        info = (model_dir / model_store.WEIGHTS_FILE).stat()
        return f"{info.st_size}:{info.st_mtime_ns}"
    except (OSError, ValueError, AttributeError, ModelError):
        return ""


def load_training_index(model_dir: Path, cache: Path) -> TrainingIndex | None:
    """The saved index of a model's training tokens, or None when none has been built."""
    for path in (shipped_index_path(model_dir), cached_index_path(model_dir, cache)):
        if path.is_file():
            try:
                return TrainingIndex.load(path)
            except (OSError, ValueError, KeyError):
                continue  # a damaged file is as good as none: it can be rebuilt
    return None


def cached_training_sequences(cache: Path) -> list[np.ndarray]:
    """Training-split token sequences of every source in the corpus cache (no parsing, ever)."""
    from .corpus import split_of
    from .corpus_cache import load_source, read_manifest

    folder = cache / "corpus"
    sequences: list[np.ndarray] = []
    for name, entry in read_manifest(folder)["sources"].items():
        cached = load_source(folder, name, str(entry.get("fingerprint")))
        if cached is None:
            continue
        sequences += [t for piece_id, t in zip(cached.ids, cached.tokens, strict=True)
                      if split_of(piece_id) == "train"]
    return sequences


def build_training_index(model_dir: Path, cache: Path, vocab: Vocabulary,
                         sequences: Iterable[np.ndarray] | None = None) -> TrainingIndex | None:
    """Index ``sequences`` (default: the cached corpus's training split) and save it; None if no data."""
    pieces = list(sequences) if sequences is not None else cached_training_sequences(cache)
    if not pieces:
        return None
    index = TrainingIndex.build(comparable_tokens(p, vocab) for p in pieces)
    with contextlib.suppress(OSError):  # no writable cache: the index still serves this session
        index.save(cached_index_path(model_dir, cache))
    return index


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m musicassist.ml.copy_check MODEL_DIR``: build a model's training index ahead of time."""
    import argparse

    from musicassist.paths import cache_dir

    from . import model_store

    parser = argparse.ArgumentParser(description="Index the cached corpus's training split for the copy check.")
    parser.add_argument("model", nargs="?", help="model folder or shipped name (default: default)")
    args = parser.parse_args(argv)
    folder = model_store.resolve_model_dir(args.model)
    index = build_training_index(folder, cache_dir(), model_store.read_vocabulary(folder))
    if index is None:
        print("No cached corpus to index: build it with `python -m musicassist.ml.corpus` first.")
        return 1
    print(f"Indexed {index.token_count} training tokens into {cached_index_path(folder, cache_dir())}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
