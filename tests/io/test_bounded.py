"""The hard limits behind the notation readers: a runaway parse is stopped, a normal one comes back."""

from __future__ import annotations

import time
from fractions import Fraction

import pytest

from musicassist.core import FileFormatError, Note, OptionError, Score, Track
from musicassist.io.bounded import run_bounded


def test_the_result_comes_back_from_the_child() -> None:
    score = Score(tracks=(Track("t", (Note(Fraction(1, 3), 60, Fraction(1)),)),))
    assert run_bounded(lambda: score, 5, "too much") == score


def test_a_refusal_passes_through_with_its_type_and_sentence() -> None:
    def refuse() -> None:
        raise OptionError("There is no tune 3.")

    with pytest.raises(OptionError, match="There is no tune 3"):
        run_bounded(refuse, 5, "too much")


def test_an_endless_loop_is_stopped_by_the_cpu_limit() -> None:
    def spin() -> None:
        while True:
            pass

    started = time.monotonic()
    with pytest.raises(FileFormatError, match="too much"):
        run_bounded(spin, 1, "too much")
    assert time.monotonic() - started < 30  # a hang guard; the limit itself is CPU time


def test_a_memory_blow_up_is_stopped_by_the_memory_limit() -> None:
    def hoard() -> list[bytes]:
        return [bytes(2**28) for _ in range(40)]  # 10 GB

    with pytest.raises(FileFormatError, match="too much"):
        run_bounded(hoard, 20, "too much")
