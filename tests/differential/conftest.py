"""How many corpus pieces the differential tests take: a bounded slice in ``make test``, all of the
measured sample in ``make differential`` (MUSICASSIST_DIFFERENTIAL_FULL=1)."""

from __future__ import annotations

import os

FULL = os.environ.get("MUSICASSIST_DIFFERENTIAL_FULL") == "1"
ABC_TUNES = 450 if FULL else 40  # abc2midi and our reader: about 0.5 s a tune
MUSICXML_SCORES = 120 if FULL else 6  # MuseScore: about 2 s a score
