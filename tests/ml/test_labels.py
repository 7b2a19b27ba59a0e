"""Candidate labels: true to the notes, different within a set, with the numbers behind them."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest

from musicassist.core.score import Note, Score, Track
from musicassist.ml.curation import Features, features_of
from musicassist.ml.labels import describe_set, label, measure

F = Fraction


def melody(pitches: list[int], step: Fraction = Fraction(1), bars: int = 4) -> Features:
    notes = tuple(Note(i * step, p, step) for i, p in enumerate(pitches))
    return features_of(Score(tracks=(Track(notes=notes),), length_bars=bars))


def random_set(rng: np.random.Generator, size: int = 4) -> list[Features]:
    """Candidates of every kind: walks, flat lines, arpeggios, copies of one another, silence now and then."""
    out: list[Features] = []
    for _ in range(size):
        kind = rng.integers(0, 6)
        count = int(rng.integers(4, 17))
        start = int(rng.integers(48, 80))
        if kind == 0:
            pitches = [start] * count  # one repeated pitch
        elif kind == 1:
            pitches = list(start + np.cumsum(rng.integers(-2, 3, count)))
        elif kind == 2:
            pitches = list(start + np.cumsum(rng.choice([-7, -5, 5, 7], count)))
        elif kind == 3 and out:
            out.append(replace(out[-1]))  # the same music twice (another candidate, equal features)
            continue
        elif kind == 4:
            pitches = list(start + np.arange(count) * int(rng.choice([-1, 1])))
        else:
            pitches = list(start + rng.integers(-12, 13, count))
        out.append(melody([int(np.clip(p, 21, 108)) for p in pitches], step=F(16, count)))
    return out


def test_no_two_candidates_of_a_set_share_a_label_over_100_sets():
    rng = np.random.default_rng(14)
    for _ in range(100):
        candidates = random_set(rng, int(rng.integers(2, 7)))
        texts = [item.text for item in describe_set(candidates)]
        assert len(set(texts)) == len(texts), texts
        assert [label(c, candidates).text for c in candidates] == texts  # one at a time, the same words


def test_labels_never_contradict_the_notes():
    rng = np.random.default_rng(7)
    for _ in range(100):
        candidates = random_set(rng)
        middle_pitch = float(np.median([c.mean_pitch for c in candidates if c.note_count]))
        for candidate, item in zip(candidates, describe_set(candidates), strict=True):
            m = measure(candidate)
            words = item.text
            if "rising" in words:
                assert m.rise > 0 and m.distinct > 1
            if "falling" in words:
                assert m.rise < 0 and m.distinct > 1
            if "higher register" in words:
                assert m.mean_pitch > middle_pitch
            if "lower register" in words:
                assert m.mean_pitch < middle_pitch
            if "stepwise" in words or "leaping" in words:
                assert m.distinct > 1


def test_a_flat_line_is_called_what_it_is_and_never_higher_or_rising():
    flat = melody([72] * 16, step=F(1))
    walk = melody([60, 62, 64, 65, 67, 65, 64, 62] * 2)
    low = melody([48, 50, 52, 50] * 4)
    text = describe_set([flat, walk, low])[0].text
    assert text.startswith("one repeated note (C5)")
    assert "rising" not in text and "falling" not in text and "stepwise" not in text


def test_a_rising_line_against_a_flat_set_is_rising():
    up = melody(list(range(60, 76)))
    others = [melody([64, 62] * 8), melody([65, 64, 65, 67] * 4)]
    assert "rising" in describe_set([up, *others])[0].text


def test_the_tooltip_gives_the_numbers_behind_the_label():
    a, b = melody([60, 62, 64, 65] * 4), melody([72, 74, 76, 77] * 4)
    item = describe_set([a, b])[1]
    assert "higher register" in item.text
    assert "mean pitch" in item.tooltip and "notes a bar" in item.tooltip and "middle" in item.tooltip


def test_a_single_candidate_is_compared_with_the_seed():
    seed = melody([60, 62, 64, 65] * 4)
    assert label(melody([72, 74, 76, 77] * 4), seed).text == "higher register"
    assert label(seed, seed).text == "close to the seed"
    assert "seed" in label(seed, seed).tooltip


def test_silence_is_silent():
    silent = features_of(Score(length_bars=4))
    assert describe_set([silent, melody([60] * 8)])[0].text == "silent"


@pytest.mark.parametrize("size", [2, 4, 8])
def test_identical_candidates_still_get_different_labels(size):
    same = melody([60, 64, 67, 72] * 4)
    texts = [item.text for item in describe_set([replace(same) for _ in range(size)])]
    assert len(set(texts)) == size
