"""Every steering control of the assistant panel, driven in the window, changes what the candidates are.

The real NumPy sampler runs with the shipped model (a fake could not show a
register, a scale or a density being met); its random seed is fixed so that the
assertions are about the controls, not luck.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest

from musicassist.core.score import BarRange
from musicassist.core.timemaps import KeySignature
from musicassist.gui.assistant_panel import AUTO_KEY, DENSITY_CHOICES, REGISTER_CHOICES
from musicassist.ml import curation, rules
from musicassist.ml.sampler import Sampler
from musicassist.paths import models_dir

from .helpers import melody_score

pytestmark = [pytest.mark.gui, pytest.mark.slow]
F = Fraction
SHIPPED = models_dir() / "default"  # read at import, before the per-test override hides the models
WAIT_MS = 120_000


class SeededSampler(Sampler):
    """The product's sampler with a fixed random seed per request."""

    def generate(self, request, cancel, on_progress, on_candidate):  # type: ignore[no-untyped-def]
        fixed = replace(request, options=replace(request.options, seed=1400 + request.request_id))
        return super().generate(fixed, cancel, on_progress, on_candidate)


@pytest.fixture(scope="module")
def shipped_sampler() -> Sampler:
    if not (SHIPPED / "config.json").is_file():
        pytest.skip(f"the shipped model is not in {SHIPPED}")
    from musicassist.ml import model_store

    network, vocab = model_store.load_network(SHIPPED)
    return SeededSampler(network, vocab, name="default")


@pytest.fixture
def window(make_window, shipped_sampler):
    main = make_window(sampler=shipped_sampler)
    main.document.load(melody_score(4), None)
    main.document.set_bar_selection(BarRange(0, 4))
    main.panel.length_spin.setValue(4)
    main.panel.count_spin.setValue(4)
    return main


def generate(qtbot, window) -> list:
    with qtbot.waitSignal(window.assistant.host.finished, timeout=WAIT_MS):
        window.assistant.generate()
    candidates = window.panel.candidates.candidates()
    assert candidates, window.panel.message.text()
    return candidates


def choose(combo, data) -> None:
    index = next(i for i in range(combo.count()) if combo.itemData(i) == data)
    combo.setCurrentIndex(index)


def pitches(candidates) -> list[int]:
    return [n.pitch for c in candidates for t in c.score.tracks for n in t.notes]


def notes_per_bar(candidates) -> float:
    return float(np.mean([sum(len(t.notes) for t in c.score.tracks) / c.score.bar_count for c in candidates]))


def test_count_and_length_controls(qtbot, window):
    window.panel.count_spin.setValue(3)
    window.panel.length_spin.setValue(2)
    candidates = generate(qtbot, window)
    assert len(candidates) == 3
    assert all(c.score.bar_count == 2 for c in candidates)


def test_key_control_strict_scale_and_auto_key(qtbot, window):
    assert window.panel.key_combo.itemText(0) == "Auto: C major"  # the selection is a C major line
    choose(window.panel.key_combo, KeySignature(2, "major"))
    window.panel.strict_check.setChecked(True)
    d_major = KeySignature(2, "major").scale_pitch_classes
    assert {p % 12 for p in pitches(generate(qtbot, window))} <= d_major
    choose(window.panel.key_combo, AUTO_KEY)
    candidates = generate(qtbot, window)
    assert {p % 12 for p in pitches(candidates)} <= KeySignature(0, "major").scale_pitch_classes
    # A strict scale narrows the notes but does not freeze the line on one pitch.
    assert sum(rules.long_repetition(curation.features_of(c.score).notes, None) for c in candidates) <= 1


@pytest.mark.parametrize("label,register", [(label, value) for label, value in REGISTER_CHOICES
                                            if isinstance(value, tuple)])
def test_register_control_keeps_every_note_in_range_without_freezing(qtbot, window, label, register):
    choose(window.panel.register_combo, register)
    candidates = generate(qtbot, window)
    low, high = register
    assert all(low <= p <= high for p in pitches(candidates)), label
    assert all(len(set(p for t in c.score.tracks for p in (n.pitch for n in t.notes))) > 2 for c in candidates)


def test_register_like_the_selection_stays_near_the_seed(qtbot, window):
    choose(window.panel.register_combo, "like")
    assert all(55 <= p <= 77 for p in pitches(generate(qtbot, window)))  # the seed spans 60-72, +-5


def test_density_control_moves_notes_per_bar_towards_its_target(qtbot, window):
    seed_density = 4.0  # a quarter note per beat
    measured = {}
    for label, factor in DENSITY_CHOICES:
        choose(window.panel.density_combo, factor)
        measured[label] = notes_per_bar(generate(qtbot, window))
        if factor is not None:
            target = float(factor) * seed_density
            assert abs(measured[label] / target - 1) <= 0.3, (label, measured[label], target)
    assert measured["Sparser"] < measured["Like the selection"] < measured["Denser"]


def test_temperature_control_trades_likelihood_for_surprise(qtbot, window):
    window.panel.temperature_spin.setValue(0.3)
    cool = generate(qtbot, window)
    window.panel.temperature_spin.setValue(2.0)
    hot = generate(qtbot, window)
    assert np.mean([c.mean_log_likelihood for c in cool]) > np.mean([c.mean_log_likelihood for c in hot])


def test_labels_of_a_set_differ_and_carry_their_numbers(qtbot, window):
    candidates = generate(qtbot, window)
    assert len({c.label for c in candidates}) == len(candidates)
    item = window.panel.candidates.item(0)
    assert "mean pitch" in item.toolTip()
