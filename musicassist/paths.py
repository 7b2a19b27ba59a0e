"""Where shipped files live, from a source checkout or from an installed wheel.

The wheel force-includes the top-level ``resources/`` and ``models/`` folders
as ``musicassist/_data/``; a checkout (or an editable install) finds them
next to the package.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _shipped(name: str) -> Path:
    installed = _PACKAGE / "_data" / name
    return installed if installed.is_dir() else _PACKAGE.parent / name


def resources_dir() -> Path:
    return _shipped("resources")


def models_dir() -> Path:
    """Shipped models; ``MUSICASSIST_MODELS`` points elsewhere (tests, users)."""
    override = os.environ.get("MUSICASSIST_MODELS")
    return Path(override) if override else _shipped("models")


def cache_dir() -> Path:
    """Per-user cache (tokenized corpora); ``MUSICASSIST_CACHE`` overrides."""
    override = os.environ.get("MUSICASSIST_CACHE")
    if override:
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "musicassist"
