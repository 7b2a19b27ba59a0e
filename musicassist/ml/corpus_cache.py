"""The on-disk corpus cache: one compressed .npz of token arrays per source plus a manifest.

The manifest (``manifest.json``) records, per source, the fingerprint of its
files (names and contents, with the converter version), the codec version,
piece/token/note counts, failures and parse time. A source is reused only
when its fingerprint and the codec version both match, so a warm cache loads
in seconds and a changed file or codec rebuilds just that source. Writes are
atomic (``io.atomic``: a temp file in the same folder, then ``os.replace``).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from musicassist.codec import CODEC_VERSION
from musicassist.io.atomic import atomic_write_bytes, atomic_writer

MANIFEST = "manifest.json"


@dataclass
class CachedSource:
    ids: list[str]
    tokens: list[np.ndarray]
    notes: list[int]
    failures: dict[str, int] = field(default_factory=dict)
    failure_examples: dict[str, list[str]] = field(default_factory=dict)
    parse_seconds: float = 0.0


def read_manifest(cache: Path) -> dict[str, Any]:
    try:
        data = json.loads((cache / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"sources": {}}
    return data if isinstance(data.get("sources"), dict) else {"sources": {}}


def load_source(cache: Path, name: str, fingerprint: str) -> CachedSource | None:
    """The cached pieces of one source, or None when missing, stale or unreadable."""
    entry = read_manifest(cache)["sources"].get(name)
    if not entry or entry.get("fingerprint") != fingerprint or entry.get("codec_version") != CODEC_VERSION:
        return None
    try:
        with np.load(cache / entry["file"], allow_pickle=False) as data:
            flat = data["tokens"].astype(np.int32)
            offsets = data["offsets"]
            ids = [str(i) for i in data["ids"]]
            notes = data["notes"].astype(int).tolist()
    except (OSError, KeyError, ValueError):
        return None
    tokens = np.split(flat, offsets[1:-1]) if len(ids) else []
    return CachedSource(ids, tokens, notes, dict(entry.get("failures", {})),
                        dict(entry.get("failure_examples", {})), float(entry.get("parse_seconds", 0.0)))


def save_source(cache: Path, name: str, stem: str, fingerprint: str, source: CachedSource) -> None:
    lengths = np.array([len(t) for t in source.tokens], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    flat = np.concatenate(source.tokens).astype(np.int16) if source.tokens else np.zeros(0, np.int16)
    file_name = f"{stem}.npz"

    def write_arrays(stream: Any) -> None:
        np.savez_compressed(stream, tokens=flat, offsets=offsets, ids=np.array(source.ids, dtype=str),
                            notes=np.array(source.notes, dtype=np.int32))

    with atomic_writer(cache / file_name, make_folder=True) as stream:
        write_arrays(stream)
    manifest = read_manifest(cache)
    manifest["codec_version"] = CODEC_VERSION
    manifest["sources"][name] = {
        "file": file_name,
        "fingerprint": fingerprint,
        "codec_version": CODEC_VERSION,
        "pieces": len(source.ids),
        "tokens": int(lengths.sum()),
        "notes": int(sum(source.notes)),
        "failures": source.failures,
        "failure_examples": source.failure_examples,
        "parse_seconds": round(source.parse_seconds, 1),
        "built": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    text = json.dumps(manifest, indent=1, sort_keys=True)
    atomic_write_bytes(cache / MANIFEST, text.encode("utf-8"))
