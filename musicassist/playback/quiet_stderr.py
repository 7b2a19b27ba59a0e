"""Silence the C libraries' own stderr chatter (libjack, alsa-lib) for a moment."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Hide the C libraries' own stderr chatter (libjack, alsa-lib) while probing.

    A failed probe is an expected outcome here and its text ("Cannot connect
    to server socket") would only confuse the composer.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
