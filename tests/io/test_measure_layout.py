"""Measures -> bars: pickups, repeat halves, irregular bars, music21's fragment meters (no music21 needed)."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from musicassist.codec import METERS
from musicassist.core import TimeSignature
from musicassist.io.measure_layout import BarLayout, SourceMeasure, lay_out_measures, long_meter_scale

F = Fraction
TS = TimeSignature.parse
CODEC_METERS = frozenset(TS(m) for m in METERS)


Length = int | Fraction


def measures(*spec: Length | tuple[Length, str]) -> list[SourceMeasure]:
    """Consecutive measures from lengths in quarter notes; (length, "3/4") states a time signature."""
    out, offset = [], F(0)
    for item in spec:
        length, stated = (item, None) if not isinstance(item, tuple) else (item[0], TS(item[1]))
        out.append(SourceMeasure(offset, F(length), stated))
        offset += F(length)
    return out


def meters(layout: BarLayout) -> list[str]:
    return [str(m) for m in layout.bar_meters]


def test_a_pickup_stays_a_short_first_bar() -> None:
    layout = lay_out_measures(measures((1, "3/4"), 3, 3))
    assert layout.target_starts == (0, 1, 4)
    assert meters(layout) == ["3/4", "3/4", "3/4"]
    assert layout.pickup == 1 and layout.meter_map().bar_start(1) == 1


def test_training_data_pads_a_pickup_to_a_full_first_bar() -> None:
    layout = lay_out_measures(measures((1, "3/4"), 3, 3), irregular_meters=CODEC_METERS)
    assert layout.target_starts == (2, 3, 6)
    assert layout.pickup == 0


def test_the_half_bars_either_side_of_a_repeat_share_one_bar() -> None:
    # 6/8: pickup, a full bar, "d3 d2 :|" (5/8), "B |" (1/8, the next section's pickup), a full bar.
    layout = lay_out_measures(measures((F(1, 2), "6/8"), 3, F(5, 2), F(1, 2), 3))
    assert layout.target_starts == (0, F(1, 2), F(7, 2), 6, F(13, 2))
    assert meters(layout) == ["6/8"] * 4 and layout.pickup == F(1, 2)


def test_a_lone_short_or_over_full_bar_gets_a_meter_of_its_own_length() -> None:
    layout = lay_out_measures(measures((4, "4/4"), 2, 4, 5, 4))
    assert meters(layout) == ["4/4", "2/4", "4/4", "5/4", "4/4"]
    assert layout.target_starts == (0, 4, 6, 10, 15)  # exact timing: every measure where the file has it


def test_a_meter_stated_for_one_measure_is_an_irregular_bar_called_by_that_name() -> None:
    # A one-bar [M:6/8] in a 2/4 tune keeps its name (its length alone would give 3/4)...
    layout = lay_out_measures(measures((2, "2/4"), (3, "6/8"), (2, "2/4"), 2))
    assert meters(layout) == ["2/4", "6/8", "2/4", "2/4"]
    # ...and the fragment music21 cuts off an over-full 2/4 bar (1/4, then 2/4 again) is no meter change:
    # for a composer it is a bar of its own, for training data (codec meters only) it joins the bar before.
    split = measures((2, "2/4"), 2, (1, "1/4"), (2, "2/4"), 2)
    assert meters(lay_out_measures(split)) == ["2/4", "2/4", "1/4", "2/4", "2/4"]
    joined = lay_out_measures(split, irregular_meters=CODEC_METERS)
    assert meters(joined) == ["2/4", "3/4", "2/4", "2/4"]
    assert joined.target_starts == (0, 2, 4, 5, 7)


def test_training_data_pads_an_upbeat_it_cannot_join_at_the_end_of_its_bar() -> None:
    # 6/8: a pickup bar, a bar ending the section, then a lone 1/8 upbeat: 1/8 and 7/8 + 1/8 are not codec
    # meters once the bar before is padded (a pickup), so it is padded like a pickup: its note ends the bar.
    layout = lay_out_measures(measures((F(1, 2), "6/8"), F(1, 2), 3), irregular_meters=CODEC_METERS)
    assert meters(layout) == ["6/8", "6/8", "6/8"]
    assert layout.target_starts == (F(5, 2), F(11, 2), 6)
    # A bar missing one sixteenth is no upbeat: it keeps its downbeat and is padded at the end.
    nearly_full = lay_out_measures(measures((F(1, 2), "6/8"), F(11, 4), 3), irregular_meters=CODEC_METERS)
    assert nearly_full.target_starts == (F(5, 2), 3, 6)


def test_training_data_gives_an_over_full_bar_whole_bars_when_its_length_is_no_codec_meter() -> None:
    layout = lay_out_measures(measures((2, "2/4"), F(9, 4), 2), irregular_meters=CODEC_METERS)
    assert meters(layout) == ["2/4", "2/4", "2/4", "2/4"]
    assert layout.target_starts == (0, 2, 6)
    assert meters(lay_out_measures(measures((2, "2/4"), F(9, 4), 2))) == ["2/4", "9/16", "2/4"]


def test_a_short_last_bar_keeps_the_meter_unless_it_states_its_own() -> None:
    assert meters(lay_out_measures(measures((1, "3/4"), 3, 2))) == ["3/4", "3/4", "3/4"]
    assert meters(lay_out_measures(measures((4, "4/4"), (3, "3/4")))) == ["4/4", "3/4"]


def test_a_meter_change_ends_the_open_bar_and_a_lone_measure_is_no_pickup() -> None:
    layout = lay_out_measures(measures((4, "4/4"), 2, (3, "3/4"), 3))
    assert meters(layout) == ["4/4", "2/4", "3/4", "3/4"]
    assert layout.target_starts == (0, 4, 6, 9)
    assert meters(lay_out_measures(measures((2, "4/4")))) == ["4/4"]  # a one-measure fragment is a padded bar


def test_notes_move_with_their_measure_and_nothing_lands_before_zero() -> None:
    layout = lay_out_measures(measures((1, "3/4"), 3), irregular_meters=CODEC_METERS)
    assert [layout.target(F(x)) for x in (0, F(1, 2), 1, 2)] == [2, F(5, 2), 3, 4]
    assert layout.target(F(-5)) == 0
    assert layout.meter_map().changes[0].time_signature == TS("3/4")


def test_long_meters_are_shortened_only_when_the_piece_is_in_one() -> None:
    assert [long_meter_scale(TS(m), [TS(m)]) for m in ("6/2", "3/1", "4/1", "8/1", "4/2", "4/4")] == [2, 2, 2, 4, 1, 1]
    assert long_meter_scale(TS("2/4"), [TS("2/4"), TS("14/4")]) == 1  # one long irregular bar changes nothing
    assert long_meter_scale(TS("3/1"), [TS("3/1"), TS("3/64")]) == 1  # 3/128 cannot be written


lengths = st.integers(1, 16).map(lambda eighths: F(eighths, 2))
STATED = [TS(m) for m in ("2/4", "3/4", "4/4", "6/8", "3/8", "2/2")]


@st.composite
def measure_lists(draw: st.DrawFn) -> list[SourceMeasure]:
    out, offset = [], F(0)
    for index in range(draw(st.integers(1, 12))):
        stated = draw(st.sampled_from(STATED)) if index == 0 else draw(st.none() | st.sampled_from(STATED))
        length = draw(lengths | st.sampled_from([s.bar_beats for s in STATED]))
        out.append(SourceMeasure(offset, length, stated))
        offset += length
    return out


@settings(max_examples=300, deadline=None)
@given(measure_lists())
def test_a_composers_file_keeps_its_exact_timing(source: list[SourceMeasure]) -> None:
    layout = lay_out_measures(source)
    assert layout.target_starts == tuple(m.offset for m in source)  # a pickup stays a short bar: nothing moves
    assert layout.meter_map().bar_start(layout.bar_count) >= source[-1].offset + source[-1].length


@settings(max_examples=300, deadline=None)
@given(measure_lists())
def test_training_layouts_only_use_codec_meters_and_full_measures_start_on_barlines(
    source: list[SourceMeasure],
) -> None:
    layout = lay_out_measures(source, irregular_meters=CODEC_METERS)
    assert set(layout.bar_meters) <= CODEC_METERS
    meter_map = layout.meter_map()
    barlines = {meter_map.bar_start(bar) for bar in range(layout.bar_count + 1)}
    in_force = None
    for index, (measure, target) in enumerate(zip(source, layout.target_starts, strict=True)):
        in_force = measure.stated or in_force
        assert in_force is not None
        if measure.length == in_force.bar_beats and index > 0:
            assert target in barlines


def test_a_meter_of_the_same_length_is_a_real_change_even_for_one_measure() -> None:
    # Found by hypothesis: a final 2/2 bar after 4/4 was read as a music21 fragment and lost its meter.
    four, cut = TimeSignature(4, 4), TimeSignature(2, 2)
    for stated in ([four, cut], [four, cut, four]):
        measures = [SourceMeasure(Fraction(4 * i), Fraction(4), meter) for i, meter in enumerate(stated)]
        assert list(lay_out_measures(measures).bar_meters) == stated
