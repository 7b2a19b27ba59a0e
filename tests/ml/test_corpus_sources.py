"""Corpus pieces: ABC books split into tunes, each tune through the io layer's converter into tokens (real music21)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from musicassist.codec import GrammarState, decode, default_vocabulary, encode
from musicassist.io import read_score
from musicassist.io.abc_prepare import prepare_abc_tune
from musicassist.ml.corpus_sources import PieceTask, parse_piece

pytest.importorskip("music21")

V = default_vocabulary()
JIG = "X:1\nT:jig\nM:6/8\nL:1/8\nK:G\nD | G2A B2c | d3 d2 :| B | c2d e2f | g3- g2 |]\n"


def test_parse_piece_gives_grammatical_tokens_with_the_style() -> None:
    result = parse_piece(PieceTask("memory/z#0", "folk", "", "X:1\nM:3/4\nL:1/4\nK:D\nA | d2 e | f3 |]\n"))
    assert result.tokens is not None
    names = V.describe(result.tokens)
    assert names[:5] == ["BOS", "STYLE_folk", "BAR_3/4", "POS_24", "PITCH_69"]
    assert result.notes == 4 and names[-1] == "EOS"
    assert GrammarState.from_prefix(result.tokens).skipped == 0


def test_pieces_without_a_meter_or_with_one_the_codec_lacks_are_skipped_with_a_reason() -> None:
    no_meter = parse_piece(PieceTask("memory/w#0", "folk", "", "X:1\nM:none\nL:1/8\nK:C\nCDEF GABc|]\n"))
    assert no_meter.tokens is None and no_meter.failure == "The piece has no time signature"
    odd = parse_piece(PieceTask("memory/x#0", "folk", "", "X:1\nM:11/8\nL:1/8\nK:C\nC4 D4 E3 |]\n"))
    assert odd.tokens is None and odd.failure == "unsupported meter 11/8"
    broken = parse_piece(PieceTask("memory/y#0", "folk", "", "X:1\nM:4/4\nK:C\n"))
    assert broken.tokens is None and broken.failure


def test_a_composers_abc_file_and_the_same_tune_in_the_corpus_get_the_same_bars(tmp_path: Path) -> None:
    """The window opens an ABC tune as abc2midi plays it (repeats expanded); the corpus keeps the written
    form the shipped models were trained on (a deliberate difference until the next corpus rebuild, see
    tests/data/README.md). Given the same played text, both paths give the same tokens."""
    (tmp_path / "jig.abc").write_text(JIG)
    opened = encode(read_score(tmp_path / "jig.abc"), style="folk")
    played = parse_piece(PieceTask("memory/jig#0", "folk", "", prepare_abc_tune(JIG).text)).tokens
    written = parse_piece(PieceTask("memory/jig#0", "folk", "", JIG)).tokens
    assert played is not None and written is not None
    assert np.array_equal(opened, played)
    bars = V.describe(written).count("BAR_6/8")
    assert bars == 5 and V.describe(opened).count("BAR_6/8") == bars + 2  # bars 1-2 (pickup + bar) once more


def test_an_upbeat_that_would_be_a_1_8_bar_stays_encodable_in_the_corpus() -> None:
    # "A3 B3 c" is one eighth too long; music21 cuts the c off as a bar of 1/8, which the codec has no token for.
    tune = "X:1\nT:t\nM:6/8\nL:1/8\nK:G\nG3 G3 | A3 B3 c | d6 | e6 |]\n"
    result = parse_piece(PieceTask("memory/t#0", "folk", "", tune))
    assert result.tokens is not None, result.failure
    bars = [name for name in V.describe(result.tokens) if name.startswith("BAR_")]
    assert bars == ["BAR_6/8", "BAR_7/8", "BAR_6/8", "BAR_6/8"]  # the c joins its bar: exact timing
    assert [n.start for n in decode(result.tokens).notes] == [0, 1.5, 3, 4.5, 6, 6.5, 9.5]
