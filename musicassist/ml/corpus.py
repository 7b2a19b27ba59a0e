"""The training corpus: bundled music21 collections and user folders as token arrays, cached.

``build_corpus`` parses each source in worker processes (music21 is slow:
minutes for the whole bundled corpus), caches its tokens under
``cache_dir()/corpus`` and afterwards loads them in seconds. Every piece gets
a train/valid/test split from the sha1 of its stable id, so the split is the
same on every machine. Pieces that cannot be read, or use a meter the codec
lacks, are counted per source and never stop the build. Identical token
sequences (the same tune in two books, one chorale in two cantatas) are kept
once, so they cannot leak from train into test.

Run ``python -m musicassist.ml.corpus --sources bundled`` to build the cache.
Folders of one's own files go through the sharded cache (``corpus_shards``): keyed per
file, written as parsing goes, buildable in shares on several machines (``--shard I/N``).
No TensorFlow here.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from musicassist.codec import CodecError, Vocabulary, augment_transpose, default_vocabulary, encode_with_stats
from musicassist.core.errors import OptionError
from musicassist.core.score import Score
from musicassist.paths import cache_dir

from .corpus_cache import CachedSource, load_source, save_source
from .corpus_progress import ProgressBar
from .corpus_shards import PIECES_PER_SHARD, FileEntry, file_key, key_in_shard, read_entries, shard_keys, write_shard
from .corpus_sources import (
    BUNDLED_SOURCES,
    CONVERTER_VERSION,
    PieceResult,
    Source,
    bundled_source,
    parse_batch,
    piece_tasks,
    user_source,
)

SPLITS = ("train", "valid", "test")
BATCH_SIZE = 8  # pieces per worker call: ~0.5 s of parsing, so progress stays smooth
EXAMPLES_PER_FAILURE = 5

__all__ = ["BUNDLED_SOURCES", "SPLITS", "Corpus", "Piece", "augment_transpose", "build_corpus",
           "corpus_from_scores", "split_of"]


@dataclass(frozen=True)
class Piece:
    id: str
    source: str
    style: str
    tokens: np.ndarray
    split: str
    notes: int = 0


def split_of(piece_id: str) -> str:
    """train 90% / valid 5% / test 5% from the sha1 of the id: identical on every machine."""
    bucket = int(hashlib.sha1(piece_id.encode("utf-8")).hexdigest()[:8], 16) % 100
    return "train" if bucket < 90 else "valid" if bucket < 95 else "test"


@dataclass
class Corpus:
    pieces: list[Piece]
    failures: dict[str, dict[str, int]] = field(default_factory=dict)  # source -> reason -> count
    duplicates: dict[str, int] = field(default_factory=dict)  # source -> pieces dropped as repeats
    parse_seconds: dict[str, float] = field(default_factory=dict)  # source -> parse time when built
    load_seconds: float = 0.0
    vocab: Vocabulary = field(default_factory=default_vocabulary)

    def split(self, name: str) -> list[Piece]:
        if name not in SPLITS:
            raise OptionError(f"Unknown corpus split '{name}': use train, valid or test.")
        return [p for p in self.pieces if p.split == name]

    def counts(self) -> dict[str, dict[str, Any]]:
        """Per source and overall ("all"): {split or "total": {pieces, tokens, notes}}, plus failures."""
        out: dict[str, dict[str, Any]] = {}
        for key in [*sorted({p.source for p in self.pieces} | set(self.failures)), "all"]:
            out[key] = {s: {"pieces": 0, "tokens": 0, "notes": 0} for s in (*SPLITS, "total")}
        for piece in self.pieces:
            for key in (piece.source, "all"):
                for split in (piece.split, "total"):
                    row = out[key][split]
                    row["pieces"] += 1
                    row["tokens"] += len(piece.tokens)
                    row["notes"] += piece.notes
        for source in out:
            failures = self.failures.get(source, {}) if source != "all" else _sum_failures(self.failures)
            out[source]["failures"] = dict(failures)
            out[source]["duplicates"] = (self.duplicates.get(source, 0) if source != "all"
                                         else sum(self.duplicates.values()))
        return out


def _sum_failures(failures: dict[str, dict[str, int]]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for reasons in failures.values():
        total.update(reasons)
    return dict(total)


def _resolve_sources(names: Iterable[str], user_dirs: Iterable[Path]) -> list[Source]:
    chosen: list[str] = []
    for name in names:
        expanded = list(BUNDLED_SOURCES) if name == "bundled" else [name]
        for item in expanded:
            if item not in BUNDLED_SOURCES:
                raise OptionError(
                    f"Unknown corpus source '{item}': choose from {', '.join(BUNDLED_SOURCES)} or bundled."
                )
            if item not in chosen:
                chosen.append(item)
    sources = [bundled_source(name) for name in chosen]
    for folder in user_dirs:
        if not Path(folder).expanduser().is_dir():
            raise OptionError(f"The folder {folder} does not exist.")
        sources.append(user_source(Path(folder)))
    return sources


def _parse_source(source: Source, executor: Executor | None, progress: bool) -> CachedSource:
    """Parse every piece of a source (in the executor when given), keeping task order."""
    tasks = piece_tasks(source)
    batches = [tasks[i:i + BATCH_SIZE] for i in range(0, len(tasks), BATCH_SIZE)]
    results: list[list[PieceResult]] = [[] for _ in batches]
    bar = ProgressBar(source.name if len(source.name) < 30 else "user", len(tasks), enabled=progress)
    started = time.monotonic()

    def record(index: int, batch_results: list[PieceResult]) -> None:
        results[index] = batch_results
        bar.advance(len(batch_results), failed=sum(r.tokens is None for r in batch_results))

    if executor is None:
        for index, batch in enumerate(batches):
            record(index, parse_batch(batch))
    else:
        futures = {executor.submit(parse_batch, batch): i for i, batch in enumerate(batches)}
        for future in as_completed(futures):
            record(futures[future], future.result())
    bar.close()
    cached = CachedSource([], [], [], parse_seconds=time.monotonic() - started)
    examples: dict[str, list[str]] = defaultdict(list)
    failures: Counter[str] = Counter()
    for result in (r for batch_results in results for r in batch_results):
        if result.tokens is None:
            reason = result.failure or "unknown"
            failures[reason] += 1
            if len(examples[reason]) < EXAMPLES_PER_FAILURE:
                examples[reason].append(result.piece_id)
            continue
        cached.ids.append(result.piece_id)
        cached.tokens.append(result.tokens.astype(np.int32))
        cached.notes.append(result.notes)
    cached.failures = dict(failures.most_common())
    cached.failure_examples = dict(examples)
    return cached


def _assemble(loaded: list[tuple[Source, CachedSource]], vocab: Vocabulary) -> Corpus:
    """Pieces in source order, exact repeats (ignoring the style token) kept once."""
    corpus = Corpus(pieces=[], vocab=vocab)
    seen: set[bytes] = set()
    style_ids = np.asarray(vocab.style_ids)
    for source, cached in loaded:
        key = source.name.split(":")[0] if source.name.startswith("user:") else source.name
        corpus.failures[key] = dict(cached.failures)
        corpus.parse_seconds[key] = cached.parse_seconds
        repeats = 0
        for piece_id, tokens, notes in zip(cached.ids, cached.tokens, cached.notes, strict=True):
            fingerprint = hashlib.sha1(tokens[~np.isin(tokens, style_ids)].astype(np.int32).tobytes()).digest()
            if fingerprint in seen:
                repeats += 1
                continue
            seen.add(fingerprint)
            corpus.pieces.append(Piece(piece_id, key, source.style, tokens, split_of(piece_id), notes))
        corpus.duplicates[key] = corpus.duplicates.get(key, 0) + repeats
    return corpus


def build_corpus(
    sources: Sequence[str],
    user_dirs: Sequence[Path] = (),
    workers: int = 2,
    progress: bool = True,
    cache: Path | None = None,
    rebuild: bool = False,
) -> Corpus:
    """Load (or parse and cache) the named sources ("bundled" = all) and user folders."""
    started = time.monotonic()
    cache = cache or cache_dir() / "corpus"
    vocab = default_vocabulary()
    chosen = _resolve_sources(sources, user_dirs)
    executor: ProcessPoolExecutor | None = None
    loaded: list[tuple[Source, CachedSource]] = []
    try:
        for source in chosen:
            if source.name.startswith("user:"):
                if executor is None and workers > 1:
                    executor = _executor(workers)
                from_shards = build_user_source(source, cache, executor, progress)
                if progress:
                    print(_failure_line(source.name, from_shards), file=sys.stderr)
                loaded.append((source, from_shards))
                continue
            fingerprint = source.fingerprint()
            cached = None if rebuild else load_source(cache, source.name, fingerprint)
            if cached is None:
                if executor is None and workers > 1:
                    executor = _executor(workers)
                cached = _parse_source(source, executor, progress)
                save_source(cache, source.name, source.cache_stem, fingerprint, cached)
                if progress:
                    print(_failure_line(source.name, cached), file=sys.stderr)
            loaded.append((source, cached))
    finally:
        if executor is not None:
            executor.shutdown(cancel_futures=True)
    corpus = _assemble(loaded, vocab)
    corpus.load_seconds = time.monotonic() - started
    return corpus


def _executor(workers: int) -> ProcessPoolExecutor:
    import multiprocessing

    # spawn, not fork: the caller may already have TensorFlow's threads running.
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


def build_user_source(source: Source, cache: Path, executor: Executor | None, progress: bool,
                      shard: tuple[int, int] | None = None) -> CachedSource:
    """A folder's pieces through the sharded cache (``corpus_shards``): only files no shard holds are parsed.

    New results are written a shard at a time, so memory holds at most ``PIECES_PER_SHARD`` parsed
    pieces besides the assembled corpus. ``shard=(i, n)`` parses only the i-th of n shares of the
    files (for building on several machines) and returns an empty source.
    """
    started = time.monotonic()
    keys = {path: file_key(path, source.style, CONVERTER_VERSION) for path in source.files}
    known = shard_keys(cache)
    missing = [path for path in source.files if keys[path] not in known]
    if shard is not None:
        missing = [path for path in missing if key_in_shard(keys[path], *shard)]
    if missing:
        _parse_into_shards(source, missing, keys, cache, executor, progress)
        known = shard_keys(cache)
    cached = CachedSource([], [], [], parse_seconds=time.monotonic() - started)
    if shard is not None:
        return cached
    by_shard: dict[Path, set[str]] = defaultdict(set)
    for path in source.files:
        if keys[path] in known:
            by_shard[known[keys[path]]].add(keys[path])
    entries = read_entries(by_shard)
    failures: Counter[str] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    kind = "user"
    for path in source.files:
        entry = entries.get(keys[path])
        if entry is None:
            failures["cache shard unreadable"] += 1
            continue
        stem = f"{kind}/{path.relative_to(source.root).as_posix()}"
        for suffix, tokens, notes in entry.pieces:
            cached.ids.append(stem + suffix)
            cached.tokens.append(tokens)
            cached.notes.append(notes)
        for suffix, reason in entry.failures:
            failures[reason] += 1
            if len(examples[reason]) < EXAMPLES_PER_FAILURE:
                examples[reason].append(stem + suffix)
    cached.failures = dict(failures.most_common())
    cached.failure_examples = dict(examples)
    return cached


def _parse_into_shards(source: Source, files: list[Path], keys: dict[Path, str], cache: Path,
                       executor: Executor | None, progress: bool) -> None:
    """Parse ``files`` (each file once even if copies exist), writing a shard every PIECES_PER_SHARD pieces."""
    first: dict[str, Path] = {}
    for path in files:
        first.setdefault(keys[path], path)
    subset = Source(source.name, source.style, source.root, tuple(first.values()))
    tasks = piece_tasks(subset)
    bar = ProgressBar("user" if len(source.name) >= 30 else source.name, len(tasks), enabled=progress)
    pending: dict[str, FileEntry] = {}
    pending_pieces = 0
    root = source.root

    def key_of(piece_id: str) -> tuple[str, str]:
        rel, _, ordinal = piece_id.split("/", 1)[1].partition("#")
        return keys[root / rel], f"#{ordinal}" if ordinal else ""

    def record(results: list[PieceResult]) -> None:
        nonlocal pending_pieces
        for result in results:
            key, suffix = key_of(result.piece_id)
            entry = pending.setdefault(key, FileEntry(key))
            if result.tokens is None:
                entry.failures.append((suffix, result.failure or "unknown"))
            else:
                entry.pieces.append((suffix, result.tokens.astype(np.int16), result.notes))
        pending_pieces += len(results)
        bar.advance(len(results), failed=sum(r.tokens is None for r in results))

    # Files are finished in task order (a shard only takes whole files), so results are kept per
    # batch until every earlier batch is in.
    batches = [tasks[i:i + BATCH_SIZE] for i in range(0, len(tasks), BATCH_SIZE)]
    done: dict[int, list[PieceResult]] = {}
    next_batch = 0

    def flush(final: bool) -> None:
        nonlocal pending_pieces
        if not pending or (not final and pending_pieces < PIECES_PER_SHARD):
            return
        last_file = None if final else key_of(batches[next_batch - 1][-1].piece_id)[0]
        ready = [entry for key, entry in pending.items() if final or key != last_file]
        if ready:
            write_shard(cache, ready, label="user")
        for entry in ready:
            del pending[entry.key]
        pending_pieces = sum(entry.piece_count for entry in pending.values())

    def take(index: int, results: list[PieceResult]) -> None:
        nonlocal next_batch
        done[index] = results
        while next_batch in done:
            record(done.pop(next_batch))
            next_batch += 1
            flush(final=False)

    if executor is None:
        for index, batch in enumerate(batches):
            take(index, parse_batch(batch))
    else:
        window = 64  # batches in flight: bounded memory however many files there are
        futures: dict[Any, int] = {}
        position = 0
        while position < len(batches) or futures:
            while position < len(batches) and len(futures) < window:
                futures[executor.submit(parse_batch, batches[position])] = position
                position += 1
            finished = next(as_completed(futures))
            take(futures.pop(finished), finished.result())
    flush(final=True)
    bar.close()


def _failure_line(name: str, cached: CachedSource) -> str:
    failed = sum(cached.failures.values())
    reasons = ", ".join(f"{reason}: {count}" for reason, count in list(cached.failures.items())[:6])
    return (f"{name}: {len(cached.ids)} pieces in {cached.parse_seconds:.0f} s, {failed} skipped"
            + (f" ({reasons})" if reasons else ""))


def corpus_from_scores(scores: Sequence[tuple[str, Score]], style: str, source: str = "memory") -> Corpus:
    """A small in-memory corpus (tests, experiments): ids are ``<source>/<name>``."""
    vocab = default_vocabulary()
    corpus = Corpus(pieces=[], vocab=vocab)
    failures: Counter[str] = Counter()
    for name, score in scores:
        piece_id = f"{source}/{name}"
        try:
            tokens, stats = encode_with_stats(score, style=style, vocab=vocab)
        except CodecError as exc:
            failures[str(exc).rstrip(".")] += 1
            continue
        corpus.pieces.append(Piece(piece_id, source, style, tokens, split_of(piece_id), stats.notes_out))
    corpus.failures[source] = dict(failures)
    return corpus


def _print_summary(corpus: Corpus) -> None:
    counts = corpus.counts()
    print(f"{'source':<10} {'pieces':>7} {'train':>6} {'valid':>6} {'test':>6} {'tokens':>10} {'notes':>9} "
          f"{'skipped':>8} {'repeats':>8} {'parse s':>8}")
    for source, row in counts.items():
        total = row["total"]
        print(f"{source:<10} {total['pieces']:>7} {row['train']['pieces']:>6} {row['valid']['pieces']:>6} "
              f"{row['test']['pieces']:>6} {total['tokens']:>10} {total['notes']:>9} "
              f"{sum(row['failures'].values()):>8} {row['duplicates']:>8} "
              f"{corpus.parse_seconds.get(source, sum(corpus.parse_seconds.values())):>8.0f}")
    print(f"loaded in {corpus.load_seconds:.1f} s")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m musicassist.ml.corpus", description=__doc__.split("\n")[0])
    parser.add_argument("--sources", nargs="+", default=["bundled"],
                        help=f"bundled, or any of {', '.join(BUNDLED_SOURCES)}")
    parser.add_argument("--user", nargs="*", type=Path, default=[], help="folders of MIDI/MusicXML/ABC/kern")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rebuild", action="store_true", help="ignore the cache and parse again")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--shard", default=None, metavar="I/N",
                        help="parse only the I-th of N shares of the --user files into cache shards (for building "
                             "on N machines; copy every shards/*.npz into one cache and they merge)")
    args = parser.parse_args(argv)
    if args.shard:
        return _build_share(args)
    corpus = build_corpus(args.sources, args.user, workers=args.workers, progress=not args.no_progress,
                          rebuild=args.rebuild)
    _print_summary(corpus)
    return 0


def _build_share(args: argparse.Namespace) -> int:
    try:
        index, count = (int(part) for part in args.shard.split("/"))
    except ValueError:
        index = count = -1
    if count < 1 or not 0 <= index < count:
        raise OptionError(f"--shard takes I/N with 0 <= I < N, like 0/4, not '{args.shard}'.")
    if not args.user:
        raise OptionError("--shard builds shares of --user folders (the bundled sources are cached whole).")
    cache = cache_dir() / "corpus"
    executor = _executor(args.workers) if args.workers > 1 else None
    try:
        for source in _resolve_sources([], args.user):
            build_user_source(source, cache, executor, not args.no_progress, shard=(index, count))
    finally:
        if executor is not None:
            executor.shutdown(cancel_futures=True)
    print(f"share {index}/{count} of {len(args.user)} folder(s) parsed into {cache / 'shards'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
