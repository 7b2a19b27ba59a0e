"""Meter and tempo events at beat positions -> the core's maps."""

from __future__ import annotations

from fractions import Fraction

import pytest

from musicassist.core import MeterChange, TempoChange, TimeSignature
from musicassist.io.timeline import (
    clamp_bpm,
    meter_map_from_positions,
    tempo_map_from_positions,
    time_signature_for_length,
    time_signature_or_none,
)

F = Fraction
T = TimeSignature


def test_changes_on_barlines_keep_their_bars() -> None:
    meter_map = meter_map_from_positions([(F(0), T(3, 4)), (F(6), T(6, 8)), (F(12), T(4, 4))])
    assert meter_map.changes == (MeterChange(0, T(3, 4)), MeterChange(2, T(6, 8)), MeterChange(4, T(4, 4)))


def test_a_change_inside_a_bar_waits_for_the_next_barline() -> None:
    meter_map = meter_map_from_positions([(F(1), T(3, 4)), (F(9), T(2, 4))])
    # 4/4 until the barline at beat 4; then 3/4 bars at 4, 7, 10: the 2/4 at beat 9 starts at beat 10.
    assert meter_map.changes == (MeterChange(0, T(4, 4)), MeterChange(1, T(3, 4)), MeterChange(3, T(2, 4)))


def test_the_last_of_several_changes_before_one_barline_wins() -> None:
    meter_map = meter_map_from_positions([(F(1), T(3, 4)), (F(2), T(5, 4))])
    assert meter_map.changes == (MeterChange(0, T(4, 4)), MeterChange(1, T(5, 4)))


def test_order_of_events_does_not_matter_and_4_4_is_the_default() -> None:
    assert meter_map_from_positions([]).changes == (MeterChange(0, T(4, 4)),)
    shuffled = meter_map_from_positions([(F(8), T(3, 4)), (F(0), T(2, 4))])
    assert shuffled.changes == (MeterChange(0, T(2, 4)), MeterChange(4, T(3, 4)))


def test_tempo_map_starts_at_120_until_the_first_mark_and_rounds_to_hundredths() -> None:
    tempo_map = tempo_map_from_positions([(F(4), 60_000_000 / 616_651)])
    assert tempo_map.changes == (TempoChange(F(0), 120.0), TempoChange(F(4), 97.3))


@pytest.mark.parametrize(("bpm", "expected"), [(0.2, 1.0), (5000.0, 2000.0), (float("inf"), 120.0), (96.004, 96.0)])
def test_tempi_the_core_cannot_hold_are_clamped(bpm: float, expected: float) -> None:
    assert clamp_bpm(bpm) == expected


@pytest.mark.parametrize(
    ("length", "preferred", "expected"),
    [(F(3), 4, T(3, 4)), (F(3, 2), 4, T(3, 8)), (F(3, 2), 16, T(6, 16)), (F(1, 4), 4, T(1, 16)), (F(7, 2), 8, T(7, 8))],
)
def test_time_signature_for_an_irregular_bar(length: Fraction, preferred: int, expected: TimeSignature) -> None:
    assert time_signature_for_length(length, preferred) == expected


def test_lengths_no_signature_can_hold_give_none() -> None:
    assert time_signature_for_length(F(1, 3)) is None
    assert time_signature_for_length(F(0)) is None
    assert time_signature_or_none(0, 4) is None and time_signature_or_none(3, 128) is None
