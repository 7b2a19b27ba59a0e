"""The corpus cache for folders of one's own files: shards of parsed pieces keyed by file content.

A folder of 100,000 files must not be parsed again because one file changed, must not hold
every parsed piece in memory before writing, and should be buildable by several machines at
once. So every file is keyed by the sha1 of its bytes (with the converter and codec versions
and the folder's style: whatever changes what a file becomes), and parsed results are written
in shards (``shards/*.npz``, at most ``PIECES_PER_SHARD`` pieces each) as parsing goes.
A build reads the keys of every shard in the folder, parses only files whose key is in none,
and assembles the pieces from the shards. Shards built elsewhere (``--shard I/N`` on another
machine, then copied into ``shards/``) merge by simply being there: their keys are found and
those files are never parsed again. Identical files share one key.

Shard layout (numpy arrays, no pickles): ``files`` (every file key the shard covers, also
those whose pieces all failed), per piece ``keys``/``suffixes``/``notes`` and flat ``tokens``
with ``offsets``, and per failed piece ``failed_keys``/``failed_suffixes``/``reasons``.
No TensorFlow here.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from musicassist.codec import CODEC_VERSION
from musicassist.io.atomic import atomic_writer

SHARD_DIR = "shards"
PIECES_PER_SHARD = 2000  # ~1 M tokens at most in memory before a shard is written


def file_key(path: Path, style: str, converter_version: str) -> str:
    """What a file's pieces depend on: its bytes, the converter, the codec and the style token."""
    digest = hashlib.sha1(f"{converter_version}|{CODEC_VERSION}|{style}|".encode())
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def key_in_shard(key: str, shard: int, shards: int) -> bool:
    """Which files a ``--shard I/N`` build parses: a fixed share of keys, the same on every machine."""
    return int(key[:8], 16) % shards == shard


@dataclass
class FileEntry:
    """One file's parsed pieces (suffix: '' or '#k' for the k-th tune of an ABC book) and failures."""

    key: str
    pieces: list[tuple[str, np.ndarray, int]] = field(default_factory=list)  # suffix, tokens, notes
    failures: list[tuple[str, str]] = field(default_factory=list)  # suffix, reason

    @property
    def piece_count(self) -> int:
        return len(self.pieces) + len(self.failures)


def shard_keys(cache: Path) -> dict[str, Path]:
    """File key -> the shard holding it, over every readable shard in the cache."""
    found: dict[str, Path] = {}
    folder = cache / SHARD_DIR
    for path in sorted(folder.glob("*.npz")) if folder.is_dir() else []:
        try:
            with np.load(path, allow_pickle=False) as data:
                keys = [str(k) for k in data["files"]]
        except (OSError, KeyError, ValueError):
            continue  # a damaged or foreign file: its files are parsed again
        for key in keys:
            found.setdefault(key, path)
    return found


def write_shard(cache: Path, entries: Iterable[FileEntry], label: str = "") -> Path:
    """Write one shard atomically under a fresh name (no two builders ever write the same file)."""
    entries = list(entries)
    pieces = [(e.key, suffix, tokens, notes) for e in entries for suffix, tokens, notes in e.pieces]
    failures = [(e.key, suffix, reason) for e in entries for suffix, reason in e.failures]
    lengths = np.array([len(p[2]) for p in pieces], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    flat = np.concatenate([p[2] for p in pieces]).astype(np.int16) if pieces else np.zeros(0, np.int16)
    name = f"{label or 'shard'}-{os.getpid()}-{secrets.token_hex(4)}.npz"
    path = cache / SHARD_DIR / name
    with atomic_writer(path, make_folder=True) as stream:
        np.savez_compressed(
            stream, files=np.array([e.key for e in entries], dtype=str),
            keys=np.array([p[0] for p in pieces], dtype=str), suffixes=np.array([p[1] for p in pieces], dtype=str),
            notes=np.array([p[3] for p in pieces], dtype=np.int32), tokens=flat, offsets=offsets,
            failed_keys=np.array([f[0] for f in failures], dtype=str),
            failed_suffixes=np.array([f[1] for f in failures], dtype=str),
            reasons=np.array([f[2] for f in failures], dtype=str))
    return path


def read_entries(shards: dict[Path, set[str]]) -> dict[str, FileEntry]:
    """The entries of the wanted keys, reading each shard once."""
    entries: dict[str, FileEntry] = {}
    for path, wanted in shards.items():
        with np.load(path, allow_pickle=False) as data:
            for key in data["files"]:
                if str(key) in wanted:
                    entries.setdefault(str(key), FileEntry(str(key)))
            keys, suffixes, notes = data["keys"], data["suffixes"], data["notes"]
            offsets, flat = data["offsets"], data["tokens"]
            for row, key in enumerate(keys):
                entry = entries.get(str(key))
                if str(key) in wanted and entry is not None:
                    tokens = flat[offsets[row]:offsets[row + 1]].astype(np.int32)
                    entry.pieces.append((str(suffixes[row]), tokens, int(notes[row])))
            for key, suffix, reason in zip(data["failed_keys"], data["failed_suffixes"], data["reasons"],
                                           strict=True):
                entry = entries.get(str(key))
                if str(key) in wanted and entry is not None:
                    entry.failures.append((str(suffix), str(reason)))
    return entries
