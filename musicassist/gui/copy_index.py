"""The window's copy check: build a model's training index in the background the first time it is needed.

The ``generate`` command builds the index (once per model, from the corpus
cache) before it samples; the window used to rely on that, so "copies
training" flags appeared only after the command had run once. Here the
sampler worker, right after loading a model that has no index, starts one
plain background thread that builds it; the sampler picks it up by attribute
(one reference assignment, atomic under the GIL) from the next candidate on.
Generating never waits for it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

IndexBuilder = Callable[[Path, Any], object | None]  # (model folder, vocabulary) -> index or None


def build_from_corpus_cache(model_dir: Path, vocab: Any) -> object | None:
    """The real builder: the cached corpus's training split, saved in the user cache for next time."""
    from musicassist.ml import copy_check
    from musicassist.paths import cache_dir

    return copy_check.build_training_index(model_dir, cache_dir(), vocab)


def needs_index(sampler: object) -> bool:
    """A sampler that could flag copies but has no index yet (fakes without the attribute need none)."""
    return (getattr(sampler, "training_index", False) is None
            and getattr(sampler, "model_dir", None) is not None
            and getattr(sampler, "vocab", None) is not None)


def start_index_build(sampler: Any, builder: IndexBuilder, report: Callable[[str], None]) -> threading.Thread:
    """Build ``sampler``'s training index on a daemon thread; ``report`` gets one status line at the end."""
    model_dir, vocab = Path(sampler.model_dir), sampler.vocab

    def run() -> None:
        try:
            index = builder(model_dir, vocab)
        except Exception as exc:  # the copy check is an extra: a failure must not reach the composer as a crash
            log.exception("building the training index failed")
            report(f"The copy check is off: the training index could not be built ({exc}).")
            return
        if index is None:
            report("The copy check is off: no cached training corpus to compare with.")
            return
        sampler.training_index = index
        report("Copy check ready: candidates that reproduce training music are flagged.")

    thread = threading.Thread(target=run, name="musicassist-copy-index", daemon=True)
    thread.start()
    return thread
