"""A meter map whose first bar is a pickup (anacrusis): bar 1 starts at the pickup's length."""

from fractions import Fraction

import pytest

from musicassist.core.errors import ScoreError
from musicassist.core.timemaps import MeterChange, MeterMap, TimeSignature

F = Fraction
THREE_FOUR = TimeSignature(3, 4)


def test_bars_after_a_pickup_start_at_the_pickup_length() -> None:
    meters = MeterMap((MeterChange(0, TimeSignature()), MeterChange(3, THREE_FOUR)), pickup=F(1))
    assert [meters.bar_start(bar) for bar in range(6)] == [0, 1, 5, 9, 12, 15]
    assert meters.bar_length(0) == 1 and meters.bar_length(1) == 4
    assert [meters.bar_at(F(beat)) for beat in (0, F(1, 2), 1, 4, 5, 12, 14)] == [0, 0, 1, 1, 2, 4, 4]
    assert meters.bars_to_cover(F(1)) == 1 and meters.bars_to_cover(F(2)) == 2


def test_pickup_must_be_shorter_than_a_bar() -> None:
    with pytest.raises(ScoreError):
        MeterMap((MeterChange(0, THREE_FOUR),), pickup=F(3))
    assert MeterMap.from_changes([MeterChange(0, THREE_FOUR)], pickup=F(1, 2)).pickup == F(1, 2)


def test_slice_from_the_start_keeps_the_pickup_and_later_slices_do_not() -> None:
    meters = MeterMap.from_changes([MeterChange(0, THREE_FOUR)], pickup=F(1))
    assert meters.slice(0, 2).pickup == 1
    assert meters.slice(1, 3).pickup == 0
    assert meters.slice(1, 3).bar_start(1) == 3


def test_splice_keeps_the_pickup_unless_bar_one_is_replaced() -> None:
    meters = MeterMap.from_changes([MeterChange(0, TimeSignature())], pickup=F(2))
    plain = MeterMap()
    assert meters.splice(2, 1, plain, 2).pickup == 2
    assert meters.splice(0, 1, plain, 1).pickup == 0
    assert meters.without_pickup().bar_start(1) == 4
